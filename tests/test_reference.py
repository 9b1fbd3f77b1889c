"""cpxl's SSDA903 indicators against an independent reference (tests/reference/ssda903.py).

The reference is written from the indicator definitions alone, child by child, sharing nothing
with the engine but the reading and typing of the files.  Every SSDA903 indicator (the "Children
looked after", "Profile" and "Care leavers" tables) must agree at every geography and period end
on the bundled sample, on small generated counties and on the D2I validator's fake 903 data.

The reference implements the three readings that once made cpxl differ (a zero-length episode on
a move day is a real episode; an X1 episode continues into the child's unused episode starting on
its DEC wherever it sits; the long-term stability measure credits a child placed for adoption whose
previous placement lasted).  The "strict" tests also compare with those children left out, so a
difference elsewhere is not hidden behind them; the "every child" tests compare everyone.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cpxl
from cpxl.sample import write_sample
from reference.ssda903 import (ADOPTION, _episodes_before_validation, prepare, reference_table,
                                restrict)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "northshire"
# The public data folder: $CPXL_SHARED_DATA, else ../shared/data beside the repository.
FAKE = Path(os.environ.get("CPXL_SHARED_DATA") or ROOT.parent / "shared" / "data") / "fake903"
needs_fake = pytest.mark.skipif(not (FAKE / "episodes.csv").exists(),
                                reason=f"the public fake903 tables are not at {FAKE} "
                                       "(set CPXL_SHARED_DATA to the public data folder)")

def _affected_by_known_defects(data, path) -> tuple[set, set]:
    """(children whose episodes overlap or repeat a DECOM without repeating the episode,
    children ever placed for adoption: the long-term stability exception)."""
    e = data.tables["episodes"]
    raw = _episodes_before_validation(path)
    raw = raw.sort_values(["CHILD", "DECOM"], kind="stable")
    same_child = raw["CHILD"].eq(raw["CHILD"].shift())
    prev_end = raw["DEC"].shift()
    overlap = same_child & (prev_end.isna() | (raw["DECOM"] < prev_end))
    content = [c for c in raw.columns if not c.startswith("_")]
    same_day = raw.duplicated(["CHILD", "DECOM"], keep=False) & ~raw.duplicated(content, keep=False)
    chain = set(raw.loc[overlap | same_day, "CHILD"])
    adoption = set(e.loc[e["PLACE"].isin(ADOPTION), "CHILD"])
    return chain, adoption


def _compare(ref: pd.DataFrame, got: pd.DataFrame) -> pd.DataFrame:
    """The rows where the reference and cpxl differ (value or numerator or denominator)."""
    m = ref.merge(got, on=["indicator", "period_end", "level", "geography"], how="left",
                  suffixes=("_ref", "_cpxl"), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["indicator", "geography"]]

    def same(a, b):
        return np.isclose(a.fillna(-1e12).astype(float), b.fillna(-1e12).astype(float),
                          rtol=1e-9, atol=1e-9)

    den_ok = same(m["denominator_ref"], m["denominator_cpxl"]) | m["denominator_ref"].isna()
    ok = same(m["value_ref"], m["value_cpxl"]) & same(m["numerator_ref"], m["numerator_cpxl"]) & den_ok
    return m.loc[~ok, ["indicator", "period_end", "level", "geography", "numerator_ref",
                       "denominator_ref", "value_ref", "numerator_cpxl", "denominator_cpxl",
                       "value_cpxl", "note"]]


def _subset(ds, children: set):
    # The districts table stays whole: its districts are reported even when empty.
    tables = {n: (t[t["CHILD"].isin(children)].reset_index(drop=True)
                  if "CHILD" in t.columns and n != "districts" else t)
              for n, t in ds.tables.items()}
    return dataclasses.replace(ds, tables=tables)


_LOADED: dict = {}


def _loaded(path):
    """cpxl's dataset and the reference's data for a folder, once per test run."""
    if path not in _LOADED:
        _LOADED[path] = (cpxl.load(path), prepare(path))
    return _LOADED[path]


def _check(path, period_end, months, strict=True, sanity=True):
    ds, data = _loaded(path)
    got = cpxl.compute(ds, period_end, months=months)
    periods = sorted(got["period_end"].unique())
    assert len(periods) == months
    if not strict:
        diff = _compare(reference_table(path, periods, data=data), got)
        assert diff.empty, f"{len(diff)} rows differ:\n{diff.head(30).to_string()}"
        return
    chain, adoption = _affected_by_known_defects(data, path)
    everyone = set(data.children) | set(ds.tables["header"]["CHILD"])
    for c in ("oc3", "uasc", "oc2"):
        if c in ds.tables:
            everyone |= set(ds.tables[c]["CHILD"])
    keep = everyone - chain
    ref = reference_table(path, periods, only=keep, data=data)
    got = cpxl.compute(_subset(ds, keep), period_end, months=months)
    ref, got = ref[ref.indicator != "stability_long_pct"], got[got.indicator != "stability_long_pct"]
    diff = _compare(ref, got)
    assert diff.empty, f"{len(diff)} rows differ:\n{diff.head(30).to_string()}"
    keep -= adoption
    ref = reference_table(path, periods, only=keep, data=data, indicators={"stability_long_pct"})
    got = cpxl.compute(_subset(ds, keep), period_end, months=months, indicators=["stability_long_pct"])
    diff = _compare(ref[ref.indicator == "stability_long_pct"], got)
    assert diff.empty, f"{len(diff)} rows differ:\n{diff.head(30).to_string()}"
    if not sanity:
        return
    # Not an empty comparison: most children are kept, and the table has numbers in it.
    assert len(keep) > 0.5 * len(everyone)
    la = ref[(ref.level == "la") & (ref.indicator == "cla_count")]
    assert la["value"].gt(0).all()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = {}
    for seed in (3, 11, 29):
        p = tmp_path_factory.mktemp(f"gen{seed}")
        write_sample(p, children=40, seed=seed)
        out[seed] = p
    return out


@pytest.mark.parametrize("period_end, months", [("2025-12-31", 13), ("2023-02-28", 4),
                                                ("2021-03-31", 2)])
def test_bundled_sample_matches_the_reference(period_end, months):
    _check(SAMPLE, period_end, months)


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_generated_samples_match_the_reference(generated, seed):
    _check(generated[seed], "2025-12-31", 13)


@needs_fake
def test_fake903_matches_the_reference():
    _check(FAKE, "2018-03-31", 13)


# Month ends drawn from the seed, months 3: about 20 children each, every awkward case of
# reference/adversarial.py somewhere among the seeds.
ADVERSARIAL_SEEDS = range(1, 9)


def _adversarial(tmp_path, seed):
    import random

    from reference.adversarial import make

    make(seed, tmp_path / "data")
    month = random.Random(seed).randrange(12 * 2019, 12 * 2025)
    pe = (pd.Timestamp(year=month // 12, month=month % 12 + 1, day=1) + pd.offsets.MonthEnd(0))
    return tmp_path / "data", pe.date().isoformat()


@pytest.mark.parametrize("seed", ADVERSARIAL_SEEDS)
def test_awkward_random_counties_match_the_reference(tmp_path, seed):
    path, pe = _adversarial(tmp_path, seed)
    _check(path, pe, 3, sanity=False)


@pytest.mark.parametrize("seed", list(ADVERSARIAL_SEEDS)[:3])
def test_awkward_random_counties_match_the_reference_for_every_child(tmp_path, seed):
    path, pe = _adversarial(tmp_path, seed)
    _check(path, pe, 3, strict=False)


@pytest.mark.parametrize("which", ["sample", "fake903"])
def test_every_child_matches_the_reference(which):
    if which == "sample":
        _check(SAMPLE, "2025-12-31", 4, strict=False)
    else:
        if not (FAKE / "episodes.csv").exists():
            pytest.skip(f"the public fake903 tables are not at {FAKE}")
        _check(FAKE, "2018-03-31", 13, strict=False)


def test_the_reference_itself_on_a_hand_made_child(tmp_path):
    """The reference's own reading of the three issue-10 cases, by hand (so that it is a fixed
    point the engine is compared with, not a copy of it).

    Child A: placed in foster care (U4) 2020-01-01; moves twice on 2022-06-15: a zero-length
    episode (P, U5, X1) then a residential placement (P, K1), still open.  Looked after on
    2022-06-30, 3 placements in the year, not a leaver.
    Child B: an X1 episode whose successor is written before an overlapping stray row: one period.
    Child C: foster U4 from 2019-01-01, placed for adoption with new carers (P, A4) on 2021-03-01:
    on 2021-12-31, under 16, in care since 2019 (> 30 months); the adoptive placement is under
    2 years old but the previous one began before 2019-12-31: stable.
    """
    (tmp_path / "header.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC\nA,1,01/01/2010,WBRI\nB,2,01/01/2012,WBRI\nC,1,01/01/2018,WBRI\n")
    (tmp_path / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,REC\n"
        "A,01/01/2020,S,C2,N1,U4,15/06/2022,X1\n"
        "A,15/06/2022,P,C2,N1,U5,15/06/2022,X1\n"
        "A,15/06/2022,P,C2,N1,K1,,\n"
        "B,01/01/2021,S,C2,N1,U4,01/03/2021,X1\n"
        "B,01/02/2021,S,C2,N1,U4,10/02/2021,E3\n"
        "B,01/03/2021,L,C1,N1,U4,,\n"
        "C,01/01/2019,S,C2,N1,U4,01/03/2021,X1\n"
        "C,01/03/2021,P,E1,N1,A4,,\n")
    r = reference_table(tmp_path, ["2022-06-30", "2021-12-31"])
    la = r[r.level == "la"].set_index(["indicator", "period_end"])["value"]
    assert la[("cla_count", "2022-06-30")] == 3
    assert la[("cla_ceased_12m", "2022-06-30")] == 0            # A's move day is no leaving
    assert la[("stability_3plus_pct", "2022-06-30")] == pytest.approx(100 / 3)  # A: U4, U5, K1
    assert la[("cla_started_12m", "2021-12-31")] == 1           # B twice (one child)
    assert la[("cla_ceased_12m", "2021-12-31")] == 1            # B's stray E3 row is a period
    assert la[("stability_long_pct", "2021-12-31")] == 100.0    # C only (A: 2 years in care)
    data = prepare(tmp_path)
    b = data.children["B"]
    assert [(p.start.isoformat(), p.end and p.end.isoformat()) for p in b.periods] == \
        [("2021-01-01", None), ("2021-02-01", "2021-02-10")]
    assert restrict(data, {"A"}).children.keys() == {"A"}
