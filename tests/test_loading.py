"""The data layer (data.md): folder vs workbook, formats, encodings, headers, validation report.

Row numbers in the validation report are the file's own row numbers as Excel shows them (the
header row is row 1 when it is the first line).
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

import cpxl
from cpxl import CpxlError
from builders import (COLUMNS, _frame, chain, ep, kid, nd, pick, run, section_indicators,
                      write_csv, write_dataset, write_workbook)

D = "2020-12-31"


def run3(path):
    """Three period ends of every indicator of the SSDA903 sections (local ones are not ours)."""
    return run(path, D, months=3, indicators=section_indicators())

# --- a small county with most tables, for "same result whatever the container" ------------------

RICH = dict(
    header=[kid("007", "01/01/2010", sex="1", ethnic="WBRI"), kid("C2", "15/06/2005", sex="2",
                                                                   ethnic="MWBC"),
            kid("C3", "31/12/2004", sex="F", ethnic="ABAN"), kid("C4", "29/02/2008", sex="M",
                                                                 ethnic="BCRB"),
            kid("C5", "01/04/2002", sex="1", ethnic="WBRI")],
    episodes=[
        *chain("007", ("01/01/2018", "S", "U4"), ("01/03/2020", "P", "U1"), ("01/06/2020", "T", "A4"),
               home_post="HL1 1AA"),
        ep("C2", "01/02/2020", cin="N2", home_post="PD2 2BB", place="K1"),
        ep("C3", "01/01/2019", dec="01/05/2020", rec="E45", home_post="HL1 3CC"),
        ep("C3", "01/08/2020", home_post="HL1 3CC", place="P1"),
        *chain("C4", ("01/06/2017", "S", "U4"), ("01/02/2020", "P", "T1"), ("01/03/2020", "B", "U5"),
               home_post=""),
        ep("C5", "01/01/2015", dec="01/04/2020", rec="E8", home_post="PD2 1AA"),
    ],
    reviews=[("007", "", "25/01/2018"), ("007", "", "20/04/2018"), ("007", "", "10/10/2018"),
             ("007", "", "01/04/2019"), ("007", "", "01/10/2019"), ("007", "", "01/04/2020"),
             ("007", "", "01/10/2020"), ("C2", "", "20/02/2020"), ("C2", "", "30/06/2020")],
    uasc=[("C2", "2", "15/06/2005", "")],
    oc2=[("007", "", "12", "", "0", "1", "1", "0"), ("C4", "", "", "", "0", "0", "1", "1")],
    oc3=[("C5", "01/04/2002", "YES", "F2", "B1")],
    missing=[("C2", "", "M", "01/03/2020", "03/03/2020", "05/03/2020"),
             ("C4", "", "A", "01/07/2020", "02/07/2020", "")],
    sw_episodes=[("C2", "", "S1", "01/02/2020", "01/03/2020"), ("C2", "", "S2", "01/03/2020", ""),
                 ("C4", "", "S3", "01/01/2020", "")],
    districts=[("C4", "Hélène")],
    postcode_districts=[("HL1", "Hélène"), ("PD2", "Pound£ton")],
    areas=[("Hélène", "Côte"), ("Pound£ton", "Côte")],
    population=[("Hélène", 2020, 1200), ("Pound£ton", 2019, 800), ("Testshire", 2020, 2500)],
    visits=[("007", "01/12/2020"), ("C2", "15/12/2020")],
    cp_plans=[("C5", "01/01/2020", "", "N1")],
)


def rich(folder, **kw):
    return write_dataset(folder, extra_columns={"missing": ["RHI_DATE"]}, **{**RICH, **kw})


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return run3(rich(tmp_path_factory.mktemp("csv")))


def test_reference_numbers(reference):
    # A few hand-checked numbers so that the comparisons below are not comparisons of nothing.
    # At D: 007 (HL1 -> Hélène), C2 (PD2 -> Pound£ton), C3 (HL1 -> Hélène), C4 (districts row:
    # Hélène) looked after; C5 left on 01/04/2020.
    out = reference
    assert pick(out, "cla_count", "Hélène", D)["value"] == 3
    assert pick(out, "cla_count", "Pound£ton", D)["value"] == 1
    assert pick(out, "cla_count", "Côte", D)["value"] == 4
    # rate: Testshire 4 / 2500 x 10,000 = 16; Pound£ton 1 / 800 (2019, the latest <= 2020).
    assert pick(out, "cla_rate_10k", period_end=D)["value"] == pytest.approx(16.0)
    assert pick(out, "cla_rate_10k", "Pound£ton", D)["denominator"] == 800
    # 007 keeps its leading zeros: its oc2 row (HEALTH_CHECK 1) and reviews are found.
    # OC2 cohort: 007 (since 2018), C4 (since 2017): HEALTH_CHECK = 1 for 007 only.
    assert tuple(nd(out, "health_check_pct", period_end=D)) == (1, 2)
    assert pick(out, "uasc_count", "Pound£ton", D)["value"] == 1
    # missing: C2 went missing (M) in W; cohort 007, C2, C3, C4, C5 = 5.
    assert tuple(nd(out, "missing_pct", period_end=D)) == (1, 5)
    # RHI: C2 (ended 03/03, RHI 05/03: yes) and C4 (away, no RHI) -> 1 of 2.
    assert tuple(nd(out, "missing_rhi_3days_pct", period_end=D)) == (1, 2)
    assert pick(out, "care_leavers_eet_pct_17_18", "Pound£ton", D)["numerator"] == 1


def _same(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize("fmt", ["xlsx", "xlsx_tables"])
@pytest.mark.parametrize("typed", [True, False])
def test_workbook_gives_the_same_result_as_the_folder(tmp_path, reference, fmt, typed):
    path = rich(tmp_path, fmt=fmt, typed=typed)
    assert path.suffix == ".xlsx"
    _same(run3(path), reference)


def test_workbook_tables_found_by_list_object(tmp_path):
    # Excel tables (ListObjects), two per sheet: every table is found by its own range.
    path = rich(tmp_path, fmt="xlsx_tables")
    data = cpxl.load(path)
    assert set(data.tables) == set(RICH)
    assert len(data.tables["episodes"]) == 10        # 3 + 1 + 2 + 3 + 1
    assert len(data.tables["reviews"]) == 9


def _to_iso(v):
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", v) if isinstance(v, str) else None
    return f"{m[3]}-{m[2]}-{m[1]}" if m else v


def test_mixed_date_formats(tmp_path, reference):
    # Every other row of every table in ISO yyyy-mm-dd, the rest dd/mm/yyyy.
    mixed = {}
    for name, rows in RICH.items():
        out = []
        for i, r in enumerate(rows):
            if i % 2:
                r = {k: _to_iso(v) for k, v in r.items()} if isinstance(r, dict) else \
                    tuple(_to_iso(v) for v in r)
            out.append(r)
        mixed[name] = out
    folder = write_dataset(tmp_path, extra_columns={"missing": ["RHI_DATE"]}, **mixed)
    assert "2020-03-01" in (folder / "episodes.csv").read_text()
    _same(run3(folder), reference)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(tmp_path, reference, encoding):
    folder = rich(tmp_path, encoding=encoding)
    raw = (folder / "districts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    if encoding == "cp1252":
        assert b"H\xe9l\xe8ne" in raw and b"\xa3" in (folder / "areas.csv").read_bytes() + \
            (folder / "postcode_districts.csv").read_bytes()
    _same(run3(folder), reference)


def test_child_leading_zeros_kept(tmp_path):
    # "007" and "7" are different children; 007's episodes and oc2 row are matched as text.
    write_dataset(tmp_path, header=[kid("007", "01/01/2010"), kid("7", "01/01/2010")],
                  episodes=[ep("007", "01/01/2019")],
                  oc2=[("007", "", "10", "", "0", "1", "1", "1"), ("7", "", "10", "", "0", "0", "0", "0")])
    data = cpxl.load(tmp_path)
    assert list(data.tables["header"]["CHILD"]) == ["007", "7"]
    out = run(tmp_path, D)
    assert pick(out, "cla_count")["value"] == 1
    assert tuple(nd(out, "health_check_pct")) == (1, 1)


def test_columns_case_insensitive_and_trimmed(tmp_path, reference):
    folder = rich(tmp_path)
    for f in folder.glob("*.csv"):
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        write_csv(f, frame, header_case=lambda c: f"  {c.lower()} " if len(c) % 2 else c.title())
    assert "  child " in (folder / "header.csv").read_text().splitlines()[0].lower()
    _same(run3(folder), reference)


def test_extra_columns_are_ignored(tmp_path, reference):
    folder = rich(tmp_path)
    f = folder / "episodes.csv"
    frame = pd.read_csv(f, dtype=str, keep_default_na=False)
    frame.insert(3, "LOCAL_NOTE", "x")
    frame["ANOTHER"] = "y"
    write_csv(f, frame)
    _same(run3(folder), reference)


# --- headers below blank rows, and row numbers ---------------------------------------------------

def _report(path):
    rep = cpxl.load(path).report()
    return rep


def _rows_of(rep, table, column):
    r = rep.loc[(rep["table"] == table) & (rep["column"] == column)]
    return sorted(r["row"].astype(int).tolist())


def test_header_row_below_blank_rows_csv(tmp_path):
    # Two blank lines above the header: header on row 3, first data row 4.  The bad DOB on the
    # second data row is row 5; the episodes' bad DECOM is on row 3 (header on row 1).
    header = _frame("header", [kid("A", "01/01/2010"), kid("B", "31/02/2010")])
    write_csv(tmp_path / "header.csv", header, blank_rows_above=2)
    episodes = _frame("episodes", [ep("A", "01/01/2019"), ep("B", "2019-13-01")])
    write_csv(tmp_path / "episodes.csv", episodes)
    rep = _report(tmp_path)
    assert _rows_of(rep, "header", "DOB")[0] == 5
    bad = rep.loc[(rep["table"] == "episodes") & (rep["column"] == "DECOM")]
    assert bad["row"].astype(int).tolist() == [3] and bad["used"].iloc[0] == "no"
    assert bad["child"].iloc[0] == "B"
    assert pick(run(tmp_path, D), "cla_count", "Local authority")["value"] == 1


def test_header_row_below_a_title_line(tmp_path):
    # A title line and a blank line above the header (header on row 3): the first data row is
    # row 4, so C's DEC before DECOM (the 3rd data row) is row 6.
    (tmp_path / "episodes.csv").write_text(
        "Episodes extract, run 01/01/2021\r\n\r\nCHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\r\n"
        "A,01/01/2020,S,C2,N1,U1,,\r\nB,01/01/2020,S,C2,N1,U1,,\r\n"
        "C,01/05/2020,S,C2,N1,U1,01/04/2020,E8\r\n", encoding="utf-8")
    write_csv(tmp_path / "header.csv", _frame("header", [kid(k, "01/01/2010") for k in "ABC"]))
    rep = _report(tmp_path)
    assert _rows_of(rep, "episodes", "DEC") == [6]
    assert pick(run(tmp_path, D), "cla_count", "Local authority")["value"] == 2


def test_header_row_below_blank_rows_workbook(tmp_path):
    frames = {"header": _frame("header", [kid("A", "01/01/2010"), kid("B", "xx")]),
              "episodes": _frame("episodes", [ep("A", "01/01/2019"), ep("B", "01/01/2019")])}
    path = write_workbook(tmp_path / "book.xlsx", frames, blank_rows_above=3)
    rep = _report(path)
    # header on row 4, A on 5, B on 6.
    assert _rows_of(rep, "header", "DOB")[0] == 6
    assert "book.xlsx" in rep.loc[rep["table"] == "header", "file"].iloc[0]


def test_row_numbers_in_a_list_object_below_the_first_row(tmp_path):
    # write_workbook(as_tables=True) puts the second table of a sheet one row down: its header is
    # on row 2, its data from row 3.  Tables in order: header (row 1), episodes (row 2).
    frames = {"header": _frame("header", [kid("A", "01/01/2010"), kid("B", "xx")]),
              "episodes": _frame("episodes", [ep("A", "01/01/2019"), ep("B", "01/01/2019", dec="01/01/2018")])}
    path = write_workbook(tmp_path / "book.xlsx", frames, as_tables=True)
    rep = _report(path)
    assert _rows_of(rep, "header", "DOB")[0] == 3       # B is the 2nd data row under row 1
    assert _rows_of(rep, "episodes", "DEC") == [4]       # B is the 2nd data row under row 2


def test_row_with_a_stray_trailing_cell_is_read_and_numbered(tmp_path):
    # Excel exports sometimes leave a cell beyond the header's last column.  Such a row must be
    # read (not silently dropped) and the rows after it keep their own numbers.
    (tmp_path / "header.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC\r\nA,1,01/01/2010,WBRI\r\nB,1,01/01/2010,WBRI,note\r\n"
        "C,1,xx,WBRI\r\n", encoding="utf-8")
    (tmp_path / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\r\nA,01/01/2020,S,C2,N1,U1,,\r\n"
        "B,01/01/2020,S,C2,N1,U1,,,\r\nC,01/01/2020,S,C2,N1,U1,,\r\n", encoding="utf-8")
    data = cpxl.load(tmp_path)
    assert list(data.tables["header"]["CHILD"]) == ["A", "B", "C"]
    assert _rows_of(data.report(), "header", "DOB")[0] == 4
    assert pick(run(tmp_path, D), "cla_count", "Local authority")["value"] == 3


# --- the validation report --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    folder = tmp_path_factory.mktemp("problems")
    write_dataset(
        folder,
        header=[kid("C1", "01/01/2010"),            # row 2
                kid("C2", "01/01/2010"),            # row 3
                kid("C1", "01/01/2011"),            # row 4: duplicate CHILD
                kid("C4", "01/01/2010"),            # row 5
                kid("C5", "01/01/2010")],           # row 6
        episodes=[
            ep("C1", "01/01/2020", dec="01/03/2020", rec="X1"),          # row 2
            ep("C1", "01/03/2020", rne="P"),                             # row 3
            ep("C2", "32/01/2020"),                                      # row 4: not a date
            ep("C5", "01/05/2020", dec="01/04/2020"),                    # row 5: DEC < DECOM
            ep("C3", "01/01/2020"),                                      # row 6: not in header
            ep("C4", "01/01/2020"),                                      # row 7
            ep("C4", "01/02/2020", rne="P"),                             # row 8: overlaps row 7
            ep("C5", "01/06/2020", rne="X"),                             # row 9: RNE
            ep("C6", "01/06/2020", ls="Q9"),                             # row 10: LS (+ no header)
            ep("C7", "01/06/2020", place="ZZ"),                          # row 11: PLACE
            ep("C8", "01/01/2020", dec="01/06/2020", rec="E99"),         # row 12: REC
            ep("C9", "01/06/2020", cin="N9"),                            # row 13: CIN
        ],
        oc3=[("Y1", "01/01/2003", "MAYBE", "F1", "B1"),                  # row 2: IN_TOUCH
             ("Y2", "01/01/2003", "YES", "Q1", "B1"),                    # row 3: ACTIV
             ("Y3", "01/01/2003", "YES", "F1", "Q3")],                   # row 4: ACCOM
    )
    return cpxl.load(folder)


def _one(rep, table, row, column):
    r = rep.loc[(rep["table"] == table) & (rep["row"] == row) & (rep["column"] == column)]
    assert len(r) >= 1, (table, row, column, rep[["table", "row", "column", "problem"]].to_string())
    return r.iloc[0]


def test_report_columns(problems):
    rep = problems.report()
    for col in ["severity", "table", "file", "row", "column", "child", "problem", "used"]:
        assert col in rep.columns


@pytest.mark.parametrize("table,row,column,used,text", [
    ("episodes", 4, "DECOM", "no", "32/01/2020"),                  # unparseable date
    ("episodes", 5, "DEC", "no", "before"),                        # DEC before DECOM
    ("episodes", 6, "CHILD", "yes", "header"),                     # child not in header
    ("episodes", 8, "DECOM", "yes", ""),                           # overlapping episodes
    ("header", 4, "CHILD", "no", "C1"),                            # duplicate header row
    ("episodes", 9, "RNE", "yes", "X"),
    ("episodes", 10, "LS", "yes", "Q9"),
    ("episodes", 11, "PLACE", "yes", "ZZ"),
    ("episodes", 12, "REC", "yes", "E99"),
    ("episodes", 13, "CIN", "yes", "N9"),
    ("oc3", 2, "IN_TOUCH", "yes", "MAYBE"),
    ("oc3", 3, "ACTIV", "yes", "Q1"),
    ("oc3", 4, "ACCOM", "yes", "Q3"),
])
def test_report_rows(problems, table, row, column, used, text):
    r = _one(problems.report(), table, row, column)
    assert r["used"].startswith(used), r["used"]
    assert text in r["problem"]
    assert r["file"] == f"{table}.csv"
    assert r["severity"] == "warning"


def test_rows_not_used_are_left_out(problems):
    # Left out: the unreadable DECOM (C2), DEC before DECOM (C5, row 5), the duplicate header
    # row.  Kept: 11 - 2 = 10 episodes rows; header rows: 4.
    assert len(problems.tables["episodes"]) == 10
    assert len(problems.tables["header"]) == 4
    # the first C1 header row (DOB 2010) is the one kept
    h = problems.tables["header"]
    assert str(h.loc[h["CHILD"] == "C1", "DOB"].iloc[0].date()) == "2010-01-01"


def test_missing_required_column_is_an_error_naming_file_and_column(tmp_path):
    frame = _frame("episodes", [ep("A", "01/01/2020")]).drop(columns=["LS"])
    write_csv(tmp_path / "my_episodes_extract.csv", frame)
    write_csv(tmp_path / "header.csv", _frame("header", [kid("A", "01/01/2010")]))
    with pytest.raises(CpxlError) as e:
        cpxl.load(tmp_path)
    assert "my_episodes_extract.csv" in str(e.value) and "LS" in str(e.value)


def test_missing_required_column_in_a_workbook(tmp_path):
    frames = {"header": _frame("header", [kid("A", "01/01/2010")]),
              "episodes": _frame("episodes", [ep("A", "01/01/2020")]).drop(columns=["REC"])}
    path = write_workbook(tmp_path / "extract.xlsx", frames)
    with pytest.raises(CpxlError) as e:
        cpxl.load(path)
    assert "extract.xlsx" in str(e.value) and "episodes" in str(e.value) and "REC" in str(e.value)


def test_no_episodes_table_is_an_error(tmp_path):
    write_csv(tmp_path / "header.csv", _frame("header", [kid("A", "01/01/2010")]))
    with pytest.raises(CpxlError, match="episodes"):
        cpxl.load(tmp_path)


def test_table_recognised_by_header_not_file_name(tmp_path):
    write_csv(tmp_path / "children.csv", _frame("header", [kid("A", "01/01/2010")]))
    write_csv(tmp_path / "export_2021.csv", _frame("episodes", [ep("A", "01/01/2020")]))
    write_csv(tmp_path / "zz.csv", _frame("uasc", [("A", "1", "01/01/2010", "")]))
    data = cpxl.load(tmp_path)
    assert data.files["header"] == ["children.csv"] and data.files["uasc"] == ["zz.csv"]
    assert pick(run(tmp_path, D), "uasc_count", "Local authority")["value"] == 1


def test_builder_writes_every_table_of_the_contract(tmp_path):
    # Every table of data.md can be written and is recognised by cpxl as that table.
    rows = {name: [tuple(f"{c}_x" if c not in ("CHILD",) else "A" for c in cols[:1])]
            for name, cols in COLUMNS.items()}
    folder = write_dataset(tmp_path, **rows)
    data = cpxl.load(folder)
    assert set(data.files) == set(COLUMNS)
