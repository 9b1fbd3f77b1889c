"""Reading the analyst's files: a folder of CSVs or a workbook, each table found by its header row.

Everything is read as text first (CHILD ids keep their leading zeros; nothing is guessed by
pandas) and typed later by the loader, which reports what does not parse.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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


def read_csv_file(path: Path) -> RawTable | None:
    file = path.name
    text = _decode(_read_bytes(path), file)
    lines = _first_lines(text, HEADER_SEARCH_ROWS)
    head_rows = [_split_line(line)[0] for line in lines]
    found = _locate_header(head_rows, file)
    if found is None:
        return None
    idx, table, columns = found
    _, delim = _split_line(lines[idx])
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
        raise CpxlError(f"{file}: could not be read as a CSV table ({e})") from None
    raw = _finish(frame, columns, table, file, first_row=idx + 2)
    if delim == ";":
        _decimal_comma(raw.frame, TABLES[table].numbers)
    return raw


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


def read_workbook(path: Path) -> list[RawTable]:
    """Every table in a workbook: Excel tables (ListObjects) first, then sheets by header row."""
    import openpyxl
    from openpyxl.utils import range_boundaries

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=False)
    except PermissionError:
        raise CpxlError(f"{path.name}: cannot be read (permission denied); is it open in another "
                        "program, or locked? Close it (or copy it) and run again") from None
    except Exception as e:  # openpyxl raises many kinds for a damaged or non-workbook file
        raise CpxlError(f"{path.name}: could not be opened as an Excel workbook ({type(e).__name__}: {e})") from None
    found = []
    for ws in wb.worksheets:
        used_refs = []
        for name, tbl in getattr(ws, "tables", {}).items():
            ref = tbl.ref if hasattr(tbl, "ref") else tbl
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            values = list(ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col,
                                       max_col=max_col, values_only=True))
            rows = [[_cell_text(c) for c in r] for r in values]
            used_refs.append((min_col, min_row, max_col, max_row))
            raw = _rows_to_table(rows, f"{path.name} [table {name}]", min_row, hint=name)
            if raw:
                _note_numeric_ids(raw, values, min_row)
                found.append(raw)
        if used_refs:
            continue
        values = list(ws.iter_rows(values_only=True))
        rows = [[_cell_text(c) for c in r] for r in values]
        raw = _rows_to_table(rows, f"{path.name} [sheet {ws.title}]", 1, hint=ws.title)
        if raw:
            _note_numeric_ids(raw, values, 1)
            found.append(raw)
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
    path = Path(path)
    if not path.exists():
        raise CpxlError(f"{path}: no such file or folder")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(("~$", ".")))
    else:
        files = [path]
    found, skipped = [], []
    for f in files:
        suffix = f.suffix.lower()
        if suffix in CSV_SUFFIXES:
            raw = read_csv_file(f)
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
            why = (f"a '{suffix}' workbook: cpxl reads .xlsx/.xlsm workbooks and CSV files; open it "
                   "in Excel and save it as an Excel Workbook (.xlsx)")
            if path.is_file():
                raise CpxlError(f"{f.name}: {why}")
            skipped.append(SkippedFile(f.name, f"{why}; passed over"))
        elif path.is_file():
            raise CpxlError(f"{f.name}: cpxl reads CSV files and .xlsx/.xlsm workbooks, not "
                            f"'{suffix or 'a file with no extension'}'")
        elif suffix not in CONFIG_SUFFIXES:
            skipped.append(SkippedFile(f.name, "not a CSV file or an .xlsx/.xlsm workbook; "
                                               "passed over"))
    if not found:
        passed = f"; passed over: {', '.join(skipped)}" if skipped else "; the folder has no CSV files or workbooks"
        raise CpxlError(f"{path}: no cpxl tables found (looked for CSV files and workbooks whose "
                        "header row matches the data contract, e.g. CHILD, DECOM, RNE, ... for "
                        f"episodes){passed if path.is_dir() else ''}")
    return found, skipped
