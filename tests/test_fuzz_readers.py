"""Fuzzing the readers (GitHub issue 6, part 4): an analyst never sees a traceback.

Whatever bytes are in the data folder or the workbook, ``cpxl.load`` either returns a dataset or
raises :class:`cpxl.errors.CpxlError` (a message that says where and what), and ``cpxl.compute``
on a dataset that loaded either returns the table or raises ``CpxlError``.  Anything else is a
crash and fails the test.

Inputs, built by hypothesis from a small valid dataset (every SSDA903 and local table):

- arbitrary byte strings in place of one CSV file (and in place of the workbook);
- mutated CSVs: flipped, deleted and inserted bytes, truncations, inserted delimiters, quotes,
  NULs, BOMs, line ends and other separators, huge fields (in a data row and in the header
  region), duplicated lines, header cells renamed or blanked, other delimiters, and the text
  re-encoded (UTF-16 with and without BOM, UTF-32, cp1252, latin-1, UTF-8 with BOM);
- mutated .xlsx files: bytes of the zip flipped or cut, and members of the zip (sheets, shared
  strings, styles, the workbook, content types, tables) mutated, emptied or left out before the
  zip is written again;
- mutated cpxl.toml files beside the data.

The budget is fixed (``max_examples`` below, about 30 s in all) and the examples are the same on
every run (``derandomize``); CPXL_FUZZ_SCALE=10 runs ten times as many, and CPXL_FUZZ_RANDOM=1
draws new ones, for a longer hunt.
"""
from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

import cpxl
from cpxl.errors import CpxlError
from builders import chain, ep, kid, write_dataset

SCALE = float(os.environ.get("CPXL_FUZZ_SCALE", "1"))
PROFILE = dict(deadline=None, derandomize=not os.environ.get("CPXL_FUZZ_RANDOM"), database=None,
               print_blob=True, suppress_health_check=list(HealthCheck))
PERIOD_END = "2021-03-31"


def _tables() -> dict:
    return dict(
        header=[kid("C1", "01/01/2010"), kid("007", "2012-02-29", sex="F", ethnic="MWBC"),
                kid("C3", "15/06/2004", sex="2")],
        episodes=chain("C1", ("01/01/2019", "S", "U4"), ("01/06/2019", "P", "T1"),
                       ("01/07/2019", "P", "R1"), home_post="PX1 1AB")
        + [ep("007", "2020-03-01", dec="2020-11-30", rec="E11", place="A4", home_post="PX2 2AB"),
           ep("C3", "01/02/2020", ls="V3", place="U1"), ep("C3", "01/05/2020", place="K1")],
        reviews=[("C1", "", "20/01/2019"), ("C1", "", "15/05/2019")],
        uasc=[("C3", "2", "15/06/2004", "")],
        oc2=[("C1", "01/01/2010", "12", "", "", "1", "1", "0")],
        oc3=[("C3", "15/06/2004", "YES", "F1", "B1")],
        missing=[{"CHILD": "C1", "MISSING": "M", "MIS_START": "01/03/2020", "MIS_END": "02/03/2020",
                  "RHI_DATE": "04/03/2020"}],
        sw_episodes=[("C1", "", "SW1", "01/01/2019", ""), ("C3", "", "SW2", "01/05/2020", "")],
        districts=[("C1", "Ashby")],
        postcode_districts=[("PX1", "Ashby"), ("PX2", "Brent")],
        areas=[("Ashby", "North"), ("Brent", "North")],
        population=[("Ashby", "2020", "5000"), ("Brent", "2020", "7000"), ("North", "2021", "12500")],
        visits=[("C1", "01/03/2021"), ("007", "01/06/2020")],
        health_assessments=[("C1", "01/02/2019", "IHA"), ("C1", "01/02/2021", "RHA")],
        dental_checks=[("C1", "01/10/2020")],
        peps=[("C1", "01/01/2021")],
        referrals=[("C9", "01/05/2020"), ("C9", "01/09/2020")],
        assessments=[("C9", "02/05/2020", "01/07/2020")],
        cp_plans=[("C9", "01/08/2020", "", "NEG")],
        workers=[("W1", "Team A", "Ashby", "1"), ("W2", "Team B", "Brent", "0.5")],
        allocations=[("C1", "W1", "01/01/2019", ""), ("C9", "W2", "01/05/2020", "")],
    )


@lru_cache(maxsize=None)
def seed_files() -> dict[str, bytes]:
    """The valid dataset's files: name -> bytes (CSV files, cpxl.toml, data.xlsx)."""
    with folder() as tmp:
        write_dataset(tmp / "csv", extra_columns={"missing": ["RHI_DATE"]}, **_tables())
        files = {p.name: p.read_bytes() for p in (tmp / "csv").iterdir()}
        write_dataset(tmp / "xlsx", fmt="xlsx", authority=None, **_tables())
        files["data.xlsx"] = (tmp / "xlsx" / "data.xlsx").read_bytes()
    return files


