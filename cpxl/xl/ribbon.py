"""The add-in's ribbon: one Python action per button.

Every button of ``macros/ribbon.xml`` runs, through the add-in's VBA callback,

    RunPython "import cpxl.xl.ribbon; cpxl.xl.ribbon.dispatch('<button id>')"

and :func:`dispatch` looks the id up in :data:`ACTIONS`.  An action takes ``(book, host)``:

* ``book`` - the analyst's workbook as an xlwings ``Book`` (in Excel: ``xw.Book.caller()``, which
  the custom add-in's RunPython points at the *active* workbook), or any object with the same
  slice of the xlwings API (:mod:`cpxl.xl.workbook`; the tests use :class:`OpenpyxlBook` on a real
  .xlsx file);
* ``host`` - what only Excel can do: show a message, ask for a folder, show a status, recalculate
  (:class:`ExcelHost` in Excel, a recording stand-in in the tests).

An action returns a one-line summary (also shown to the analyst).  A failure is shown as a
message ("cpxl: ..."), never as a traceback.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from ..errors import CpxlError
from ..indicators.registry import NUMBER_FORMATS
from ..output import neutralise
from . import service
from .cache import CACHE
from .workbook import address, find_sheet

TITLE = "Corporate Parenting"
VALIDATION_SHEET = "cpxl validation"
INDICATORS_SHEET = "cpxl indicators"
HEADER_FILL = "#1F4E79"
WHITE = "#FFFFFF"
RAG_FILLS = {"Green": "#C6EFCE", "Amber": "#FFEB9C", "Red": "#FFC7CE"}
HELP_TEXT = """cpxl - Corporate Parenting performance indicators

