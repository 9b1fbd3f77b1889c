"""The bad-input corpus (GitHub issue 6): every case built from one small valid dataset.

``base/`` is a small valid county cut out of ``samples/northshire`` (15 children: 12 looked after
on 31/12/2025, one per district, and 3 care leavers, with their rows of every table the base
keeps).  Each case below is a function that takes a fresh copy of the base (``root/data``) and
breaks it in one way.  What each case must give (an error message, a validation-report entry, or
a clean run) is recorded in ``cases.toml`` beside this file and checked by
``tests/test_bad_inputs.py`` through the real command line.

Cases are generated when the tests run (binary files, workbooks and the 50 MB file are never
committed).  What each case changes in the base is also written to ``cases/<name>.diff`` for
reading and review (a unified diff of the text files; binary, large or unreadable files are
named); a test checks that they are up to date.

    python tests/bad_inputs/make_corpus.py            # (re)write base/ and cases/
    python tests/bad_inputs/make_corpus.py OUT [NAME]  # materialise every case (or one) into OUT
"""
from __future__ import annotations

import csv
import io
import os
import random
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
COMMITTED = HERE / "cases"
SAMPLE = HERE.parent.parent / "samples" / "northshire"

# The children of the base: one looked after on 31/12/2025 in each district, and 3 care leavers.
BASE_CHILDREN = ["0165563", "0666730", "0210030", "0023390", "0041389", "0373194", "0322777",
                 "0161868", "0027676", "0187955", "0223197", "2085263",
                 "0064704", "0105620", "0131734"]
BASE_CHILD_TABLES = ["header", "episodes", "districts", "allocations", "visits",
                     "health_assessments", "oc3", "missing"]
BASE_WHOLE_TABLES = ["areas", "population"]
PERIOD_END = "2025-12-31"
BIG_BYTES = 50 * 1024 * 1024
COMMIT_LIMIT = 16 * 1024       # text files larger than this are generated, not committed
DIFF_LINES = 24                # lines of each file's diff shown in cases/<name>.diff
# Rows of the event tables before this are left out of the base (the indicators look back 25
# months at most from 31/12/2025); episodes are kept whole (periods of care need their history).
BASE_EVENTS_FROM = {"visits": "VISIT_DATE", "missing": "MIS_START",
                    "health_assessments": "ASSESSMENT_DATE"}
BASE_FROM_YEAR = 2023

CaseFn = Callable[[Path], None]
CASES: dict[str, CaseFn] = {}


def case(func: CaseFn) -> CaseFn:
    CASES[func.__name__] = func
    return func


# --- the base -----------------------------------------------------------------------------------