@contextmanager
def folder():
    path = Path(tempfile.mkdtemp(prefix="cpxl_fuzz_"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def load_and_compute(path: Path) -> None:
    """What an analyst runs: either a result or a CpxlError; anything else propagates (fails)."""
    try:
        data = cpxl.load(path)
    except CpxlError:
        return
    try:
        cpxl.compute(data, PERIOD_END, months=2)
    except CpxlError:
        return


# Every CSV is loaded and every indicator computed on each example (about 0.5 s with all the
# files); most examples carry only the required tables and the ones mutated (0.1-0.2 s), a few
# the whole dataset (cross-table rules, every indicator).
REQUIRED = ("header.csv", "episodes.csv", "cpxl.toml")


def base_files(everything: bool) -> dict[str, bytes]:
    return {k: v for k, v in seed_files().items()
            if k != "data.xlsx" and (everything or k in REQUIRED)}


def run_folder(files: dict[str, bytes]) -> None:
    with folder() as tmp:
        for name, content in files.items():
            (tmp / name).write_bytes(content)
        load_and_compute(tmp)


# --- mutations -----------------------------------------------------------------------------------

TOKENS = [b",", b";", b"\t", b"|", b'"', b'""', b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\r", b"\n",
          b"\r\n", b"\x0b", b"\x1c", b"\xe2\x80\xa8", b"\xc2\x85", b"\xa0", b"\x80", b"\xff",
          b"=cmd|' /C calc'!A0", b"01/01/1019", b"31/02/2020", b"2020-13-45", b"NaN", b"nan",
          b"-1", b"1e309", b"99999999999999999999", b"CHILD", b"DECOM", b"DEC,REC", b"V3",
          "Ünïcödé".encode("utf-8"), "Ünïcödé".encode("cp1252"), b"\xed\xa0\x80"]
HUGE = [b"A" * 200_000, b'"' + b"x" * 150_000 + b'"', b"," * 5_000, b"\n" * 3_000,
        b"9" * 400]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "utf-8-sig",
             "cp437"]


@st.composite
def mutations(draw, max_ops: int = 4):
    ops = []
    for _ in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "insert", "truncate", "huge",
                                     "dup_line", "header", "delimiter", "encode", "random"]))
        at = draw(st.floats(0, 1))
        if kind == "flip":
            ops.append((kind, at, draw(st.integers(0, 255))))
        elif kind == "delete":
            ops.append((kind, at, draw(st.integers(1, 40))))
        elif kind == "insert":
            ops.append((kind, at, draw(st.sampled_from(TOKENS))))
        elif kind == "huge":
            ops.append((kind, at, draw(st.sampled_from(HUGE))))
        elif kind == "header":
            ops.append((kind, draw(st.integers(0, 30)), draw(st.sampled_from(
                [b"", b"CHILD", b"DOB", b"DECOM ", b"\xef\xbb\xbfchild", b"X", b"DEC", b"REC"]))))
        elif kind == "delimiter":
            ops.append((kind, draw(st.sampled_from([b";", b"\t", b"|", b" "]))))
        elif kind == "encode":
            ops.append((kind, draw(st.sampled_from(ENCODINGS))))
        elif kind == "random":
            ops.append((kind, at, draw(st.binary(min_size=1, max_size=64))))
        else:
            ops.append((kind, at))
    return ops


def mutate(data: bytes, ops) -> bytes:
    for op in ops:
        kind = op[0]
        pos = int(op[1] * len(data)) if isinstance(op[1], float) else 0
        if kind == "flip" and data:
            pos = min(pos, len(data) - 1)
            data = data[:pos] + bytes([op[2]]) + data[pos + 1:]
        elif kind == "delete":
            data = data[:pos] + data[pos + op[2]:]
        elif kind in ("insert", "huge", "random"):
            data = data[:pos] + op[2] + data[pos:]
        elif kind == "truncate":
            data = data[:pos]
        elif kind == "dup_line":
            lines = data.split(b"\n")
            i = min(int(op[1] * len(lines)), len(lines) - 1)
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif kind == "header":
            head, _, rest = data.partition(b"\r\n")
            cells = head.split(b",")
            cells[op[1] % len(cells)] = op[2]
            data = b",".join(cells) + b"\r\n" + rest
        elif kind == "delimiter":
            data = data.replace(b",", op[1])
        elif kind == "encode":
            data = data.decode("utf-8", errors="replace").encode(op[1], errors="replace")
    return data


CSV_NAMES = sorted(n for n in seed_files() if n.endswith(".csv"))


# --- the tests -----------------------------------------------------------------------------------

@settings(max_examples=int(50 * SCALE), **PROFILE)
@given(st.sampled_from(CSV_NAMES), st.binary(max_size=2_000), st.integers(0, 4))
def test_any_bytes_in_a_csv_file(name, content, everything):
    """A file of arbitrary bytes in place of one table."""
    files = base_files(everything == 4)
    files[name] = content
    run_folder(files)