Load data: choose the folder of SSDA903 and local extracts (saved as DATA_SOURCE on this
workbook's cpxl.conf sheet) and load it.
Refresh: forget loaded data and recalculate every cpxl formula (after the extracts change).
Validate data: the data problems, on the sheet 'cpxl validation'.
Insert scorecard: a scorecard sheet for PERIOD_END and GEOGRAPHY (cpxl.conf), or the latest month.
Build district scorecards: one workbook per district, area and the authority into a folder.
Indicators: the catalogue with definitions, on the sheet 'cpxl indicators'.
Settings: the cpxl.conf sheet (DATA_SOURCE, CONFIG_FILE, PERIOD_END, GEOGRAPHY, LA_CODE).
About: the cpxl and xlwings versions and whether the add-in matches them.

Worksheet functions (category "cpxl" in Insert Function):
  =CPXL_VALUE("cla_count", B3)           =CPXL_SERIES("cla_count", EOMONTH(B3,-12), B3)
  =CPXL_SCORECARD(B3, B4)                =CPXL_COMPARATOR("cla_rate_10k", "England")
  =CPXL_RAG("stability_3plus_pct", C8)   =CPXL_INDICATORS()  =CPXL_STATUS()  =CPXL_WORKDAYS(A2, B2)

A cell showing "cpxl: ..." says what is wrong with its arguments or the data.
The user guide is docs/excel.md in the cpxl package (README, section "cpxl in Excel")."""


# --- Excel ------------------------------------------------------------------------------------

class ExcelHost:
    """Messages, folder picker, status bar and recalculation in Excel (through xlwings)."""

    def __init__(self, book):
        self.book = book
        self.app = book.app

    def message(self, text: str, title: str = TITLE) -> None:
        self.app.alert(text, title=title)

    def ask_folder(self, title: str) -> str | None:
        dialog = self.app.api.FileDialog(4)   # msoFileDialogFolderPicker
        dialog.Title = title
        dialog.AllowMultiSelect = False
        return dialog.SelectedItems(1) if dialog.Show() == -1 else None

    def status(self, text: str | None) -> None:
        self.app.status_bar = text if text else False   # False gives the bar back to Excel

    def recalculate(self) -> None:
        # Rebuild: re-parses formulas too, so cells that showed #NAME? before the add-in was
        # loaded find the functions.
        self.app.api.CalculateFullRebuild()

    def freeze_header(self, sheet, rows: int) -> None:
        sheet.activate()
        window = self.app.api.ActiveWindow
        window.FreezePanes = False
        window.SplitColumn = 0
        window.SplitRow = rows
        window.FreezePanes = True


def _caller_book():
    import xlwings as xw

    book = xw.Book.caller()
    if book.name.lower().endswith((".xlam", ".xla")):   # the add-in itself: use the analyst's book
        book = book.app.books.active
    return book


# --- helpers --------------------------------------------------------------------------------

def read_settings(book) -> service.Settings:
    """The workbook's cpxl.conf sheet over the add-in's and the settings files."""
    sheet = find_sheet(book, service.CONF_SHEET)
    pairs = sheet.range("A1:B100").value if sheet is not None else None
    addin_pairs = None
    books = getattr(book.app, "books", None)
    if books is not None:
        try:
            addin = books[service.ADDIN_BOOK]
            addin_pairs = addin.sheets[service.CONF_SHEET].range("A1:B100").value
        except Exception:  # noqa: BLE001 - no add-in workbook of that name, or no sheet
            addin_pairs = None
    return service.layered_settings(pairs, book_path=book.fullname, addin_pairs=addin_pairs)


def write_setting(book, key: str, value) -> None:
    """Set ``key`` on the cpxl.conf sheet (creating it), keeping the block of keys unbroken."""
    sheet = _settings_sheet(book)
    keys = sheet.range("A1:A100").value or []
    keys = keys if isinstance(keys, list) else [keys]
    row = None
    for i, k in enumerate(keys, start=1):
        if k in (None, ""):
            row = i
            break
        if str(k).strip().upper() == key.upper():
            row = i
            break
    row = row or len(keys) + 1
    sheet.range(f"A{row}").value = key
    sheet.range(f"B{row}").value = neutralise(value) if isinstance(value, str) else value
    service.clear_cache()


def _settings_sheet(book):
    sheet = find_sheet(book, service.CONF_SHEET)
    if sheet is None:
        sheet = book.sheets.add(service.CONF_SHEET, after=list(book.sheets)[-1])
    return sheet


def _fresh_sheet(book, name: str):
    """The sheet ``name``, emptied; created at the end if missing."""
    sheet = find_sheet(book, name)
    if sheet is None:
        sheet = book.sheets.add(name, after=list(book.sheets)[-1])
    else:
        sheet.clear()
    return sheet


def _cell(v):
    """A value as written to a sheet: data text neutralised, NaN blank, Timestamps as datetimes."""
    if isinstance(v, str):
        return neutralise(v)
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, (list, tuple)):   # numpy scalars
        return v.item()
    return v


def _write_rows(sheet, top: int, rows: list[list]) -> None:
    if rows:
        sheet.range(f"A{top}").value = [[_cell(v) for v in r] for r in rows]


def _header(sheet, row: int, ncols: int) -> None:
    rng = sheet.range(address(row, 1, row, ncols))
    rng.font.bold = True
    rng.font.color = WHITE
    rng.color = HEADER_FILL


def _sheet_name(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]


def _source(book, host, ask: bool = True):
    settings = read_settings(book)
    try:
        return settings, service.resolve_source(None, settings)
    except CpxlError:
        if not ask:
            raise
    folder = host.ask_folder("cpxl: choose the folder with the data extracts")
    if not folder:
        raise CpxlError("no data folder chosen; nothing was loaded")
    write_setting(book, "DATA_SOURCE", folder)
    settings = read_settings(book)
    return settings, service.resolve_source(None, settings)


def _loaded_summary(entry) -> str:
    d = entry.dataset
    return (f"{d.authority_name}: {len(d.tables)} tables from {entry.spec.path} "
            f"(loaded {entry.loaded_at:%d/%m/%Y %H:%M}); {len(d.problems):,} validation "
            f"problem(s). Latest period end "
            f"{service.default_period_end(d):%d/%m/%Y}.")


# --- the actions ------------------------------------------------------------------------------

def load_data(book, host) -> str:
    """Load data: (choose the folder, then) load and validate it, and recalculate."""
    settings, spec = _source(book, host)
    host.status("cpxl: loading the data...")
    service.clear_cache()
    entry = CACHE.entry(spec)
    CACHE.month(spec, service.default_period_end(entry.dataset, settings))   # warm the cache
    host.recalculate()
    summary = "Loaded " + _loaded_summary(entry)
    host.message(summary)
    return summary


def refresh(book, host) -> str:
    """Refresh: forget loaded data and computed months, and recalculate every formula."""
    service.clear_cache()
    host.status("cpxl: recalculating...")
    host.recalculate()
    return "cpxl: cache cleared and workbook recalculated"


def validate_data(book, host) -> str:
    """Validate data: the validation report on the sheet 'cpxl validation'."""
    from ..dataset import PERSONAL_DATA_NOTICE, REPORT_COLUMNS

    _settings, spec = _source(book, host)
    host.status("cpxl: validating...")
    entry = CACHE.entry(spec)
    d = entry.dataset
    report = d.report()
    sheet = _fresh_sheet(book, VALIDATION_SHEET)
    summary = f"{len(report):,} problem(s) in {spec.path}"
    sheet.range("A1").value = PERSONAL_DATA_NOTICE
    sheet.range("A1").font.bold = True
    sheet.range("A1").font.color = "#C00000"
    sheet.range("A2").value = [[_cell(summary + f" (loaded {entry.loaded_at:%d/%m/%Y %H:%M})")]]
    rows = [list(REPORT_COLUMNS)] + [list(r) for r in report.itertuples(index=False)]
    if len(report) == 0:
        rows.append(["", "", "", "", "", "", "No problems found", "", ""])
    _write_rows(sheet, 4, rows)
    _header(sheet, 4, len(REPORT_COLUMNS))
    sheet.autofit()
    host.freeze_header(sheet, 4)
    sheet.activate()
    host.message(f"Validation: {summary}. See the sheet '{VALIDATION_SHEET}'.")
    return summary


def insert_scorecard(book, host) -> str:
    """Insert scorecard: a formatted scorecard sheet for PERIOD_END and GEOGRAPHY (cpxl.conf)."""
    settings, spec = _source(book, host)
    host.status("cpxl: building the scorecard...")
    dataset = CACHE.dataset(spec)
    when = service.default_period_end(dataset, settings)
    geography = settings.get("GEOGRAPHY")
    rows = service.scorecard(when, geography, settings=settings)
    place = geography or dataset.authority_name
    name = _sheet_name(f"Scorecard {when:%Y-%m}" + (f" {geography}" if geography else ""))
    sheet = _fresh_sheet(book, name)
    sheet.range("A1").value = f"Corporate Parenting scorecard: {place}"
    sheet.range("A1").font.bold = True
    sheet.range("A1").font.size = 14
    sheet.range("A2").value = [[f"Period end {when:%d/%m/%Y}. Data: {spec.path}. Produced "
                                f"{dt.datetime.now():%d/%m/%Y %H:%M} by cpxl."]]
    sheet.range("A2").font.italic = True
    top = 4
    _write_rows(sheet, top, rows)
    ncols = len(rows[0])
    _header(sheet, top, ncols)
    head = rows[0]
    unit_col, rag_col = head.index("Unit"), head.index("RAG") + 1
    figures = [head.index(c) + 1 for c in service.SCORECARD_FIGURES]
    for i, r in enumerate(rows[1:], start=top + 1):
        fmt = NUMBER_FORMATS.get(r[unit_col])
        if fmt:
            for c in figures:
                sheet.range(address(i, c)).number_format = fmt
        fill = RAG_FILLS.get(r[rag_col - 1] or "")
        if fill:
            sheet.range(address(i, rag_col)).color = fill
    sheet.autofit()
    sheet.range(address(top, 3)).column_width = 55
    host.freeze_header(sheet, top)
    sheet.activate()
    summary = f"Scorecard for {place}, period end {when:%d/%m/%Y}, on the sheet '{name}'"
    host.status(None)
    return summary


def build_scorecards(book, host) -> str:
    """Build district scorecards: the batch (cpxl.scorecard) into a folder the analyst picks."""
    settings, spec = _source(book, host)
    folder = host.ask_folder("cpxl: choose the folder for the district scorecards")
    if not folder:
        return "cpxl: no folder chosen; no scorecards built"
    try:
        from ..scorecard.batch import BatchOptions, run_scorecards
    except ImportError as e:
        raise CpxlError(f"the district scorecards are not available in this installation ({e})") from None
    dataset = CACHE.dataset(spec)
    when = service.default_period_end(dataset, settings)
    options = BatchOptions(config=str(spec.config) if spec.config else None)
    host.status("cpxl: building the district scorecards...")
    rc = run_scorecards(str(spec.path), f"{when:%Y-%m-%d}", str(folder), options)
    if rc not in (0, None):
        raise CpxlError(f"the district scorecards stopped (status {rc}); see {folder}")
    summary = f"District scorecards for {when:%d/%m/%Y} written to {folder}"
    host.message(summary)
    return summary


def indicators(book, host) -> str:
    """Indicators: the catalogue with definitions, on the sheet 'cpxl indicators'."""
    rows = service.indicators()
    sheet = _fresh_sheet(book, INDICATORS_SHEET)
    _write_rows(sheet, 1, rows)
    _header(sheet, 1, len(rows[0]))
    sheet.autofit()
    col = rows[0].index("definition") + 1
    sheet.range(address(1, col)).column_width = 80
    sheet.range(address(2, col, len(rows), col)).wrap_text = True
    host.freeze_header(sheet, 1)
    sheet.activate()
    return f"{len(rows) - 1} indicators on the sheet '{INDICATORS_SHEET}'"


def settings(book, host) -> str:
    """Settings: show the cpxl.conf sheet, creating it with every cpxl setting listed."""
    sheet = _settings_sheet(book)
    values = sheet.range("A1:C100").value or []
    present = []
    for r in values:
        if not r or r[0] in (None, ""):
            break
        present.append(str(r[0]).strip().upper())
    row = len(present) + 1
    for key, text in service.SETTINGS_HELP.items():
        if key not in present:
            sheet.range(f"A{row}").value = key
            present.append(key)
            row += 1
    for i, key in enumerate(present, start=1):
        if key in service.SETTINGS_HELP:
            sheet.range(f"C{i}").value = service.SETTINGS_HELP[key]
            sheet.range(f"C{i}").font.italic = True
    sheet.range("A1:A50").font.bold = True
    sheet.range("A1").column_width = 14
    sheet.range("B1").column_width = 50
    sheet.activate()
    service.clear_cache()
    return (f"Settings on the sheet '{service.CONF_SHEET}': key in column A, value in column B, "
            "no blank rows")


def show_help(book, host) -> str:
    """Help: what the buttons and functions do."""
    host.message(HELP_TEXT)
    return "cpxl: help shown"


def about(book, host) -> str:
    """About: the versions, the Python running, and whether the add-in was built for them."""
    import xlwings

    rows = service.installation(read_settings(book), xlwings.__version__)
    host.message("\n".join(f"{k}: {v}" for k, v in rows))
    check = dict(rows)["Add-in check"]
    return "cpxl: add-in check OK" if check == "OK" else f"cpxl: {check}"


ACTIONS: dict[str, Callable] = {
    "cpxl_load": load_data,
    "cpxl_refresh": refresh,
    "cpxl_validate": validate_data,
    "cpxl_insert_scorecard": insert_scorecard,
    "cpxl_build_scorecards": build_scorecards,
    "cpxl_indicators": indicators,
    "cpxl_settings": settings,
    "cpxl_help": show_help,
    "cpxl_about": about,
}


def dispatch(button_id: str, book=None, host=None) -> str:
    """Run the action of the ribbon button ``button_id`` on ``book`` (default: Excel's caller)."""
    if book is None:
        try:
            book = _caller_book()
        except Exception as e:  # noqa: BLE001 - not started from Excel
            raise CpxlError(f"dispatch('{button_id}') needs the calling workbook: it runs from the "
                            f"cpxl add-in's ribbon in Excel ({type(e).__name__}: {e})") from None
    if host is None:
        host = ExcelHost(book)
    action = ACTIONS.get(button_id)
    if action is None:
        text = (f"cpxl: the button '{button_id}' has no action in this version of cpxl "
                f"(known: {', '.join(ACTIONS)}). Update cpxl or rebuild the add-in.")
        host.message(text)
        return text
    try:
        return action(book, host)
    except Exception as e:  # noqa: BLE001 - a message for the analyst, never a traceback
        text = service.error_text(e)
        host.message(text)
        return text
    finally:
        try:
            host.status(None)
        except Exception:  # noqa: BLE001
            pass
