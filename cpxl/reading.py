"""Reading the analyst's files: a folder of CSVs or a workbook, each table found by its header row.

Everything is read as text first (CHILD ids keep their leading zeros; nothing is guessed by
pandas) and typed later by the loader, which reports what does not parse.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .columnar import SharedText, read_body
from .errors import CpxlError, Problem
from .tables import TABLES, identify_table

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
OLD_WORKBOOK_SUFFIXES = {".xls", ".xlsb", ".ods"}
CONFIG_SUFFIXES = {".toml"}
NOT_RECOGNISED = "not recognised as a cpxl table (its header row matches none); passed over"


class SkippedFile(str):
    """The name of a file passed over, with the reason (``.reason``) for the validation report."""

    def __new__(cls, name: str, reason: str = NOT_RECOGNISED):
        obj = super().__new__(cls, name)
        obj.reason = reason
        return obj
HEADER_SEARCH_ROWS = 20


@dataclass
class RawTable:
    """One table as found in a file, all text, with the file row number of each data row."""
    table: str
    file: str            # the file name (and sheet) as the analyst knows it
    frame: pd.DataFrame  # upper-cased column names; a ``_row`` column holds the file's row number
    header_row: int
    problems: list = field(default_factory=list)   # warnings found while reading (Problem)
    trimmed: bool = False  # every cell trimmed already (as str.strip trims): the Arrow reader's


def normalise_column(name) -> str:
    return str(name if name is not None else "").replace("\ufeff", "").strip().upper()


def _decode(data: bytes, file: str) -> str:
    if not data.strip():
        raise CpxlError(f"{file}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # "replace", as for UTF-8: a cut-off last byte was a UnicodeDecodeError (a traceback).
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM has a NUL in every other byte; anything else with NULs is binary.
        if data[1:4096:2].count(0) > 0.4 * len(data[1:4096:2]):
            try:
                return data.decode("utf-16-le", errors="strict")
            except UnicodeDecodeError:
                pass                          # not UTF-16 after all: binary (the error below)
        raise CpxlError(f"{file}: this is not a text (CSV) file; save it from Excel as CSV or "
                        "give the workbook itself")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _give_back_arrow_memory() -> None:
    # Arrow's allocator keeps freed buffers for reuse; a county's files leave hundreds of MB.
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _is_utf8(data: bytes, text: str) -> bool:
    """Whether ``text`` is ``data`` decoded as UTF-8 with nothing replaced."""
    try:
        return data.decode("utf-8") == text
    except UnicodeDecodeError:
        return False


def _split_line(line: str) -> tuple[list[str], str]:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=counts.get)
    if counts[delim] == 0:
        delim = ","
    try:
        cells = next(csv.reader([line], delimiter=delim), [])
    except csv.Error:                          # e.g. a cell over the csv module's 128 KB limit
        cells = line.split(delim)
    return cells, delim


def _find_header(rows: list[list[str]], file: str) -> tuple[int, str | None, list[str]]:
    """The index of the header row among the first rows, the table it identifies, its columns."""
    best = (0, None, [])
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = [normalise_column(c) for c in cells]
        if not any(columns):
            continue
        table, _ = identify_table(columns)
        if table:
            return i, table, columns
        if not best[2]:
            best = (i, None, columns)
    return best


def _unrecognised(file: str, columns: list[str]) -> CpxlError | None:
    """A clear error for a header that nearly matches a table (a misspelt or missing column).

    Returns None for a file that is plainly something else (it is then skipped with a warning).
    """
    cols = [c for c in columns if c]
    _, ranked = identify_table(cols)
    name, matched = ranked[0]
    table = TABLES[name]
    if matched < max(2, len(table.identify) - 1) or matched < 0.5 * len(table.identify):
        name = _misspelt_small_table(cols)
        if name is None:
            return None
        table = TABLES[name]
    missing = [c for c in table.identify if c not in cols]
    hints = []
    for m in missing:
        close = difflib.get_close_matches(m, cols, n=1, cutoff=0.6)
        hints.append(f"{m} (found '{close[0]}': misspelt?)" if close else m)
    return CpxlError(f"{file}: looks like the {name} table but the header row lacks column(s) "
                     f"{', '.join(hints)}; the header row found was: {', '.join(cols)}")


def _read_bytes(path: Path) -> bytes:
    from . import guard

    guard.check_file(path)
    try:
        return path.read_bytes()
    except PermissionError:
        raise CpxlError(f"{path.name}: cannot be read (permission denied); is it open in another "
                        "program, or locked? Close it (or copy it) and run again") from None
    except OSError as e:
        raise CpxlError(f"{path.name}: cannot be read ({e.strerror or type(e).__name__})") from None


def _decimal_comma(frame: pd.DataFrame, columns) -> None:
    """Numbers of a ';'-separated (European Excel) CSV: '3.651,5' is 3651.5, '0,5' is 0.5.

    A column with a comma in any cell uses decimal commas (dots group thousands); a column whose
    dotted cells are all whole thousands ('3.651') uses dots for thousands; any other column
    (e.g. '0.5' in a ';' file) is left as it is.
    """
    for col in columns:
        if col not in frame.columns:
            continue
        s = frame[col].astype(str).str.strip().str.replace(r"[\s\u00a0\u202f']", "", regex=True)
        if s.str.contains(",", regex=False).any():
            frame[col] = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        elif s.str.contains(".", regex=False).any() and \
                s[s.str.contains(".", regex=False)].str.fullmatch(r"-?\d{1,3}(\.\d{3})+").all():
            frame[col] = s.str.replace(".", "", regex=False)


def _misspelt_small_table(cols: list[str]) -> str | None:
    """A table (e.g. visits: CHILD, VISIT_DATE) whose identifying columns are all there, some of
    them only nearly (VISIT_DTE): too few columns for the count above to catch the misspelling."""
    for name, table in TABLES.items():
        missing = [c for c in table.identify if c not in cols]
        if not missing or len(missing) == len(table.identify):
            continue
        spare = [c for c in cols if c not in table.all_columns]
        if all(difflib.get_close_matches(m, spare, n=1, cutoff=0.8) for m in missing):
            return name
    return None


def _first_lines(text: str, n: int) -> list[str]:
    """``text.splitlines()[:n]`` without splitting the whole file (a list of every line of a
    2-million-row extract took seconds and hundreds of MB)."""
    size = 1 << 16
    while True:
        lines = text[:size].splitlines()
        if len(lines) > n or size >= len(text):
            return lines[:n]                  # the (n+1)-th line started: the first n are whole
        size *= 4


def _locate_header(rows: list[list[str]], file: str):
    """(index, table, columns) of the header row; None for a file that is plainly something
    else (passed over); a CpxlError for one that nearly matches a table (a misspelt column)."""
    idx, table, columns = _find_header(rows, file)
    if table is None:
        err = _unrecognised(file, columns)
        if err:
            raise err
        return None
    return idx, table, columns


# The header search reads the lines at the start of a file: a large UTF-8 file is decoded only
# that far (Arrow checks the rest is UTF-8 as it reads it).
HEAD_BYTES = 1 << 20


def _utf8_head(data: bytes) -> tuple[bytes, str] | None:
    """A large file that starts as UTF-8 text: its bytes after any BOM, and the text of its first
    lines (more than the header search reads); None for anything else (decoded in full)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return None
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    cut = body.rfind(b"\n", 0, HEAD_BYTES)
    if len(body) <= HEAD_BYTES or cut < 0:
        return None
    try:
        head = body[:cut + 1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(_first_lines(head, HEADER_SEARCH_ROWS + 1)) <= HEADER_SEARCH_ROWS:
        return None
    return body, head


def read_csv_file(path: Path, ids: SharedText | None = None) -> RawTable | None:
    file = path.name
    data = _read_bytes(path)
    started = _utf8_head(data)
    text = started[1] if started else _decode(data, file)
    lines = _first_lines(text, HEADER_SEARCH_ROWS)
    head_rows = [_split_line(line)[0] for line in lines]
    found = _locate_header(head_rows, file)
    if found is None:
        return None
    idx, table, columns = found
    _, delim = _split_line(lines[idx])
    # Arrow reads UTF-8 bytes: the file's own, when that is what they are (no second encoding).
    fast = read_body(text, idx, lines, delim, columns, started[0], ids) if started else None
    if fast is None:
        if started:                          # not UTF-8 after all, or not for Arrow: as below
            text = _decode(data, file)
        utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if not (len(utf8) == len(text) and text.isascii()) and not _is_utf8(utf8, text):
            utf8 = None
        fast = read_body(text, idx, lines, delim, columns, utf8, ids)   # None: the pandas path below
    _give_back_arrow_memory()
    if fast is not None:
        raw = RawTable(table, file, fast[0], idx + 1, trimmed=delim != ";")
        if delim == ";":
            _decimal_comma(raw.frame, TABLES[table].numbers)
        return raw
    # A row with a stray trailing cell (common in Excel exports) must not be skipped as a "bad
    # line" (its data lost, every later row numbered one too low).  The header's width is tried
    # first (fast); only when pandas rejects a longer line is the widest line found and used, and
    # _finish keeps the header's columns either way.
    def parse(width):
        # Cells beyond the header's columns are dropped on purpose (_finish keeps the header's
        # columns); pandas' warning about that "loss of data" is not for the analyst.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=delim, header=None, skiprows=idx + 1,
                               dtype=str, keep_default_na=False, skip_blank_lines=False,
                               engine="c", names=range(width), index_col=False)
    try:
        try:
            frame = parse(len(columns))
        except pd.errors.ParserError:
            frame = parse(max(len(columns),
                              max((line.count(delim) for line in text.splitlines()[idx + 1:]),
                                  default=0) + 1))
    except (pd.errors.ParserError, ValueError) as e:
        if "EOF inside string" in str(e):
            line = _unclosed_quote_line(text)
            where = f", line {line}" if line else ""
            raise CpxlError(f"{file}{where}: a quote (\") opens a field that is never closed, so "
                            "every row after it would run into one cell; remove the stray quote "
                            "(or close it) and run again") from None
        raise CpxlError(f"{file}: could not be read as a CSV table ({e})") from None
    _check_runaway_fields(frame, columns, file, idx + 2, delim)
    extra = _extra_cells(frame, columns, table, file, idx + 2)
    raw = _finish(frame, columns, table, file, first_row=idx + 2)
    raw.problems += extra
    if delim == ";":
        _decimal_comma(raw.frame, TABLES[table].numbers)
    return raw


