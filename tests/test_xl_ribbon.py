"""The ribbon actions (cpxl.xl.ribbon), run against real .xlsx workbooks through openpyxl.

The actions are written against a slice of xlwings' Book/Sheet/Range API; in Excel they get
``xw.Book.caller()``, here :class:`cpxl.xl.workbook.OpenpyxlBook` on a real file, and a recording
host in place of Excel's message boxes, folder picker and recalculation.  Each test saves the
workbook and reads it back with openpyxl, so what is checked is what is in the file.
"""
from __future__ import annotations

import datetime as dt
import inspect
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

import cpxl
from cpxl.errors import CpxlError
from cpxl.xl import ribbon, service
from cpxl.xl.cache import CACHE
from cpxl.xl.workbook import OpenpyxlBook
from builders import sample_county

ROOT = Path(__file__).resolve().parents[1]
BUTTON_IDS = ["cpxl_load", "cpxl_refresh", "cpxl_validate", "cpxl_insert_scorecard",
              "cpxl_build_scorecards", "cpxl_indicators", "cpxl_settings", "cpxl_help", "cpxl_about"]


class Host:
    """Excel's side, recorded: messages, the folder the analyst would pick, recalculations."""

    def __init__(self, folder=None):
        self.messages: list[str] = []
        self.folder = folder
        self.asked: list[str] = []
        self.recalculations = 0
        self.statuses: list = []

    def message(self, text, title=None):
        self.messages.append(text)

    def ask_folder(self, title):
        self.asked.append(title)
        return None if self.folder is None else str(self.folder)

    def status(self, text):
        self.statuses.append(text)

    def recalculate(self):
        self.recalculations += 1

    def freeze_header(self, sheet, rows):
        sheet.ws.freeze_panes = f"A{rows + 1}"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_county(tmp_path_factory.mktemp("ribbon") / "data")


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    service.clear_cache()
    yield
    service.clear_cache()


