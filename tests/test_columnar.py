"""The columnar (Arrow) CSV reader gives the same dataset as the pandas path it replaces.

Every dataset here is loaded twice, once as cpxl reads it (Arrow where it can) and once with the
Arrow path switched off (``cpxl.reading.read_body`` answering None, so every CSV goes through
pandas as before), and the two must agree on every table (values, dtypes, row numbers), the
validation report, the files and the columns found - or both must fail with the same message.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from cpxl import columnar, reading
from cpxl.dataset import load
from cpxl.errors import CpxlError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FAKE903 = ROOT.parent / "shared" / "data" / "fake903"     # as tests/test_fake903.py finds it
sys.path.insert(0, str(HERE / "bad_inputs"))
import make_corpus

# The 50 MB case is the same base with one table repeated: slow through pandas, nothing new.
SLOW_CASES = {"large_file_50mb"}


def _load_both(path, monkeypatch, **kw):
    """(Arrow-path result, pandas-path result, how many files Arrow read); a result is a Dataset
    or the CpxlError message."""
    used = []
    real = columnar.read_body

    def counting(*args, **kwargs):
        out = real(*args, **kwargs)
        used.append(out is not None)
        return out

    def run():
        try:
            return load(path, cache=False, **kw)
        except CpxlError as e:
            return str(e)

    monkeypatch.setattr(reading, "read_body", counting)
    fast = run()
    monkeypatch.setattr(reading, "read_body", lambda *a, **k: None)
    slow = run()
    monkeypatch.setattr(reading, "read_body", real)
    return fast, slow, sum(used)


def assert_same(fast, slow):
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert list(fast.tables) == list(slow.tables)
    for name in slow.tables:
        pd.testing.assert_frame_equal(fast.tables[name], slow.tables[name], check_exact=True,
                                      obj=name)
    pd.testing.assert_frame_equal(fast.report(), slow.report(), check_exact=True)
    assert fast.files == slow.files
    assert list(fast.skipped_files) == list(slow.skipped_files)
    assert [getattr(s, "reason", "") for s in fast.skipped_files] == \
        [getattr(s, "reason", "") for s in slow.skipped_files]
    assert fast.columns_present == slow.columns_present


def test_sample_county(monkeypatch):
    fast, slow, arrow_files = _load_both(ROOT / "samples" / "northshire", monkeypatch)
    assert arrow_files == len(list((ROOT / "samples" / "northshire").glob("*.csv")))
    assert_same(fast, slow)
    assert fast.tables["episodes"]["CHILD"].iloc[0].startswith("0")   # leading zeros kept


@pytest.mark.skipif(not FAKE903.is_dir(), reason="the fake903 data is not on this machine")
def test_fake903(monkeypatch):
    fast, slow, arrow_files = _load_both(FAKE903, monkeypatch)
    assert arrow_files > 0
    assert_same(fast, slow)


def test_bad_inputs_base(monkeypatch):
    fast, slow, arrow_files = _load_both(make_corpus.BASE, monkeypatch)
    assert arrow_files == len(list(make_corpus.BASE.glob("*.csv")))
    assert_same(fast, slow)


@pytest.mark.parametrize("name", sorted(set(make_corpus.CASES) - SLOW_CASES))
def test_bad_input_cases(name, tmp_path, monkeypatch):
    root = make_corpus.materialise(name, tmp_path / name)
    fast, slow, _ = _load_both(root / "data", monkeypatch)
    assert_same(fast, slow)


TRICKY = [
    # (file bytes, what it exercises)
    ("\ufeffCHILD,SEX,DOB,ETHNIC\r\n 001 ,1,01/02/2010, wbri \r\n,,,\r\n002,2,2011-03-04,WBRI\r\n",
     "utf-8-sig", "BOM, CRLF, padded cells, a blank row"),
    ("CHILD;SEX;DOB;ETHNIC\n001;1;01/02/2010;wbri\n\n002;2;04/03/2011;\"W;BRI\"\n", "cp1252",
     "semicolons, an empty line, a quoted delimiter"),
    ("CHILD\tSEX\tDOB\tETHNIC\n001\t1\t01/02/2010\tWBRI\n002\t2\t04/03/2011\tWBRI\n", "utf-16",
     "UTF-16 with tabs"),
    ("Northshire extract\nrun on 01/01/2026\nCHILD,SEX,DOB,ETHNIC\n001,1,01/02/2010,\"Caf\u00e9\"\n",
     "cp1252", "title lines above the header, cp1252"),
    ('CHILD,SEX,DOB,ETHNIC,CHILD,\n"001","1","01/02/2010","WB""RI","x",\n"002",2,"not a date","a\nb",y,\n',
     "utf-8", "quoted cells, a quoted line break, a repeated and a blank column"),
    ("CHILD,SEX,DOB,ETHNIC\n001,1,01/02/2010\n002,2,04/03/2011,WBRI,extra\n", "utf-8",
     "short and long rows (the pandas path)"),
    ('CHILD,SEX,DOB,ETHNIC\n001,1,01/02/2010,"WBRI\n002,2,04/03/2011,WBRI\n', "utf-8",
     "a quote left open (an error on both paths)"),
]


@pytest.mark.parametrize("text,encoding,what", TRICKY, ids=[t[2] for t in TRICKY])
def test_tricky_files(text, encoding, what, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "header.csv").write_bytes(text.encode(encoding))
    (data / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\n001,01/01/2024,s,c2,n1,u1,,\n", encoding="utf-8")
    fast, slow, _ = _load_both(data, monkeypatch)
    assert_same(fast, slow)


def test_arrow_refuses_what_pandas_reads_differently():
    lines = ["CHILD,SEX,DOB,ETHNIC"]
    body = "001,1,01/02/2010,WBRI\n"
    columns = ["CHILD", "SEX", "DOB", "ETHNIC"]
    ok = columnar.read_body(lines[0] + "\n" + body, 0, lines, ",", columns)
    assert ok is not None and ok[0]["CHILD"].tolist() == ["001"] and ok[0]["_row"].tolist() == [2]
    for bad in ("001,1,01/02/2010\n", "001,1,01/02/2010,WBRI,x\n", "001,1,\x00,WBRI\n",
                '001,1,"01/02/2010,WBRI\n', '001,1,01/02/2010,"W\nBRI"\n',
                '001,1,"01/02/2010,WBRI\n002,1,01/02/2010,"WBRI\n'):
        assert columnar.read_body(lines[0] + "\n" + bad, 0, lines, ",", columns) is None, bad


# --- the per-distinct-value shortcuts give what the per-row code gave ---------------------------

from hypothesis import given, settings
from hypothesis import strategies as st

CELLS = st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "c2", " C2 ", "\u00a0x\u2003", "ß",
                                                       "ns1 2ab", "NS12AB", "ab 1", "\x1c9\x1f"]),
                           st.text(max_size=6)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(CELLS, st.booleans(), st.booleans())
def test_trimming_distinct_values_is_trimming_every_cell(cells, upper, categorical):
    from cpxl.dataset import _trimmed

    column = pd.Series(cells, dtype=object)
    per_row = column.astype(str).str.strip()
    if upper:
        per_row = per_row.str.upper()
    shared, at = _trimmed(column.astype("category") if categorical else column, upper)
    got = pd.Series(shared[at], dtype=object)
    assert got.isna().tolist() == per_row.isna().tolist()
    assert got[got.notna()].tolist() == per_row[per_row.notna()].tolist()


@settings(max_examples=200, deadline=None)
@given(CELLS)
def test_outward_codes_of_distinct_postcodes_are_those_of_every_row(cells):
    from cpxl.codes import _outward, outward_code

    for column in (pd.Series(cells, dtype=object), pd.Series(cells, dtype=object).astype(str)):
        try:
            per_row = _outward(column)
        except AttributeError:          # every cell missing: the per-row code failed outright
            assert (outward_code(column) == "").all()
            continue
        pd.testing.assert_series_equal(outward_code(column), per_row)


# --- a large file is decoded only as far as its header; ids are one object across tables -------

SMALL_HEAD = 1 << 16


def _large_county(tmp_path: Path, late_text: bytes | None = None) -> Path:
    """A generated county, its files larger than SMALL_HEAD (the tests' reading.HEAD_BYTES),
    with ``late_text`` written into a PL_POST cell near the end of the episodes."""
    from cpxl.sample import write_sample

    folder = tmp_path / "county"
    write_sample(folder, children=600, seed=3)
    episodes = folder / "episodes.csv"
    body = episodes.read_bytes()
    assert len(body) > 4 * SMALL_HEAD
    if late_text is not None:
        lines = body.split(b"\n")
        k = len(lines) - 3
        cells = lines[k].split(b",")
        cells[11] = late_text                                  # PL_POST
        lines[k] = b",".join(cells)
        episodes.write_bytes(b"\n".join(lines))
    return folder


@pytest.mark.parametrize("late_text, expected", [(b"NS1 \xe9X", "NS1 \u00e9X"),           # cp1252
                                                 (b"NS1 \xc3\xa9X", "NS1 \u00e9X")])     # UTF-8
def test_text_after_the_first_megabyte_reads_as_a_whole_file_decode_reads_it(
        tmp_path, monkeypatch, late_text, expected):
    monkeypatch.setattr(reading, "HEAD_BYTES", SMALL_HEAD)
    folder = _large_county(tmp_path, late_text)
    fast, slow, arrow_reads = _load_both(folder, monkeypatch)
    assert_same(fast, slow)
    monkeypatch.setattr(reading, "HEAD_BYTES", 1 << 40)        # the whole file decoded first
    whole = load(folder, cache=False)
    assert_same(fast, whole)
    assert expected in set(fast.tables["episodes"]["PL_POST"])


def test_a_child_is_one_str_object_in_every_table(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "HEAD_BYTES", SMALL_HEAD)
    data = load(_large_county(tmp_path), cache=False)
    header = {c: id(c) for c in data.tables["header"]["CHILD"]}
    for name in ("episodes", "reviews", "visits", "districts"):
        column = data.tables[name]["CHILD"]
        assert column.dtype == object
        assert all(header.get(c, id(c)) == id(c) for c in column), name


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=5), unique=True, max_size=30))
def test_the_categories_shortcut_makes_pandas_own_dtype(words):
    import numpy as np

    got = columnar.categories(np.array(words, dtype=object))
    assert got == pd.CategoricalDtype(pd.Index(np.array(words, dtype=object), dtype=object))
    assert got.categories.dtype == object and list(got.categories) == words