def make_base(dest: Path = BASE) -> Path:
    """Cut the base out of samples/northshire (run once; the result is committed)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    keep = set(BASE_CHILDREN)
    for name in BASE_CHILD_TABLES:
        head, rows = read(SAMPLE / f"{name}.csv")
        i = head.index("CHILD")
        rows = [r for r in rows if r[i] in keep]
        if name in BASE_EVENTS_FROM:
            d = head.index(BASE_EVENTS_FROM[name])
            rows = [r for r in rows if int(r[d][-4:]) >= BASE_FROM_YEAR]
        write(dest / f"{name}.csv", head, rows)
    for name in BASE_WHOLE_TABLES:
        head, rows = read(SAMPLE / f"{name}.csv")
        write(dest / f"{name}.csv", head, rows)
    # Only the workers the base's allocations name.
    _, alloc = read(dest / "allocations.csv")
    used = {r[1] for r in alloc}
    head, rows = read(SAMPLE / "workers.csv")
    write(dest / "workers.csv", head, [r for r in rows if r[0] in used])
    shutil.copy(SAMPLE / "cpxl.toml", dest / "cpxl.toml")
    return dest


# --- small helpers --------------------------------------------------------------------------------

def read(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    with open(path, encoding=encoding, newline="") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    return rows[0], rows[1:]


def write(path: Path, head: list[str], rows: list[list[str]], encoding: str = "utf-8",
          delimiter: str = ",", lineterminator: str = "\r\n", above: list[str] = ()) -> Path:
    buf = io.StringIO()
    for line in above:
        buf.write(line + lineterminator)
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    w.writerow(head)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def edit(path: Path, changes: dict[tuple[int, str], str]) -> None:
    """Set cells: ``{(data_row_index, COLUMN): value}`` (data row 0 is file row 2)."""
    head, rows = read(path)
    for (i, col), value in changes.items():
        rows[i][head.index(col)] = value
    write(path, head, rows)


def rename_column(path: Path, old: str, new: str | None) -> None:
    """Rename a column (``new=None`` drops it)."""
    head, rows = read(path)
    i = head.index(old)
    if new is None:
        head.pop(i)
        for r in rows:
            r.pop(i)
    else:
        head[i] = new
    write(path, head, rows)


def recode_dates(path: Path, columns: list[str], fmt: Callable[[str, str, str], str]) -> None:
    """Rewrite dd/mm/yyyy dates in ``columns`` with ``fmt(day, month, year)``."""
    head, rows = read(path)
    idx = [head.index(c) for c in columns]
    for r in rows:
        for i in idx:
            if r[i]:
                d, m, y = r[i].split("/")
                r[i] = fmt(d, m, y)
    write(path, head, rows)


def replace_everywhere(data: Path, mapping: dict[str, str], column: str) -> None:
    """Replace values of ``column`` in every CSV of ``data`` that has it."""
    for p in sorted(data.glob("*.csv")):
        head, rows = read(p)
        if column not in head:
            continue
        i = head.index(column)
        for r in rows:
            r[i] = mapping.get(r[i], r[i])
        write(p, head, rows)


def tables_of(data: Path) -> dict[str, tuple[list[str], list[list[str]]]]:
    return {p.stem: read(p) for p in sorted(data.glob("*.csv"))}


def to_workbook(data: Path, book: Path, *, typed: bool = False,
                layout: Callable | None = None) -> Path:
    """Every CSV of ``data`` as a sheet of one workbook (then the CSVs are removed).

    ``layout(ws, name, head, rows)`` writes a sheet itself (for the merged, blank-row and
    ListObject cases); ``typed`` stores dates as dates and whole numbers as numbers.
    """
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (head, rows) in tables_of(data).items():
        ws = wb.create_sheet(name)
        if typed:
            rows = [[_typed(v, dt) for v in r] for r in rows]
        if layout:
            layout(ws, name, head, rows)
        else:
            ws.append(head)
            for r in rows:
                ws.append(r)
        (data / f"{name}.csv").unlink()
    wb.save(book)
    return book


def _typed(v: str, dt):
    if len(v) == 10 and v[2] == "/" and v[5] == "/":
        d, m, y = v.split("/")
        return dt.datetime(int(y), int(m), int(d))
    if v.isdigit() and not v.startswith("0"):
        return int(v)
    return v


# --- missing, misspelt and empty ------------------------------------------------------------------

@case
def header_missing_column(root):
    rename_column(root / "data/header.csv", "ETHNIC", None)


@case
def header_misspelt_column(root):
    rename_column(root / "data/header.csv", "SEX", "SX")


@case
def episodes_missing_column(root):
    rename_column(root / "data/episodes.csv", "REC", None)


@case
def episodes_misspelt_column(root):
    rename_column(root / "data/episodes.csv", "DECOM", "DECOMM")


@case
def optional_missing_column(root):
    rename_column(root / "data/missing.csv", "MIS_END", None)


@case
def optional_misspelt_column(root):
    rename_column(root / "data/visits.csv", "VISIT_DATE", "VISIT_DTE")


@case
def episodes_empty_file(root):
    (root / "data/episodes.csv").write_bytes(b"")


@case
def optional_empty_file(root):
    (root / "data/visits.csv").write_bytes(b"")


@case
def whitespace_only_file(root):
    (root / "data/header.csv").write_bytes(b"\r\n  \r\n\t\r\n")


@case
def episodes_header_only(root):
    head, _ = read(root / "data/episodes.csv")
    write(root / "data/episodes.csv", head, [])


@case
def optional_header_only(root):
    head, _ = read(root / "data/visits.csv")
    write(root / "data/visits.csv", head, [])


@case
def binary_garbage(root):
    rnd = random.Random(6)
    (root / "data/episodes.csv").write_bytes(bytes(rnd.randrange(256) for _ in range(4000)))


@case
def missing_header_table(root):
    (root / "data/header.csv").unlink()


@case
def data_path_missing(root):
    shutil.rmtree(root / "data")


@case
def empty_folder(root):
    shutil.rmtree(root / "data")
    (root / "data").mkdir()


@case
def folder_with_no_tables(root):
    shutil.rmtree(root / "data")
    (root / "data").mkdir()
    (root / "data/notes.txt").write_text("Extract run on Monday by the performance team\n")
    (root / "data/summary.csv").write_text("Month,Count\r\nJanuary,3\r\n")


@case
def stray_non_csv_files(root):
    rnd = random.Random(7)
    (root / "data/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(300)))
    (root / "data/handover.docx").write_bytes(b"PK\x03\x04" + bytes(200))
    (root / "data/README.md").write_text("Extracts for the Corporate Parenting Board\n")


@case
def two_episodes_files(root):
    head, rows = read(root / "data/episodes.csv")
    half = len(rows) // 2
    write(root / "data/episodes.csv", head, rows[:half])
    write(root / "data/episodes_part2.csv", head, rows[half:])


# --- workbooks ------------------------------------------------------------------------------------

def _merged_layout(ws, name, head, rows):
    """A title row merged across the table, and HOME_POST's header cell merged over 2 columns."""
    ws.append([f"{name} extract"] + [None] * (len(head) - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    if "HOME_POST" in head:
        i = head.index("HOME_POST")
        head = head[:i + 1] + [None] + head[i + 1:]
        rows = [r[:i + 1] + [None] + r[i + 1:] for r in rows]
        ws.append(head)
        ws.merge_cells(start_row=2, start_column=i + 1, end_row=2, end_column=i + 2)
    else:
        ws.append(head)
    for r in rows:
        ws.append(r)


@case
def workbook_merged_header_cells(root):
    to_workbook(root / "data", root / "data/extract.xlsx", layout=_merged_layout)


def _blank_rows_layout(ws, name, head, rows):
    for _ in range(3):
        ws.append([])
    ws.append(head)
    for r in rows:
        ws.append(r)
    ws.cell(row=1, column=1)      # the sheet starts at A1 but rows 1-3 are blank


@case
def workbook_blank_rows_above_header(root):
    edit(root / "data/episodes.csv", {(4, "DECOM"): "31/02/2021"})
    to_workbook(root / "data", root / "data/extract.xlsx", layout=_blank_rows_layout)


def _list_object_layout(ws, name, head, rows):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table

    ws["A1"] = f"{name} (Excel table below)"
    for j, h in enumerate(head):
        ws.cell(row=3, column=2 + j, value=h)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            ws.cell(row=4 + i, column=2 + j, value=v)
    last = get_column_letter(1 + len(head))
    ws.add_table(Table(displayName=f"tbl_{name}", ref=f"B3:{last}{3 + max(len(rows), 1)}"))


@case
def workbook_list_objects(root):
    edit(root / "data/episodes.csv", {(6, "DEC"): "2021-13-01"})
    to_workbook(root / "data", root / "data/extract.xlsx", layout=_list_object_layout)


@case
def workbook_formula_error_in_date(root):
    book = to_workbook(root / "data", root / "data/extract.xlsx")
    import openpyxl
    wb = openpyxl.load_workbook(book)
    ws = wb["episodes"]
    col = [c.value for c in ws[1]].index("DECOM") + 1
    ws.cell(row=4, column=col).value = "#N/A"          # an error cell, as a failed VLOOKUP leaves
    assert ws.cell(row=4, column=col).data_type == "e"
    wb.save(book)


@case
def workbook_child_id_as_number(root):
    to_workbook(root / "data", root / "data/extract.xlsx", typed=True)
    import openpyxl
    wb = openpyxl.load_workbook(root / "data/extract.xlsx")
    for ws in wb.worksheets:
        head = [c.value for c in ws[1]]
        if "CHILD" not in head:
            continue
        col = head.index("CHILD") + 1
        for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            row[0].value = int(row[0].value)             # Excel turned 0165563 into 165563
    wb.save(root / "data/extract.xlsx")


@case
def workbook_with_no_tables(root):
    import openpyxl
    shutil.rmtree(root / "data")
    (root / "data").mkdir()
    wb = openpyxl.Workbook()
    wb.active.append(["Quarterly summary"])
    wb.active.append(["Month", "Count"])
    wb.active.append(["January", 3])
    wb.save(root / "data/summary.xlsx")


@case
def xls_old_binary_file(root):
    # An OLE2 compound file (what Excel 97-2003 .xls files are), given as the data path.
    (root / "data/episodes.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))


@case
def xls_in_folder(root):
    (root / "data/old_placements.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))


@case
def xlsx_that_is_a_zip(root):
    with zipfile.ZipFile(root / "data/episodes.xlsx", "w") as z:
        z.writestr("episodes.csv", (root / "data/episodes.csv").read_text())
        z.writestr("readme.txt", "not a workbook")


# --- CSV dialects, encodings, dates --------------------------------------------------------------

@case
def semicolon_csv_decimal_comma(root):
    """A European Excel export: ';' between fields, ',' before decimals, '.' between thousands."""
    for p in sorted((root / "data").glob("*.csv")):
        head, rows = read(p)
        if p.stem == "population":
            i = head.index("POPULATION_0_17")
            for r in rows:
                n = int(r[i])
                r[i] = f"{n:,}".replace(",", ".") + ",0"     # 3651 -> 3.651,0
        if p.stem == "workers":
            i = head.index("FTE")
            for r in rows:
                r[i] = r[i].replace(".", ",")                  # 0.5 -> 0,5
        write(p, head, rows, delimiter=";")


@case
def windows_1252(root):
    replace_everywhere(root / "data", {"North": "Nörth – “Côte”"}, "AREA")
    for p in sorted((root / "data").glob("*.csv")):
        p.write_bytes(p.read_bytes().decode("utf-8").encode("cp1252"))


@case
def utf16_tab_separated(root):
    """Excel's "Unicode Text": UTF-16 LE with a BOM, tab-separated."""
    head, rows = read(root / "data/episodes.csv")
    write(root / "data/episodes.csv", head, rows, encoding="utf-16", delimiter="\t")
    assert (root / "data/episodes.csv").read_bytes()[:2] == b"\xff\xfe"


@case
def utf16_comma_separated(root):
    head, rows = read(root / "data/header.csv")
    write(root / "data/header.csv", head, rows, encoding="utf-16")


@case
def dates_iso_with_time(root):
    recode_dates(root / "data/episodes.csv", ["DECOM", "DEC"], lambda d, m, y: f"{y}-{m}-{d} 00:00:00")


@case
def dates_with_dashes(root):
    recode_dates(root / "data/episodes.csv", ["DECOM", "DEC"], lambda d, m, y: f"{d}-{m}-{y}")


@case
def dates_with_dots(root):
    recode_dates(root / "data/episodes.csv", ["DECOM", "DEC"], lambda d, m, y: f"{d}.{m}.{y}")


@case
def impossible_date_31_february(root):
    edit(root / "data/episodes.csv", {(3, "DECOM"): "31/02/2020"})


@case
def impossible_date_day_zero(root):
    edit(root / "data/header.csv", {(2, "DOB"): "00/01/2020"})


@case
def impossible_date_month_13(root):
    edit(root / "data/episodes.csv", {(5, "DEC"): "2020-13-01"})


@case
def date_year_typo(root):
    edit(root / "data/visits.csv", {(1, "VISIT_DATE"): "12/03/1024"})


# --- rows that disagree -----------------------------------------------------------------------

def _closed_episode(root) -> int:
    """The index of the first episodes row with a DEC (and a later one of the same child)."""
    head, rows = read(root / "data/episodes.csv")
    c, dec = head.index("CHILD"), head.index("DEC")
    return next(i for i, r in enumerate(rows[:-1]) if r[dec] and rows[i + 1][c] == r[c])


@case
def dec_before_decom(root):
    i = _closed_episode(root)
    edit(root / "data/episodes.csv", {(i, "DECOM"): "01/01/2024", (i, "DEC"): "01/01/2019"})


@case
def overlapping_episodes(root):
    head, rows = read(root / "data/episodes.csv")
    i = _closed_episode(root)
    d, m, y = rows[i][head.index("DEC")].split("/")
    rows[i][head.index("DEC")] = f"{d}/{m}/{int(y) + 1}"   # ends a year after the next starts
    write(root / "data/episodes.csv", head, rows)


@case
def duplicated_episodes(root):
    head, rows = read(root / "data/episodes.csv")
    rows.insert(3, list(rows[2]))
    write(root / "data/episodes.csv", head, rows)


@case
def child_missing_from_header(root):
    head, rows = read(root / "data/header.csv")
    write(root / "data/header.csv", head, rows[1:])


@case
def duplicate_child_in_header(root):
    head, rows = read(root / "data/header.csv")
    rows.append(list(rows[0]))
    write(root / "data/header.csv", head, rows)


@case
def blank_child_id(root):
    edit(root / "data/visits.csv", {(2, "CHILD"): ""})


@case
def unknown_codes(root):
    edit(root / "data/episodes.csv", {(0, "PLACE"): "ZZ9", (1, "LS"): "Q9", (2, "RNE"): "K"})
    edit(root / "data/header.csv", {(0, "SEX"): "X"})


@case
def population_negative_and_zero(root):
    edit(root / "data/population.csv", {(0, "POPULATION_0_17"): "-3651", (1, "POPULATION_0_17"): "0"})


@case
def fte_not_a_number(root):
    edit(root / "data/workers.csv", {(0, "FTE"): "full time"})


@case
def ragged_trailing_cell(root):
    p = root / "data/episodes.csv"
    lines = p.read_bytes().split(b"\r\n")
    lines[3] += b",stray"
    p.write_bytes(b"\r\n".join(lines))


@case
def short_rows(root):
    p = root / "data/episodes.csv"
    lines = p.read_bytes().split(b"\r\n")
    lines[3] = b",".join(lines[3].split(b",")[:8])      # ends after DEC: no REC or later cells
    lines[5] = b",".join(lines[5].split(b",")[:3])      # ends after RNE
    p.write_bytes(b"\r\n".join(lines))


@case
def quoted_newline_in_field(root):
    head, rows = read(root / "data/episodes.csv")
    rows[1][head.index("PLACE_PROVIDER")] = "PR1\nsee notes"
    rows[4][head.index("DECOM")] = "32/01/2021"
    write(root / "data/episodes.csv", head, rows)


# --- formulas and names ---------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1,2)", "-2+3"]


@case
def formula_strings_everywhere(root):
    """Formula-like text in every text column: ids, codes, names, postcodes, teams."""
    data = root / "data"
    first = BASE_CHILDREN[0]
    replace_everywhere(data, {first: FORMULAS[0]}, "CHILD")
    replace_everywhere(data, {"Hollowmere": FORMULAS[1]}, "DISTRICT")
    replace_everywhere(data, {"Hollowmere": FORMULAS[1]}, "GEOGRAPHY")
    replace_everywhere(data, {"North": FORMULAS[2]}, "AREA")
    _, workers = read(data / "workers.csv")
    replace_everywhere(data, {workers[0][0]: "=1+1"}, "WORKER_ID")
    for p in sorted(data.glob("*.csv")):
        head, rows = read(p)
        for col in ("PLACE_PROVIDER", "HOME_POST", "PL_POST", "URN", "TEAM", "ETHNIC", "UPN",
                    "REASON_PLACE_CHANGE", "TYPE", "MISSING", "IN_TOUCH"):
            if col in head and rows:
                rows[0][head.index(col)] = FORMULAS[3]
        write(p, head, rows)


NASTY = {"Hollowmere": "Hollow/mere", "Cragsby": "..", "Upper Wendle": "[]:*?\\",
         "Marrowdale": "Marrowdale and the Villages of the Upper Wendle Valley",
         "Brindlecombe": "CON", "Copperwell": "'Copperwell'"}


@case
def district_names_nasty(root):
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(root / "data", NASTY, col)


@case
def district_name_longer_than_31(root):
    long = "Saltreach, Stavenham and Larkhaven Coastal District"
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(root / "data", {"Saltreach": long}, col)


@case
def districts_differ_by_case(root):
    """Two children's district written Eastmarsh and EASTMARSH: one district, not two."""
    head, rows = read(root / "data/districts.csv")
    rows = [r for r in rows if r[0] != BASE_CHILDREN[0]] + [[BASE_CHILDREN[0], "EASTMARSH"]]
    write(root / "data/districts.csv", head, rows)


@case
def districts_same_safe_name(root):
    """Kestrel/ford and Kestrel\\ford are different districts that make the same file name."""
    replace_everywhere(root / "data", {"Kestrelford": "Kestrel/ford", "Larkhaven": "Kestrel\\ford"},
                       "DISTRICT")
    replace_everywhere(root / "data", {"Kestrelford": "Kestrel/ford", "Larkhaven": "Kestrel\\ford"},
                       "GEOGRAPHY")


# --- files that cannot be read, outputs that cannot be written, arguments --------------------------

@case
def unreadable_file(root):
    """episodes.csv cannot be opened (locked by another program, or no permission).

    Root ignores chmod 000, so the test also starts cpxl with open() of this file raising
    PermissionError, as it does for a file another program has locked (``unreadable`` in
    cases.toml; see UNREADABLE in tests/test_bad_inputs.py).
    """
    (root / "data/episodes.csv").chmod(0)


@case
def output_path_is_a_folder(root):
    (root / "out").mkdir(exist_ok=True)
    (root / "out/report.csv").mkdir()
    (root / "out/indicators.csv").mkdir()


@case
def output_wrong_extension(root):
    pass


@case
def period_end_not_a_date(root):
    pass


@case
def months_zero(root):
    pass


@case
def config_not_found(root):
    pass


@case
def config_invalid_toml(root):
    (root / "data/cpxl.toml").write_text('[authority]\nname = "Northshire\nla_code = 888\n')


@case
def config_wrong_type(root):
    (root / "data/cpxl.toml").write_text('[authority]\nname = "Northshire"\nla_code = "eight"\n')


@case
def large_file_50mb(root):
    """visits.csv padded to 50 MB with real-looking rows (made at test time, never committed)."""
    p = root / "data/visits.csv"
    head, rows = read(p)
    rnd = random.Random(50)
    line = "{},{:02d}/{:02d}/{}\r\n"
    parts = [",".join(head) + "\r\n"]
    size = len(parts[0])
    chunk = []
    while size < BIG_BYTES:
        s = line.format(rnd.choice(BASE_CHILDREN), rnd.randint(1, 28), rnd.randint(1, 12),
                        rnd.randint(2019, 2025))
        chunk.append(s)
        size += len(s)
    p.write_text("".join(parts + chunk), newline="")


# --- hostile input (GitHub issue 15) ---------------------------------------------------------------

def _config(root, extra: str) -> None:
    """The base's cpxl.toml with ``extra`` TOML appended."""
    p = root / "data/cpxl.toml"
    p.write_text(p.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")


@case
def config_nested_deeply(root):
    _config(root, "deep = " + "[" * 5000 + "]" * 5000)


@case
def config_nested_tables_deeply(root):
    _config(root, "deep = " + "{a = " * 600 + "1" + "}" * 600)


@case
def config_threshold_infinite(root):
    _config(root, "[thresholds.visits_in_time_pct]\ngreen = inf\namber = 80")


@case
def config_threshold_nan(root):
    _config(root, "[thresholds.visits_in_time_pct]\ngreen = nan\namber = 80")


@case
def config_threshold_1e100(root):
    _config(root, "[thresholds.adoption_days_avg]\ngreen = 1e100\namber = 1e101")


@case
def config_threshold_40_digits(root):
    _config(root, "[thresholds.adoption_days_avg]\ngreen = 1234567890123456789012345678901234567890")


@case
def config_threshold_over_100_percent(root):
    _config(root, "[thresholds.visits_in_time_pct]\ngreen = 150\namber = 80")


@case
def config_threshold_negative_percent(root):
    _config(root, "[thresholds.missing_pct]\ngreen = -5\namber = 10")


@case
def config_la_code_40_digits(root):
    p = root / "data/cpxl.toml"
    p.write_text(p.read_text(encoding="utf-8").replace(
        "la_code = 888", "la_code = 1234567890123456789012345678901234567890"), encoding="utf-8")


@case
def config_district_in_two_areas(root):
    p = root / "data/cpxl.toml"
    p.write_text(p.read_text(encoding="utf-8").replace('"Stavenham"]', '"Stavenham", "Cragsby"]'),
                 encoding="utf-8")


@case
def config_unknown_in_an_area(root):
    p = root / "data/cpxl.toml"
    p.write_text(p.read_text(encoding="utf-8").replace('"Marrowdale"]', '"Marrowdale", "Unknown"]'),
                 encoding="utf-8")


@case
def areas_table_unknown_in_an_area(root):
    head, rows = read(root / "data/areas.csv")
    rows.append(["Unknown", "North"])
    write(root / "data/areas.csv", head, rows)


@case
def district_name_80_cjk_characters(root):
    """An 80-character CJK district name: 240 bytes of UTF-8, a file name over 255 bytes."""
    name = "北" * 80
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(root / "data", {"Cragsby": name}, col)


@case
def district_name_300_characters(root):
    """A district name that would push an Excel header or footer over 255 characters."""
    name = "Saltreach & District " * 15
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(root / "data", {"Saltreach": name.strip()}, col)


@case
def district_names_reserved_and_invisible(root):
    """Names Windows refuses or hides: AUX, COM1.txt, a trailing dot, a trailing space, a
    right-to-left override, a tab and a line break."""
    names = {"Hollowmere": "AUX", "Cragsby": "COM1.txt", "Upper Wendle": "Upper Wendle.",
             "Marrowdale": "Marrowdale\u202excod.exe", "Copperwell": "Copper\twell\nTown"}
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(root / "data", names, col)


@case
def output_name_too_long(root):
    pass


@case
def output_is_an_input(root):
    pass


@case
def fifo_as_the_data(root):
    os.mkfifo(root / "data/pipe.csv")


@case
def fifo_in_the_folder(root):
    os.mkfifo(root / "data/pipe.csv")


def _sheet_far_out(root, ref: str, value) -> None:
    import openpyxl
    from openpyxl.styles import Font

    book = to_workbook(root / "data", root / "data/extract.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["episodes"]
    cell = ws[ref]
    cell.value = value
    cell.font = Font(bold=True)           # formatting far out, as Excel files often have
    wb.save(book)


@case
def workbook_stray_cell_xfd1048576(root):
    _sheet_far_out(root, "XFD1048576", None)


@case
def workbook_stray_value_xfd2(root):
    _sheet_far_out(root, "XFD2", "x")


def zip_bomb(book: Path, inflated: int = 64 * 1024 * 1024) -> Path:
    """An .xlsx whose sheet XML inflates ~1000 times, to ``inflated`` bytes (a few KB on disk)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["CHILD", "SEX", "DOB", "ETHNIC"])
    wb.save(book)
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    pad = b" " * inflated
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>", b"<sheetData>" + pad, 1) \
        if b"<sheetData>" in sheet else sheet + pad
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return book


@case
def workbook_inflates_to_gigabytes(root):
    zip_bomb(root / "data/extract.xlsx")


def encrypted_workbook(book: Path) -> Path:
    """What Excel saves for a password-protected .xlsx: an OLE2 compound file holding
    EncryptionInfo and EncryptedPackage streams (the contents here are random)."""
    from cpxl.addin.cfb import write_compound_file

    rnd = random.Random(15)
    book.write_bytes(write_compound_file({
        "EncryptionInfo": bytes([4, 0, 4, 0, 0x40, 0, 0, 0]) + bytes(rnd.randrange(256) for _ in range(600)),
        "EncryptedPackage": bytes(rnd.randrange(256) for _ in range(5000))}))
    return book


@case
def workbook_password_protected(root):
    encrypted_workbook(root / "data/extract.xlsx")


@case
def workbook_password_protected_in_folder(root):
    encrypted_workbook(root / "data/placements.xlsx")


def binary_workbook(path):
    """The parts that make a zip an Excel Binary (.xlsb) workbook."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.bin", bytes(64))


@case
def xlsb_as_the_data(root):
    binary_workbook(root / "data/extract.xlsb")


@case
def ods_named_xlsx(root):
    """An OpenDocument spreadsheet saved with an .xlsx name."""
    with zipfile.ZipFile(root / "data/extract.xlsx", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")


@case
def xlsb_named_xlsx(root):
    binary_workbook(root / "data/extract.xlsx")


@case
def districts_columns_swapped(root):
    """The districts table's header written DISTRICT,CHILD over CHILD,DISTRICT data."""
    head, rows = read(root / "data/districts.csv")
    write(root / "data/districts.csv", list(reversed(head)), rows)


@case
def districts_far_too_many(root):
    """A districts table naming 250 districts (a ward or postcode list loaded as districts)."""
    head, rows = read(root / "data/districts.csv")
    rows += [[f"9{k:06d}", f"Ward {k}"] for k in range(250)]
    write(root / "data/districts.csv", head, rows)


@case
def csv_stray_opening_quote(root):
    """A quote opens PLACE_PROVIDER on the 5th episode; the next quote is 40 rows later."""
    head, rows = read(root / "data/episodes.csv")
    j = head.index("PLACE_PROVIDER")
    lines = [",".join(head)] + [",".join(r) for r in rows]
    cells = lines[5].split(",")
    cells[j] = '"' + cells[j]
    lines[5] = ",".join(cells)
    cells = lines[45].split(",")
    cells[j] = cells[j] + '"'
    lines[45] = ",".join(cells)
    (root / "data/episodes.csv").write_text("\r\n".join(lines) + "\r\n", newline="")


@case
def csv_quote_never_closed(root):
    head, rows = read(root / "data/episodes.csv")
    j = head.index("PLACE_PROVIDER")
    lines = [",".join(head)] + [",".join(r) for r in rows]
    cells = lines[60].split(",")
    cells[j] = '"' + cells[j]
    lines[60] = ",".join(cells)
    (root / "data/episodes.csv").write_text("\r\n".join(lines) + "\r\n", newline="")


@case
def csv_two_rows_run_together(root):
    """The line break between the 7th and 8th episodes lost: one row of twice the cells."""
    p = root / "data/episodes.csv"
    lines = p.read_bytes().split(b"\r\n")
    lines[7:9] = [lines[7] + b"," + lines[8]]
    p.write_bytes(b"\r\n".join(lines))


@case
def dob_in_the_future(root):
    edit(root / "data/header.csv", {(3, "DOB"): "14/05/2099"})


# --- building -------------------------------------------------------------------------------------

def materialise(name: str, dest: Path) -> Path:
    """Build case ``name`` in ``dest`` (``dest/data`` is the data; ``dest/out`` the output folder)."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(BASE, dest / "data")
    (dest / "out").mkdir()
    CASES[name](dest)
    return dest


def _text(data: bytes) -> str | None:
    """The text of a small text file (UTF-8, else Windows-1252), or None for binary/large."""
    if b"\x00" in data or len(data) > COMMIT_LIMIT:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def overlay(name: str, work: Path) -> str:
    """What case ``name`` changes in the base, as a unified diff (binary or large files listed)."""
    import difflib

    root = materialise(name, work / name)
    data = root / "data"
    import tomllib

    spec = {c["name"]: c for c in tomllib.loads((HERE / "cases.toml").read_text("utf-8"))["case"]}
    lines = [f"# {name}: {spec.get(name, {}).get('what', '')}\n"]
    if not data.exists():
        return "".join(lines + ["# the data folder is removed\n"])
    for p in sorted(BASE.iterdir()):
        if not (data / p.name).exists():
            lines.append(f"# removed: {p.name}\n")
    for p in sorted(data.rglob("*")):
        if p.is_fifo():
            lines.append(f"# {p.relative_to(data).as_posix()}: a named pipe (FIFO), made at test time\n")
            continue
        if not p.is_file():
            continue
        rel = p.relative_to(data).as_posix()
        base = BASE / rel
        try:
            new = p.read_bytes()
        except PermissionError:
            lines.append(f"# {rel}: made unreadable\n")
            continue
        old = base.read_bytes() if base.exists() else b""
        if new == old:
            if p.stat().st_mode & 0o444 == 0:
                lines.append(f"# {rel}: made unreadable (chmod 000)\n")
            continue
        new_text, old_text = _text(new), _text(old)
        if new_text is None or old_text is None:
            lines.append(f"# {rel}: binary or large, made at test time\n")
            continue
        if new_text != new.decode("utf-8", errors="replace"):
            lines.append(f"# {rel}: saved in Windows-1252\n")
        diff = difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                    f"base/{rel}", f"{name}/{rel}", n=0)
        diff = [d if d.endswith("\n") else d + "\n" for d in diff]
        if len(diff) > DIFF_LINES:
            diff = diff[:DIFF_LINES] + [f"# ... and {len(diff) - DIFF_LINES:,} more lines\n"]
        lines += diff
    return "".join(lines)


def write_committed(work: Path) -> None:
    if COMMITTED.exists():
        shutil.rmtree(COMMITTED)
    COMMITTED.mkdir()
    for name in CASES:
        (COMMITTED / f"{name}.diff").write_bytes(overlay(name, work).encode("utf-8"))


def main(argv: list[str]) -> int:
    import tempfile

    if not argv:
        make_base()
        with tempfile.TemporaryDirectory() as tmp:
            write_committed(Path(tmp))
        print(f"{len(CASES)} cases written to {COMMITTED}")
        return 0
    out = Path(argv[0])
    names = argv[1:] or list(CASES)
    for name in names:
        materialise(name, out / name)
    print(f"{len(names)} case(s) materialised in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
