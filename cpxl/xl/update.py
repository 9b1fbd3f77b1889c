"""``cpxl update-workbook BOOK --sheet NAME``: the latest indicator table into a sheet of a workbook.

    cpxl update-workbook Board.xlsm --sheet indicators --data extracts --period-end 2025-12-31

The sheet (created at the end if missing) gets the long indicator table (data.md section 5)
from A1: a header row, then one row per indicator, period end and geography, with real dates and
numbers and an autofilter, so formulas, lookups and pivot caches elsewhere in the workbook can
read it.  Every other sheet, the defined names and the VBA project of an .xlsm
(``keep_vba=True``, copied byte for byte) are kept.

openpyxl reads and rewrites the whole workbook, and it cannot keep everything: it drops shapes,
text boxes, sparklines, slicers, form controls, threaded comments and Power Query connections,
and rewrites charts, images and pivot tables with loss.  When the workbook has any of those the
command refuses, naming them, unless ``--force`` is given.

Before writing it always copies the workbook to a dated backup beside it
(``Book.2026-11-22T1015.bak.xlsx``), and it writes the new file atomically
(:func:`cpxl.output.atomic_path`), so the workbook is either the old one or the new one, never
half-written.  Text from the data is neutralised against formula injection
(:func:`cpxl.output.neutralise`) and stored as text.  A workbook open in Excel (its ``~$`` owner
file beside it, or the file locked) is refused with a message saying so.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import guard
from ..errors import CpxlError
from ..output import atomic_path, check_writable, neutralise, part_pattern, remove_stale_parts

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
NUMBER_COLUMNS = ("numerator", "denominator", "value")
DATE_FORMAT = "yyyy-mm-dd"

# Package parts openpyxl cannot keep faithfully: (what it is, part-name prefix).
_LOSSY_PARTS = [
    ("chart", "xl/charts/chart"),
    ("chart sheet", "xl/chartsheets/"),
    ("image", "xl/media/"),
    ("pivot table", "xl/pivotTables/"),
    ("pivot cache", "xl/pivotCache/"),
    ("slicer", "xl/slicers/"),
    ("slicer", "xl/slicerCaches/"),
    ("timeline", "xl/timelines/"),
    ("form control", "xl/ctrlProps/"),
    ("ActiveX control", "xl/activeX/"),
    ("embedded object", "xl/embeddings/"),
    ("data connection", "xl/connections.xml"),
    ("data model", "xl/model/"),
    ("query table", "xl/queryTables/"),
    ("threaded comment", "xl/threadedComments/"),
]


@dataclass
class UpdateResult:
    path: Path
    sheet: str
    rows: int
    backup: Path
    created: bool
    lost: list[str] = field(default_factory=list)


def lossy_content(path: Path) -> list[str]:
    """What in the workbook openpyxl would drop or rewrite with loss: 'chart (2)', ..."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            counts: dict[str, int] = {}
            for what, prefix in _LOSSY_PARTS:
                n = sum(1 for name in names if name.startswith(prefix) and not name.endswith("/")
                        and "/_rels/" not in name)
                if n:
                    counts[what] = counts.get(what, 0) + n
            drawings = [n for n in names if re.match(r"xl/drawings/drawing\d+\.xml$", n)]
            shapes = sum(1 for n in drawings if re.search(rb"<(?:\w+:)?(?:sp|grpSp|cxnSp)[ >]", z.read(n)))
            if shapes:
                counts["shape or text box"] = shapes
            sheets = [n for n in names if re.match(r"xl/worksheets/sheet\d+\.xml$", n)]
            sparklines = sum(1 for n in sheets if b"sparklineGroup" in z.read(n))
            if sparklines:
                counts["sheet with sparklines"] = sparklines
            mashup = sum(1 for n in names if n.startswith("customXml/item") and n.endswith(".xml")
                         and b"DataMashup" in z.read(n))
            if mashup:
                counts["Power Query query"] = mashup
    except zipfile.BadZipFile:
        raise CpxlError(f"{path.name}: is not an Excel workbook (.xlsx/.xlsm) or is damaged") from None
    return [f"{what} ({n})" if n > 1 else what for what, n in counts.items()]


def _backup_names(path: Path, now: dt.datetime):
    for stamp in (f"{now:%Y-%m-%dT%H%M}", f"{now:%Y-%m-%dT%H%M%S}"):
        yield path.with_name(f"{path.stem}.{stamp}.bak{path.suffix}")
    n = 2
    while True:
        yield path.with_name(f"{path.stem}.{now:%Y-%m-%dT%H%M%S}-{n}.bak{path.suffix}")
        n += 1


