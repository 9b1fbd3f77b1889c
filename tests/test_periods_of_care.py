"""Periods of care on real extracts' shapes (issue 10): same-day moves, overlapping episodes,
episodes split across files, and the DfE stability exceptions.  Hand-computed from the shared
spec indicators.md (Conventions) and the rules the issue states:

- only rows that repeat the whole episode are duplicates; a zero-length episode (DECOM = DEC) is
  a real episode, and a child's episodes are taken in the order (DECOM, DEC with blank last,
  file order);
- an X1 episode continues into the child's not-yet-used episode that starts on its DEC, wherever
  that row sits; only when there is none does the period of care end on that DEC.

D = 2020-12-31 unless said otherwise; W, the year to D, is 2020-01-01 .. 2020-12-31.
"""
from __future__ import annotations

import pytest

import cpxl
from cpxl.dates import period_ends
from cpxl.engine import Context
from builders import _frame, blank, chain, ep, kid, nd, pick, run, write_csv, write_dataset

D = "2020-12-31"


def approx(x):
    return pytest.approx(x, rel=1e-9)


def _rules(dataset, rule):
    rep = dataset.report()
    return rep.loc[rep["rule"] == rule]


# --- 1. a zero-length episode on a move day ----------------------------------------------------

def _move_day(child, order, rne_b="P"):
    """Episode A (U4) ends X1 on 01/06/2020; B (U5) starts and ends that day (X1); C (U6) starts
    that day and is open.  ``order`` is the order the rows are written in the file."""
    rows = {"A": ep(child, "01/01/2020", dec="01/06/2020", rec="X1", rne="S", place="U4"),
            "B": ep(child, "01/06/2020", dec="01/06/2020", rec="X1", rne=rne_b, place="U5"),
            "C": ep(child, "01/06/2020", rne="P", place="U6")}
    return [rows[k] for k in order]


@pytest.fixture(scope="module")
def move_day(tmp_path_factory):
    folder = tmp_path_factory.mktemp("move_day")
    episodes = (_move_day("Z1", "ABC") + _move_day("Z2", "ACB") + _move_day("Z3", "CBA")
                + _move_day("Z4", "ABC", rne_b="T"))
    write_dataset(folder, header=[kid(c, "01/01/2012") for c in ["Z1", "Z2", "Z3", "Z4"]],
                  episodes=episodes,
                  visits=[(c, "01/12/2020") for c in ["Z1", "Z2", "Z3", "Z4"]])
    return folder


def test_zero_length_episode_is_not_a_duplicate(move_day):
    # Z1-Z4: A -> B -> C is one period of care, whatever the order of the rows in the file.
    # Before, C (same CHILD and DECOM as B) was dropped as a duplicate: the child, still in care,
    # vanished from cla_count, placed_*, stability_3plus_pct and visits_in_time_pct, and
    # cla_ceased_12m counted a leaver who never left (the period ended with B on 01/06/2020).
    data = cpxl.load(move_day)
    assert len(data.tables["episodes"]) == 12
    assert _rules(data, "episodes_duplicate").empty
    assert _rules(data, "episodes_overlap").empty        # B ends as C starts: no overlap
    assert _rules(data, "episodes_x1_without_next").empty
    assert _rules(data, "episodes_same_start").empty     # a zero-length episode is normal
    out = cpxl.compute(data, D, months=1)
    assert pick(out, "cla_count")["value"] == 4
    assert pick(out, "cla_started_12m")["value"] == 4    # each period began 01/01/2020
    assert pick(out, "cla_ceased_12m")["value"] == 0     # nobody left
    assert pick(out, "repeat_cla_pct")["numerator"] == 0
    # On D every child is in C (U6, foster care).
    assert tuple(nd(out, "placed_foster_pct")) == (4, 4)
    # stability_3plus_pct: Z1-Z3 have A (begins 01/01/2020, in W), B (RNE P: a new placement,
    # on the move day) and C (RNE P) = 3 placements in W -> yes.  Z4's B has RNE T (same
    # carers as A): A and C only = 2 -> no.
    assert tuple(nd(out, "stability_3plus_pct")) == (3, 4)
    # visits_in_time_pct: every child looked after since 01/01/2020, visited 01/12/2020 (within
    # 42 days of D) -> 4 of 4.
    assert tuple(nd(out, "visits_in_time_pct")) == (4, 4)


