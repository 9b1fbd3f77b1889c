"""The built add-in as Excel would see it: function-wizard registration and VBA syntax.

* The ``ThisWorkbook`` module of the real ``cpxl.xlam`` (built from cpxl.xl.udfs, read back with
  olevba) registers every worksheet function and every argument with ``Application.MacroOptions``
  in ``Workbook_Open``, with the texts of the functions' own metadata, within Excel's limits.
* Every cpxl-written or generated module parses under the VBA grammar of the ``antlr4-vba``
  package (an ANTLR grammar after [MS-VBAL]), after resolving ``#If`` blocks as VBA's
  conditional compilation does; the grammar is shown to reject broken code too.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from oletools import olevba

from cpxl.addin import build_addin
from cpxl.addin.udfgen import MACRO_OPTIONS_LIMIT, udf_registrations, workbook_module

EXPECTED = {
    "CPXL_VALUE": ["indicator", "period_end", "geography", "source"],
    "CPXL_SERIES": ["indicator", "first_period_end", "last_period_end", "geography", "source"],
    "CPXL_SCORECARD": ["period_end", "geography", "source"],
    "CPXL_RAG": ["indicator", "value"],
    "CPXL_COMPARATOR": ["indicator", "which", "la_code"],
    "CPXL_INDICATORS": [],
    "CPXL_WORKDAYS": ["start_date", "end_date"],
    "CPXL_STATUS": ["source"],
}


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("wizard") / "cpxl.xlam")


@pytest.fixture(scope="module")
def project(addin) -> dict[str, str]:
    """{module name: code as the VBA editor shows it (attributes stripped)} via olevba."""
    parser = olevba.VBA_Parser(str(addin), relaxed=False)
    try:
        return {Path(name).stem: olevba.filter_vba(code) for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _vba_string(token: str) -> str:
    assert token.startswith('"') and token.endswith('"'), token
    return token[1:-1].replace('""', '"')


_STRING = r'"(?:[^"]|"")*"'


def _macro_options_calls(code: str) -> dict[str, dict]:
    """Each ``Application.MacroOptions`` statement of the code, continuations joined."""
    joined = re.sub(r" _\r?\n\s*", " ", code)
    calls = {}
    for line in joined.splitlines():
        m = re.match(rf'\s*Application\.MacroOptions Macro:=book & ({_STRING}), '
                     rf'Description:=({_STRING}), Category:=({_STRING})'
                     rf'(?:, ArgumentDescriptions:=Array\( ?(.*)\))?\s*$', line)
        if not m:
            assert "MacroOptions" not in line, f"unexpected MacroOptions statement: {line}"
            continue
        args = re.findall(_STRING, m.group(4)) if m.group(4) else []
        calls[_vba_string(m.group(1))] = {"description": _vba_string(m.group(2)),
                                         "category": _vba_string(m.group(3)),
                                         "arguments": [_vba_string(a) for a in args]}
    return calls


def test_workbook_open_registers_every_function_and_argument(project):
    code = project["ThisWorkbook"]
    assert re.search(r"^Private Sub Workbook_Open\(\)\r?\n\s+CpxlRegisterFunctions\r?\nEnd Sub",
                     code, re.M)
    # A failure must never stop the add-in loading, and Excel must not offer to save it.
    body = code[code.index("Private Sub CpxlRegisterFunctions"):]
    assert body.index("On Error Resume Next") < body.index("Application.MacroOptions")
    assert "ThisWorkbook.Saved = True" in body
    # The add-in's own functions: 'cpxl.xlam'!CPXL_VALUE, as xlwings' import_udfs names them.
    assert """book = "'" & Replace(ThisWorkbook.Name, "'", "''") & "'!\"""" in body

    calls = _macro_options_calls(code)
    assert set(calls) == set(EXPECTED)
    import cpxl.xl.udfs as udfs
    for name, args in EXPECTED.items():
        call = calls[name]
        assert call["category"] == "cpxl"
        assert len(call["arguments"]) == len(args), name
        fn = getattr(udfs, name)
        assert call["description"] == " ".join(fn.__doc__.split())
        for text in [call["description"], *call["arguments"]]:
            assert 10 < len(text) <= MACRO_OPTIONS_LIMIT
    # Argument descriptions in signature order: the optional ones say so, dates say date.
    assert calls["CPXL_VALUE"]["arguments"][1].startswith("The period end")
    assert calls["CPXL_VALUE"]["arguments"][2].startswith("Optional")
    assert "negative" in calls["CPXL_WORKDAYS"]["arguments"][0]


