"""The DfE's XML form of the 903 return (issue 10, part 5): read into exactly the CSV tables.

The same data as XML and as CSVs gives identical tables and identical indicator tables; the D2I
validator's fake return loads with every element where it belongs; bad XML (malformed, entity
declarations, external entities, the wrong root, a CHILD without CHILDID, a file over the size
limit) stops with a message naming the file and the line; a fuzzer finds no traceback.
"""
from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import cpxl
from cpxl import xml903
from cpxl.cli import main
from cpxl.errors import CpxlError
from cpxl.sample import write_sample

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "northshire"
XML_SAMPLE = ROOT / "samples" / "northshire_xml"
# The public data folder: $CPXL_SHARED_DATA, else ../shared/data beside the repository.
SHARED = Path(os.environ.get("CPXL_SHARED_DATA") or ROOT.parent / "shared" / "data")
FAKE_XML = SHARED / "fake903_xml" / "fake_903.xml"
FAKE_CSV = SHARED / "fake903"
needs_fake = pytest.mark.skipif(not FAKE_XML.exists() or not (FAKE_CSV / "episodes.csv").exists(),
                                reason=f"the public fake903 data are not in {SHARED} "
                                       "(set CPXL_SHARED_DATA to the public data folder)")


def _same_tables(a: cpxl.Dataset, b: cpxl.Dataset) -> None:
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        x = a.tables[name].drop(columns=["_row", "_file"])
        y = b.tables[name].drop(columns=["_row", "_file"])
        assert list(x.columns) == list(y.columns), name
        key = [c for c in x.columns if c != "DOB"][:4]
        pd.testing.assert_frame_equal(x.sort_values(key, kind="stable").reset_index(drop=True),
                                      y.sort_values(key, kind="stable").reset_index(drop=True),
                                      obj=name)


