"""Generate the ``xlwings_udfs`` VBA module with xlwings' own generator.

On Windows, the xlwings ribbon's "Import Functions" button calls
``xlwings.udfs.import_udfs``, which writes one VBA wrapper per ``@xw.func``
into a module called ``xlwings_udfs`` and imports it through COM. We need
the same module text at build time, on Linux, without Excel. Two things
stand in the way, and both are worked around here without touching
xlwings:

1. ``xlwings.udfs`` imports pywin32 (``pythoncom``, ``pywintypes``,
   ``win32com.client``) at module level. The generator itself never calls
   them, so we import ``xlwings.udfs`` with inert stand-ins for those
   modules, privately: the stubs and the stubbed ``xlwings.udfs`` are taken
   back out of ``sys.modules`` afterwards, so nothing else in the process
   ever sees them.
2. Off Windows, ``xlwings.func``/``sub``/``arg``/``ret`` are no-op
   decorators, so a UDF module imported normally has no ``__xlfunc__``
   metadata to generate from. While we import the UDF module (freshly,
   again restoring ``sys.modules`` afterwards) those names point at the
   real decorators from ``xlwings.udfs``, exactly as ``xlwings/__init__.py``
   binds them on Windows.

Because xlwings copies Python names into VBA verbatim, the functions'
names and parameters are checked first: a parameter called ``end`` (a VBA
keyword) would make the whole module fail to compile in Excel.

The header lines are the ones ``xlwings.udfs.import_udfs`` writes before
calling ``generate_vba_wrapper``; that part of xlwings is inline code, so
it is reproduced here (checked against xlwings 0.37.8).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import sys
import types
from dataclasses import dataclass
from typing import Iterator, Sequence

__all__ = ["udf_wrappers", "udf_registrations", "workbook_module", "FunctionHelp",
           "UDF_MODULE_NAME", "DEFAULT_UDF_MODULE", "MACRO_OPTIONS_LIMIT"]

# The VBA module name xlwings uses; its "Import Functions" replaces a module
# of this name, so keeping it lets users regenerate in Excel if they want.
UDF_MODULE_NAME = "xlwings_udfs"
DEFAULT_UDF_MODULE = "cpxl.xl.udfs"

# Words VBA reserves ([MS-VBAL] 3.3.5.2: statement and marker keywords,
# operators, special forms, reserved names and types, literals). A Python
# parameter with one of these names becomes a wrapper VBA cannot compile,
# e.g. "Function F(start, end)", which breaks *every* UDF in the module.
VBA_RESERVED = frozenset(
    word.lower()
    for word in """
    Abs AddressOf And Any Array As Attribute Boolean ByRef Byte ByVal Call Case CBool CByte
    CCur CDate CDbl CDec Circle CInt Close CLng CLngLng CLngPtr Const CSng CStr Currency CVar
    CVErr Date Debug Declare DefBool DefByte DefCur DefDate DefDbl DefInt DefLng DefLngLng
    DefLngPtr DefObj DefSng DefStr DefVar Dim Do DoEvents Double Each Else ElseIf Empty End
    EndIf Enum Eqv Erase Event Exit False Fix For Friend Function Get Global GoSub GoTo
    If Imp Implements In Input InputB Int Integer Is LBound Len LenB Let Like Lock Long
    LongLong LongPtr Loop LSet Me Mod New Next Not Nothing Null On Open Option Optional Or
    ParamArray Preserve Print Private PSet Public Put RaiseEvent ReDim Rem Resume Return
    RSet Scale Seek Select Set Sgn Shared Single Spc Static Stop String Sub Tab Then To True
    Type TypeOf UBound Unlock Until Variant Wend While With WithEvents Write Xor
    """.split()
)
_VBA_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}")

_PYWIN32_MODULES = ("pythoncom", "pywintypes", "win32com", "win32com.client", "win32api")
# Names xlwings/__init__.py binds to xlwings.udfs' decorators on Windows.
_DECORATORS = {"func": "xlfunc", "sub": "xlsub", "script": "xlsub", "arg": "xlarg", "ret": "xlret"}


def _stub_module(name: str) -> types.ModuleType:
    """A module whose every attribute is a harmless placeholder.

    ``xlwings.udfs`` only *references* pywin32 names at import time (e.g.
    ``ThreadPoolExecutor(initializer=pythoncom.CoInitialize)``); calling
    one at build time would be a bug, so the placeholder raises if called.
    """
    module = types.ModuleType(name)
    module.__doc__ = "cpxl build-time stand-in for a pywin32 module"

    def _unavailable(*_args, **_kwargs):
        raise RuntimeError(f"{name} is a build-time stub; pywin32 is not available")

    class _Placeholder:
        __call__ = staticmethod(_unavailable)

        def __getattr__(self, attr):
            return self

    placeholder = _Placeholder()
    module.__getattr__ = lambda attr: placeholder  # PEP 562
    module.com_error = type("com_error", (Exception,), {})  # used in except clauses
    return module


@contextlib.contextmanager
def _restoring_modules(*names: str) -> Iterator[None]:
    """Put the ``sys.modules`` entries for ``names`` back as they were.

    A package's attribute for a submodule is restored too (or removed),
    because ``from package import sub`` returns that attribute without
    consulting ``sys.modules``.
    """
    saved = {n: sys.modules.get(n) for n in names}
    try:
        yield
    finally:
        for n, module in saved.items():
            if module is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = module
            parent_name, _, child = n.rpartition(".")
            parent = sys.modules.get(parent_name) if parent_name else None
            if parent is None:
                continue
            if module is None:
                with contextlib.suppress(AttributeError):
                    delattr(parent, child)
            else:
                setattr(parent, child, module)


_MISSING = object()


def _load_xlwings_udfs() -> types.ModuleType:
    """Import ``xlwings.udfs`` (the generator) without leaving traces."""
    import xlwings  # noqa: F401  (the package must be real, only pywin32 is stubbed)

    with _restoring_modules("xlwings.udfs", *_PYWIN32_MODULES):
        for name in _PYWIN32_MODULES:
            if name not in sys.modules:
                sys.modules[name] = _stub_module(name)
        sys.modules.pop("xlwings.udfs", None)
        return importlib.import_module("xlwings.udfs")


def _import_with_udf_decorators(module_name: str, xlwings_udfs: types.ModuleType) -> types.ModuleType:
    """Import a fresh copy of ``module_name`` with xlwings' real decorators."""
    import xlwings

    saved = {name: getattr(xlwings, name, _MISSING) for name in _DECORATORS}
    try:
        for name, real in _DECORATORS.items():
            setattr(xlwings, name, getattr(xlwings_udfs, real))
        with _restoring_modules(module_name):
            sys.modules.pop(module_name, None)
            return importlib.import_module(module_name)
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                delattr(xlwings, name)
            else:
                setattr(xlwings, name, value)