def test_registrations_come_from_the_wrapper_metadata():
    """Same functions and argument names as the wrappers xlwings generates."""
    from cpxl.addin.udfgen import udf_wrappers

    wrappers = udf_wrappers()
    for f in udf_registrations():
        sig = re.search(rf"^Function {f.name}\((.*)\)", wrappers, re.M).group(1)
        names = [p.replace("Optional ", "").strip() for p in sig.split(",") if p.strip()]
        assert [n for n, _ in f.arguments] == names == EXPECTED[f.name]


def test_texts_over_excels_limit_are_refused(tmp_path, monkeypatch):
    (tmp_path / "cpxl_long_udfs.py").write_text(
        "import xlwings as xw\n\n"
        "@xw.func(category='cpxl')\n"
        f"@xw.arg('x', doc='{'y' * 256}')\n"
        "def LONG_ONE(x):\n    'Fine.'\n    return x\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="LONG_ONE: the argument x has 256 characters"):
        udf_registrations("cpxl_long_udfs")


def test_quotes_in_texts_are_doubled():
    from cpxl.addin.udfgen import FunctionHelp

    code = workbook_module([FunctionHelp("F", "cat", 'Say "hi"', (("a", '"A" or "B"'),))])
    assert 'Description:="Say ""hi"""' in code
    assert '"""A"" or ""B"""' in code
    assert _macro_options_calls(code)["F"]["arguments"] == ['"A" or "B"']


def test_the_start_failure_message_names_only_remedies_that_work(project):
    """The add-in's sheet carries INTERPRETER_WIN when built for an interpreter, and xlwings reads
    it before %USERPROFILE%\\.cpxl\\cpxl.conf: so the message must not send the user there."""
    code = project["CpxlRibbon"]
    report = code[code.index("Private Sub CpxlReportError"):code.index("End Sub", code.index("Private Sub CpxlReportError"))]
    assert ".cpxl" not in report and "USERPROFILE" not in report
    assert "cpxl addin install" in report and "its own cpxl.conf sheet" in report
    # The Python xlwings will start and the xlwings version the add-in was built for are shown.
    assert "CpxlInterpreter()" in report and "XLWINGS_VERSION" in report
    assert "Public Const XLWINGS_VERSION As String" in project["xlwings"]
    assert "Function GetConfig(configKey As String" in project["xlwings"]
    # Err.Description is taken before anything else can reset Err.
    assert report.index("problem = Err.Description") < report.index("CpxlInterpreter()")


# --- VBA syntax ------------------------------------------------------------------------------------

antlr4_vba = pytest.importorskip("antlr4_vba", reason="antlr4-vba (VBA grammar) not installed")


def _resolve_conditional_compilation(code: str, constants: dict[str, object]) -> str:
    """Keep the lines of the ``#If``/``#ElseIf``/``#Else`` branches chosen by ``constants`` and
    blank the rest and the directives ([MS-VBAL] 3.4), keeping line numbers.  Conditions are
    the forms the modules use: ``NAME``, ``Not NAME``, ``NAME = "text"``, ``NAME >= number``."""
    consts = dict(constants)

    def value(cond: str) -> bool:
        cond = cond.strip()
        if cond.lower().startswith("not "):
            return not value(cond[4:])
        m = re.fullmatch(r'(\w+)\s*(=|>=|<=|<>)\s*("?)([^"]*)\3', cond)
        if m:
            left, op, _, right = m.groups()
            have = consts.get(left, 0)
            want = right if m.group(3) else float(right)
            if not m.group(3):
                have = float(have or 0)
            return {"=": have == want, ">=": have >= want, "<=": have <= want, "<>": have != want}[op]
        return bool(consts.get(cond, False))

    out, stack = [], []           # stack of (this branch active, some branch taken, parent active)
    for line in code.splitlines():
        s = line.strip()
        low = s.lower()
        active = stack[-1][0] if stack else True
        if low.startswith("#const "):
            name, _, val = s[7:].split("'")[0].partition("=")
            consts[name.strip()] = val.strip().strip('"')
            out.append("")
        elif low.startswith("#if "):
            cond = value(re.sub(r"\s+then\s*$", "", s[4:], flags=re.I))
            stack.append((active and cond, cond, active))
            out.append("")
        elif low.startswith("#elseif "):
            _, taken, parent = stack.pop()
            cond = not taken and value(re.sub(r"\s+then\s*$", "", s[8:], flags=re.I))
            stack.append((parent and cond, taken or cond, parent))
            out.append("")
        elif low.startswith("#else"):
            _, taken, parent = stack.pop()
            stack.append((parent and not taken, True, parent))
            out.append("")
        elif low.startswith("#end if"):
            stack.pop()
            out.append("")
        else:
            out.append(line if active else "")
    assert not stack, "unbalanced #If"
    return "\r\n".join(out) + "\r\n"


def _syntax_errors(code: str) -> list[tuple[int, int, str]]:
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4_vba.vbaLexer import vbaLexer
    from antlr4_vba.vbaParser import vbaParser

    class Collect(ErrorListener):
        def __init__(self):
            self.errors = []

        def syntaxError(self, recognizer, symbol, line, column, msg, e):  # noqa: N802
            self.errors.append((line - 1, column, msg))   # line 1 is the header added below

    # The grammar wants a module header; the code is the body as the editor shows it.
    text = 'Attribute VB_Name = "M"\r\n' + code.replace("\r\n", "\n").replace("\n", "\r\n")
    if not text.endswith("\r\n"):
        text += "\r\n"
    errors = Collect()
    lexer = vbaLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = vbaParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    parser.startRule()
    return errors.errors


ENVIRONMENTS = {
    "Excel 64-bit": {"VBA7": True, "Win64": True, "Mac": False},
    "Excel 32-bit": {"VBA7": True, "Win64": False, "Mac": False},
    "Excel for Mac": {"VBA7": True, "Win64": True, "Mac": True, "MAC_OFFICE_VERSION": 16},
    "another Office app": {"VBA7": True, "Win64": True, "Mac": False, "App": "Word"},
}


# (xlwings' own modules are embedded verbatim, and parsing them takes minutes here.)
@pytest.mark.parametrize("module", ["ThisWorkbook", "CpxlRibbon", "xlwings_udfs"])
@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_cpxl_modules_parse_under_the_vba_grammar(project, module, environment):
    code = project[module]
    consts = dict(ENVIRONMENTS[environment])
    if module == "xlwings_udfs" and "App" in consts:
        # The module's own #Const App = "Microsoft Excel" wins, as in VBA: check the other
        # branch by editing the constant, as xlwings' comment on that line suggests.
        code = code.replace('#Const App = "Microsoft Excel"', '#Const App = "Word"')
    # Module-level attributes olevba leaves (the class's VB_Description) are not code.
    code = re.sub(r"(?m)^Attribute VB_\w+ = .*$", "", code)
    resolved = _resolve_conditional_compilation(code, consts)
    assert _syntax_errors(resolved) == []


def test_the_grammar_rejects_broken_vba():
    """So the parse above can fail: a VBA keyword as a parameter, a missing bracket in a
    MacroOptions statement, and a Sub without End Sub."""
    assert _syntax_errors("Function F(start, end)\r\n    F = 1\r\nEnd Function\r\n")
    assert _syntax_errors('Sub A()\r\n    Application.MacroOptions Macro:="x", _\r\n'
                          '        ArgumentDescriptions:=Array( _\r\n            "a", _\r\n'
                          '            "b"\r\nEnd Sub\r\n')
    assert _syntax_errors("Sub A()\r\n    MsgBox 1\r\n")
    assert _syntax_errors('Sub A()\r\n    MsgBox "x" &\r\nEnd Sub\r\n')


def test_conditional_compilation_picks_the_branch():
    code = ('#Const App = "Microsoft Excel"\r\n#If App = "Microsoft Excel" Then\r\nA\r\n#Else\r\n'
            'B\r\n#End If\r\n#If Win64 Then\r\nC\r\n#ElseIf VBA7 Then\r\nD\r\n#Else\r\nE\r\n#End If\r\n')
    lines = _resolve_conditional_compilation(code, {"Win64": False, "VBA7": True}).split("\r\n")
    assert [x for x in lines if x] == ["A", "D"]
