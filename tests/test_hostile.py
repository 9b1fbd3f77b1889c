"""Hostile input, full disks and killed runs (GitHub issue 15): the cases that need conditions the
corpus (tests/bad_inputs, run by tests/test_bad_inputs.py) cannot set up in a data folder.

- a full file system (a tiny tmpfs when the tests run as root, else ENOSPC raised by a
  monkeypatched write in-process);
- a read-only output folder and unreadable files and folders, as a user without access (root
  ignores permissions, so as root the command runs as ``nobody`` through ``setpriv``);
- consoles that are not UTF-8 (``PYTHONIOENCODING=cp1252`` and ``ascii``);
- SIGTERM and SIGKILL to ``scorecards --jobs 2`` and ``validate --out x.xlsx`` (each run slowed
  by a ``sitecustomize`` so that it is stopped while writing);
- ``update-workbook``: sheet names Excel refuses, planted links at the backup name, a linked
  workbook, the workbook as its own data, a zip bomb, an encrypted workbook;
- scorecard headers and footers whose names are too long for Excel's 255 characters;
- the worksheet-function path (``CPXL_VALUE`` through xlwings' UDF machinery) on the corpus;
- the input guard and the safe names directly.
"""
from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "bad_inputs"))
import make_corpus  # noqa: E402
from make_corpus import read, replace_everywhere, write  # noqa: E402

from cpxl import guard  # noqa: E402
from cpxl.cli import main  # noqa: E402
from cpxl.errors import CpxlError  # noqa: E402

