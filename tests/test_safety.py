"""Safety of cpxl's outputs (GitHub issue 6, parts 2, 5 and 6).

- Formula injection: text from the data that a spreadsheet would run as a formula
  (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``, ``@SUM(1,2)``, ``-2+3``) is stored as text in every
  workbook cpxl writes, and with a leading apostrophe in every CSV.
- Names: file and sheet names made from district names are safe on Windows and unique.
- Atomic outputs: an interrupted or failed write leaves the previous file whole and no temporary
  file; two runs writing into one folder at once leave only whole files; an output open in another
  program gives a clear message.
- Children's data: no CHILD id, UPN or date of birth in any output, log or message (the validation
  report excepted, which says so on its first line) unless ``--with-child-lists``, and then only on
  the child-list sheets.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "bad_inputs"))
import make_corpus  # noqa: E402
from make_corpus import read, replace_everywhere, write  # noqa: E402

from cpxl import output  # noqa: E402
from cpxl.cli import main  # noqa: E402
from cpxl.dataset import PERSONAL_DATA_NOTICE  # noqa: E402
from cpxl.errors import CpxlError  # noqa: E402

PERIOD_END = make_corpus.PERIOD_END
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_CHILD = '=HYPERLINK("http://x","y")'
HOSTILE_DISTRICTS = {"Hollowmere": "+cmd|' /C calc'!A0", "Cragsby": "-2+3", "Upper Wendle": "=1+1"}
HOSTILE_AREA = "@SUM(1,2)"
HOSTILE = [HOSTILE_CHILD, *HOSTILE_DISTRICTS.values(), HOSTILE_AREA]
# What a formula needs to do harm: none of these may be in a formula cell or chart reference.
HOSTILE_MARKS = ["HYPERLINK", "cmd|", "@SUM", "1+1", "2+3"]
WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}


def cli(*args) -> tuple[int, str, str]:
    """``cpxl ARGS`` in this process (its real entry point, ``cpxl.cli.main``)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def cpxl_process(*args, **kwargs) -> subprocess.Popen:
    """``python -m cpxl ARGS`` started in another process (not waited for)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, "-m", "cpxl", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env, **kwargs)


def finish(procs: list[subprocess.Popen], timeout: float = 240) -> list[tuple[int, str, str]]:
    streams = [p.communicate(timeout=timeout) for p in procs]
    return [(p.returncode, *out_err) for p, out_err in zip(procs, streams)]


def base_copy(dest: Path) -> Path:
    shutil.copytree(make_corpus.BASE, dest)
    return dest


def parts_left(folder: Path) -> list[Path]:
    return [p for p in Path(folder).rglob("*") if ".part" in p.name or p.name.startswith(".")]


def xlsx_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8", errors="replace") for n in z.namelist()
                if n.endswith((".xml", ".rels", ".vml"))}


def load_book(path: Path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # openpyxl: "Sparkline Group extension is not supported"
        return openpyxl.load_workbook(path)


# --- 2. formula injection -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A dataset whose district, area, CHILD id and codes look like formulas, and every output."""
    top = tmp_path_factory.mktemp("hostile")
    data = base_copy(top / "data")
    first = make_corpus.BASE_CHILDREN[0]
    replace_everywhere(data, {first: HOSTILE_CHILD}, "CHILD")
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(data, HOSTILE_DISTRICTS, col)
    replace_everywhere(data, {"North": HOSTILE_AREA}, "AREA")
    head, rows = read(data / "visits.csv")
    rows.append([HOSTILE_CHILD, "@SUM(1,2)"])           # a problem row for the hostile child
    write(data / "visits.csv", head, rows)
    head, rows = read(data / "episodes.csv")
    rows[0][head.index("PLACE")] = "-2+3"
    write(data / "episodes.csv", head, rows)
    out = top / "out"
    runs = [("validate", data, "--out", out / "report.csv"),
            ("validate", data, "--out", out / "report.xlsx"),
            ("indicators", data, "--period-end", PERIOD_END, "--months", 2, "--out", out / "ind.csv"),
            ("indicators", data, "--period-end", PERIOD_END, "--months", 2, "--out", out / "ind.xlsx"),
            ("scorecards", data, "--period-end", PERIOD_END, "--months", 2, "--out", out / "books"),
            ("list", "--csv", out / "catalogue.csv"),
            ("list", "--csv", out / "catalogue.xlsx")]
    for args in runs:
        code, _, err = cli(*args)
        assert code == 0, (args, err)
    return out