@settings(max_examples=int(150 * SCALE), **PROFILE)
@given(st.lists(st.tuples(st.sampled_from(CSV_NAMES), mutations()), min_size=1, max_size=3),
       st.integers(0, 4))
def test_mutated_csv_files(changes, everything):
    """One to three of the dataset's CSV files mutated."""
    files = base_files(everything == 4)
    for name, ops in changes:
        files[name] = mutate(files.get(name, seed_files()[name]), ops)
    run_folder(files)


def _xlsx_members() -> list[str]:
    with zipfile.ZipFile(io.BytesIO(seed_files()["data.xlsx"])) as z:
        return sorted(z.namelist())


@settings(max_examples=int(60 * SCALE), **PROFILE)
@given(st.lists(st.tuples(st.sampled_from(_xlsx_members()),
                          st.one_of(mutations(max_ops=3), st.just("drop"), st.just("empty"))),
                min_size=1, max_size=3),
       st.booleans())
def test_mutated_workbook(changes, as_folder):
    """Members of the .xlsx zip mutated, emptied or left out; given as the file or in a folder."""
    with zipfile.ZipFile(io.BytesIO(seed_files()["data.xlsx"])) as z:
        members = {n: z.read(n) for n in z.namelist()}
    for name, ops in changes:
        if name not in members:
            continue
        if ops == "drop":
            del members[name]
        elif ops == "empty":
            members[name] = b""
        else:
            members[name] = mutate(members[name], ops)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    _run_workbook(buf.getvalue(), as_folder)


@settings(max_examples=int(40 * SCALE), **PROFILE)
@given(st.one_of(st.binary(max_size=3_000),
                 mutations(max_ops=3).map(lambda ops: mutate(seed_files()["data.xlsx"], ops))),
       st.booleans())
def test_damaged_workbook_bytes(content, as_folder):
    """Arbitrary bytes, or the workbook's bytes flipped, cut or padded, as a .xlsx file."""
    _run_workbook(content, as_folder)


def _run_workbook(content: bytes, as_folder: bool) -> None:
    with folder() as tmp:
        path = tmp / "data.xlsx"
        path.write_bytes(content)
        if as_folder:
            for name in ("header.csv", "episodes.csv"):
                (tmp / name).write_bytes(seed_files()[name])
        load_and_compute(tmp if as_folder else path)


@settings(max_examples=int(40 * SCALE), **PROFILE)
@given(st.one_of(
    mutations(max_ops=3).map(lambda ops: mutate(
        b'[authority]\nname = "Testshire"\nla_code = 888\n\n[areas]\nNorth = ["Ashby", "Brent"]\n\n'
        b'[indicators]\nvisit_interval_days = 42\n\n[thresholds.cla_rate_10k]\ngreen = 60\n', ops)),
    st.sampled_from([b"indicators = 5\n", b"areas = 5\n", b'[areas]\nNorth = "Ashby"\n',
                     b"[districts]\nnames = 5\n", b"districts = 5\n", b"thresholds = []\n",
                     b'authority = ["x"]\n', b"[authority]\nla_code = [1]\n", b"name = 5\n",
                     b"[indicators]\nvisit_interval_days = true\n", b"\xff\xfe[\x00",
                     b'[areas]\nNorth = [["a"]]\n', b"[areas]\n\"\" = []\n"])))
def test_mutated_config(content):
    """A damaged or odd cpxl.toml beside valid data."""
    files = base_files(everything=False)
    files["cpxl.toml"] = content
    run_folder(files)


def test_seed_dataset_is_valid():
    """The seed loads and computes cleanly, so the mutations start from working input."""
    with folder() as tmp:
        for name, content in seed_files().items():
            if name != "data.xlsx":
                (tmp / name).write_bytes(content)
        data = cpxl.load(tmp)
        assert "episodes" in data.tables and len(data.tables) >= 20
        out = cpxl.compute(data, PERIOD_END, months=2)
        assert out["value"].notna().any()
        (tmp / "x").mkdir()
        (tmp / "x" / "data.xlsx").write_bytes(seed_files()["data.xlsx"])
        assert len(cpxl.load(tmp / "x" / "data.xlsx").tables) >= 20


def test_population_naming_no_geography_of_the_run(tmp_path):
    """Found by the fuzzer: a population table whose rows name only places that are not
    geographies of the run (no areas or districts tables, another authority's name) was an
    IndexError in the engine; such rows now count nowhere and rates are blank with a note."""
    path = write_dataset(tmp_path, header=[kid("C1", "01/01/2010")],
                         episodes=[ep("C1", "01/01/2020")], population=[("Elsewhere", 2020, 1000)])
    out = cpxl.compute(cpxl.load(path), "2020-12-31", months=1)
    rate = out.loc[out["indicator"] == "cla_rate_10k"]
    assert rate["value"].isna().all()
    assert rate["note"].str.startswith("no population figure").all()