# A quoted field with this many line breaks, or with line breaks and a row's worth of separators,
# is rows swallowed by a stray opening quote, not a note with a line break in it.
MAX_LINES_IN_FIELD = 10


def _check_runaway_fields(frame: pd.DataFrame, columns: list[str], file: str, first_row: int,
                          delim: str) -> None:
    """Stop at a field that holds the rows after it (a stray opening quote): those rows would be
    lost into one cell and every indicator built on them silently wrong."""
    for j in range(min(len(columns), frame.shape[1])):
        s = frame.iloc[:, j]
        breaks = s.str.count("\n").fillna(0)
        if not (breaks > 0).any():
            continue
        seps = s.str.count(re.escape(delim)).fillna(0)
        bad = (breaks >= MAX_LINES_IN_FIELD) | ((breaks > 0) & (seps >= max(1, len(columns) - 1)))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            name = columns[j] or f"column {j + 1}"
            raise CpxlError(
                f"{file}, row {first_row + i}, column {name}: a quoted field runs over "
                f"{int(breaks.iloc[i]) + 1} lines and holds {int(seps.iloc[i])} separators, so the "
                "rows after it were read into this one cell: an opening quote (\") with no "
                "closing quote? Remove the stray quote and run again")


def _extra_cells(frame: pd.DataFrame, columns: list[str], table: str, file: str,
                 first_row: int) -> list[Problem]:
    """Rows with two or more filled cells beyond the header's columns (two rows run together,
    or a separator inside an unquoted value): reported, each by its row, never silently cut."""
    if frame.shape[1] <= len(columns):
        return []
    extra = frame.iloc[:, len(columns):].fillna("").astype(str)
    filled = (extra.apply(lambda c: c.str.strip()) != "").sum(axis=1).to_numpy()
    rows = np.flatnonzero(filled >= 2)
    return [Problem("warning", table, file, first_row + int(i), "",
                    f"this row has at least {len(columns) + int(filled[i])} cells but the header "
                    f"has {len(columns)}: the cells after column {columns[-1] or len(columns)} "
                    "are not used (two rows run together, or a separator inside a value?)",
                    f"yes: its first {len(columns)} cells", rule="row_has_extra_cells")
            for i in rows]