def csv_cells(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("name", ["report.csv", "ind.csv", "catalogue.csv"])
def test_csv_outputs_neutralise_formula_text(hostile, name):
    cells = csv_cells(hostile / name)
    risky = [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
    assert not risky, risky[:5]
    if name == "ind.csv":
        for text in [*HOSTILE_DISTRICTS.values(), HOSTILE_AREA]:
            assert "'" + text in cells, text
    if name == "report.csv":
        assert "'" + HOSTILE_CHILD in cells


@pytest.mark.parametrize("name", ["report.xlsx", "ind.xlsx", "catalogue.xlsx"])
def test_xlsx_outputs_store_formula_text_as_text(hostile, name):
    wb = load_book(hostile / name)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    if name == "ind.xlsx":
        for text in [*HOSTILE_DISTRICTS.values(), HOSTILE_AREA]:
            assert text in values, text          # the original text, not '=..., in a text cell
    if name == "report.xlsx":
        assert HOSTILE_CHILD in values
        assert wb.worksheets[0]["A1"].value == PERSONAL_DATA_NOTICE


def test_scorecards_store_formula_text_as_text(hostile):
    books = sorted((hostile / "books").glob("*.xlsx"))
    assert len(books) == 16
    seen = set()
    for book in books:
        wb = load_book(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if not isinstance(c.value, str):
                        continue
                    if c.data_type == "f":
                        # cpxl's own formulas (thresholds, RAG) only: never data text inside
                        assert not any(m in c.value for m in HOSTILE_MARKS), (book.name, c.coordinate)
                    else:
                        seen |= {h for h in HOSTILE if h in c.value}
        for name in wb.defined_names:
            assert not any(m in str(wb.defined_names[name].value) for m in HOSTILE_MARKS)
    assert {*HOSTILE_DISTRICTS.values(), HOSTILE_AREA} <= seen


def test_scorecard_charts_hold_no_formula_text(hostile):
    for book in sorted((hostile / "books").glob("*.xlsx")):
        for name, xml in xlsx_xml(book).items():
            refs = re.findall(r"<c:f>([^<]*)</c:f>", xml)
            bad = [r for r in refs if any(m in r for m in HOSTILE_MARKS)]
            assert not bad, (book.name, name, bad)


def test_neutralise_frame_leaves_numbers_and_safe_text():
    frame = pd.DataFrame({"a": ["=1", "+2", "-3x", "@x", "\tx", "ok", None], "n": range(7)})
    out = output.neutralise_frame(frame)
    assert out["a"].tolist()[:6] == ["'=1", "'+2", "'-3x", "'@x", "'\tx", "ok"]
    assert out["a"].isna().tolist()[6] and out["n"].tolist() == list(range(7))


# --- 2. safe, unique file and sheet names ---------------------------------------------------------

def sheet_names(book: Path) -> list[str]:
    from xml.sax.saxutils import unescape

    xml = xlsx_xml(book)["xl/workbook.xml"]
    return [unescape(n, {"&quot;": '"', "&apos;": "'"}) for n in re.findall(r'<sheet name="([^"]*)"', xml)]


def _check_names(books: list[Path], expected: int):
    assert len(books) == expected
    assert len({b.name.casefold() for b in books}) == expected
    for b in books:
        assert not WINDOWS_BAD.search(b.name), b.name
        assert not b.stem.endswith((" ", ".")) and b.stem.split(".")[0].upper() not in WINDOWS_RESERVED
        assert len(b.name) < 200
        names = sheet_names(b)
        assert names and len({n.casefold() for n in names}) == len(names)
        for n in names:
            assert 1 <= len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n), n
            assert not n.startswith("'") and not n.endswith("'") and n.casefold() != "history"


@pytest.mark.parametrize("case,lists", [("district_names_nasty", True),
                                        ("districts_same_safe_name", False),
                                        ("district_name_longer_than_31", False)])
def test_scorecard_file_and_sheet_names_are_safe_and_unique(tmp_path, case, lists):
    from xml.sax.saxutils import escape

    root = make_corpus.materialise(case, tmp_path / case)
    out = root / "out/books"
    code, _, err = cli("scorecards", root / "data", "--period-end", PERIOD_END, "--months", 2,
                       "--out", out, *(["--with-child-lists"] if lists else []))
    assert code == 0, err
    books = sorted(out.glob("*.xlsx"))
    _check_names(books, 16)
    load_book(books[-1])                        # and Excel's rules: openpyxl opens it
    if case == "district_names_nasty":
        # every nasty district has its own book, its name shown inside as it is
        strings = [xlsx_xml(b)["xl/sharedStrings.xml"] for b in books]
        for original in make_corpus.NASTY.values():
            assert any(escape(original) in x for x in strings), original


# --- 5. atomic outputs ----------------------------------------------------------------------------

FRAME = pd.DataFrame({"indicator": ["a", "b"], "value": [1.0, 2.0]})


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_interrupted_write_leaves_the_previous_file(tmp_path, monkeypatch, suffix):
    path = output.write_table(FRAME, tmp_path / f"table{suffix}")
    before = path.read_bytes()

    def half_csv(self, f, **kwargs):
        f.write("indicator,value\r\nhal")
        raise KeyboardInterrupt               # Ctrl+C half way through

    def half_xlsx(frame, tmp, *args):
        Path(tmp).write_bytes(b"PK\x03\x04 half a workbook")
        raise KeyboardInterrupt

    if suffix == ".csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", half_csv)
    else:
        monkeypatch.setattr(output, "_write_xlsx", half_xlsx)
    with pytest.raises(KeyboardInterrupt):
        output.write_table(FRAME.assign(value=[3.0, 4.0]), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_interrupted_scorecard_leaves_the_previous_book(tmp_path, monkeypatch):
    from cpxl.scorecard import book

    data = base_copy(tmp_path / "data")
    out = tmp_path / "books"
    args = ("scorecards", data, "--period-end", PERIOD_END, "--months", 2, "--out", out,
            "--districts", "Cragsby")
    assert cli(*args)[0] == 0
    (path,) = out.glob("*.xlsx")
    before = path.read_bytes()

    def interrupted(*a, **k):
        raise KeyboardInterrupt       # Ctrl+C half way through the book

    monkeypatch.setattr(book.definitions, "write", interrupted)
    code, _, err = cli(*args)
    assert code == 130 and "no output was left half-written" in err
    assert path.read_bytes() == before
    assert sorted(os.listdir(out)) == [path.name]


@pytest.mark.parametrize("command", ["validate", "indicators", "scorecards"])
def test_output_open_in_another_program(tmp_path, monkeypatch, command):
    """Windows refuses to replace a file open in Excel (PermissionError): a clear message, the old
    file kept, no temporary file left."""
    data = base_copy(tmp_path / "data")
    out = tmp_path / "out"
    target = {"validate": out / "report.csv", "indicators": out / "ind.csv",
              "scorecards": out / "books"}[command]
    args = [command, data, "--out", target]
    if command != "validate":
        args += ["--period-end", PERIOD_END, "--months", 2]
    if command == "scorecards":
        args += ["--districts", "Cragsby"]
    assert cli(*args)[0] == 0
    files = sorted(p for p in out.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in files}

    def locked(src, dst):
        raise PermissionError(13, "The process cannot access the file because it is being used "
                              "by another process", str(dst))

    monkeypatch.setattr(output.os, "replace", locked)
    code, _, err = cli(*args)
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cpxl: ") and "open in Excel or another program" in last
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in files} == before
    assert not parts_left(out)


def test_output_path_that_is_a_folder_or_unwritable(tmp_path, monkeypatch):
    (tmp_path / "t.csv").mkdir()
    with pytest.raises(CpxlError, match="is a folder, not a file"):
        output.write_table(FRAME, tmp_path / "t.csv")

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(CpxlError, match="could not be written .No space left on device"):
        output.write_table(FRAME, tmp_path / "u.csv")
    assert sorted(os.listdir(tmp_path)) == ["t.csv"]


@pytest.mark.slow
def test_two_runs_into_one_folder_at_once(tmp_path):
    """Two `cpxl indicators` into one file and two `cpxl scorecards` into one folder, started
    together: every file left is whole, and no temporary file is left."""
    data = base_copy(tmp_path / "data")
    out = tmp_path / "out"
    procs = [cpxl_process("indicators", data, "--period-end", PERIOD_END, "--months", 3,
                          "--out", out / "ind.csv") for _ in range(2)]
    procs += [cpxl_process("scorecards", data, "--period-end", PERIOD_END, "--months", 2,
                           "--out", out / "books") for _ in range(2)]
    for code, stdout, err in finish(procs):
        assert code == 0, err
    table = pd.read_csv(out / "ind.csv", encoding="utf-8-sig")
    assert len(table) == 62 * 3 * 17 and table["indicator"].notna().all()
    books = sorted((out / "books").glob("*.xlsx"))
    assert len(books) == 16
    for b in books:
        with zipfile.ZipFile(b) as z:
            assert z.testzip() is None
    load_book(books[0])
    assert not parts_left(out)


# --- 6. children's data -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A small generated county and the personal values in it (CHILD ids, UPNs, dates of birth)."""
    from cpxl.sample import write_sample

    folder = write_sample(tmp_path_factory.mktemp("sample") / "data", children=60, seed=3)
    ids, upns, dobs = set(), set(), set()
    for p in folder.glob("*.csv"):
        head, rows = read(p)
        for r in rows:
            row = dict(zip(head, r))
            ids.add(row.get("CHILD", ""))
            upns.add(row.get("UPN", ""))
            dobs |= {row.get("DOB", ""), row.get("MC_DOB", "")}
    ids.discard("")
    upns.discard("")
    dobs.discard("")
    return folder, ids, upns, dobs


TOKEN = re.compile(r"(?<![\w.])[A-Z]?\d[\d/-]*\d(?![\w])")


class Personal:
    """Every CHILD id and UPN, and every date of birth as dd/mm/yyyy and yyyy-mm-dd (a birth date
    that is also a reporting date is left out); ``in_text`` finds them as whole tokens (not inside
    a longer number), by set look-up rather than one enormous pattern."""

    def __init__(self, ids=(), upns=(), dobs=(), period_ends=()):
        skip = {pd.Timestamp(d).strftime("%d/%m/%Y") for d in period_ends}
        self.values = set(ids) | set(upns)
        for d in set(dobs) - skip:
            dd, mm, yyyy = d.split("/")
            self.values |= {d, f"{yyyy}-{mm}-{dd}"}

    def in_text(self, text: str) -> set[str]:
        return set(TOKEN.findall(text)) & self.values


def test_the_personal_data_search_finds_ids_upns_and_birth_dates():
    p = Personal(ids={"0012345"}, upns={"A123456789012"}, dobs={"13/01/2016", "31/12/2025"},
                 period_ends=["2025-12-31"])
    text = '<v>0012345</v>,A123456789012,"2016-01-13", 13/01/2016 and 31/12/2025'
    assert p.in_text(text) == {"0012345", "A123456789012", "2016-01-13", "13/01/2016"}
    assert not p.in_text("10012345 00123456 x0012345 2016-01-135")


def texts_of(path: Path) -> dict[str, str]:
    """Every text in an output: CSV text, each XML part of a workbook, a PDF's text."""
    if path.suffix == ".csv":
        return {path.name: path.read_bytes().decode("utf-8-sig")}
    if path.suffix == ".xlsx":
        return {f"{path.name}:{k}": v for k, v in xlsx_xml(path).items()}
    if path.suffix == ".pdf":
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        return {path.name: text}
    raise AssertionError(f"unexpected output {path}")


@pytest.fixture(scope="module")
def personal_runs(sample, tmp_path_factory):
    """indicators, scorecards (with and without child lists), list and validate, as an analyst
    runs them, all started together."""
    folder, *_ = sample
    out = tmp_path_factory.mktemp("personal")
    common = ["--period-end", PERIOD_END, "--months", 2]
    plan = {
        "indicators_csv": ["indicators", folder, *common, "--out", out / "plain/ind.csv"],
        "indicators_xlsx": ["indicators", folder, *common, "--out", out / "plain/ind.xlsx"],
        "scorecards": ["scorecards", folder, *common, "--out", out / "plain/books"],
        "list": ["list", "--csv", out / "plain/catalogue.csv"],
        "list_print": ["list"],
        "child_lists": ["scorecards", folder, *common, "--out", out / "lists", "--with-child-lists"],
        "validate_csv": ["validate", folder, "--out", out / "report/report.csv"],
        "validate_xlsx": ["validate", folder, "--out", out / "report/report.xlsx"],
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = dict(zip(plan, pool.map(lambda a: finish([cpxl_process(*a)])[0], plan.values())))
    for key, (code, _, err) in done.items():
        assert code == 0, (key, err)
    return out, done


def test_no_personal_data_in_outputs_logs_or_messages(sample, personal_runs):
    folder, ids, upns, dobs = sample
    out, done = personal_runs
    from cpxl.dates import period_ends
    personal = Personal(ids, upns, dobs, period_ends(PERIOD_END, 37))
    files = sorted(p for p in (out / "plain").rglob("*") if p.is_file())
    assert len(files) == 2 + 16 + 1
    found = {}
    for f in files:
        for part, text in texts_of(f).items():
            hits = personal.in_text(text)
            if hits:
                found[part] = sorted(hits)[:5]
    for key, (_, stdout, stderr) in done.items():
        for stream, text in (("stdout", stdout), ("stderr", stderr)):
            hits = personal.in_text(text)
            if hits:
                found[f"{key} {stream}"] = sorted(hits)[:5]
    assert not found, found


def sheet_texts(book: Path) -> dict[str, str]:
    """The text of each sheet of a workbook (shared strings resolved), by sheet name."""
    from xml.sax.saxutils import unescape

    xml = xlsx_xml(book)
    shared = [unescape(re.sub(r"<[^>]+>", "", si)) for si in
              re.findall(r"<si>(.*?)</si>", xml.get("xl/sharedStrings.xml", ""), flags=re.S)]
    rels = {}
    for tag in re.findall(r"<Relationship\b[^>]*>", xml["xl/_rels/workbook.xml.rels"]):
        target = re.search(r'Target="([^"]+)"', tag).group(1)
        rels[re.search(r'Id="([^"]+)"', tag).group(1)] = (
            target[1:] if target.startswith("/") else "xl/" + target)
    texts = {}
    for name, rid in re.findall(r'<sheet name="([^"]*)"[^>]*r:id="(rId\d+)"', xml["xl/workbook.xml"]):
        sheet = xml[rels[rid]]
        cells = [shared[int(i)] for i in re.findall(r'<c [^>]*t="s"[^>]*><v>(\d+)</v>', sheet)]
        cells += [unescape(v) for v in re.findall(r"<v>([^<]*)</v>", sheet)]
        cells += [unescape(v) for v in re.findall(r"<t[^>]*>([^<]*)</t>", sheet)]
        texts[unescape(name)] = "\n".join(cells)
    return texts


def test_child_ids_only_on_the_marked_child_list_sheets(sample, personal_runs):
    folder, ids, upns, dobs = sample
    out, done = personal_runs
    child_ids = Personal(ids)
    books = sorted((out / "lists").glob("*.xlsx"))
    assert len(books) == 16 and all(b.stem.endswith("_CHILD_LISTS") for b in books)
    listed = set()
    for b in books:
        for title, text in sheet_texts(b).items():
            hits = child_ids.in_text(text)
            if title.startswith(("Children - ", "Child lists")):
                assert "OFFICIAL-SENSITIVE - PERSONAL DATA" in text, (b.name, title)
                listed |= hits
            else:
                assert not hits, (b.name, title, sorted(hits)[:5])
        for part, xml in xlsx_xml(b).items():     # nor in properties, charts or names
            if not part.startswith(("xl/worksheets/", "xl/sharedStrings")):
                assert not child_ids.in_text(xml), (b.name, part)
    assert listed, "some indicator is Red, so some child is listed"
    assert "personal data" in done["child_lists"][1].lower()


@pytest.mark.parametrize("kind", ["validate_csv", "validate_xlsx"])
def test_validation_report_says_it_holds_personal_data(personal_runs, kind):
    out, done = personal_runs
    path = out / "report" / ("report.csv" if kind == "validate_csv" else "report.xlsx")
    if path.suffix == ".csv":
        first = path.read_bytes().decode("utf-8-sig").split("\r\n", 1)[0]
    else:
        first = load_book(path).worksheets[0]["A1"].value
    assert first == PERSONAL_DATA_NOTICE
    assert "personal data" in first and "OFFICIAL-SENSITIVE" in first


def test_messages_name_the_row_and_child_but_no_other_personal_data(tmp_path):
    """A problem in a row names the file, row, column and CHILD id; never the date of birth or
    UPN in what is printed."""
    data = base_copy(tmp_path / "data")
    head, rows = read(data / "header.csv")
    dob, upn = rows[0][head.index("DOB")], rows[0][head.index("UPN")]
    rows[0][head.index("SEX")] = "9"
    write(data / "header.csv", head, rows)
    code, stdout, err = cli("validate", data, "--out", tmp_path / "report.csv")
    assert code == 0
    assert dob not in stdout + err and rows[0][0] not in stdout + err
    report = (tmp_path / "report.csv").read_bytes().decode("utf-8-sig")
    line = next(line for line in report.splitlines() if "header_sex_code" in line)
    assert "header.csv,2,SEX," in line and rows[0][0] in line and dob not in line and upn not in line


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("soffice")),
                    reason="needs LibreOffice and pdftotext")
def test_no_personal_data_in_pdf(sample, tmp_path):
    folder, ids, upns, dobs = sample
    from cpxl.dates import period_ends
    code, _, err = cli("scorecards", folder, "--period-end", PERIOD_END, "--months", 3, "--out",
                       tmp_path, "--districts", "Cragsby", "--pdf")
    assert code == 0, err
    (pdf,) = tmp_path.glob("*.pdf")
    text = texts_of(pdf)[pdf.name]
    assert "Cragsby" in text
    assert not Personal(ids, upns, dobs, period_ends(PERIOD_END, 37)).in_text(text)