def test_zero_length_episode_opening_a_period(tmp_path):
    # Z5: the period opens with a zero-length X1 episode (S, U4) on 01/06/2020 and carries on
    # into the U5 episode (RNE P) that day: one period of care, two placements; the zero-length
    # episode cannot be its own successor.
    write_dataset(tmp_path, header=[kid("Z5", "01/01/2012")], episodes=[
        ep("Z5", "01/06/2020", rne="P", place="U5"),
        ep("Z5", "01/06/2020", dec="01/06/2020", rec="X1", rne="S", place="U4")])
    data = cpxl.load(tmp_path)
    assert len(data.tables["episodes"]) == 2                        # neither row dropped
    out = cpxl.compute(data, D, months=1)
    assert pick(out, "cla_count")["value"] == 1
    assert pick(out, "cla_started_12m")["value"] == 1
    assert pick(out, "cla_ceased_12m")["value"] == 0
    assert tuple(nd(out, "stability_3plus_pct")) == (0, 1)          # 2 placements
    ctx = Context(data, period_ends(D, 1))
    assert list(ctx.care_periods["start"].astype(str)) == ["2020-06-01"]
    assert list(ctx.placements["start"].astype(str)) == ["2020-06-01", "2020-06-01"]


def test_same_episode_in_two_years_files(tmp_path):
    # D1's open episode is in last year's and this year's extracts, identical: the repeat is a
    # duplicate, reported and not used.  D2's episode was open in last year's extract and has
    # ended in this year's: the rows differ (DEC, REC), so both are real episodes to cpxl, each
    # reported (overlap and same start) and used.
    header = [kid("D1", "01/01/2012"), kid("D2", "01/01/2012")]
    last_year = [ep("D1", "01/03/2019", rne="S", place="U4"), ep("D2", "01/03/2019", place="U4")]
    this_year = [ep("D1", "01/03/2019", rne="S", place="U4"),
                 ep("D2", "01/03/2019", dec="01/06/2020", rec="E8", place="U4")]
    write_dataset(tmp_path, header=header)
    write_csv(tmp_path / "episodes_2019.csv", _frame("episodes", last_year))
    write_csv(tmp_path / "episodes_2020.csv", _frame("episodes", this_year))
    data = cpxl.load(tmp_path)
    dup = _rules(data, "episodes_duplicate")
    assert list(zip(dup["file"], dup["row"], dup["child"], dup["used"])) == [
        ("episodes_2020.csv", 2, "D1", "no")]
    assert "the repeat is not used" in dup["problem"].iloc[0]
    assert len(data.tables["episodes"]) == 3
    same = _rules(data, "episodes_same_start")
    assert list(zip(same["file"], same["row"], same["child"])) == [("episodes_2019.csv", 3, "D2")]
    assert same["used"].iloc[0].startswith("yes")
    overlap = _rules(data, "episodes_overlap")
    assert list(zip(overlap["file"], overlap["row"])) == [("episodes_2019.csv", 3)]
    out = cpxl.compute(data, D, months=1)
    # D1 counts once; D2's stale open row keeps D2 looked after (both rows are used: the report
    # tells the analyst to keep only the newer one) -> 2.
    assert pick(out, "cla_count")["value"] == 2


# --- 2. overlapping episodes --------------------------------------------------------------------

def _overlapping(child):
    """E1 (S, U4) from 01/01/2018 ends X1 on 03/06/2020; E2 (RNE P, U5, V2), never closed,
    began 01/09/2019 inside E1; E3 (RNE T: placed for adoption, A4, with E1's carers) starts on
    03/06/2020.  By start the rows run E1, E2, E3: E1's successor is not the next row."""
    return [ep(child, "01/01/2018", dec="03/06/2020", rec="X1", rne="S", place="U4"),
            ep(child, "01/09/2019", rne="P", ls="V2", place="U5"),
            ep(child, "03/06/2020", rne="T", place="A4")]


@pytest.mark.parametrize("split", [False, True])
def test_x1_episode_continues_into_a_non_adjacent_successor(tmp_path, split):
    # O1's E1 continues into E3 (it starts on E1's DEC): one period from 01/01/2018, open, and
    # E1's placement carries on into E3 (RNE T).  E2 is a period of its own (no X1 episode
    # leads into it) from 01/09/2019, open.  Before, E1's period ended on 03/06/2020 (a leaver
    # invented) and E3 opened a new one (a start invented).
    # split: E3 in a file read before the one holding E1 and E2 (file names sort a_ < b_).
    rows = _overlapping("O1")
    header = [kid("O1", "01/01/2012")]
    if split:
        write_dataset(tmp_path, header=header)
        write_csv(tmp_path / "a_episodes.csv", _frame("episodes", rows[2:]))
        write_csv(tmp_path / "b_episodes.csv", _frame("episodes", rows[:2]))
    else:
        write_dataset(tmp_path, header=header, episodes=rows)
    data = cpxl.load(tmp_path)
    # Both E2 (inside E1) and E3 (while E2 is open) are reported as overlapping.
    assert len(_rules(data, "episodes_overlap")) == 2
    assert _rules(data, "episodes_x1_without_next").empty
    out = cpxl.compute(data, D, months=1)
    assert pick(out, "cla_count")["value"] == 1                 # two open episodes: one child
    assert pick(out, "cla_started_12m")["value"] == 0           # no period began in 2020
    assert pick(out, "cla_ceased_12m")["value"] == 0            # and none ended
    assert tuple(nd(out, "repeat_cla_pct")) == (0, 0)
    # On D, E2 and E3 are open: the later-starting one (E3, A4) counts.
    assert tuple(nd(out, "placed_adoption_pct")) == (1, 1)
    assert tuple(nd(out, "placed_foster_pct")) == (0, 1)
    # stability_3plus_pct: E1's placement (from 2018, continued by E3) and E2's (from 2019) are
    # both current at the start of W: one placement; none begins in W -> 1 -> no.
    assert tuple(nd(out, "stability_3plus_pct")) == (0, 1)
    # stability_long_pct: aged 8, current period (E1 -> E3) began 01/01/2018 <= D - 30 months
    # (2018-06-30); the placement began 01/01/2018 <= D - 24 months -> 1 of 1.  Before: E3's
    # invented period began 03/06/2020, so O1 was not even in the cohort.
    assert tuple(nd(out, "stability_long_pct")) == (1, 1)


