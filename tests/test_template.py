"""cpxl/templates/cpxl_template.xlsx: reproducible, well-formed, and its formulas work.

The last test calculates the template's cpxl formulas the way Excel does: each cell reference
is passed as a Range (here a fake COM range over the template's own cells), EOMONTH and TODAY
as serial numbers, and the call goes through xlwings' ``call_udf`` with the formula's cell as
the caller, whose workbook's cpxl.conf sheet names the data (``data`` beside the workbook).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import math
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import cpxl
from cpxl.xl import service
from winharness import FakeWorkbook, windows_udf_runtime

ROOT = Path(__file__).resolve().parents[1]
BUILDER = ROOT / "scripts" / "build_template.py"
TEMPLATE = ROOT / "cpxl" / "templates" / "cpxl_template.xlsx"
GUIDE = ROOT / "docs" / "template.md"
SHEETS = ["Scorecard", "Trends", "Scorecard table", "Status", "cpxl.conf"]
# Visible arguments (required, all) of each worksheet function.
ARITY = {"CPXL_VALUE": (2, 4), "CPXL_SERIES": (3, 5), "CPXL_SCORECARD": (1, 3), "CPXL_RAG": (2, 2),
         "CPXL_COMPARATOR": (2, 3), "CPXL_INDICATORS": (0, 0), "CPXL_WORKDAYS": (2, 2),
         "CPXL_STATUS": (0, 1)}


def load_builder():
    spec = importlib.util.spec_from_file_location("build_template", BUILDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder():
    return load_builder()


@pytest.fixture(scope="module")
def built(builder, tmp_path_factory) -> Path:
    return builder.build(tmp_path_factory.mktemp("template") / "cpxl_template.xlsx")


def formulas(path: Path) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                text = getattr(v, "text", v)    # ArrayFormula for dynamic arrays
                if isinstance(text, str) and text.startswith("="):
                    out[(ws.title, c.coordinate)] = text
    return out


def test_build_is_reproducible_and_the_committed_file_is_current(builder, built, tmp_path):
    again = builder.build(tmp_path / "again.xlsx")
    assert built.read_bytes() == again.read_bytes()
    assert builder.OUT == TEMPLATE
    assert TEMPLATE.exists(), "run: python scripts/build_template.py"
    assert TEMPLATE.read_bytes() == built.read_bytes(), \
        "cpxl_template.xlsx is out of date: run python scripts/build_template.py"


def test_the_guide_exists():
    text = GUIDE.read_text(encoding="utf-8")
    assert "build_template.py" in text and "cpxl.conf" in text and "DATA_SOURCE" in text


def test_sheets_and_settings(built):
    wb = openpyxl.load_workbook(built)
    assert wb.sheetnames == SHEETS
    conf = wb["cpxl.conf"]
    keys = [conf.cell(r, 1).value for r in range(1, 8)]
    assert keys[:5] == ["DATA_SOURCE", "CONFIG_FILE", "PERIOD_END", "GEOGRAPHY", "LA_CODE"]
    assert keys[5] is None                          # one unbroken block from A1, as xlwings reads it
    assert conf["B1"].value == "data"
    assert set(keys[:5]) == set(service.SETTINGS_HELP)
    sc = wb["Scorecard"]
    assert isinstance(sc["B3"].value, dt.datetime) and sc["B3"].number_format == "dd/mm/yyyy"
    assert sc["B4"].value is None
    assert not any("vbaProject" in n for n in zipfile.ZipFile(built).namelist())   # no macros


def test_indicator_rows_exist_in_the_catalogue(builder, built):
    cat = cpxl.catalogue().set_index("id")
    for theme, ind, title, unit in builder.ROWS:
        assert ind in cat.index, ind
        assert cat.loc[ind, "unit"] == unit and cat.loc[ind, "theme"] == theme, ind
    ws = openpyxl.load_workbook(built)["Scorecard"]
    ids = [ws.cell(r, 1).value for r in range(builder.FIRST_ROW, ws.max_row + 1)]
    assert [i for i in ids if i in cat.index] == [r[1] for r in builder.ROWS]


def test_every_formula_calls_a_known_function_correctly(built):
    from cpxl.xl import udfs

    found = set()
    for (sheet, ref), f in formulas(built).items():
        for name, args in calls(f):
            if name.startswith("CPXL_"):
                assert name in udfs.FUNCTIONS, (sheet, ref, name)
                lo, hi = ARITY[name]
                assert lo <= len(args) <= hi, (sheet, ref, f)
                found.add(name)
    assert {"CPXL_VALUE", "CPXL_SERIES", "CPXL_SCORECARD", "CPXL_RAG", "CPXL_COMPARATOR",
            "CPXL_STATUS", "CPXL_WORKDAYS"} <= found
    fs = formulas(built)
    assert fs[("Scorecard", "C9")] == "=CPXL_VALUE($A9,$B$3,$B$4)"
    assert fs[("Scorecard", "D9")] == "=CPXL_VALUE($A9,EOMONTH($B$3,-1),$B$4)"
    assert fs[("Trends", "A4")].startswith('=CPXL_SERIES("cla_count",EOMONTH(Scorecard!$B$3,-12)')


def test_spilling_formulas_are_dynamic_arrays(built):
    with zipfile.ZipFile(built) as z:
        assert "xl/metadata.xml" in z.namelist()
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
    xml = "".join(sheets.values())
    for fn in ("CPXL_SERIES", "CPXL_SCORECARD", "CPXL_STATUS"):
        for m in re.finditer(r'<c r="[A-Z]+\d+"[^>]*>(<f[^>]*>)([^<]*' + fn + r')', xml):
            cell = xml[xml.rfind("<c ", 0, m.start(2)):m.start(2)]
            assert 'cm="1"' in cell and 't="array"' in cell, cell


# --- Excel's calculation, simulated ---------------------------------------------------------

def split_args(text: str) -> list[str]:
    out, depth, quote, cur = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quote = not quote
        if not quote and ch == "(":
            depth += 1
        if not quote and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [a.strip() for a in out]


def calls(formula: str):
    """(function, [argument texts]) for every call in a formula."""
    for m in re.finditer(r"([A-Z][A-Z0-9_.]*)\(", formula):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(formula[i], 0)
            i += 1
        yield m.group(1), split_args(formula[m.end():i - 1])


def serial(d: dt.date) -> float:
    return float((d - dt.date(1899, 12, 30)).days)


class Excel:
    """Just enough of Excel's calculation for the template's cpxl formulas."""

    def __init__(self, rt, book: FakeWorkbook, sheets):
        self.rt, self.book, self.sheets = rt, book, sheets
        self.results = {}

    def ref(self, text: str, sheet: str):
        if "!" in text:
            sheet, text = text.split("!")
            sheet = sheet.strip("'")
        return self.book.sheets[sheet].Range(text.replace("$", ""))

    def arg(self, text: str, sheet: str):
        if text.startswith('"'):
            return text.strip('"')
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return float(text)
        if text == "TODAY()":
            return serial(dt.date.today())
        m = re.fullmatch(r"EOMONTH\((.+),(-?\d+)\)", text)
        if m:
            value = self.ref(m.group(1), sheet).Value
            end = (pd.Timestamp(value) + pd.offsets.MonthEnd(0)) + pd.DateOffset(months=int(m.group(2)))
            return serial((end + pd.offsets.MonthEnd(0)).date())
        return self.ref(text, sheet)        # a reference: Excel passes the Range

    def calculate(self, sheet: str, ref: str, formula: str):
        (name, args), = [c for c in calls(formula) if c[0].startswith("CPXL_")][:1] or [(None, None)]
        caller = self.book.sheets[sheet].Range(ref)
        out = self.rt.call(name, *[self.arg(a, sheet) for a in args], caller=caller)
        value = out[0][0] if len(out) == 1 and len(out[0]) == 1 else out
        if not isinstance(value, list):
            self.book.sheets[sheet].cells[(caller.Row, caller.Column)] = value
        self.results[(sheet, ref)] = value
        return value


def test_the_template_calculates_on_the_sample(built, tmp_path, monkeypatch):
    from cpxl.sample import write_sample

    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / "cpxl.conf")
    book_path = tmp_path / "Board.xlsx"
    shutil.copy(built, book_path)
    write_sample(tmp_path / "data", children=300, seed=1)          # DATA_SOURCE "data"
    service.clear_cache()
    fs = formulas(book_path)
    with windows_udf_runtime() as rt:
        excel = Excel(rt, FakeWorkbook.from_xlsx(book_path), SHEETS)
        order = sorted(fs, key=lambda k: (k[0] != "Scorecard", int(re.sub(r"\D", "", k[1])), k[1]))
        for sheet, ref in order:
            if fs[(sheet, ref)].startswith("=CPXL_"):
                excel.calculate(sheet, ref, fs[(sheet, ref)])
    service.clear_cache()
    data = cpxl.load(tmp_path / "data")
    table = cpxl.compute(data, "2025-12-31", months=13)
    la = table[table.level == "la"].set_index(["indicator", "period_end"])["value"]
    ws = openpyxl.load_workbook(book_path)["Scorecard"]
    checked = 0
    for r in range(9, ws.max_row + 1):
        ind = ws.cell(r, 1).value
        if ("Scorecard", f"C{r}") not in excel.results:
            continue
        for col, when in (("C", "2025-12-31"), ("D", "2025-11-30"), ("E", "2024-12-31")):
            got, want = excel.results[("Scorecard", f"{col}{r}")], la[(ind, when)]
            if isinstance(want, float) and math.isnan(want):
                assert isinstance(got, str) and got.startswith(("n/a", "not available")), (ind, got)
            else:
                assert got == pytest.approx(want), (ind, col)
                checked += 1
        rag = excel.results[("Scorecard", f"J{r}")]
        assert rag in ("Green", "Amber", "Red", ""), rag
        for col in "GHI":
            v = excel.results[("Scorecard", f"{col}{r}")]
            assert isinstance(v, float) or v.startswith("n/a"), (ind, col, v)
    assert checked >= 40
    series = excel.results[("Trends", "A4")]
    assert len(series) == 14 and series[-1][1] == la[("cla_count", "2025-12-31")]
    assert len(excel.results[("Scorecard table", "A3")]) == len(cpxl.catalogue()) + 1
    status = dict((r[0], r[1]) for r in excel.results[("Status", "A3")])
    assert status["Data source"] == str(tmp_path / "data")
    assert isinstance(excel.results[("Status", "B16")], int)