def _csv_subset(out: Path, children: int) -> Path:
    """The same children of the bundled sample as derive_xml_sample keeps, all as CSVs."""
    out.mkdir()
    header = pd.read_csv(SAMPLE / "header.csv", dtype=str, keep_default_na=False)
    keep = set(header["CHILD"].iloc[:children])
    for f in SAMPLE.glob("*.csv"):
        t = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "CHILD" in t.columns:
            t = t[t["CHILD"].isin(keep)]
        t.to_csv(out / f.name, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    shutil.copy(SAMPLE / "cpxl.toml", out / "cpxl.toml")
    return out


def test_committed_xml_sample_is_the_bundled_samples_first_40_children(tmp_path):
    fresh = xml903.derive_xml_sample(SAMPLE, tmp_path / "x", children=40)
    committed = sorted(p.name for p in XML_SAMPLE.iterdir())
    assert committed == sorted(p.name for p in fresh.iterdir())
    for name in committed:
        assert (fresh / name).read_bytes() == (XML_SAMPLE / name).read_bytes(), name
    assert (XML_SAMPLE / "ssda903.xml").stat().st_size < 300_000


def test_xml_sample_gives_the_same_tables_and_indicators_as_its_csvs(tmp_path):
    xml = cpxl.load(XML_SAMPLE)
    csvs = cpxl.load(_csv_subset(tmp_path / "csv", 40))
    assert xml.files["episodes"] == ["ssda903.xml <EPISODE>"]
    assert len(xml.tables["header"]) == 40
    _same_tables(xml, csvs)
    for period_end in ("2025-12-31", "2023-03-31"):
        a = cpxl.compute(xml, period_end, months=13)
        b = cpxl.compute(csvs, period_end, months=13)
        pd.testing.assert_frame_equal(a, b)
        cla = a[(a.indicator == "cla_count") & (a.level == "la")]
        assert cla["value"].gt(0).all()      # not an empty comparison


@pytest.mark.parametrize("seed", [2, 5])
def test_generated_sample_as_xml_and_as_csv_gives_identical_indicators(tmp_path, seed):
    write_sample(tmp_path / "xml", children=30, seed=seed, xml=True)
    write_sample(tmp_path / "csv", children=30, seed=seed)
    assert not list((tmp_path / "xml").glob("episodes.csv"))
    a, b = cpxl.load(tmp_path / "xml"), cpxl.load(tmp_path / "csv")
    _same_tables(a, b)
    assert [p.problem for p in a.problems] == [p.problem for p in b.problems]
    pd.testing.assert_frame_equal(cpxl.compute(a, "2025-12-31", months=13),
                                  cpxl.compute(b, "2025-12-31", months=13))


@needs_fake
def test_fake903_xml_loads_every_element_into_its_table():
    d = cpxl.load(FAKE_XML)
    rows = {n: len(t) for n, t in d.tables.items()}
    # Counted in the file: 253 CHILD, 459 EPISODE, 1206 AREVIEW, 6 AMISSING, 253 OC2 and
    # PERMANENCE, 3 AD_PLACED; 12 children with UASC 1 and a DUC, 6 with care-leaver fields, 3
    # with adoption (AD1) fields.
    assert rows == {"header": 253, "episodes": 459, "reviews": 1206, "missing": 6, "oc2": 253,
                    "previous_permanence": 253, "placed_for_adoption": 3, "uasc": 12, "oc3": 6,
                    "ad1": 3}
    # The first child: <CHILDID>907440</CHILDID> … two episodes, the first <PL>R5</PL> from
    # 06/01/2017 to 06/10/2017 (X1), the second P2 ending 07/03/2018 with E11.
    e = d.tables["episodes"]
    first = e[e.CHILD == "907440"].sort_values("DECOM")
    assert first["PLACE"].tolist() == ["R5", "P2"]
    assert first["DECOM"].dt.strftime("%Y-%m-%d").tolist() == ["2017-01-06", "2017-10-06"]
    assert first["REC"].tolist() == ["X1", "E11"]
    assert first["HOME_POST"].tolist() == ["B15 8PZ", "G22 6JX"]
    # Reviews and OC2 rows carry the child's DOB from the header, as the CSVs do.
    r = d.tables["reviews"]
    assert (r[r.CHILD == "907440"]["DOB"] == pd.Timestamp("2010-07-28")).all()
    assert d.tables["header"].set_index("CHILD").loc["907440", "SEX"] == "2"
    # The file is on one line, so rows are numbered by element (the report says so).
    assert d.files["episodes"] == ["fake_903.xml <EPISODE> (row = the element's number)"]
    overlap = [p for p in d.problems if p.rule == "episodes_overlap"]
    assert overlap and all(p.file.startswith("fake_903.xml <EPISODE>") for p in overlap)


@needs_fake
def test_fake903_xml_has_the_columns_of_the_fake903_csvs():
    """The fake903 CSVs are other (random) children, so only the tables' shape can be compared."""
    x = cpxl.load(FAKE_XML)
    c = cpxl.load(FAKE_CSV)
    for name in set(x.tables) & set(c.tables):
        assert list(x.tables[name].columns) == list(c.tables[name].columns), name
        for col in x.tables[name].columns:
            if col.startswith("_"):
                continue
            assert x.tables[name][col].dtype == c.tables[name][col].dtype, (name, col)
    assert set(x.tables) <= set(c.tables)
    assert not set(x.tables["header"].CHILD) & set(c.tables["header"].CHILD)
    table = cpxl.compute(x, "2018-03-31", months=2)
    assert table[(table.indicator == "cla_count") & (table.level == "la")]["value"].gt(0).all()


@needs_fake
def test_fake903_xml_as_csvs_gives_identical_indicators(tmp_path):
    """The XML's tables written out as CSVs and read back: the same typing, validation, numbers."""
    from cpxl.reading import read_source

    raws, _ = read_source(FAKE_XML)
    out = tmp_path / "csv"
    out.mkdir()
    for raw in raws:
        raw.frame.drop(columns="_row").to_csv(out / f"{raw.table}.csv", index=False)
    a, b = cpxl.load(FAKE_XML), cpxl.load(out)
    _same_tables(a, b)
    assert sorted((p.rule, p.child) for p in a.problems if p.rule != "table_in_several_files") == \
        sorted((p.rule, p.child) for p in b.problems)
    pd.testing.assert_frame_equal(cpxl.compute(a, "2018-03-31", months=13),
                                  cpxl.compute(b, "2018-03-31", months=13))


# ---- problems name the file and the line -----------------------------------------------------
GOOD = """<?xml version="1.0" encoding="utf-8"?>
<EXPSSDA903>
  <CHILD>
    <HEADER>
      <CHILDID>0001</CHILDID>
      <SEX>1</SEX>
      <DOB>01/02/2015</DOB>
      <ETHNIC>WBRI</ETHNIC>
      <UASC>1</UASC>
      <DUC></DUC>
      <IN_TOUCH>YES</IN_TOUCH><ACTIV>F1</ACTIV><ACCOM>B1</ACCOM>
      <AREVIEW><REVIEW>20/02/2020</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
    </HEADER>
    <EPISODE>
      <DECOM>01/01/2020</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U4</PL>
      <DEC>31/12/2020</DEC><REC>X1</REC>
    </EPISODE>
    <EPISODE>
      <DECOM>31/12/2020</DECOM><RNE>P</RNE><LS>C2</LS><CIN>N1</CIN><PL>K1</PL>
      <DEC>31/02/2021</DEC><REC>E4A</REC>
    </EPISODE>
  </CHILD>
</EXPSSDA903>
"""


def _write(tmp_path, text, name="return.xml") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_a_bad_date_is_reported_at_the_line_of_its_episode(tmp_path):
    d = cpxl.load(_write(tmp_path, GOOD))
    bad = [p for p in d.problems if p.rule == "date_not_readable"]
    assert [(p.file, p.row, p.column, p.child) for p in bad] == \
        [("return.xml <EPISODE>", 18, "DEC", "0001")]
    assert "'31/02/2021' is not a date" in bad[0].problem
    assert d.tables["uasc"]["CHILD"].tolist() == ["0001"]          # UASC 1, no DUC: still UASC
    assert d.tables["oc3"][["IN_TOUCH", "ACTIV", "ACCOM"]].values.tolist() == [["YES", "F1", "B1"]]
    assert d.tables["episodes"]["PLACE"].tolist() == ["U4"]         # the bad-DEC row is not used


def test_xml_beside_local_csvs_in_a_folder(tmp_path):
    _write(tmp_path, GOOD)
    (tmp_path / "districts.csv").write_text("CHILD,DISTRICT\n0001,Eastby\n", encoding="utf-8")
    (tmp_path / "notes.xml").write_text("<notes><n>hello</n></notes>", encoding="utf-8")
    d = cpxl.load(tmp_path)
    assert set(d.tables) >= {"header", "episodes", "districts"}
    skipped = [p for p in d.problems if p.rule == "file_not_recognised"]
    assert [p.file for p in skipped] == ["notes.xml"] and "EXPSSDA903" in skipped[0].problem
    t = cpxl.compute(d, "2020-06-30", months=1)
    row = t[(t.indicator == "cla_count") & (t.geography == "Eastby")]
    assert row["value"].tolist() == [1]


@pytest.mark.parametrize("text, expected", [
    (GOOD[:GOOD.rindex("<EPISODE>")], r"return\.xml, line 1\d, column \d+: the XML is not well-formed"),
    (GOOD.replace("<SEX>1</SEX>", "<SEX>1</SEXX>"), r"return\.xml, line 6, column \d+: the XML is not well-formed"),
    (GOOD.replace("<EXPSSDA903>", "<CLA>").replace("</EXPSSDA903>", "</CLA>"),
     r"return\.xml, line 2: the XML's root element is <CLA>, not <EXPSSDA903>"),
    (GOOD.replace("<CHILDID>0001</CHILDID>", ""), r"return\.xml, line 3: a CHILD element has no CHILDID"),
    (('<?xml version="1.0"?>\n<!DOCTYPE EXPSSDA903 [\n <!ENTITY a "aaaaaaaaaa">\n'
      ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
      '<EXPSSDA903><CHILD><HEADER><CHILDID>&c;</CHILDID></HEADER></CHILD></EXPSSDA903>'),
     r"return\.xml, line 3: the XML declares or refers to an entity .*never expands"),
    (('<?xml version="1.0"?>\n<!DOCTYPE EXPSSDA903 [\n <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
      '<EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID></HEADER></CHILD></EXPSSDA903>'),
     r"return\.xml, line 3: the XML declares or refers to an entity"),
    ("<EXPSSDA903></EXPSSDA903>", r"return\.xml: the EXPSSDA903 return has no CHILD elements"),
    ("<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID>&undefined;</HEADER></CHILD></EXPSSDA903>",
     r"line 1, column \d+: the XML is not well-formed \(undefined entity"),
    (b"", r"return\.xml: the file is empty"),
])
def test_bad_xml_stops_with_the_file_and_line(tmp_path, text, expected):
    p = _write(tmp_path, text)
    with pytest.raises(CpxlError, match=expected):
        cpxl.load(p)


def test_external_entity_is_never_read(tmp_path):
    secret = _write(tmp_path, "SECRET-CHILD", "secret.txt")
    p = _write(tmp_path, f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
                         "<EXPSSDA903><CHILD><HEADER><CHILDID>&x;</CHILDID><SEX>1</SEX>"
                         "</HEADER></CHILD></EXPSSDA903>")
    with pytest.raises(CpxlError) as e:
        cpxl.load(p)
    assert "SECRET" not in str(e.value)


def test_size_guard(tmp_path, monkeypatch):
    p = _write(tmp_path, GOOD)
    monkeypatch.setattr(xml903, "MAX_XML_BYTES", 500)
    with pytest.raises(CpxlError, match=r"return\.xml: the XML file is .* over cpxl's limit"):
        cpxl.load(p)


def test_cli_reads_an_xml_file_alone(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["indicators", str(_write(tmp_path, GOOD)), "--period-end", "2020-06-30",
                 "--months", "1", "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert t[(t.indicator == "cla_count") & (t.level == "la")]["value"].tolist() == [1]
    assert main(["validate", str(_write(tmp_path, "<EXPSSDA903><CHILD>", "cut.xml"))]) == 2
    assert "cut.xml, line 1" in capsys.readouterr().err


# ---- fuzzing -----------------------------------------------------------------------------------
_GOOD_BYTES = GOOD.encode("utf-8")
_SNIPPETS = [b"<", b">", b"</", b"/>", b"&", b"&amp;", b"<EPISODE>", b"</EPISODE>", b"<CHILD>",
             b"</CHILD>", b"<!DOCTYPE x [<!ENTITY e 'v'>]>", b"\x00", b"\xff\xfe", b"\xe9",
             b"<![CDATA[x]]>", b"<?pi x?>", b"<!-- c -->", b"<PL>ZZ</PL>", b"<CHILDID></CHILDID>",
             b"<DECOM>99/99/9999</DECOM>", b"x" * 5000]


@st.composite
def _mutated(draw):
    data = bytearray(_GOOD_BYTES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "flip", "cut"]))
        if kind == "insert":
            data[i:i] = draw(st.sampled_from(_SNIPPETS))
        elif kind == "delete":
            del data[i:i + draw(st.integers(1, 40))]
        elif kind == "flip" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[i:]
    return bytes(data)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(_mutated())
def test_fuzz_xml_reader_never_crashes(data):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "fuzz.xml"
        p.write_bytes(data)
        try:
            d = cpxl.load(p)
        except CpxlError as e:
            assert "fuzz.xml" in str(e) or "no cpxl tables" in str(e)
            return
        try:
            cpxl.compute(d, "2020-06-30", months=1)
        except CpxlError:
            pass