def test_two_x1_episodes_ending_on_one_day_share_out_the_successors(tmp_path):
    # W1: E1 (from 01/01/2020) and E2 (from 01/02/2020, overlapping E1) both end X1 on
    # 01/05/2020; only E3 starts that day.  E1 (first in order) continues into E3; E2's period
    # ends on 01/05/2020 (reported: X1 but no episode left to continue into).
    write_dataset(tmp_path, header=[kid("W1", "01/01/2012")], episodes=[
        ep("W1", "01/05/2020", rne="P", place="U6"),
        ep("W1", "01/02/2020", dec="01/05/2020", rec="X1", rne="S", place="U5"),
        ep("W1", "01/01/2020", dec="01/05/2020", rec="X1", rne="S", place="U4")])
    data = cpxl.load(tmp_path)
    alone = _rules(data, "episodes_x1_without_next")
    assert list(alone["row"]) == [3]                            # E2, the file's second data row
    out = cpxl.compute(data, D, months=1)
    assert pick(out, "cla_count")["value"] == 1
    assert pick(out, "cla_started_12m")["value"] == 1           # periods from 01/01 and 01/02
    assert pick(out, "cla_ceased_12m")["value"] == 1            # E2's period ended 01/05/2020


# --- 3. the DfE stability exceptions --------------------------------------------------------------

def test_stability_3plus_adoption_with_foster_carers_is_no_move(tmp_path):
    # Each child: foster U4 from 01/06/2019 (current at the start of W), new foster carers U5
    # (RNE P) 01/03/2020, a temporary episode T1 (RNE P) 01/07/2020, then placed for adoption
    # (A4) on 01/08/2020.
    # S1: with the U5 carers (RNE T): no new placement (the temporary one never is) -> 2 -> no.
    # S2: the same with RNE U -> 2 -> no.
    # S3: with new carers (RNE P): a third placement -> yes.
    # S4: with the U5 carers (RNE T) directly, no temporary episode -> 2 -> no.
    def kid_eps(child, rne, temporary=True):
        steps = [("01/06/2019", "S", "U4"), ("01/03/2020", "P", "U5")]
        if temporary:
            steps.append(("01/07/2020", "P", "T1"))
        return chain(child, *steps, ("01/08/2020", rne, "A4"))
    write_dataset(tmp_path, header=[kid(c, "01/01/2018") for c in ["S1", "S2", "S3", "S4"]],
                  episodes=kid_eps("S1", "T") + kid_eps("S2", "U") + kid_eps("S3", "P")
                  + kid_eps("S4", "T", temporary=False))
    out = run(tmp_path, D)
    assert tuple(nd(out, "stability_3plus_pct")) == (1, 4)