def _unclosed_quote_line(text: str) -> int | None:
    """The line (as a text editor numbers it) where a quote opens that is never closed."""
    open_at, line_no = None, 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            open_at = line_no if open_at is None else None
    return open_at


def _finish(frame: pd.DataFrame, columns: list[str], table: str, file: str, first_row: int) -> RawTable:
    frame = frame.iloc[:, :len(columns)]
    frame.columns = [c or f"_BLANK{i}" for i, c in enumerate(columns)]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame["_row"] = range(first_row, first_row + len(frame))
    data = frame.drop(columns="_row")
    blank = (data.fillna("").astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)
    frame = frame.loc[~blank].reset_index(drop=True)
    return RawTable(table, file, frame, first_row - 1)


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _sheet_cells(wb, ws):
    """The cells of a read-only sheet that hold values, streamed: ({row: {column: value}}, the
    refs of its Excel tables).  Empty and formatted-only cells cost nothing, so a sheet whose
    declared range runs to XFD1048576 (one stray formatted cell) reads as fast as its data."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.table import Table
    from openpyxl.xml.functions import fromstring

    cells: dict[int, dict[int, object]] = {}
    with wb._archive.open(ws._worksheet_path) as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        for idx, row in parser.parse():
            values = {c["column"]: c["value"] for c in row
                      if c["value"] is not None and c["value"] != ""}
            if values:
                cells.setdefault(idx, {}).update(values)
    refs = []
    parts = getattr(parser.tables, "tablePart", None) or []
    if parts:
        rels_path = get_rels_path(ws._worksheet_path)
        if rels_path in wb._archive.namelist():
            rels = get_dependents(wb._archive, rels_path)
            for part in parts:
                rel = rels.get(part.id)
                if rel is None or rel.target not in wb._archive.namelist():
                    continue
                table = Table.from_tree(fromstring(wb._archive.read(rel.target)))
                refs.append((table.displayName or table.name, table.ref))
    return cells, refs


def _dense(cells: dict, min_row: int, max_row: int, min_col: int, max_col: int) -> list[list]:
    """Rows ``min_row..max_row`` x columns ``min_col..max_col`` of the sparse cells (None blank)."""
    width = max_col - min_col + 1
    out = []
    for r in range(min_row, max_row + 1):
        row = [None] * width
        for c, v in cells.get(r, {}).items():
            if min_col <= c <= max_col:
                row[c - min_col] = v
        out.append(row)
    return out


def _last_row(cells: dict, min_row: int, max_row: int, min_col: int, max_col: int) -> int:
    """The last row in the range with a value in the columns (trailing empty rows dropped)."""
    used = [r for r, row in cells.items() if min_row <= r <= max_row
            and any(min_col <= c <= max_col for c in row)]
    return max(used, default=min_row)


def _block(cells, file, min_row, max_row, min_col, max_col, hint):
    from . import guard

    max_row = _last_row(cells, min_row, max_row, min_col, max_col)
    guard.check_cells(max_row - min_row + 1, max_col - min_col + 1, file)
    values = _dense(cells, min_row, max_row, min_col, max_col)
    rows = [[_cell_text(c) for c in r] for r in values]
    raw = _rows_to_table(rows, file, min_row, hint=hint)
    if raw:
        _note_numeric_ids(raw, values, min_row)
    return raw


def read_workbook(path: Path) -> list[RawTable]:
    """Every table in a workbook: Excel tables (ListObjects) first, then sheets by header row.

    Sheets are streamed (read-only) and measured by the cells that hold values, never by the
    sheet's declared range; columns beyond the header row's are not read.
    """
    import openpyxl
    from openpyxl.utils import range_boundaries

    from . import guard

    guard.check_workbook(path)
    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except PermissionError:
        raise CpxlError(f"{path.name}: cannot be read (permission denied); is it open in another "
                        "program, or locked? Close it (or copy it) and run again") from None
    except Exception as e:  # openpyxl raises many kinds for a damaged or non-workbook file
        raise CpxlError(f"{path.name}: could not be opened as an Excel workbook ({type(e).__name__}: {e})") from None
    found = []
    try:
        for ws in wb.worksheets:
            try:
                cells, refs = _sheet_cells(wb, ws)
            except CpxlError:
                raise
            except Exception as e:    # a damaged sheet part (bad XML, a bad cell reference)
                raise CpxlError(f"{path.name} [sheet {ws.title}]: could not be read; the workbook is "
                                f"damaged ({type(e).__name__}: {e}); open it in Excel and save it "
                                "again") from None
            if not cells:
                continue
            tables = []
            for name, ref in refs:
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                raw = _block(cells, f"{path.name} [table {name}]", min_row, max_row, min_col,
                             max_col, hint=name)
                tables.append(raw)
                if raw:
                    found.append(raw)
            if refs:
                continue
            file = f"{path.name} [sheet {ws.title}]"
            last = max(cells)
            top = min(last, HEADER_SEARCH_ROWS)
            width = max((c for r in range(1, top + 1) for c in cells.get(r, {})), default=1)
            head = [[_cell_text(v) for v in r] for r in _dense(cells, 1, top, 1, width)]
            located = _locate_header(head, file)
            if located is None:
                continue
            idx, _table, columns = located
            end = max(i for i, c in enumerate(columns) if c) + 1
            raw = _block(cells, file, 1, last, 1, end, hint=ws.title)
            if raw:
                found.append(raw)
    finally:
        wb.close()
    return found


def _note_numeric_ids(raw: RawTable, values: list, first_row: int) -> None:
    """A warning when CHILD ids are stored as numbers: Excel has dropped any leading zeros."""
    if "CHILD" not in raw.frame.columns:
        return
    top = raw.header_row - first_row
    header = [normalise_column(_cell_text(v)) for v in values[top]]
    if "CHILD" not in header:
        return
    j = header.index("CHILD")
    numeric = [top + 1 + first_row + k for k, r in enumerate(values[top + 1:])
               if j < len(r) and isinstance(r[j], (int, float)) and not isinstance(r[j], bool)]
    if numeric:
        raw.problems.append(Problem(
            "warning", raw.table, raw.file, numeric[0], "CHILD",
            f"{len(numeric):,} CHILD id(s) are stored as numbers, not text (the first on row "
            f"{numeric[0]}): Excel drops leading zeros (0012345 becomes 12345), so they may not "
            "match the same child in other files; format the CHILD column as Text and re-enter "
            "the ids", "yes: as written", rule="child_id_is_a_number"))


def _rows_to_table(rows: list[list[str]], file: str, first_row: int, hint: str = "") -> RawTable | None:
    if not rows:
        return None
    found = _locate_header(rows, file)
    if found is None:
        return None
    idx, table, columns = found
    # A header that starts in a later column: drop the leading blank columns.
    start = next((i for i, c in enumerate(columns) if c), 0)
    columns = columns[start:]
    while columns and not columns[-1]:
        columns.pop()
    body = [r[start:start + len(columns)] for r in rows[idx + 1:]]
    frame = pd.DataFrame(body, columns=range(len(columns)), dtype=str) if body else \
        pd.DataFrame(columns=range(len(columns)), dtype=str)
    return _finish(frame.fillna(""), columns, table, file, first_row=first_row + idx + 1)


def read_source(path) -> tuple[list[RawTable], list[str]]:
    """All tables under ``path`` (a folder or one workbook or CSV) and the files passed over."""
    from . import guard

    path = Path(path)
    if not path.exists():
        raise CpxlError(f"{path}: no such file or folder")
    if path.is_dir():
        entries = [p for p in guard.check_folder(path) if not p.name.startswith(("~$", "."))]
        files = [p for p in entries if p.is_file()]
        # A FIFO or device in the folder is passed over, never opened (a FIFO would wait for ever).
        special = [p for p in entries if not p.is_file() and not p.is_dir() and p.exists()]
    else:
        guard.check_file(path)
        files, special = [path], []
    found = []
    skipped = [SkippedFile(p.name, "not a regular file (a named pipe, device or socket); passed "
                                   "over") for p in special]
    ids = SharedText()
    for f in files:
        suffix = f.suffix.lower()
        if suffix in CSV_SUFFIXES:
            raw = read_csv_file(f, ids)
            (found.append(raw) if raw else skipped.append(SkippedFile(f.name)))
        elif suffix in WORKBOOK_SUFFIXES:
            tables = read_workbook(f)
            found.extend(tables)
            if not tables:
                skipped.append(SkippedFile(f.name))
        elif suffix == ".xml":                 # the DfE's XML form of the 903 return
            from .xml903 import read_xml_file
            tables = read_xml_file(f, alone=path.is_file())
            (found.extend(tables) if tables is not None else skipped.append(SkippedFile(
                f.name, "an XML file that is not an SSDA903 return (root EXPSSDA903); passed over")))
        elif suffix in OLD_WORKBOOK_SUFFIXES:
            what = {".xls": "an Excel 97-2003", ".xlsb": "an Excel Binary",
                    ".ods": "an OpenDocument (LibreOffice)"}[suffix]
            why = (f"{what} '{suffix}' workbook: cpxl reads .xlsx/.xlsm workbooks and CSV files; "
                   f"open it in {'LibreOffice Calc or ' if suffix == '.ods' else ''}Excel and "
                   "save it as an Excel Workbook (.xlsx)")
            if path.is_file():
                raise CpxlError(f"{f.name}: {why}")
            skipped.append(SkippedFile(f.name, f"{why}; passed over"))
        elif path.is_file():
            raise CpxlError(f"{f.name}: cpxl reads CSV files and .xlsx/.xlsm workbooks, not "
                            f"'{suffix or 'a file with no extension'}'")
        elif suffix not in CONFIG_SUFFIXES:
            skipped.append(SkippedFile(f.name, "not a CSV file or an .xlsx/.xlsm workbook; "
                                               "passed over"))
    ids.finish()
    _give_back_arrow_memory()
    if not found:
        passed = f"; passed over: {', '.join(skipped)}" if skipped else "; the folder has no CSV files or workbooks"
        raise CpxlError(f"{path}: no cpxl tables found (looked for CSV files and workbooks whose "
                        "header row matches the data contract, e.g. CHILD, DECOM, RNE, ... for "
                        f"episodes){passed if path.is_dir() else ''}")
    return found, skipped