def _check_vba_names(module: types.ModuleType) -> None:
    """Refuse UDFs whose wrapper VBA could not compile.

    xlwings' generator copies Python function and parameter names verbatim
    into VBA. Excel only notices a bad one when the module is compiled - at
    the first UDF call, for every function in the module - so we check here.
    """
    problems = []
    for attr in dir(module):
        info = getattr(getattr(module, attr), "__xlfunc__", None)
        if info is None:
            continue
        names = [("function", info["name"])]
        names += [("argument", a["name"]) for a in info["args"] if not a["vba"] and a["name"] != "caller"]
        for what, name in names:
            if not _VBA_IDENTIFIER.fullmatch(name):
                problems.append(f"{info['name']}: {what} {name!r} is not a valid VBA identifier")
            elif name.lower() in VBA_RESERVED:
                problems.append(f"{info['name']}: {what} {name!r} is a reserved word in VBA")
    if problems:
        raise ValueError(
            f"UDF module {module.__name__} cannot be wrapped for VBA; rename these in Python:\n  "
            + "\n  ".join(problems)
        )


class _AddinWorkbook:
    """Stands in for the COM Workbook ``generate_vba_wrapper`` receives.

    The generator only reads ``.Name``, to decide that wrappers in an add-in
    must pass ``ActiveWorkbook`` (the user's workbook) rather than
    ``ThisWorkbook`` (the add-in) to Python.
    """

    def __init__(self, name: str) -> None:
        self.Name = name


def _module_names(module_name: str | Sequence[str]) -> list[str]:
    names = module_name.split(";") if isinstance(module_name, str) else list(module_name)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ValueError("no UDF module given")
    return names


def udf_wrappers(
    module_name: str | Sequence[str] = DEFAULT_UDF_MODULE, workbook_name: str = "cpxl.xlam"
) -> str:
    """Return the source of the ``xlwings_udfs`` VBA module for ``module_name``.

    ``module_name`` is one importable Python module, several separated by
    ``;`` (the xlwings "UDF Modules" convention) or a sequence of them.
    The result is the text xlwings' "Import Functions" would put in the
    workbook, including the ``Attribute VB_Name`` line, with CRLF endings.
    """
    names = _module_names(module_name)
    xlwings_udfs = _load_xlwings_udfs()
    out = io.StringIO()
    # Same three header lines as xlwings.udfs.import_udfs writes.
    out.write(f'Attribute VB_Name = "{UDF_MODULE_NAME}"\n')
    out.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
    out.write("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel\n""")
    for name in names:
        module = _import_with_udf_decorators(name, xlwings_udfs)
        _check_vba_names(module)
        xlwings_udfs.generate_vba_wrapper(name, module, out, _AddinWorkbook(workbook_name))
    return out.getvalue().replace("\r\n", "\n").replace("\n", "\r\n")