def backup_path(path: Path, now: dt.datetime | None = None) -> Path:
    """``Book.2026-11-22T1015.bak.xlsx`` beside the workbook (seconds, then a number, if taken);
    a name that is taken by anything, a dangling link included, is passed over."""
    for candidate in _backup_names(path, now or dt.datetime.now()):
        if not os.path.lexists(candidate):
            return candidate
    raise AssertionError("unreachable")


def make_backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy the workbook to a new backup file, created exclusively (``O_EXCL``): never through a
    link planted at the predictable name, never over an existing file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_BINARY", 0)
    for n, candidate in enumerate(_backup_names(path, now or dt.datetime.now())):
        try:
            fd = os.open(candidate, flags, 0o600)
        except FileExistsError:
            if n > 1000:
                break
            continue
        except OSError as e:
            raise CpxlError(f"{candidate.name}: the backup cannot be written "
                            f"({e.strerror or type(e).__name__}); the workbook is unchanged") from None
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            shutil.copystat(path, candidate)
        except BaseException as e:          # a full disk, Ctrl+C, SIGTERM: no half a backup
            with contextlib.suppress(OSError):
                candidate.unlink()
            if not isinstance(e, OSError):
                raise
            raise CpxlError(f"{candidate.name}: the backup cannot be written "
                            f"({e.strerror or type(e).__name__}); the workbook is unchanged") from None
        return candidate
    raise CpxlError(f"{path.name}: no free backup name beside it; tidy its old backups")


def resolve_book(path: Path) -> Path:
    """The workbook itself: a link is followed, so the file it points to is updated (the link
    stays a link) rather than replaced by a new file."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def check_lossless(path: Path, force: bool) -> list[str]:
    """What openpyxl would lose; raises with the list unless ``force``."""
    lost = lossy_content(path)
    if lost and not force:
        raise CpxlError(
            f"{path.name} has {', '.join(lost)}, which openpyxl (the library cpxl writes "
            "workbooks with) cannot keep: they would be dropped or damaged. Keep the indicator "
            "sheet in a workbook of its own that your charts and pivots link to, or run again "
            "with --force to update anyway (a backup is kept).")
    return lost


def _check_book(path: Path, sheet: str) -> None:
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        hint = " (save it from Excel as .xlsx or .xlsm first)" if path.suffix.lower() in (
            ".xls", ".xlsb", ".ods") else ""
        raise CpxlError(f"{path.name}: update-workbook works on .xlsx and .xlsm workbooks{hint}")
    if not path.is_file():
        raise CpxlError(f"{path}: no such workbook")
    owner = path.with_name("~$" + path.name)
    if owner.exists():
        raise CpxlError(f"{path.name}: is open in Excel (its lock file {owner.name} is beside it); "
                        "close it and run again. If nobody has it open, delete "
                        f"{owner.name}")
    check_writable(path)
    check_sheet_name(sheet)
    guard.check_workbook(path)


def check_sheet_name(sheet: str) -> None:
    """A name Excel accepts for a sheet (a workbook saved with any other cannot be opened again):
    1 to 31 characters, none of [ ] : * ? / \\ or control characters, not starting or ending
    with an apostrophe, not History."""
    shown = sheet.encode("unicode_escape").decode("ascii") if sheet else sheet
    if not sheet or len(sheet.encode("utf-16-le")) // 2 > 31 or re.search(r"[\[\]:*?/\\]", sheet) \
            or sheet.lower() == "history" or sheet != sheet.strip() \
            or sheet.startswith("'") or sheet.endswith("'") \
            or any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in sheet):
        raise CpxlError(f"'{shown}' cannot be a sheet name: 1 to 31 characters, none of "
                        "[ ] : * ? / \\ or control characters, no apostrophe at its start or end, "
                        "no space at its start or end, and not History")


def _clear_sheet(ws) -> None:
    """Empty a sheet's cells and what refers to them; keep the sheet (position, tab, names)."""
    from openpyxl.formatting.formatting import ConditionalFormattingList
    from openpyxl.worksheet.datavalidation import DataValidationList

    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    ws._cells.clear()
    ws.conditional_formatting = ConditionalFormattingList()
    ws.data_validations = DataValidationList()
    ws.auto_filter.ref = None
    ws.row_dimensions.clear()


