"""The bad-input corpus (tests/bad_inputs) through the real command line (GitHub issue 6).

Every case of ``tests/bad_inputs/make_corpus.py`` is built in a temporary folder and run with
``python -m cpxl validate`` and ``indicators`` (a few with ``scorecards``); ``cases.toml`` says what
each must give: a clear ``cpxl:`` error (exit 2) naming the file, row and column, or a run (exit 0)
whose validation report holds the problem with its table, row, column and whether the row was used.
Never a traceback, never "unexpected error", never a half-written output.

The runs are independent processes, started together (a few at a time) once for the module, so
the whole corpus takes a fraction of the time it would one after another.  Every case runs
``validate`` through the command line; ``indicators`` does for a representative set of cases (see
INDICATORS_COMMAND_LINE) and runs in-process through ``cpxl.cli.main`` for the others.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "bad_inputs"
sys.path.insert(0, str(CORPUS))
import make_corpus  # noqa: E402

from cpxl.dataset import PERSONAL_DATA_NOTICE, REPORT_COLUMNS  # noqa: E402

SPEC = {c["name"]: c for c in tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))["case"]}
DEFAULT_COMMANDS = ["validate", "indicators"]
OUTPUT_COLUMNS = ["indicator", "period_end", "level", "geography", "numerator", "denominator",
                  "value", "note"]
TIMEOUT = 240
MONTHS = {"indicators": "3", "scorecards": "2"}

# Run cpxl with open() failing on one file as it does on a file locked by another program (or
# with no read permission): root ignores chmod 000, so the test cannot rely on it.
UNREADABLE = r"""
import builtins, io, os, runpy, sys
target = os.path.realpath(sys.argv.pop(1))
_open = io.open
def guarded(file, *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(os.fsdecode(file)) == target:
        raise PermissionError(13, "Permission denied", os.fsdecode(file))
    return _open(file, *args, **kwargs)
builtins.open = io.open = guarded
sys.argv[0] = "cpxl"
runpy.run_module("cpxl", run_name="__main__", alter_sys=True)
"""


def commands(case: dict) -> list[str]:
    return case.get("commands", DEFAULT_COMMANDS)


def out_path(case: dict, command: str, root: Path) -> Path:
    default = {"validate": "out/report.csv", "indicators": "out/indicators.csv",
               "scorecards": "out/scorecards"}[command]
    return root / case.get("out", {}).get(command, default)


def argv(case: dict, command: str, root: Path) -> list[str]:
    args = [command, str(root / case.get("data", "data")), "--out", str(out_path(case, command, root))]
    if command != "validate":
        args += ["--period-end", case.get("period_end", make_corpus.PERIOD_END)]
        extra = case.get("extra", [])
        if isinstance(extra, dict):
            extra = extra.get(command, [])
        if "--months" not in extra:        # a short trend is enough here, and quicker
            extra = [*extra, "--months", MONTHS[command]]
        args += extra
    if "config" in case:
        args += ["--config", str(root / case["config"])]
    return args


def run_cpxl(args: list[str], unreadable: Path | None = None,
             tmpdir: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TQDM_DISABLE": "1"}
    if tmpdir is not None:                 # a $TMPDIR of its own: checked empty afterwards
        tmpdir.mkdir(exist_ok=True)
        env["TMPDIR"] = str(tmpdir)
    if unreadable is not None:
        cmd = [sys.executable, "-c", UNREADABLE, str(unreadable), *args]
    else:
        cmd = [sys.executable, "-m", "cpxl", *args]
    return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=TIMEOUT, env=env)


def run_case(name: str, command: str, root: Path) -> subprocess.CompletedProcess:
    case = SPEC[name]
    unreadable = root / case["unreadable"] if "unreadable" in case else None
    return run_cpxl(argv(case, command, root), unreadable, tmpdir=root / "tmp")


# --- the runs, all started together once -------------------------------------------------------

# Every case runs `validate` through the command line.  Starting Python and importing pandas is
# 80% of a small run's cost, so `indicators` goes through the command line for these cases (each
# reader, the outputs' text, the arguments) and through ``cpxl.cli.main`` in this process for
# the others: the same code after the interpreter has started, a fraction of the time.
INDICATORS_COMMAND_LINE = {
    "semicolon_csv_decimal_comma", "windows_1252", "utf16_tab_separated",
    "workbook_merged_header_cells", "workbook_list_objects", "formula_strings_everywhere",
    "district_names_nasty", "unknown_codes", "episodes_misspelt_column", "unreadable_file",
    "output_path_is_a_folder", "output_wrong_extension", "period_end_not_a_date", "months_zero",
    "config_not_found", "fifo_as_the_data", "workbook_password_protected",
    "district_name_80_cjk_characters", "csv_stray_opening_quote", "config_nested_deeply",
    "workbook_stray_cell_xfd1048576", "output_is_an_input"}


def in_process(name: str, command: str) -> bool:
    return command == "indicators" and name not in INDICATORS_COMMAND_LINE


FAST = [n for n in SPEC if not SPEC[n].get("slow")]
ALL_RUNS = [(n, c) for n in FAST for c in commands(SPEC[n])]
RUNS = [(n, c) for n, c in ALL_RUNS if not in_process(n, c)]


@pytest.fixture(scope="module")
def corpus(request, tmp_path_factory):
    """Every selected case built and run: {(name, command): (root, result)}; the base's table."""
    top = tmp_path_factory.mktemp("corpus")
    selected = {(item.callspec.params["name"], item.callspec.params["command"])
                for item in request.session.items
                if item.originalname == "test_case" and hasattr(item, "callspec")}
    roots = {}
    for name, command in [r for r in RUNS if r in selected]:
        # each command gets its own copy, so no run sees another's output
        roots[name, command] = make_corpus.materialise(name, top / f"{name}-{command}")
    base = top / "base"
    shutil.copytree(make_corpus.BASE, base / "data")
    jobs = list(roots.items())
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
        futures = {key: pool.submit(run_case, key[0], key[1], root) for key, root in jobs}
        base_run = pool.submit(run_cpxl, ["indicators", str(base / "data"), "--period-end",
                                          make_corpus.PERIOD_END, "--months", MONTHS["indicators"],
                                          "--out", str(base / "out/indicators.csv")])
        results = {key: (roots[key], f.result()) for key, f in futures.items()}
    assert base_run.result().returncode == 0, base_run.result().stderr
    return results, (base / "out/indicators.csv").read_bytes()


# --- checks -------------------------------------------------------------------------------------

def read_report(path: Path) -> pd.DataFrame:
    text = path.read_bytes().decode("utf-8-sig")
    first, rest = text.split("\r\n", 1)
    assert first == PERSONAL_DATA_NOTICE, "the report's first line must say it holds personal data"
    report = pd.read_csv(io.StringIO(rest), dtype=str, keep_default_na=False)
    assert list(report.columns) == REPORT_COLUMNS
    return report


def matches(report: pd.DataFrame, entry: dict) -> pd.DataFrame:
    rows = report
    for key, want in entry.items():
        col = rows[key]
        if key == "used":
            rows = rows[col.str.startswith(want)]
        elif key == "problem":
            rows = rows[col.str.contains(want, regex=False)]
        else:
            rows = rows[col == str(want)]
    return rows


def files_left(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file()] if out.exists() else []


def _base_personal() -> set[str]:
    """The base's CHILD ids, UPNs and dates of birth (as written and as yyyy-mm-dd)."""
    head, rows = make_corpus.read(make_corpus.BASE / "header.csv")
    values = set()
    for r in rows:
        row = dict(zip(head, r))
        d, m, y = row["DOB"].split("/")
        values |= {row["CHILD"], row["UPN"], row["DOB"], f"{y}-{m}-{d}"}
    return values - {""}


BASE_PERSONAL = _base_personal()


def check_no_traceback(result):
    """No traceback, no "unexpected error", and nothing personal printed: problems in rows are
    in the report (which says it holds personal data), never on the screen or in a log."""
    assert "Traceback" not in result.stderr, result.stderr
    assert "unexpected error" not in result.stderr, result.stderr
    printed = result.stdout + result.stderr
    assert not [v for v in BASE_PERSONAL if v in printed], printed


def check_error(case, command, root, result):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("cpxl: "), result.stderr
    for word in case["message"]:
        assert word in last, f"{word!r} not in {last!r}"
    left = files_left(root / "out")
    assert not left, f"files left after a failed run: {left}"


def check_output(case, command, root, result, base_table: bytes):
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    out = out_path(case, command, root)
    assert not [p for p in (root / "out").rglob("*") if ".part" in p.name]
    if command == "validate":
        report = read_report(out)
        for entry in case.get("report", []):
            assert len(matches(report, entry)), f"no report row {entry}:\n{report.to_string()}"
        for text in case.get("stdout", []):
            assert text in result.stdout, (text, result.stdout)
    elif command == "indicators":
        table = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert list(table.columns) == OUTPUT_COLUMNS and len(table)
        if case.get("same_as_base"):
            assert out.read_bytes() == base_table, "the indicator table differs from the base's"
        text = out.read_text(encoding="utf-8-sig")
        for want in case.get("contains", []):
            assert want in text, want
        for unwanted in case.get("absent", []):
            assert unwanted not in text, unwanted
    else:
        books = sorted(out.glob("*.xlsx"))
        assert books
        for book in books:
            with zipfile.ZipFile(book) as z:
                assert z.testzip() is None


def run_in_process(name, command, root, capsys) -> subprocess.CompletedProcess:
    from cpxl.cli import main

    capsys.readouterr()
    code = main(argv(SPEC[name], command, root))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(argv(SPEC[name], command, root), code, out, err)


def _params():
    for name, command in ALL_RUNS:
        marks = []
        reason = SPEC[name].get("xfail", {}).get(command)
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        yield pytest.param(name, command, marks=marks, id=f"{name}-{command}")


@pytest.mark.parametrize("name,command", list(_params()))
def test_case(request, name, command):
    case = SPEC[name]
    results, base_table = request.getfixturevalue("corpus")
    if in_process(name, command):
        root = make_corpus.materialise(name, request.getfixturevalue("tmp_path") / name)
        result = run_in_process(name, command, root, request.getfixturevalue("capsys"))
    else:
        root, result = results[name, command]
    check_no_traceback(result)
    if case["expect"] == "error":
        check_error(case, command, root, result)
    else:
        check_output(case, command, root, result, base_table)
    if (root / "tmp").exists():
        assert not list((root / "tmp").iterdir()), "temporary files left in $TMPDIR"
    for rel in case.get("unchanged", []):
        assert (root / rel).read_bytes() == (make_corpus.BASE / Path(rel).name).read_bytes(), \
            f"{rel} was changed by the run"


@pytest.mark.slow
def test_large_file_50mb(tmp_path):
    """A 50 MB visits.csv (made here, never committed) is read and validated in one go."""
    name = "large_file_50mb"
    root = make_corpus.materialise(name, tmp_path / name)
    assert (root / "data/visits.csv").stat().st_size >= make_corpus.BIG_BYTES
    for command in commands(SPEC[name]):
        result = run_case(name, command, root)
        check_no_traceback(result)
        check_output(SPEC[name], command, root, result, b"")


# --- the corpus itself --------------------------------------------------------------------------

def test_corpus_has_every_case_and_its_expected_outcome():
    assert len(SPEC) >= 45
    assert set(SPEC) == set(make_corpus.CASES), set(SPEC) ^ set(make_corpus.CASES)
    for name, case in SPEC.items():
        assert case["expect"] in ("error", "report", "ok"), name
        if case["expect"] == "error":
            assert case.get("message"), name
        if case["expect"] == "report":
            assert case.get("report"), name
        assert case.get("what"), name


def test_committed_cases_are_what_make_corpus_makes(tmp_path):
    """tests/bad_inputs/cases/*.diff (what each case changes, for reading) are up to date."""
    for name in make_corpus.CASES:
        if SPEC[name].get("slow"):
            continue
        committed = (make_corpus.COMMITTED / f"{name}.diff").read_bytes().decode("utf-8")
        assert committed == make_corpus.overlay(name, tmp_path), \
            f"{name}: run python tests/bad_inputs/make_corpus.py"


def test_base_is_small_and_valid():
    import cpxl

    assert sum(p.stat().st_size for p in make_corpus.BASE.iterdir()) < 100_000
    data = cpxl.load(make_corpus.BASE)
    assert data.problems == [] and data.rows("header") == len(make_corpus.BASE_CHILDREN)


# --- the other commands' arguments --------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (["update-workbook", "{book}", "--sheet", "S", "--data", "{base}", "--period-end", "2025-13-01"],
     ["--period-end", "'2025-13-01' is not a date"]),
    (["update-workbook", "{book}", "--sheet", "S", "--data", "{base}", "--period-end", "2025-12-31",
      "--months", "0"], ["--months", "got 0"]),
    (["sample", "{book}", "--children", "5"], ["is a file; name a folder"]),
    (["sample", "{tmp}/s", "--children", "0"], ["--children must be 1 or more"]),
    (["list", "--csv", "{tmp}/catalogue.txt"], ["write .csv or .xlsx"]),
    (["scorecards", "{base}", "--period-end", "2025-12-31", "--out", "{book}"], ["is a file"]),
], ids=["update_bad_period_end", "update_months_0", "sample_into_a_file", "sample_0_children",
        "list_csv_txt", "scorecards_out_is_a_file"])
def test_other_commands_bad_arguments(tmp_path, capsys, args, words):
    from cpxl.cli import main

    book = tmp_path / "book.xlsx"
    book.write_bytes(b"not really")
    args = [a.format(book=book, base=make_corpus.BASE, tmp=tmp_path) for a in args]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("cpxl: ") and all(w in last for w in words), last
