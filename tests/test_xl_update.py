"""cpxl update-workbook (cpxl.xl.update): the indicator table into a sheet of an existing workbook."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table

import cpxl
import xlwings
from cpxl.cli import main
from cpxl.errors import CpxlError
from cpxl.xl.update import backup_path, lossy_content, update_workbook
from builders import sample_county

XLWINGS_XLSM = Path(xlwings.__file__).parent / "quickstart.xlsm"   # has a real vbaProject.bin
NOW = dt.datetime(2026, 11, 22, 10, 15, 30)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_county(tmp_path_factory.mktemp("update") / "data")


@pytest.fixture(scope="module")
def table(sample) -> pd.DataFrame:
    return cpxl.compute(cpxl.load(sample), "2025-12-31", months=2)


def part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def xlsm(tmp_path) -> Path:
    """A macro workbook: xlwings' quickstart.xlsm (a real VBA project) plus an analyst's sheets."""
    assert XLWINGS_XLSM.exists(), "xlwings' quickstart.xlsm is missing: reinstall xlwings"
    path = tmp_path / "Board.xlsm"
    shutil.copy(XLWINGS_XLSM, path)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb.create_sheet("Summary", 0)
    ws["A1"] = "Children looked after"
    ws["A1"].font = Font(bold=True, size=14)
    ws["B2"] = "=COUNTIFS(indicators!A:A,\"cla_count\")"
    ws["B3"] = 0.25
    ws["B3"].number_format = "0.0%"
    ws["C3"] = dt.datetime(2025, 12, 31)
    ws["C3"].fill = PatternFill("solid", fgColor="C6EFCE")
    ws.merge_cells("A5:C5")
    ws["A5"] = "merged note"
    ws.column_dimensions["A"].width = 33
    stale = wb.create_sheet("indicators")
    for r in range(1, 20001, 1000):
        stale.cell(r, 1, "stale")
    wb.create_sheet("After")["A1"] = "the last sheet"
    wb.defined_names["cla_rows"] = DefinedName("cla_rows", attr_text="indicators!$A:$A")
    wb.save(path)
    return path


def cells(ws) -> dict:
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None or c.has_style:
                out[c.coordinate] = (c.value, c.number_format, c.font.b, c.font.sz,
                                     c.fill.fgColor.rgb if c.fill.fill_type else None)
    return out


# --- the sheet and everything else ---------------------------------------------------------

def test_xlsm_keeps_vba_byte_for_byte_and_other_sheets(xlsm, table):
    vba_before = part(xlsm, "xl/vbaProject.bin")
    before = openpyxl.load_workbook(xlsm, keep_vba=True)
    result = update_workbook(xlsm, "indicators", table, now=NOW)
    assert part(xlsm, "xl/vbaProject.bin") == vba_before
    assert b"macroEnabled" in part(xlsm, "[Content_Types].xml")
    after = openpyxl.load_workbook(xlsm, keep_vba=True)
    assert after.sheetnames == before.sheetnames == ["Summary", "Sheet1", "_xlwings.conf",
                                                     "indicators", "After"]
    for name in ("Summary", "Sheet1", "_xlwings.conf", "After"):
        assert cells(after[name]) == cells(before[name]), name
    assert after["Summary"].merged_cells.ranges == before["Summary"].merged_cells.ranges
    assert after["Summary"].column_dimensions["A"].width == 33
    assert after.defined_names["cla_rows"].attr_text == "indicators!$A:$A"
    assert result.rows == len(table) and not result.created and result.lost == []


def test_the_sheet_holds_the_table_with_real_dates_and_numbers(xlsm, table):
    update_workbook(xlsm, "indicators", table, now=NOW)
    ws = openpyxl.load_workbook(xlsm, keep_vba=True)["indicators"]
    assert [c.value for c in ws[1]] == list(table.columns)
    assert ws.max_row == len(table) + 1            # the 20,000 stale rows are gone
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:H{len(table) + 1}"
    got = pd.DataFrame(list(ws.iter_rows(min_row=2, values_only=True)), columns=table.columns)
    assert got["period_end"].map(lambda d: d.date().isoformat()).tolist() == table["period_end"].tolist()
    assert ws["B2"].number_format == "yyyy-mm-dd" and isinstance(ws["B2"].value, dt.datetime)
    for col in ("numerator", "denominator", "value"):
        want = table[col].astype(float)
        have = got[col].astype(float)
        assert ((want.isna() & have.isna()) | (want - have).abs().lt(1e-9)).all()
    assert (got["note"].fillna("") == table["note"].fillna("")).all()


def test_new_sheet_goes_last(xlsm, table):
    update_workbook(xlsm, "Board data", table, now=NOW)
    wb = openpyxl.load_workbook(xlsm, keep_vba=True)
    assert wb.sheetnames[-1] == "Board data" and "indicators" in wb.sheetnames


def test_an_excel_table_on_the_sheet_is_resized(tmp_path, table):
    path = tmp_path / "T.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "indicators"
    ws.append(["a", "b"])
    ws.append([1, 2])
    ws.add_table(Table(displayName="Indicators", ref="A1:B2"))
    wb.save(path)
    update_workbook(path, "indicators", table, now=NOW)
    t = openpyxl.load_workbook(path)["indicators"].tables["Indicators"]
    assert t.ref == f"A1:H{len(table) + 1}"
    assert [c.name for c in t.tableColumns] == list(table.columns)


def test_text_is_neutralised_against_formula_injection(tmp_path, table):
    path = tmp_path / "I.xlsx"
    openpyxl.Workbook().save(path)
    evil = table.head(3).copy()
    evil.loc[evil.index[0], "note"] = '=HYPERLINK("http://evil","click")'
    evil.loc[evil.index[1], "geography"] = "+cmd|' /C calc'!A0"
    evil.loc[evil.index[2], "indicator"] = "@SUM(A1)"
    update_workbook(path, "indicators", evil, now=NOW)
    ws = openpyxl.load_workbook(path)["indicators"]
    for ref, text in (("H2", '=HYPERLINK("http://evil","click")'), ("D3", "+cmd|' /C calc'!A0"),
                      ("A4", "@SUM(A1)")):
        assert ws[ref].data_type == "s" and ws[ref].value == "'" + text
    assert b"<f>" not in part(path, "xl/worksheets/sheet2.xml")


# --- refusals: charts and other things openpyxl loses --------------------------------------

def chart_book(path: Path) -> Path:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_column("A1", [1, 2, 3])
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=Data!$A$1:$A$3"})
    ws.insert_chart("C1", chart)
    wb.close()
    return path


def test_chart_refused_without_force_and_nothing_touched(tmp_path, table):
    path = chart_book(tmp_path / "Charts.xlsx")
    before = digest(path)
    with pytest.raises(CpxlError, match=r"has chart.*--force"):
        update_workbook(path, "indicators", table, now=NOW)
    assert digest(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["Charts.xlsx"]     # no backup either
    result = update_workbook(path, "indicators", table, force=True, now=NOW)
    assert result.lost == ["chart"]
    assert digest(result.backup) == before and "xl/charts/chart1.xml" in zipfile.ZipFile(result.backup).namelist()
    assert "indicators" in openpyxl.load_workbook(path).sheetnames


@pytest.mark.parametrize("parts, what", [
    (["xl/media/image1.png"], "image"),
    (["xl/pivotTables/pivotTable1.xml", "xl/pivotCache/pivotCacheDefinition1.xml",
      "xl/pivotCache/pivotCacheRecords1.xml"], "pivot table"),
    (["xl/slicers/slicer1.xml"], "slicer"),
    (["xl/threadedComments/threadedComment1.xml"], "threaded comment"),
    (["xl/connections.xml"], "data connection"),
    (["xl/ctrlProps/ctrlProp1.xml"], "form control"),
])
def test_other_lossy_content_is_detected(tmp_path, parts, what):
    path = tmp_path / "X.xlsx"
    openpyxl.Workbook().save(path)
    with zipfile.ZipFile(path, "a") as z:
        for p in parts:
            z.writestr(p, b"<x/>")
    assert any(item.startswith(what) for item in lossy_content(path))
    with pytest.raises(CpxlError, match=what):
        update_workbook(path, "indicators", pd.DataFrame({"indicator": []}), now=NOW)


def test_shapes_and_sparklines_are_detected(tmp_path):
    import xlsxwriter
    path = tmp_path / "S.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_column("A1", [1, 2, 3])
    ws.add_sparkline("B1", {"range": "Sheet1!A1:A3"})
    ws.insert_textbox("D4", "a note")
    wb.close()
    assert lossy_content(path) == ["shape or text box", "sheet with sparklines"]


def test_plain_workbook_has_nothing_lossy(xlsm):
    assert lossy_content(xlsm) == []


# --- backup, locks, bad input ---------------------------------------------------------------

def test_backup_is_dated_and_never_overwritten(xlsm, table):
    original = digest(xlsm)
    r1 = update_workbook(xlsm, "indicators", table, now=NOW)
    assert r1.backup.name == "Board.2026-11-22T1015.bak.xlsm" and digest(r1.backup) == original
    r2 = update_workbook(xlsm, "indicators", table, now=NOW)
    assert r2.backup.name == "Board.2026-11-22T101530.bak.xlsm" and digest(r1.backup) == original
    r3 = update_workbook(xlsm, "indicators", table, now=NOW)
    assert r3.backup.name == "Board.2026-11-22T101530-2.bak.xlsm"
    assert backup_path(xlsm, NOW).name == "Board.2026-11-22T101530-3.bak.xlsm"


def test_open_in_excel_is_refused(xlsm, table):
    (xlsm.parent / ("~$" + xlsm.name)).write_bytes(b"\x05alice")
    before = digest(xlsm)
    with pytest.raises(CpxlError, match=r"is open in Excel.*~\$Board.xlsm"):
        update_workbook(xlsm, "indicators", table, now=NOW)
    assert digest(xlsm) == before


def test_locked_file_is_a_clear_message_and_the_workbook_is_whole(xlsm, table, monkeypatch):
    import cpxl.output

    def locked(src, dst):
        raise PermissionError(13, "The process cannot access the file")

    before = digest(xlsm)
    monkeypatch.setattr(cpxl.output.os, "replace", locked)
    with pytest.raises(CpxlError, match="open in Excel or another program"):
        update_workbook(xlsm, "indicators", table, now=NOW)
    monkeypatch.undo()
    assert digest(xlsm) == before
    assert not [p for p in xlsm.parent.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("name, sheet, message", [
    ("Old.xls", "indicators", "save it from Excel as .xlsx or .xlsm"),
    ("Missing.xlsx", "indicators", "no such workbook"),
    ("Ok.xlsx", "bad/name", "cannot be a sheet name"),
    ("Ok.xlsx", "x" * 32, "cannot be a sheet name"),
])
def test_bad_input(tmp_path, table, name, sheet, message):
    path = tmp_path / name
    if name.startswith(("Old", "Ok")):
        openpyxl.Workbook().save(tmp_path / "Ok.xlsx")
        if name.startswith("Old"):
            path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(CpxlError, match=message):
        update_workbook(path, sheet, table, now=NOW)


def test_not_a_zip(tmp_path, table):
    path = tmp_path / "Fake.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CpxlError, match="is not an Excel workbook"):
        update_workbook(path, "indicators", table, now=NOW)


# --- the command ----------------------------------------------------------------------------

def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def test_command(xlsm, sample):
    rc, out, err = run_cli("update-workbook", str(xlsm), "--sheet", "indicators", "--data",
                           str(sample), "--period-end", "2025-12-31", "--months", "2")
    assert rc == 0, err
    table = cpxl.compute(cpxl.load(sample), "2025-12-31", months=2)
    assert f"{len(table):,} rows -> sheet 'indicators'" in out and ".bak.xlsm" in out
    assert openpyxl.load_workbook(xlsm, keep_vba=True)["indicators"].max_row == len(table) + 1


def test_command_refuses_a_chart_before_computing(tmp_path, sample, monkeypatch):
    path = chart_book(tmp_path / "Charts.xlsx")
    monkeypatch.setattr(cpxl.dataset, "load", lambda *a, **k: pytest.fail("loaded the data"))
    rc, out, err = run_cli("update-workbook", str(path), "--sheet", "indicators", "--data",
                           str(sample), "--period-end", "2025-12-31")
    assert rc == 2 and err.startswith("cpxl: Charts.xlsx has chart") and "--force" in err
    monkeypatch.undo()
    rc, out, err = run_cli("update-workbook", str(path), "--sheet", "indicators", "--data",
                           str(sample), "--period-end", "2025-12-31", "--months", "1", "--force")
    assert rc == 0 and "may have been dropped" in out