# ---------------------------------------------------------------------------
# Function-wizard help: Application.MacroOptions in the add-in's Workbook_Open
# ---------------------------------------------------------------------------

#: Excel refuses (run-time error 1004) a MacroOptions Description or argument
#: description longer than this; xlwings' import_udfs cuts them at 255 characters.
MACRO_OPTIONS_LIMIT = 255


@dataclass(frozen=True)
class FunctionHelp:
    """What the function wizard shows for one worksheet function."""
    name: str
    category: str
    description: str
    arguments: tuple[tuple[str, str], ...]     # (name, description) in signature order


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def udf_registrations(module_name: str | Sequence[str] = DEFAULT_UDF_MODULE) -> list[FunctionHelp]:
    """The wizard help of every ``@xw.func`` of the module(s), from the same ``__xlfunc__``
    metadata xlwings' generator writes the wrappers from, in the same order.

    The texts are those ``xlwings.udfs.import_udfs`` passes to ``Application.MacroOptions``
    (the docstring, each ``@xw.arg`` doc; the reserved ``caller`` argument is not shown),
    with line breaks folded.  A text over Excel's 255 characters is refused rather than cut.
    """
    xlwings_udfs = _load_xlwings_udfs()
    found: list[FunctionHelp] = []
    problems: list[str] = []
    for name in _module_names(module_name):
        module = _import_with_udf_decorators(name, xlwings_udfs)
        for attr in dir(module):
            info = getattr(getattr(module, attr), "__xlfunc__", None)
            if info is None or info.get("sub"):
                continue
            description = _one_line(info["ret"]["doc"])
            args = tuple((a["name"], _one_line(a["doc"])) for a in info["args"]
                         if a["name"] != "caller" and not a["vba"])
            for what, text in [("description", description)] + [(f"argument {n}", d) for n, d in args]:
                if len(text) > MACRO_OPTIONS_LIMIT:
                    problems.append(f"{info['name']}: the {what} has {len(text)} characters")
            found.append(FunctionHelp(info["name"], info["category"], description, args))
    if problems:
        raise ValueError(f"function-wizard texts are limited to {MACRO_OPTIONS_LIMIT} characters "
                         "by Excel's MacroOptions; shorten these in Python:\n  " + "\n  ".join(problems))
    return found


def _vba_text(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def workbook_module(functions: Sequence[FunctionHelp]) -> str:
    """The add-in's ``ThisWorkbook`` code: on opening, register every function's category,
    description and argument descriptions with ``Application.MacroOptions`` - what xlwings'
    "Import Functions" does from Python, which an add-in built without Excel never ran.

    Excel keeps these only for the session, so they are set each time the add-in opens.  A
    failure is ignored: the functions work without wizard help, and the add-in must load.
    Setting them marks the add-in changed, so ``Saved`` is set back: Excel must not offer to
    save the add-in.
    """
    lines = [
        "' Function-wizard help for the worksheet functions, registered each time the add-in",
        "' opens. Generated by cpxl.addin.udfgen from the functions' docstrings and @xw.arg docs.",
        "Option Explicit",
        "",
        "Private Sub Workbook_Open()",
        "    CpxlRegisterFunctions",
        "End Sub",
        "",
        "Private Sub CpxlRegisterFunctions()",
        "    Dim book As String",
        "    On Error Resume Next",
        "    book = \"'\" & Replace(ThisWorkbook.Name, \"'\", \"''\") & \"'!\"",
    ]
    for f in functions:
        stmt = [f"    Application.MacroOptions Macro:=book & {_vba_text(f.name)}",
                f"        Description:={_vba_text(f.description)}",
                f"        Category:={_vba_text(f.category)}"]
        if f.arguments:
            stmt.append("        ArgumentDescriptions:=Array(")
            stmt += [f"            {_vba_text(doc)}" for _, doc in f.arguments]
        text = ", _\n".join(stmt[:3])
        if f.arguments:
            text += ", _\n" + stmt[3] + " _\n" + ", _\n".join(stmt[4:]) + ")"
        lines += text.split("\n")
    lines += [
        "    ThisWorkbook.Saved = True",
        "End Sub",
    ]
    return "\r\n".join(lines) + "\r\n"