def _write_table(ws, table: pd.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = list(table.columns)
    bold = Font(bold=True)
    for j, col in enumerate(columns, start=1):
        c = ws.cell(1, j, neutralise(str(col)))
        c.data_type = "s"
        c.font = bold
    data = {col: table[col].tolist() for col in columns}
    n = len(table)
    for j, col in enumerate(columns, start=1):
        values = data[col]
        if col == "period_end":
            for i, v in enumerate(values, start=2):
                c = ws.cell(i, j, _date(v))
                c.number_format = DATE_FORMAT
        elif col in NUMBER_COLUMNS:
            for i, v in enumerate(values, start=2):
                if v is not None and not (isinstance(v, float) and math.isnan(v)):
                    ws.cell(i, j, float(v))
        else:
            for i, v in enumerate(values, start=2):
                if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
                    continue
                c = ws.cell(i, j, neutralise(str(v)))
                c.data_type = "s"   # never a formula, whatever the text
    last = get_column_letter(len(columns))
    ref = f"A1:{last}{n + 1}"
    tables = list(ws.tables.values())   # (TableList.items() gives refs, not tables)
    anchored = [t for t in tables if str(t.ref).upper().startswith("A1:")]
    for t in tables:
        if not anchored or t is not anchored[0]:
            del ws.tables[t.name]   # it would overlap the new table
    if anchored:
        t = anchored[0]
        t.ref = ref
        if t.autoFilter is not None:
            t.autoFilter.ref = ref
        t.tableColumns = []
        t._initialise_columns()
        for tc, col in zip(t.tableColumns, columns):
            tc.name = str(col)
    else:
        ws.auto_filter.ref = ref
    ws.freeze_panes = "A2"
    widths = {"indicator": 28, "period_end": 12, "level": 9, "geography": 22, "numerator": 12,
              "denominator": 12, "value": 12, "note": 50}
    for j, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(col, 14)


def _date(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    return pd.Timestamp(v).date()


def update_workbook(book, sheet: str, table: pd.DataFrame, *, force: bool = False,
                    now: dt.datetime | None = None) -> UpdateResult:
    """Write ``table`` into the sheet ``sheet`` of the workbook ``book`` (see the module doc)."""
    import openpyxl

    path = resolve_book(Path(book))
    _check_book(path, sheet)
    lost = check_lossless(path, force)
    keep_vba = path.suffix.lower() == ".xlsm"
    try:
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba, keep_links=True, rich_text=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise CpxlError(f"{path.name}: could not be opened ({type(e).__name__}: {e})") from None
    existing = next((ws for ws in wb.worksheets if ws.title.lower() == sheet.lower()), None)
    if existing is None and sheet.lower() in (n.lower() for n in wb.sheetnames):
        raise CpxlError(f"{path.name}: '{sheet}' is a chart sheet, not a worksheet")
    backup = make_backup(path, now)
    if existing is None:
        ws = wb.create_sheet(sheet)
    else:
        ws = existing
        _clear_sheet(ws)
    _write_table(ws, table)
    remove_stale_parts(path.parent, part_pattern(path))     # left by a killed run
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return UpdateResult(path, ws.title, len(table), backup, existing is None, lost)


def update_workbook_command(args) -> int:
    """The ``cpxl update-workbook`` subcommand (args: book, sheet, data, config, period_end,
    months, force)."""
    from ..coverage import check_for_command
    from ..dataset import load
    from ..engine import compute

    path = resolve_book(Path(args.book))
    _check_book(path, args.sheet)                 # fail before the slow part
    check_lossless(path, args.force)
    if Path(args.data).exists() and guard.same_file(path, args.data):
        raise CpxlError(f"{path.name}: is both the workbook to update and --data; cpxl will not "
                        "rewrite the workbook it reads the data from. Keep the extracts in "
                        "their own workbook or folder")
    dataset = load(args.data, config=getattr(args, "config", None))
    guard.check_not_an_input(path, args.data, [f for fl in dataset.files.values() for f in fl],
                             what="update-workbook")
    allow = bool(getattr(args, "allow_beyond_data", False))
    check_for_command(dataset, args.period_end, allow)
    table = compute(dataset, args.period_end, months=getattr(args, "months", 13),
                    allow_beyond_data=allow)
    result = update_workbook(path, args.sheet, table, force=args.force)
    verb = "created" if result.created else "rewritten"
    print(f"{result.rows:,} rows -> sheet '{result.sheet}' of {path} ({verb}); backup {result.backup.name}")
    if result.lost:
        print(f"--force: {', '.join(result.lost)} may have been dropped or altered; the backup "
              "has them")
    if dataset.problems:
        print(f"{len(dataset.problems):,} validation problem(s): run 'cpxl validate' for the report")
    return 0