@pytest.fixture
def board(tmp_path) -> Path:
    """An analyst's workbook with a sheet of their own that every action must leave alone."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My notes"
    ws["A1"] = "Board pack notes"
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws["B2"] = 42
    ws["B3"] = "=B2*2"
    ws["C4"] = dt.datetime(2025, 3, 31)
    ws["C4"].fill = PatternFill("solid", fgColor="FFFF00")
    path = tmp_path / "Board.xlsx"
    wb.save(path)
    return path


def with_source(path: Path, sample: Path, **settings) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("cpxl.conf")
    ws["A1"], ws["B1"] = "DATA_SOURCE", str(sample)
    for i, (k, v) in enumerate(settings.items(), start=2):
        ws.cell(i, 1, k)
        ws.cell(i, 2, v)
    wb.save(path)
    return path


def run(path: Path, button: str, host: Host) -> str:
    book = OpenpyxlBook(path)
    out = ribbon.dispatch(button, book=book, host=host)
    book.save()
    return out


def notes_untouched(path: Path) -> None:
    ws = openpyxl.load_workbook(path)["My notes"]
    assert ws["A1"].value == "Board pack notes" and ws["A1"].font.b and ws["A1"].font.color.rgb == "00FF0000"
    assert ws["B2"].value == 42 and ws["B3"].value == "=B2*2"
    assert ws["C4"].value == dt.datetime(2025, 3, 31) and ws["C4"].fill.fgColor.rgb == "00FFFF00"


# --- the button ids ---------------------------------------------------------------------------

def test_every_button_has_one_action_that_exists():
    assert list(ribbon.ACTIONS) == BUTTON_IDS
    for button, action in ribbon.ACTIONS.items():
        assert callable(action) and list(inspect.signature(action).parameters) == ["book", "host"]
    assert len(set(ribbon.ACTIONS.values())) == len(ribbon.ACTIONS)


def test_actions_match_the_ribbon_xml():
    xml = ROOT / "cpxl" / "macros" / "ribbon.xml"
    ids = [el.get("id") for el in ET.parse(xml).getroot().iter()
           if el.tag.endswith("}button")]
    assert sorted(ids) == sorted(ribbon.ACTIONS)
    for el in ET.parse(xml).getroot().iter():
        if el.tag.endswith("}button"):
            assert el.get("onAction")


def test_unknown_button_is_a_clear_message(board):
    host = Host()
    out = run(board, "cpxl_frobnicate", host)
    assert "cpxl_frobnicate" in out and "no action" in out and host.messages == [out]


def test_dispatch_outside_excel_says_so():
    with pytest.raises(CpxlError, match="runs from the cpxl add-in"):
        ribbon.dispatch("cpxl_help")


# --- the actions on a real workbook ------------------------------------------------------------

def test_load_asks_for_the_folder_and_remembers_it(board, sample):
    host = Host(folder=sample)
    out = run(board, "cpxl_load", host)
    assert out.startswith("Loaded ") and "validation problem" in out and host.asked
    assert host.recalculations == 1 and host.messages == [out]
    conf = openpyxl.load_workbook(board)["cpxl.conf"]
    assert (conf["A1"].value, conf["B1"].value) == ("DATA_SOURCE", str(sample))
    assert [s.path for s in CACHE.sources()] == [sample]
    entry = CACHE.loaded(CACHE.sources()[0])
    assert entry.months   # the latest months are computed, ready for the formulas
    notes_untouched(board)
    # Next time the setting is used; nothing is asked.
    host2 = Host()
    run(board, "cpxl_load", host2)
    assert host2.asked == [] and host2.messages[0].startswith("Loaded ")


def test_load_cancelled(board):
    host = Host(folder=None)
    out = run(board, "cpxl_load", host)
    assert out == "cpxl: no data folder chosen; nothing was loaded"
    assert "cpxl.conf" not in openpyxl.load_workbook(board).sheetnames


def test_refresh_clears_the_cache_and_recalculates(board, sample):
    with_source(board, sample)
    run(board, "cpxl_load", Host())
    assert CACHE.sources()
    host = Host()
    out = run(board, "cpxl_refresh", host)
    assert CACHE.sources() == [] and host.recalculations == 1 and "recalculated" in out


def test_validate_writes_the_report_and_neutralises_data_text(board, sample, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample, data)
    header = data / "header.csv"
    text = header.read_text(encoding="utf-8-sig")
    columns = text.splitlines()[0].split(",")
    row = {c: "" for c in columns}
    row.update({"CHILD": "=HYPERLINK(\"http://x\")", "DOB": "31/02/2015", "SEX": "1"})
    header.write_text(text.rstrip("\n") + "\n" + ",".join(
        '"' + row[c].replace('"', '""') + '"' for c in columns) + "\n", encoding="utf-8")
    with_source(board, data)
    host = Host()
    out = run(board, "cpxl_validate", host)
    problems = cpxl.load(data).problems
    assert f"{len(problems):,} problem(s)" in out
    ws = openpyxl.load_workbook(board)[ribbon.VALIDATION_SHEET]
    assert "OFFICIAL-SENSITIVE" in ws["A1"].value
    from cpxl.dataset import REPORT_COLUMNS
    assert [c.value for c in ws[4]][: len(REPORT_COLUMNS)] == REPORT_COLUMNS
    assert ws.max_row == 4 + len(problems)
    assert ws.freeze_panes == "A5"
    cells = [c for row in ws.iter_rows(min_row=5) for c in row if isinstance(c.value, str)]
    hostile = [c for c in cells if "HYPERLINK" in c.value]
    assert hostile and all(c.data_type == "s" and not c.value.startswith("=") for c in hostile)
    notes_untouched(board)


def test_insert_scorecard(board, sample):
    with_source(board, sample)
    host = Host()
    out = run(board, "cpxl_insert_scorecard", host)
    data = cpxl.load(sample)
    when = service.default_period_end(data)
    name = f"Scorecard {when:%Y-%m}"
    assert name in out
    wb = openpyxl.load_workbook(board)
    ws = wb[name]
    assert data.authority_name in ws["A1"].value and ws["A1"].font.b
    assert [c.value for c in ws[4]] == service.SCORECARD_HEADER
    want = service.scorecard(when, source=str(sample))
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=4 + len(want) - 1)]
    assert len(got) == len(want) - 1
    for g, w in zip(got, want[1:]):
        assert g[1] == w[1]
        assert g[5] == pytest.approx(w[5]) if w[5] is not None else g[5] is None
    units = {r[1]: r[3] for r in want[1:]}
    for row in ws.iter_rows(min_row=5, max_row=4 + len(want) - 1):
        fmt = ribbon.NUMBER_FORMATS.get(units[row[1].value])
        if fmt:
            assert row[5].number_format == fmt
        if row[11].value in ribbon.RAG_FILLS:
            assert row[11].fill.fgColor.rgb.endswith(ribbon.RAG_FILLS[row[11].value].lstrip("#"))
    assert wb[name].freeze_panes == "A5"
    # Inserting again replaces the sheet's contents rather than adding another.
    run(board, "cpxl_insert_scorecard", Host())
    assert openpyxl.load_workbook(board).sheetnames.count(name) == 1
    notes_untouched(board)


def test_insert_scorecard_for_a_district(board, sample):
    data = cpxl.load(sample)
    table = cpxl.compute(data, service.default_period_end(data), months=1)
    district = table.loc[table.level == "district", "geography"].iloc[0]
    with_source(board, sample, GEOGRAPHY=district, PERIOD_END="2025-06-30")
    out = run(board, "cpxl_insert_scorecard", Host())
    assert district in out and "30/06/2025" in out
    ws = openpyxl.load_workbook(board)[f"Scorecard 2025-06 {district}"[:31]]
    want = service.scorecard("2025-06-30", district, source=str(sample))
    assert ws.cell(5, 6).value == pytest.approx(want[1][5])


def test_build_scorecards_calls_the_batch_with_the_cli_arguments(board, sample, tmp_path, monkeypatch):
    import cpxl.scorecard.batch as batch

    seen = []
    monkeypatch.setattr(batch, "run_batch", lambda args: seen.append(args) or 0)
    with_source(board, sample)
    out_dir = tmp_path / "cards"
    host = Host(folder=out_dir)
    out = run(board, "cpxl_build_scorecards", host)
    assert str(out_dir) in out and host.messages == [out]
    (args,) = seen
    data = cpxl.load(sample)
    assert args.data == str(sample) and args.out == str(out_dir)
    assert args.period_end == f"{service.default_period_end(data):%Y-%m-%d}"
    assert args.months == 13 and args.jobs == 1 and not args.with_child_lists
    # Cancelled: nothing runs.
    seen.clear()
    assert "no folder chosen" in run(board, "cpxl_build_scorecards", Host(folder=None))
    assert seen == []


def test_build_scorecards_for_real(board, sample, tmp_path):
    with_source(board, sample)
    out_dir = tmp_path / "cards"
    out = run(board, "cpxl_build_scorecards", Host(folder=out_dir))
    assert out.startswith("District scorecards"), out
    assert len(list(out_dir.glob("*.xlsx"))) >= 2


def test_indicators_sheet(board):
    out = run(board, "cpxl_indicators", Host())
    cat = cpxl.catalogue()
    ws = openpyxl.load_workbook(board)[ribbon.INDICATORS_SHEET]
    assert [c.value for c in ws[1]] == list(cat.columns)
    assert ws.max_row == len(cat) + 1 and ws["A2"].value == cat.iloc[0]["id"]
    assert str(len(cat)) in out
    notes_untouched(board)


def test_settings_sheet_lists_every_setting_without_gaps(board, sample):
    wb = openpyxl.load_workbook(board)
    ws = wb.create_sheet("cpxl.conf")
    ws["A1"], ws["B1"] = "INTERPRETER_WIN", r"C:\Python311\python.exe"   # an xlwings setting
    ws["A2"], ws["B2"] = "DATA_SOURCE", str(sample)
    wb.save(board)
    run(board, "cpxl_settings", Host())
    run(board, "cpxl_settings", Host())   # twice: nothing is duplicated
    ws = openpyxl.load_workbook(board)["cpxl.conf"]
    keys = [ws.cell(r, 1).value for r in range(1, 10)]
    expected = ["INTERPRETER_WIN", "DATA_SOURCE", "CONFIG_FILE", "PERIOD_END", "GEOGRAPHY", "LA_CODE"]
    assert keys[: len(expected)] == expected and all(k is None for k in keys[len(expected):])
    assert ws["B1"].value == r"C:\Python311\python.exe" and ws["B2"].value == str(sample)
    assert ws["C2"].value == service.SETTINGS_HELP["DATA_SOURCE"]
    settings = service.Settings.from_pairs([[c.value for c in r][:2] for r in ws.iter_rows()])
    assert settings.get("DATA_SOURCE") == str(sample)


def test_help(board):
    host = Host()
    run(board, "cpxl_help", host)
    assert host.messages and "CPXL_VALUE" in host.messages[0] and "Load data" in host.messages[0]


def test_an_action_failure_is_a_message_not_a_traceback(board, tmp_path):
    with_source(board, tmp_path / "nowhere")
    host = Host()
    out = run(board, "cpxl_validate", host)
    assert out.startswith("cpxl: ") and "no such file or folder" in out and host.messages == [out]


def test_every_action_on_the_template(sample, tmp_path):
    """The shipped template with the sample in data/ beside it: every button works."""
    template = ROOT / "cpxl" / "templates" / "cpxl_template.xlsx"
    book = tmp_path / "Board.xlsx"
    shutil.copy(template, book)
    shutil.copytree(sample, tmp_path / "data")
    for button in BUTTON_IDS:
        if button == "cpxl_build_scorecards":
            continue
        out = run(book, button, Host())
        assert not out.startswith("cpxl: ") or button in ("cpxl_refresh", "cpxl_help", "cpxl_about"), out
    wb = openpyxl.load_workbook(book)
    assert {"Scorecard", "Trends", "cpxl.conf", ribbon.VALIDATION_SHEET,
            ribbon.INDICATORS_SHEET} <= set(wb.sheetnames)
    assert wb["Scorecard"]["C9"].value == "=CPXL_VALUE($A9,$B$3,$B$4)"   # formulas kept


def test_the_worksheet_function_the_ribbon_and_the_batch_show_the_same_rows(board, sample, tmp_path):
    """One row model (cpxl.reports): CPXL_SCORECARD's table, the ribbon's inserted scorecard and
    the batch's workbook rows have the same indicators in the same order, values and RAG."""
    from dataclasses import asdict
    from types import SimpleNamespace

    from cpxl.scorecard.batch import BatchOptions, plan

    data = cpxl.load(sample)
    when = service.default_period_end(data)
    books, _paths = plan(SimpleNamespace(data=str(sample), period_end=f"{when:%Y-%m-%d}",
                                         out=str(tmp_path / "out"), **asdict(BatchOptions())))
    la = books[0]
    assert la.kind == "la"
    batch = [(r.indicator, r.value, r.rag or None, r.england) for r in la.rows(la.own)]
    udf = [(r[1], r[5], r[11], r[8]) for r in service.scorecard(when, source=str(sample))[1:]]
    with_source(board, sample)
    run(board, "cpxl_insert_scorecard", Host())
    ws = openpyxl.load_workbook(board)[f"Scorecard {when:%Y-%m}"]
    sheet = [(row[1].value, row[5].value, row[11].value, row[8].value)
             for row in ws.iter_rows(min_row=5) if row[1].value]
    assert len(batch) > 40
    assert [b[0] for b in batch] == [u[0] for u in udf] == [s[0] for s in sheet]
    rated = 0
    for b, u, s in zip(batch, udf, sheet):
        assert b[1] == pytest.approx(u[1]) == pytest.approx(s[1]), b[0]
        assert b[2] == u[2] == s[2], b[0]
        assert b[3] == u[3] == s[3], b[0]
        rated += b[2] is not None
    assert rated >= 5
