"""Tests of the synthetic Northshire sample (cpxl.sample), checked with plain pandas.

They do not use the cpxl engine: they read the CSV files back and check the data contract
(docs/data.md) and the model's headline properties directly.
"""
from __future__ import annotations

import pathlib
import tomllib

import pandas as pd
import pytest

from cpxl.sample import write_sample

CHILDREN = 300
SEED = 7
PERIOD_END = pd.Timestamp("2025-12-31")

# the header rows of docs/data.md, written out here so that the test does not trust the module
DATA_MD = {
    "header": "CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB",
    "episodes": "CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, "
                "HOME_POST, PL_POST, URN",
    "reviews": "CHILD, DOB, REVIEW, REVIEW_CODE",
    "uasc": "CHILD, SEX, DOB, DUC",
    "oc2": "CHILD, DOB, SDQ_SCORE, SDQ_REASON, CONVICTED, HEALTH_CHECK, IMMUNISATIONS, TEETH_CHECK, "
           "HEALTH_ASSESSMENT, SUBSTANCE_MISUSE, INTERVENTION_RECEIVED, INTERVENTION_OFFERED",
    "oc3": "CHILD, DOB, IN_TOUCH, ACTIV, ACCOM",
    "ad1": "CHILD, DOB, DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR",
    "placed_for_adoption": "CHILD, DOB, DATE_PLACED, DATE_PLACED_CEASED, REASON_PLACED_CEASED",
    "previous_permanence": "CHILD, DOB, PREV_PERM, LA_PERM, DATE_PERM",
    # plus the optional local column RHI_DATE
    "missing": "CHILD, DOB, MISSING, MIS_START, MIS_END, RHI_DATE",
    "sw_episodes": "CHILD, DOB, SW_ID, SW_DECOM, SW_DEC, SW_REASON",
    "districts": "CHILD, DISTRICT",
    "postcode_districts": "OUTWARD_CODE, DISTRICT",
    "areas": "DISTRICT, AREA",
    "population": "GEOGRAPHY, YEAR, POPULATION_0_17",
    "visits": "CHILD, VISIT_DATE",
    "health_assessments": "CHILD, ASSESSMENT_DATE, TYPE",
    "dental_checks": "CHILD, CHECK_DATE",
    "peps": "CHILD, PEP_DATE",
    "referrals": "CHILD, REFERRAL_DATE",
    "assessments": "CHILD, ASSESSMENT_START, ASSESSMENT_AUTHORISED",
    "cp_plans": "CHILD, CPP_START, CPP_END, CATEGORY",
    "workers": "WORKER_ID, TEAM, DISTRICT, FTE",
    "allocations": "CHILD, WORKER_ID, START, END",
}
DATE_COLUMNS = {
    "header": ["DOB", "MC_DOB"], "episodes": ["DECOM", "DEC"], "reviews": ["DOB", "REVIEW"],
    "uasc": ["DOB", "DUC"], "oc2": ["DOB"], "oc3": ["DOB"],
    "ad1": ["DOB", "DATE_INT", "DATE_MATCH"],
    "placed_for_adoption": ["DOB", "DATE_PLACED", "DATE_PLACED_CEASED"],
    "missing": ["DOB", "MIS_START", "MIS_END", "RHI_DATE"],
    "sw_episodes": ["DOB", "SW_DECOM", "SW_DEC"], "visits": ["VISIT_DATE"],
    "health_assessments": ["ASSESSMENT_DATE"], "dental_checks": ["CHECK_DATE"], "peps": ["PEP_DATE"],
    "referrals": ["REFERRAL_DATE"], "assessments": ["ASSESSMENT_START", "ASSESSMENT_AUTHORISED"],
    "cp_plans": ["CPP_START", "CPP_END"], "allocations": ["START", "END"],
}
FOSTER = {"U1", "U2", "U3", "U4", "U5", "U6"}
PLACES = FOSTER | {"P1", "P2", "P3", "A3", "A4", "A5", "A6", "K1", "K2", "K3", "R1", "R2", "R3",
                   "R5", "S1", "H5", "T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14"}
RECS = {"X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48",
        "E5", "E6", "E7", "E8", "E9", "E14", "E15", "E16", "E17"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("sample") / "northshire"
    path = write_sample(out, children=CHILDREN, seed=SEED)
    assert pathlib.Path(path) == out
    return out


def read(folder: pathlib.Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def to_date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None), format="%d/%m/%Y")