PERIOD_END = make_corpus.PERIOD_END
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(args, *, env=None, user=None, timeout=240, cwd=None) -> subprocess.CompletedProcess:
    """``python -m cpxl ARGS`` in a new process (``user``: the setpriv command to run it under)."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TQDM_DISABLE": "1",
                "PYTHONPATH": str(ROOT), **(env or {})}
    cmd = [sys.executable, "-m", "cpxl", *map(str, args)]
    if user:
        cmd = [*user, *cmd]
    return subprocess.run(cmd, capture_output=True, timeout=timeout, env=full_env, cwd=cwd or ROOT)


def text(b: bytes) -> str:
    return b.decode("utf-8", errors="replace")


def check_clean_error(result, *words, status=2):
    err = text(result.stderr)
    assert "Traceback" not in err and "unexpected error" not in err, err
    assert result.returncode == status, (result.returncode, text(result.stdout), err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("cpxl: "), err
    for w in words:
        assert w in last, (w, last)


def stray(folder: Path) -> list[Path]:
    """Part files and temporary files left in ``folder``."""
    return [p for p in Path(folder).rglob("*") if ".part" in p.name or p.name.startswith(("tmp", "."))]


def base_copy(dest: Path) -> Path:
    shutil.copytree(make_corpus.BASE, dest)
    return dest


# --- a full file system -------------------------------------------------------------------------

@pytest.fixture
def full_disk(tmp_path):
    """A folder on a file system with no space left: a 64 KB tmpfs filled up (root only)."""
    if not IS_ROOT or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root; test_full_disk_in_process covers ENOSPC")
    mnt = Path(tempfile.mkdtemp(prefix="cpxl-full-"))
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode:
        os.rmdir(mnt)
        pytest.skip(f"cannot mount a tmpfs here: {text(r.stderr).strip()}")
    try:
        (mnt / "out").mkdir()
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
        os.rmdir(mnt)


FULL_DISK_RUNS = {
    "validate_xlsx": ["validate", "{data}", "--out", "{out}/report.xlsx"],
    "validate_csv": ["validate", "{data}", "--out", "{out}/report.csv"],
    "indicators_xlsx": ["indicators", "{data}", "--period-end", PERIOD_END, "--months", "2",
                        "--out", "{out}/indicators.xlsx"],
    "indicators_csv": ["indicators", "{data}", "--period-end", PERIOD_END, "--months", "2",
                       "--out", "{out}/indicators.csv"],
    "scorecards": ["scorecards", "{data}", "--period-end", PERIOD_END, "--months", "2",
                   "--districts", "Cragsby", "--out", "{out}/books"],
}


@pytest.mark.parametrize("name", list(FULL_DISK_RUNS))
def test_full_disk(full_disk, tmp_path, name):
    data = base_copy(tmp_path / "data")
    out = full_disk / "out"
    args = [a.format(data=data, out=out) for a in FULL_DISK_RUNS[name]]
    result = run(args)
    check_clean_error(result, "No space left on device")
    assert not [p for p in out.rglob("*") if p.is_file()], list(out.rglob("*"))


@pytest.mark.parametrize("name", ["validate_xlsx", "indicators_csv", "scorecards"])
def test_full_disk_in_process(tmp_path, monkeypatch, capsys, name):
    """ENOSPC from every write to a part file, simulated (for machines where mount is not
    allowed; the same paths as test_full_disk)."""
    import builtins
    import errno

    real_open = builtins.open

    class Full:
        def __init__(self, f):
            self._f = f

        def write(self, _data):
            raise OSError(errno.ENOSPC, "No space left on device", self._f.name)

        def __getattr__(self, a):
            return getattr(self._f, a)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    def full_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        if ".part" in os.fspath(file) and ("w" in mode or "a" in mode):
            return Full(f)
        return f

    data = base_copy(tmp_path / "data")
    out = tmp_path / "out"
    monkeypatch.setattr(builtins, "open", full_open)
    args = [a.format(data=data, out=out) for a in FULL_DISK_RUNS[name]]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "No space left on device" in err and "Traceback" not in err
    assert not [p for p in out.rglob("*") if p.is_file()] if out.exists() else True


# --- permissions, as a user without access ------------------------------------------------------

@pytest.fixture
def shared_tmp():
    """A folder any user can enter (pytest's tmp_path is private to root)."""
    top = Path(tempfile.mkdtemp(prefix="cpxl-perm-"))
    top.chmod(0o755)
    yield top
    shutil.rmtree(top, ignore_errors=True)


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
# Root without the capabilities that let it ignore file permissions: for a checkout (and its
# .venv) in a folder only root may enter, where nobody cannot even start Python.
AS_ROOT_WITHOUT_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def _as_nobody() -> list[str] | None:
    """The setpriv command that runs cpxl as a user file permissions apply to (None: not root)."""
    if not IS_ROOT:
        return None
    if not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv is missing: cannot run as a user without access")
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import cpxl"
    for prefix in (AS_NOBODY, AS_ROOT_WITHOUT_OVERRIDE):
        probe = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True)
        if probe.returncode == 0:
            return prefix
    pytest.skip("neither user nobody nor root without its file-permission override can run cpxl "
                "from this checkout: " + text(probe.stderr)[-200:])


