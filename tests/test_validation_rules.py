"""The validation catalogue: every rule registered, listed by ``cpxl list --rules``, and named by
at least one test; the rules no other test named are tested here, one bad row each, with the row
number as the analyst sees it in the file (header = row 1) and whether the row was used."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import cpxl
from cpxl.cli import main
from cpxl.validation import rule_catalogue
from builders import ep, kid, write_dataset

TESTS = Path(__file__).resolve().parent
FUTURE = "01/01/2052"          # after today by more than a month, and after every episode date


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = write_dataset(
        tmp_path_factory.mktemp("rules") / "data",
        header=[kid("C1", "01/01/2010"), kid("C2", "01/01/2008")],
        episodes=[ep("C1", "01/01/2020", dec="01/06/2021", rec="ZZ"),       # row 2: REC
                  ep("C2", "01/02/2020", cin="N9")],                         # row 3: CIN
        oc3=[{"CHILD": "C2", "DOB": "01/01/2008", "IN_TOUCH": "MAYBE", "ACTIV": "F1",
              "ACCOM": "B1"},                                                # row 2: IN_TOUCH
             {"CHILD": "Y2", "DOB": "01/01/2004", "IN_TOUCH": "YES", "ACTIV": "Q9",
              "ACCOM": "B1"},                                                # row 3: ACTIV
             {"CHILD": "Y3", "DOB": "01/01/2004", "IN_TOUCH": "YES", "ACTIV": "F1",
              "ACCOM": "Q1"},                                                # row 4: ACCOM
             {"CHILD": "Y3", "DOB": "01/01/2004", "IN_TOUCH": "YES", "ACTIV": "F1",
              "ACCOM": "B1"}],                  # row 5: Y3 again (the earlier row is not used)
        oc2=[{"CHILD": "C1", "SDQ_SCORE": "41", "HEALTH_CHECK": "1", "IMMUNISATIONS": "1",
              "TEETH_CHECK": "1"},                                           # row 2: SDQ 41
             {"CHILD": "C2", "SDQ_SCORE": "12", "HEALTH_CHECK": "1", "IMMUNISATIONS": "1",
              "TEETH_CHECK": "1"},                                           # row 3: C2 ...
             {"CHILD": "C2", "SDQ_SCORE": "12", "HEALTH_CHECK": "0", "IMMUNISATIONS": "1",
              "TEETH_CHECK": "1"}],                    # ... again in row 4: row 3 is not used
        missing=[{"CHILD": "C2", "MISSING": "M", "MIS_START": "10/03/2021",
                  "MIS_END": "09/03/2021"}],                                 # row 2: end first
        sw_episodes=[{"CHILD": "C2", "SW_ID": "S1", "SW_DECOM": "01/03/2021",
                      "SW_DEC": "01/02/2021"}],                              # row 2: end first
        health_assessments=[{"CHILD": "C2", "ASSESSMENT_DATE": FUTURE, "TYPE": "RHA"}],
        referrals=[{"CHILD": "C2", "REFERRAL_DATE": "01/05/2021"},
                   {"CHILD": "C2", "REFERRAL_DATE": FUTURE},                 # row 3: future
                   {"CHILD": "C1", "REFERRAL_DATE": ""}],                    # row 4: blank
        assessments=[{"CHILD": "C2", "ASSESSMENT_START": FUTURE, "ASSESSMENT_AUTHORISED": ""},
                     {"CHILD": "C1", "ASSESSMENT_START": "01/04/2021",
                      "ASSESSMENT_AUTHORISED": "01/05/2021"},
                     {"CHILD": "C1", "ASSESSMENT_START": "01/04/2021",
                      "ASSESSMENT_AUTHORISED": "01/05/2021"}],               # row 4: duplicate
        cp_plans=[{"CHILD": "C2", "CPP_START": FUTURE, "CPP_END": "", "CATEGORY": "NEG"}],
        workers=[{"WORKER_ID": "W1", "TEAM": "T", "DISTRICT": "North", "FTE": "1"}],
        allocations=[{"CHILD": "C2", "WORKER_ID": "W1", "START": "01/03/2021", "END": ""},
                     {"CHILD": "C2", "WORKER_ID": "W1", "START": "01/03/2021",
                      "END": ""}],                                           # row 3: duplicate
    )
    data = cpxl.load(folder)
    return data, data.report()


@pytest.mark.parametrize("rule, table, row, column, used", [
    ("episodes_rec_code", "episodes", 2, "REC", "yes"),
    ("episodes_cin_code", "episodes", 3, "CIN", "yes"),
    ("oc3_in_touch_code", "oc3", 2, "IN_TOUCH", "yes"),
    ("oc3_activ_code", "oc3", 3, "ACTIV", "yes"),
    ("oc3_accom_code", "oc3", 4, "ACCOM", "yes"),
    ("oc3_duplicate", "oc3", 4, "CHILD", "no"),
    ("oc2_sdq_out_of_range", "oc2", 2, "SDQ_SCORE", "yes"),
    ("oc2_duplicate", "oc2", 3, "CHILD", "no"),
    ("missing_end_before_start", "missing", 2, "MIS_END", "no"),
    ("sw_dec_before_decom", "sw_episodes", 2, "SW_DEC", "no"),
    ("health_assessments_assessment_date_in_future", "health_assessments", 2, "ASSESSMENT_DATE",
     "no"),
    ("referrals_referral_date_in_future", "referrals", 3, "REFERRAL_DATE", "no"),
    ("date_blank", "referrals", 4, "REFERRAL_DATE", "no"),
    ("assessments_assessment_start_in_future", "assessments", 2, "ASSESSMENT_START", "no"),
    ("assessments_duplicate", "assessments", 4, "ASSESSMENT_START", "no"),
    ("cp_plans_cpp_start_in_future", "cp_plans", 2, "CPP_START", "no"),
    ("allocations_duplicate", "allocations", 3, "START", "no"),
])
def test_a_bad_row_is_reported_where_it_is(report, rule, table, row, column, used):
    _data, rep = report
    got = rep.loc[rep["rule"] == rule]
    assert len(got) == 1, (rule, got)
    r = got.iloc[0]
    assert (r["table"], r["row"], r["column"]) == (table, row, column)
    assert r["used"].split(":")[0] == used
    assert r["file"].endswith(f"{table}.csv")


def test_rows_not_used_are_left_out_and_the_others_kept(report):
    data, _rep = report
    assert len(data.tables["oc3"]) == 3 and len(data.tables["oc2"]) == 2
    assert data.tables["missing"].empty and data.tables["sw_episodes"].empty
    assert data.tables["health_assessments"].empty and data.tables["cp_plans"].empty
    assert len(data.tables["referrals"]) == 1 and len(data.tables["assessments"]) == 1
    assert len(data.tables["allocations"]) == 1 and len(data.tables["episodes"]) == 2


def test_the_catalogue_lists_every_rule_once():
    cat = rule_catalogue()
    assert list(cat.columns) == ["rule", "table", "column", "severity", "checks", "row_used"]
    assert cat["rule"].is_unique and len(cat) >= 60
    by_id = cat.set_index("rule")
    assert by_id.loc["episodes_dec_before_decom", "row_used"] == "no: the row is left out"
    assert by_id.loc["episodes_place_code", "row_used"].startswith("yes")
    assert by_id.loc["districts_not_in_areas", "row_used"] == (
        "yes: counted in its district and the authority, in no area")
    assert not cat["row_used"].str.contains("yes: yes").any()
    assert by_id.loc["date_not_readable", "table"] == "any"
    assert set(cat["severity"]) == {"warning"}


def test_used_is_read_from_the_report_text_one_way():
    import pandas as pd

    from cpxl.errors import Problem, Used
    texts = pd.Series(["yes", "no", "yes: treated as blank", "no: the row is left out", "none"])
    assert Used.not_used(texts).tolist() == [False, True, False, True, False]
    assert Problem("warning", "t", "f", 2, "C", "p", "no").row_used is Used.NO
    assert Used.YES.said("as written") == "yes: as written" and Used.NO.said() == "no"


def test_every_rule_is_named_by_a_test():
    text = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("*")
                     if p.suffix in (".py", ".toml") and p.name != Path(__file__).name)
    text += _own_tests_text()
    unnamed = [r for r in rule_catalogue()["rule"] if not re.search(rf"\b{r}\b", text)]
    assert unnamed == []


def _own_tests_text() -> str:
    """This file's test cases (not the catalogue test's own words)."""
    own = Path(__file__).read_text(encoding="utf-8")
    return own[own.index("@pytest.mark.parametrize"):own.index("def test_the_catalogue")]


def test_cpxl_list_rules_prints_the_catalogue(capsys, tmp_path):
    assert main(["list", "--rules"]) == 0
    out = capsys.readouterr().out
    assert "episodes_dec_before_decom" in out and "date_not_readable" in out
    assert "DEC {DEC} is before DECOM {DECOM}" in out
    assert main(["list", "--rules", "--csv", str(tmp_path / "rules.csv")]) == 0
    lines = (tmp_path / "rules.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "rule,table,column,severity,checks,row_used"
    assert len(lines) == len(rule_catalogue()) + 1