@pytest.fixture(scope="module")
def episodes(sample) -> pd.DataFrame:
    ep = read(sample, "episodes")
    ep["DECOM"] = to_date(ep["DECOM"])
    ep["DEC"] = to_date(ep["DEC"])
    return ep.sort_values(["CHILD", "DECOM"], kind="stable").reset_index(drop=True)


def test_all_tables_with_exact_headers(sample):
    for name, cols in DATA_MD.items():
        first = (sample / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == cols.replace(", ", ","), name
    assert (sample / "cpxl.toml").is_file()


def test_same_seed_same_bytes(sample, tmp_path):
    again = write_sample(tmp_path / "again", children=CHILDREN, seed=SEED)
    for f in sorted(sample.iterdir()):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    other = write_sample(tmp_path / "other", children=CHILDREN, seed=SEED + 1)
    assert (other / "episodes.csv").read_bytes() != (sample / "episodes.csv").read_bytes()


def test_dates_parse_and_child_ids_are_strings(sample):
    for name, cols in DATE_COLUMNS.items():
        df = read(sample, name)
        for c in cols:
            d = to_date(df[c])  # raises on anything but dd/mm/yyyy
            assert d.notna().sum() > 0 or name in {"header", "placed_for_adoption", "uasc"}, (name, c)
            assert d.min() >= pd.Timestamp("1960-01-01"), (name, c)
            # only 18th birthdays (DUC) may lie after the period end
            if c != "DUC":
                assert d.max() <= PERIOD_END, (name, c)
    hdr = read(sample, "header")
    assert hdr["CHILD"].str.fullmatch(r"\d{7}").all()
    assert hdr["CHILD"].is_unique
    assert hdr["SEX"].isin(["1", "2"]).all()


def test_episodes_are_consistent(episodes, sample):
    ep = episodes
    hdr = read(sample, "header")
    assert ep["CHILD"].isin(hdr["CHILD"]).all()
    closed = ep["DEC"].notna()
    assert (ep.loc[closed, "DEC"] >= ep.loc[closed, "DECOM"]).all()
    # codes from the DfE lists
    assert ep["RNE"].isin(list("SLPTUB")).all()
    assert ep["LS"].isin(["C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2",
                          "J3"]).all()
    assert ep["CIN"].isin([f"N{i}" for i in range(1, 9)]).all()
    assert ep["PLACE"].isin(PLACES).all()
    assert ep["REC"].isin(RECS | {""}).all()
    assert ep["PLACE_PROVIDER"].isin([f"PR{i}" for i in range(6)]).all()
    assert (ep["REC"] == "").eq(ep["DEC"].isna()).all()
    # no overlapping episodes; only a child's last episode may be open
    nxt_same = ep["CHILD"].shift(-1) == ep["CHILD"]
    nxt_decom = ep["DECOM"].shift(-1)
    assert not (nxt_same & ep["DEC"].isna()).any()
    assert not (nxt_same & (ep["DEC"] > nxt_decom)).any()
    # X1 chaining: an X1 episode is followed the same day; a period starts with RNE S
    x1 = ep["REC"] == "X1"
    assert (nxt_same[x1] & (nxt_decom[x1] == ep.loc[x1, "DEC"])).all()
    prev_x1 = (ep["CHILD"].shift() == ep["CHILD"]) & (ep["REC"].shift() == "X1")
    assert (ep.loc[~prev_x1, "RNE"] == "S").all()
    assert (ep.loc[prev_x1, "RNE"] != "S").all()
    # a reason for the placement change exactly when the carers change
    pb = ep["RNE"].isin(["P", "B"])
    assert (ep.loc[pb, "REASON_PLACE_CHANGE"] != "").all()
    assert (ep.loc[~pb, "REASON_PLACE_CHANGE"] == "").all()
    # nobody is looked after past their 18th birthday
    dob = to_date(hdr.set_index("CHILD")["DOB"])
    end = ep["DEC"].fillna(PERIOD_END)
    assert ((end - dob.reindex(ep["CHILD"]).to_numpy()).dt.days <= 18 * 366).all()


def test_short_breaks_are_apart(episodes):
    sb = episodes["LS"].isin(["V3", "V4"])
    sb_children = set(episodes.loc[sb, "CHILD"])
    assert sb_children, "the sample should have some short-break children"
    assert not sb_children & set(episodes.loc[~sb, "CHILD"])


def test_headline_figures(episodes, sample):
    ep = episodes[~episodes["LS"].isin(["V3", "V4"])]
    open_d = (ep["DECOM"] <= PERIOD_END) & (ep["DEC"].isna() | (ep["DEC"] > PERIOD_END))
    cla = ep[open_d]
    assert cla["CHILD"].is_unique
    n = cla["CHILD"].nunique()
    assert abs(n - CHILDREN) <= 0.15 * CHILDREN
    pop = read(sample, "population")
    pop = pop[pop["YEAR"] == str(PERIOD_END.year)]
    rate = 10_000 * n / pop["POPULATION_0_17"].astype(int).sum()
    assert 60 <= rate <= 100
    foster = cla["PLACE"].isin(FOSTER).mean()
    assert 0.60 <= foster <= 0.80
    # a year of history: children start and cease care, some are adopted
    year_ago = PERIOD_END - pd.DateOffset(months=12)
    starts = ep[(ep["RNE"] == "S") & (ep["DECOM"] > year_ago)]["CHILD"].nunique()
    assert 0.25 * CHILDREN <= starts <= 0.7 * CHILDREN
    ended = ep[(ep["REC"] != "X1") & (ep["DEC"] > year_ago) & (ep["DEC"] <= PERIOD_END)]
    assert ended["REC"].isin(["E11", "E12"]).any()


def test_history_covers_six_years(episodes):
    ep = episodes[~episodes["LS"].isin(["V3", "V4"])]
    for years_back in range(0, 7):
        d = PERIOD_END - pd.DateOffset(years=years_back)
        n = ((ep["DECOM"] <= d) & (ep["DEC"].isna() | (ep["DEC"] > d))).sum()
        assert n >= 0.7 * CHILDREN, years_back


def test_geography_and_config(sample, episodes):
    areas = read(sample, "areas")
    assert len(areas) == 12 and set(areas["AREA"]) == {"North", "East", "Central"}
    districts = read(sample, "districts")
    assert districts["DISTRICT"].isin(areas["DISTRICT"]).all()
    assert districts["CHILD"].is_unique
    pcd = read(sample, "postcode_districts")
    assert pcd["DISTRICT"].isin(areas["DISTRICT"]).all()
    hp = episodes["HOME_POST"][episodes["HOME_POST"] != ""]
    assert hp.str.split(" ").str[0].isin(pcd["OUTWARD_CODE"]).all()
    pop = read(sample, "population")
    assert pop["GEOGRAPHY"].isin(areas["DISTRICT"]).all()
    assert pop["YEAR"].astype(int).min() <= PERIOD_END.year - 6
    cfg = tomllib.loads((sample / "cpxl.toml").read_text(encoding="utf-8"))
    assert cfg["authority"] == {"name": "Northshire", "la_code": 888}
    assert cfg["indicators"]["visit_interval_days"] == 42
    for area, names in cfg["areas"].items():
        assert sorted(names) == sorted(areas.loc[areas["AREA"] == area, "DISTRICT"])
    workers = read(sample, "workers")
    alloc = read(sample, "allocations")
    assert alloc["WORKER_ID"].isin(workers["WORKER_ID"]).all()
    assert read(sample, "sw_episodes")["SW_ID"].isin(workers["WORKER_ID"]).all()


def test_local_tables_refer_to_known_children(sample):
    cla = set(read(sample, "header")["CHILD"])
    known = cla | set(read(sample, "districts")["CHILD"])
    for name in ("visits", "health_assessments", "dental_checks", "peps", "reviews", "oc2",
                 "missing", "sw_episodes", "uasc"):
        assert read(sample, name)["CHILD"].isin(cla).all(), name
    for name in ("referrals", "assessments", "cp_plans", "allocations"):
        children = read(sample, name)["CHILD"]
        assert children.isin(known).all(), name
        assert (~children.isin(cla)).mean() > 0.5, name  # mostly children never looked after
    cp = read(sample, "cp_plans")
    start, end = to_date(cp["CPP_START"]), to_date(cp["CPP_END"])
    assert (end.dropna() >= start[end.notna()]).all()
    assert cp["CATEGORY"].isin(["NEG", "PHY", "EMO", "SAB", "MUL"]).all()
    ha = read(sample, "health_assessments")
    assert ha["TYPE"].isin(["IHA", "RHA"]).all()


def test_period_end_is_respected(tmp_path):
    out = write_sample(tmp_path / "march", children=120, seed=3, period_end="2022-03-31")
    ep = read(out, "episodes")
    decom, dec = to_date(ep["DECOM"]), to_date(ep["DEC"])
    d = pd.Timestamp("2022-03-31")
    assert decom.max() <= d
    la = ~ep["LS"].isin(["V3", "V4"])
    n = ep.loc[la & (decom <= d) & (dec.isna() | (dec > d)), "CHILD"].nunique()
    assert n == 120