def _readable_tree(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


PERMISSION_CASES = {
    # name: (what to lock, command, words of the message)
    "read_only_output_folder": ("out", ["validate", "{data}", "--out", "{top}/out/report.xlsx"],
                                ["out", "cannot be written to"]),
    "read_only_scorecard_folder": ("out", ["scorecards", "{data}", "--period-end", PERIOD_END,
                                           "--months", "2", "--out", "{top}/out/books"],
                                   ["permission denied"]),
    "unreadable_config": ("data/cpxl.toml", ["validate", "{data}", "--out", "{top}/w/r.csv"],
                          ["cpxl.toml", "cannot be read (permission denied)"]),
    "unreadable_data_folder": ("data", ["validate", "{data}", "--out", "{top}/w/r.csv"],
                               ["data", "cannot be read (permission denied)"]),
    "unreadable_extract": ("data/episodes.csv", ["indicators", "{data}", "--period-end", PERIOD_END,
                                                 "--months", "2", "--out", "{top}/w/i.csv"],
                           ["episodes.csv", "cannot be read (permission denied)"]),
}


@pytest.mark.parametrize("name", list(PERMISSION_CASES))
def test_permission_denied(shared_tmp, name):
    user = _as_nobody()
    lock, args, words = PERMISSION_CASES[name]
    data = base_copy(shared_tmp / "data")
    (shared_tmp / "out").mkdir()
    (shared_tmp / "w").mkdir()
    _readable_tree(shared_tmp)
    (shared_tmp / "w").chmod(0o777)
    target = shared_tmp / lock
    target.chmod(0o555 if lock == "out" else 0o700 if target.is_dir() else 0o600)
    if user != AS_NOBODY:            # the owner itself runs cpxl: nothing may be left to it
        target.chmod(0o555 if lock == "out" else 0)
    result = run([a.format(data=data, top=shared_tmp) for a in args], user=user)
    check_clean_error(result, *words)
    assert not stray(shared_tmp / "out") and not stray(shared_tmp / "w")


# --- consoles that are not UTF-8 ----------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_console_that_is_not_utf8(tmp_path, encoding):
    """A district and a folder outside the code page: printed as '?', never a failure."""
    data = base_copy(tmp_path / "data")
    for col in ("DISTRICT", "GEOGRAPHY"):
        replace_everywhere(data, {"Cragsby": "東京 Łódź"}, col)
    out = tmp_path / "отчёт 東京"
    env = {"PYTHONIOENCODING": encoding}
    ok = run(["validate", data, "--out", out / "report.csv"], env=env)
    assert ok.returncode == 0, text(ok.stderr)
    assert b"Full report" in ok.stdout and b"?" in ok.stdout
    ok = run(["scorecards", data, "--period-end", PERIOD_END, "--months", "2", "--districts",
              "東京 Łódź", "--out", out / "books"], env=env)
    assert ok.returncode == 0, text(ok.stderr)
    toml = data / "cpxl.toml"
    toml.write_text(toml.read_text("utf-8").replace('"Stavenham"]', '"Stavenham", "東京 Łódź"]')
                    .replace('"Marrowdale"]', '"Marrowdale", "東京 Łódź"]'), encoding="utf-8")
    bad = run(["validate", data, "--out", out / "report2.csv"], env=env)
    err = bad.stderr.decode(encoding)
    assert bad.returncode == 2 and "UnicodeEncodeError" not in err and "Traceback" not in err, err
    assert err.startswith("cpxl: ") and "is listed under both" in err and "?" in err


# --- leaving the process -----------------------------------------------------------------------

def test_the_program_ends_without_the_interpreter_teardown(capsys):
    """Arrow's threads can abort the interpreter's teardown (SIGABRT after a finished run), so
    ``cpxl`` flushes the console and ends with ``os._exit``: an exit handler never runs, and
    nothing printed is lost."""
    code = ("import atexit, sys; from cpxl.cli import entry; "
            "atexit.register(lambda: print('TEARDOWN RAN')); sys.argv[1:] = ['list']; entry()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8",
                                 "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert result.returncode == 0, text(result.stderr)
    assert main(["list"]) == 0
    assert text(result.stdout) == capsys.readouterr().out
    assert "TEARDOWN RAN" not in text(result.stdout)


@pytest.mark.parametrize("args, status, words", [
    (["--help"], 0, "usage: cpxl"),
    (["no-such-command"], 2, "invalid choice"),
    (["indicators", "{data}", "--period-end", "yesterday", "--out", "{top}/i.csv"], 2,
     "--period-end"),
])
def test_the_program_exit_status(tmp_path, args, status, words):
    data = base_copy(tmp_path / "data")
    result = run([a.format(data=data, top=tmp_path) for a in args])
    assert result.returncode == status, text(result.stderr)
    assert words in text(result.stdout) + text(result.stderr)
    assert "Traceback" not in text(result.stderr)


# --- SIGTERM and SIGKILL ------------------------------------------------------------------------

SLOW = """
import time
import cpxl.output, cpxl.scorecard.book as book
_build, _fill = book.build, cpxl.output._fill_xlsx
def slow_build(wb, data):
    _build(wb, data)
    time.sleep({delay})
def slow_fill(*a, **k):
    _fill(*a, **k)
    time.sleep({delay})
book.build = slow_build
cpxl.output._fill_xlsx = slow_fill
"""


def slow_env(tmp_path: Path, delay: float = 1.5) -> dict:
    """A sitecustomize that makes each workbook take ``delay`` s while its part file exists."""
    site = tmp_path / "slow_site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SLOW.format(delay=delay))
    return {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}


def start(args, env, tmpdir: Path) -> subprocess.Popen:
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "TQDM_DISABLE": "1",
                "TMPDIR": str(tmpdir), **env}
    return subprocess.Popen([sys.executable, "-m", "cpxl", *map(str, args)], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


def wait_for(predicate, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def children_of(pid: int) -> set[int]:
    kids = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids |= {int(k) for k in (task / "children").read_text().split()}
        except OSError:
            pass
    return kids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def parts(folder: Path) -> list[Path]:
    return list(Path(folder).glob(".*.part"))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
def test_sigterm_stops_the_batch_and_its_workers(tmp_path):
    data = base_copy(tmp_path / "data")
    out = tmp_path / "books"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    p = start(["scorecards", data, "--period-end", PERIOD_END, "--months", "2", "--jobs", "2",
               "--out", out], slow_env(tmp_path), tmpdir)
    wait_for(lambda: len(parts(out)) >= 2)             # both workers are writing a book
    workers = children_of(p.pid)
    assert workers
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143, text(err)
    assert "stopped (terminated)" in text(err) and "Traceback" not in text(err), text(err)
    wait_for(lambda: not any(alive(w) for w in workers), timeout=10)
    books = sorted(out.glob("*.xlsx"))
    time.sleep(2)                                       # nothing more is written after the end
    assert sorted(out.glob("*.xlsx")) == books
    assert not parts(out) and not list(tmpdir.iterdir())
    for b in books:
        with zipfile.ZipFile(b) as z:
            assert z.testzip() is None


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
def test_sigkill_leaves_part_files_that_the_next_run_removes(tmp_path):
    data = base_copy(tmp_path / "data")
    out = tmp_path / "books"
    p = start(["scorecards", data, "--period-end", PERIOD_END, "--months", "2", "--jobs", "2",
               "--out", out], slow_env(tmp_path, delay=5), tmp_path)
    wait_for(lambda: len(parts(out)) >= 2)
    workers = children_of(p.pid)
    p.kill()
    p.communicate(timeout=30)
    # The workers follow their parent even when it was killed outright (SIGKILL runs nothing).
    wait_for(lambda: not any(alive(w) for w in workers), timeout=10)
    left = parts(out)
    time.sleep(2.5)                    # older than a starting run's part files can be
    result = run(["scorecards", data, "--period-end", PERIOD_END, "--months", "2",
                  "--districts", "Cragsby", "--out", out])
    assert result.returncode == 0, text(result.stderr)
    assert not parts(out), (left, parts(out))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
def test_sigterm_during_validate_leaves_no_part_or_temporary_file(tmp_path):
    """The report holds CHILD ids: no copy of it may be left anywhere, $TMPDIR included."""
    head, rows = read(make_corpus.BASE / "visits.csv")
    data = base_copy(tmp_path / "data")
    write(data / "visits.csv", head, rows + [[r[0], "31/02/2024"] for r in rows])   # problems
    out = tmp_path / "out"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    p = start(["validate", data, "--out", out / "report.xlsx"], slow_env(tmp_path, 5), tmpdir)
    wait_for(lambda: out.exists() and parts(out))       # writing: the report is being built
    assert not list(tmpdir.iterdir()), "XlsxWriter's temporary files in $TMPDIR"
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143 and "Traceback" not in text(err), text(err)
    assert not list(out.iterdir()) and not list(tmpdir.iterdir())


def test_stale_part_files_are_removed_but_not_a_live_one(tmp_path):
    from cpxl.output import atomic_path, remove_stale_parts

    stale = tmp_path / ".2025-12_Scorecard_Cragsby.abc123.xlsx.part"
    stale.write_bytes(b"half a book")
    old = time.time() - 60
    os.utime(stale, (old, old))
    other = tmp_path / "notes.part.txt"
    other.write_text("not ours")
    with atomic_path(tmp_path / "book.xlsx") as tmp:
        tmp.write_bytes(b"being written")
        os.utime(tmp, (old, old))
        removed = remove_stale_parts(tmp_path, ".*.xlsx.part")
        assert tmp.exists(), "a part file being written (locked) was removed"
    assert removed == [stale] and not stale.exists() and other.exists()


# --- update-workbook ----------------------------------------------------------------------------

def _book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active["A1"] = "Board figures"
    wb.save(path)
    return path


def _update(book, sheet="indicators", data=None):
    return ["update-workbook", book, "--sheet", sheet, "--data", data or make_corpus.BASE,
            "--period-end", PERIOD_END, "--months", "2"]


def cli(capsys, args):
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("sheet", ["'indicators", "indicators'", "ind\x01cators", "ind\tcators",
                                   " indicators", "a" * 32, "History", "ind:cators", ""])
def test_update_workbook_refuses_sheet_names_excel_cannot_open(tmp_path, capsys, sheet):
    book = _book(tmp_path / "Board.xlsx")
    before = book.read_bytes()
    code, _, err = cli(capsys, _update(book, sheet))
    assert code == 2 and "cannot be a sheet name" in err and "Traceback" not in err, err
    assert book.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["Board.xlsx"]


def test_update_workbook_backup_never_follows_a_planted_link(tmp_path, capsys):
    book = _book(tmp_path / "Board.xlsx")
    victim = tmp_path / "elsewhere" / "victim.xlsx"
    victim.parent.mkdir()
    now = dt.datetime.now()
    planted = []
    for minute in (now, now + dt.timedelta(minutes=1)):
        link = tmp_path / f"Board.{minute:%Y-%m-%dT%H%M}.bak.xlsx"
        link.symlink_to(victim)
        planted.append(link)
    code, out, err = cli(capsys, _update(book))
    assert code == 0, err
    assert not victim.exists(), "the backup was written through a planted link"
    backups = [p for p in tmp_path.glob("Board.*.bak.xlsx") if p not in planted]
    assert len(backups) == 1 and not backups[0].is_symlink()
    assert all(p.is_symlink() for p in planted)


def test_update_workbook_updates_a_linked_workbook_at_its_target(tmp_path, capsys):
    real = _book((tmp_path / "shared").mkdir() or tmp_path / "shared" / "Board.xlsx")
    link = tmp_path / "Board.xlsx"
    link.symlink_to(real)
    code, _, err = cli(capsys, _update(link))
    assert code == 0, err
    assert link.is_symlink() and Path(os.readlink(link)) == real
    assert "indicators" in openpyxl.load_workbook(real).sheetnames
    assert list((tmp_path / "shared").glob("Board.*.bak.xlsx"))


def test_update_workbook_refuses_the_workbook_as_its_own_data(tmp_path, capsys):
    data = make_corpus.materialise("workbook_merged_header_cells", tmp_path / "c") / "data"
    book = data / "extract.xlsx"
    before = book.read_bytes()
    code, _, err = cli(capsys, _update(book, "episodes", data=book))
    assert code == 2 and "is both the workbook to update and --data" in err, err
    code, _, err = cli(capsys, _update(book, "episodes", data=data))
    assert code == 2 and "is one of the input files" in err, err
    assert book.read_bytes() == before and not list(data.glob("*.bak.xlsx"))


def test_update_workbook_refuses_a_zip_bomb_quickly(tmp_path, capsys):
    book = make_corpus.zip_bomb(tmp_path / "Board.xlsx")
    started = time.perf_counter()
    code, _, err = cli(capsys, _update(book))
    assert time.perf_counter() - started < 20
    assert code == 2 and "inflates" in err and "times" in err, err


@pytest.mark.parametrize("kind", ["encrypted", "ods", "xlsb"])
def test_update_workbook_names_the_format(tmp_path, capsys, kind):
    book = tmp_path / "Board.xlsx"
    if kind == "encrypted":
        make_corpus.encrypted_workbook(book)
        words = "protected with a password"
    else:
        with zipfile.ZipFile(book, "w") as z:
            if kind == "ods":
                z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            else:
                z.writestr("xl/workbook.bin", bytes(8))
        words = "OpenDocument" if kind == "ods" else "Excel Binary Workbook"
    code, _, err = cli(capsys, _update(book))
    assert code == 2 and words in err and "not a zip" not in err, err


# --- headers and footers: the marking survives any name -----------------------------------------

def _headers(book: Path) -> list[tuple[str, str, str]]:
    """(sheet part, header, footer) of every worksheet, as Excel reads them."""
    found = []
    with zipfile.ZipFile(book) as z:
        for n in z.namelist():
            if re.match(r"xl/worksheets/sheet\d+\.xml$", n):
                xml = z.read(n).decode("utf-8")
                h = re.search(r"<oddHeader>(.*?)</oddHeader>", xml, re.S)
                f = re.search(r"<oddFooter>(.*?)</oddFooter>", xml, re.S)
                found.append((n, html.unescape(h.group(1)) if h else "",
                              html.unescape(f.group(1)) if f else ""))
    return found


def _markings(book: Path) -> list[tuple[str, str, str]]:
    """(sheet, header's left part, footer's left part) of every worksheet (openpyxl's reading)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(book)
    return [(ws.title, ws.oddHeader.left.text or "", ws.oddFooter.left.text or "")
            for ws in wb.worksheets]


def test_markings_survive_a_300_character_district_name(tmp_path):
    root = make_corpus.materialise("district_name_300_characters", tmp_path / "c")
    out = root / "out" / "books"
    result = run(["scorecards", root / "data", "--period-end", PERIOD_END, "--months", "2",
                  "--with-child-lists", "--out", out])
    assert result.returncode == 0, text(result.stderr)
    books = sorted(out.glob("*.xlsx"))
    long_book = [b for b in books if "Saltreach" in b.name]
    assert long_book and len(os.fsencode(long_book[0].name)) <= 255
    child_sheets = 0
    for book in books:
        sheets = _headers(book)
        assert sheets and all(h and f for _, h, f in sheets), book.name
        for part, header, footer in sheets:
            for where in (header, footer):
                assert "OFFICIAL-SENSITIVE" in where, (book.name, part, where)
                assert len(where.encode("utf-16-le")) // 2 <= 255
        for title, left_header, left_footer in _markings(book):
            if title.startswith("Children"):
                child_sheets += 1
                assert "PERSONAL DATA" in left_header and "PERSONAL DATA" in left_footer, title
            else:
                assert "OFFICIAL-SENSITIVE" in left_header, title
    assert child_sheets, "no child-list sheet to check"
    header = _headers(long_book[0])[0][1]
    assert "Saltreach && District" in header and "..." in header


def test_fit_header_footer_shortens_only_the_name():
    from cpxl.scorecard.naming import fit_header_footer

    before, after = "&L&\"Arial,Bold\"&8OFFICIAL-SENSITIVE - PERSONAL DATA&C", " - December 2025&RPage &P"
    assert fit_header_footer(before, "Cragsby", after) == before + "Cragsby" + after
    for name in ("&" * 300, "A&" * 200, "東" * 300, "😀" * 200, "x" * 10_000):
        got = fit_header_footer(before, name, after)
        assert got.startswith(before) and got.endswith(after)
        assert len(got.encode("utf-16-le")) // 2 <= 255
        middle = got[len(before):-len(after)]
        assert middle.endswith("...")
        cut = middle[:-3]
        assert (len(cut) - len(cut.rstrip("&"))) % 2 == 0, "half of an escaped '&&'"


# --- the worksheet-function path ----------------------------------------------------------------

UDF_CASES = ["fifo_as_the_data", "workbook_password_protected", "workbook_inflates_to_gigabytes",
             "districts_columns_swapped", "csv_stray_opening_quote", "config_nested_deeply",
             "config_threshold_infinite", "config_district_in_two_areas", "xlsb_named_xlsx",
             "csv_quote_never_closed"]


@pytest.fixture(scope="module")
def udf_runtime():
    pytest.importorskip("xlwings")
    from winharness import windows_udf_runtime

    with windows_udf_runtime() as rt:
        yield rt


@pytest.mark.parametrize("name", UDF_CASES + ["workbook_stray_cell_xfd1048576"])
def test_worksheet_function_on_hostile_data(udf_runtime, tmp_path, monkeypatch, name):
    import tomllib

    from cpxl.xl import service
    from cpxl.xl.cache import CACHE
    from winharness import FakeWorkbook

    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    monkeypatch.setattr(CACHE, "check_interval", 0.0)
    service.clear_cache()
    spec = {c["name"]: c for c in tomllib.loads((HERE / "bad_inputs/cases.toml").read_text("utf-8"))["case"]}
    case = spec[name]
    root = make_corpus.materialise(name, tmp_path / name)
    source = root / case.get("data", "data")
    book = FakeWorkbook(tmp_path / "Board.xlsx", {"Sheet1": {}})
    serial = float((dt.date(2025, 12, 31) - dt.date(1899, 12, 30)).days)
    got = udf_runtime.call("CPXL_VALUE", "cla_count", serial, None, str(source),
                           caller=udf_runtime.caller(book))[0][0]
    service.clear_cache()
    if case["expect"] == "error":
        assert isinstance(got, str) and got.startswith("cpxl: ") and "unexpected" not in got, got
        assert "\n" not in got and "Traceback" not in got
        words = [w for w in case["message"] if "row" not in w or name != "csv_stray_opening_quote"]
        for w in words:
            assert w in got, (w, got)
    else:
        assert got == 12, got


# --- the input guard and safe names, directly -----------------------------------------------------

def test_guard_refuses_devices_and_fifos(tmp_path):
    with pytest.raises(CpxlError, match="is a device"):
        guard.check_file("/dev/null")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(CpxlError, match=r"named pipe \(FIFO\)"):
        guard.check_file(fifo)
    assert time.perf_counter() - started < 1


def test_data_path_that_is_a_device(capsys):
    code, _, err = cli(capsys, ["validate", "/dev/zero", "--out", "/dev/null/x.csv"])
    assert code == 2 and "Traceback" not in err, err


def test_guard_refuses_a_zip_that_declares_gigabytes(tmp_path):
    """The sizes in the central directory are what zipfile will inflate to: checked first."""
    book = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>" * 10)
    data = bytearray(book.read_bytes())
    cd = data.rfind(b"PK\x01\x02")          # the last central directory entry: sheet1.xml
    data[cd + 24:cd + 28] = (3 * 1024 ** 3).to_bytes(4, "little")
    book.write_bytes(bytes(data))
    with pytest.raises(CpxlError, match="inflates"):
        guard.check_zip(book)


def test_guard_refuses_xml_with_a_dtd(tmp_path):
    bomb = tmp_path / "return.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Message>&a;</Message>')
    with pytest.raises(CpxlError, match="DTD"):
        guard.check_xml(bomb)
    ok = tmp_path / "ok.xml"
    ok.write_text('<?xml version="1.0"?><Message><Header/></Message>')
    guard.check_xml(ok)


def test_guard_limits_table_size_from_the_data():
    guard.check_cells(1_048_576, 20, "big.xlsx [sheet episodes]")
    with pytest.raises(CpxlError, match="rows x"):
        guard.check_cells(1_048_576, 16_384, "big.xlsx [sheet episodes]")


def test_far_out_cell_is_quick(tmp_path):
    """A formatted cell at XFD1048576 used to cost 75 s and 2.8 GB (the declared range)."""
    import cpxl

    root = make_corpus.materialise("workbook_stray_cell_xfd1048576", tmp_path / "c")
    started = time.perf_counter()
    data = cpxl.load(root / "data/extract.xlsx")
    assert time.perf_counter() - started < 10
    assert data.rows("episodes") == 72 and not data.problems


def test_file_names_are_safe_in_bytes_and_unique():
    from cpxl.scorecard.naming import book_file_name, safe_file_part

    period = dt.date(2025, 12, 31)
    taken: set[str] = set()
    names = [book_file_name(period, "district", "北" * 80, taken, "_CHILD_LISTS"),
             book_file_name(period, "district", "北" * 81, taken, "_CHILD_LISTS"),
             book_file_name(period, "area", "😀" * 100, taken, "_CHILD_LISTS")]
    assert all(len(n.encode("utf-8")) <= 200 for n in names), [len(n.encode()) for n in names]
    assert len({n.casefold() for n in names}) == 3 and names[1].endswith("_2.xlsx")
    for bad in ("AUX", "nul", "COM1.txt", "Upper Wendle.", "x ", "a\u202ecod.exe", "a\tb\nc", "..."):
        part = safe_file_part(bad)
        assert part and not part.endswith((".", " ")) and "\u202e" not in part
        assert not re.search(r"[\x00-\x1f]", part)
        if bad.upper() in ("AUX", "NUL"):
            assert part.upper() == bad.upper() + "_"


def test_output_name_too_long_in_process(tmp_path, capsys):
    code, _, err = cli(capsys, ["validate", make_corpus.BASE, "--out", tmp_path / ("é" * 200 + ".csv")])
    assert code == 2 and "name is too long" in err, err
    assert not list(tmp_path.iterdir())


def test_sheet_names_fit_excel_in_utf16_units():
    from cpxl.scorecard.naming import safe_sheet_name

    taken: set[str] = set()
    names = [safe_sheet_name("😀" * 40, taken), safe_sheet_name("😀" * 41, taken),
             safe_sheet_name("a\u202eb\tc", taken)]
    assert all(len(n.encode("utf-16-le")) // 2 <= 31 for n in names), names
    assert names[1].endswith("_2") and "\u202e" not in names[2] and "\t" not in names[2]


def test_encrypted_workbook_found_without_olefile(tmp_path, monkeypatch):
    """olefile is a test dependency only: without it the stream's name is found in the file."""
    import builtins

    real_import = builtins.__import__

    def no_olefile(name, *args, **kwargs):
        if name == "olefile":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    book = make_corpus.encrypted_workbook(tmp_path / "Board.xlsx")
    monkeypatch.setattr(builtins, "__import__", no_olefile)
    assert guard.workbook_format(book) == "encrypted"
    xls = tmp_path / "old.xls"
    xls.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    assert guard.workbook_format(xls) == "xls"


def test_update_workbook_removes_its_own_stale_part_files(tmp_path, capsys):
    book = _book(tmp_path / "Board.xlsx")
    stale = tmp_path / ".Board.k3j4h5.xlsx.part"
    stale.write_bytes(b"half a workbook from a killed run")
    old = time.time() - 60
    os.utime(stale, (old, old))
    someone_elses = tmp_path / ".Other.k3j4h5.xlsx.part"
    someone_elses.write_bytes(b"")
    os.utime(someone_elses, (old, old))
    code, _, err = cli(capsys, _update(book))
    assert code == 0, err
    assert not stale.exists() and someone_elses.exists()


@pytest.mark.slow
def test_a_sheet_formatted_to_row_1048576_is_read_by_its_data(tmp_path):
    """Every row of the episodes sheet down to 1,048,576 holds a formatted, empty cell (a
    column formatted to the bottom): 92 s and 1.5 GB before; now the rows are streamed and
    only the 72 with values are kept."""
    root = make_corpus.materialise("workbook_merged_header_cells", tmp_path / "c")
    book = root / "data/extract.xlsx"
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    sheet = f"xl/worksheets/sheet{names.index('episodes') + 1}.xml"
    rows = "".join(f'<row r="{n}"><c r="A{n}" s="1"/></row>' for n in range(200, 1_048_577))
    parts[sheet] = parts[sheet].replace(b"</sheetData>", rows.encode() + b"</sheetData>")
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)
    probe = ("import resource, sys, time, cpxl; t = time.perf_counter(); "
             "d = cpxl.load(sys.argv[1]); "
             "print(d.rows('episodes'), round(time.perf_counter() - t, 1), "
             "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    r = subprocess.run([sys.executable, "-c", probe, str(book)], capture_output=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, text(r.stderr)
    episodes, seconds, mb = text(r.stdout).split()
    assert episodes == "72"
    assert float(seconds) < 90 and int(mb) < 800, (seconds, mb)