def test_stability_long_adoption_exception(tmp_path):
    # D - 30 months = 2018-06-30, D - 24 months = 2018-12-31.  Every child aged 5 on D; every
    # period of care but AD6's began on or before 2018-06-30.
    episodes = [
        # AD1: foster U4 from 01/01/2018, placed for adoption with new carers (RNE P, A4)
        # 01/06/2020: the placement before the adoptive one began 01/01/2018 -> yes (the DfE's
        # exception; before, cpxl said no).
        *chain("AD1", ("01/01/2018", "S", "U4"), ("01/06/2020", "P", "A4")),
        # AD2: the placement before the adoptive one began 01/03/2019 -> no.
        *chain("AD2", ("01/01/2018", "S", "U4"), ("01/03/2019", "P", "U5"), ("01/06/2020", "P", "A4")),
        # AD3: a temporary episode before the adoptive placement belongs to the placement
        # before it (U4 from 01/01/2018) -> yes.
        *chain("AD3", ("01/01/2018", "S", "U4"), ("01/05/2020", "P", "T1"), ("01/06/2020", "P", "A5")),
        # AD4: placed for adoption with the U5 foster carers (RNE T): the adoptive placement is
        # U5's, from 01/03/2019; the one before it began 01/01/2018 -> yes.
        *chain("AD4", ("01/01/2018", "S", "U4"), ("01/03/2019", "P", "U5"), ("01/06/2020", "T", "A4")),
        # AD5: the adoptive placement broke down: on D in foster care (U5, RNE P, 01/10/2020) ->
        # not placed for adoption on D, current placement from 01/10/2020 -> no.
        *chain("AD5", ("01/01/2018", "S", "U4"), ("01/06/2020", "P", "A4"), ("01/10/2020", "P", "U5")),
        # AD6: period began 01/01/2019: not in the cohort.
        *chain("AD6", ("01/01/2019", "S", "U4"), ("01/06/2020", "P", "A4")),
        # AD7: an earlier period's placement is not "the placement before" (same period only):
        # the current period opened 01/01/2018 with a temporary episode and the adoptive
        # placement (RNE P, 01/06/2020) is its first -> no.
        ep("AD7", "01/01/2015", dec="31/12/2017", rec="E4A", place="U4"),
        *chain("AD7", ("01/01/2018", "S", "T0"), ("01/06/2020", "P", "A4")),
    ]
    write_dataset(tmp_path, header=[kid(f"AD{i}", "01/01/2015") for i in range(1, 8)],
                  episodes=episodes)
    out = run(tmp_path, D)
    # Cohort AD1-AD5, AD7 = 6; stable AD1, AD3, AD4 = 3.
    assert tuple(nd(out, "stability_long_pct")) == (3, 6)
    assert pick(out, "stability_long_pct")["value"] == approx(50.0)


def test_zero_length_moves_change_nothing_else(tmp_path):
    # A zero-length episode with RNE L (legal status only) between two episodes of the same
    # placement: still one placement, one period (M1); against the same history without it (M2).
    write_dataset(tmp_path, header=[kid("M1", "01/01/2012"), kid("M2", "01/01/2012")], episodes=[
        *chain("M1", ("01/01/2018", "S", "U4"), ("01/06/2020", "L", "U4"), ("01/06/2020", "L", "U4")),
        *chain("M2", ("01/01/2018", "S", "U4"), ("01/06/2020", "L", "U4"))])
    out = run(tmp_path, D)
    assert tuple(nd(out, "stability_long_pct")) == (2, 2)
    assert tuple(nd(out, "stability_3plus_pct")) == (0, 2)
    assert pick(out, "cla_ceased_12m")["value"] == 0
    assert not blank(pick(out, "cla_count")["value"])


# --- the chain rule against a plain loop ----------------------------------------------------------

from hypothesis import given, settings, strategies as st   # noqa: E402
import numpy as np                                         # noqa: E402
import pandas as pd                                        # noqa: E402

from cpxl.care import episode_order, successors            # noqa: E402


@st.composite
def _tangles(draw):
    """Episodes of 1-3 children on a handful of days: many starting or ending on one day, some
    zero-length, some open, X1 or not: the shapes where "the next row" and "the successor" part."""
    rows = []
    for child in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(1, 7))):
            start = draw(st.integers(0, 5))
            end = None if draw(st.integers(0, 4)) == 0 else start + draw(st.integers(0, 3))
            rec = "" if end is None else draw(st.sampled_from(["X1", "X1", "E8"]))
            rows.append((child, start, end, rec))
    return rows


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_tangles())
def test_successors_match_a_plain_loop(rows):
    # The loop: episodes in the order (DECOM, DEC with blank last, row); each X1 episode, in that
    # order, takes the first episode after it, not yet taken, that starts on its DEC.
    base = pd.Timestamp("2020-01-01")
    cid = np.array([r[0] for r in rows])
    decom = pd.Series([base + pd.Timedelta(days=r[1]) for r in rows])
    dec = pd.Series([pd.NaT if r[2] is None else base + pd.Timedelta(days=r[2]) for r in rows])
    rec = np.array([r[3] for r in rows], dtype=object)
    order = episode_order(cid, decom, dec)
    cid, decom, dec, rec = cid[order], decom.iloc[order].reset_index(drop=True), \
        dec.iloc[order].reset_index(drop=True), rec[order]
    want = [-1] * len(rows)
    taken = [False] * len(rows)
    for i in range(len(rows)):
        if rec[i] != "X1" or pd.isna(dec[i]):
            continue
        for j in range(i + 1, len(rows)):
            if cid[j] == cid[i] and not taken[j] and decom[j] == dec[i]:
                taken[j], want[i] = True, j
                break
    assert successors(cid, decom, dec, rec).tolist() == want
