"""Children looked after (indicators.md, first section and the profile): hand-computed cases.

Every expected number below was worked out by hand from the definition in docs/indicators.md
(the contract's); the reasoning is in the comments.  Unless said otherwise D = 2020-12-31 (a
Thursday) and W, the year to D, is 2020-01-01 .. 2020-12-31 (D minus 12 months = 2019-12-31).
The authority is "Testshire" (cpxl.toml written by the builder); with no districts table every
child is in the district ``Unknown``.
"""
from __future__ import annotations

import math

import pytest

from builders import blank, chain, ep, kid, nd, pick, run, write_dataset

D = "2020-12-31"


def approx(x):
    return pytest.approx(x, rel=1e-9)


def header_for(children, dob="01/01/2010"):
    return [kid(c, dob) for c in children]


# --- looked after on D: cla_count, cla_rate_10k --------------------------------------------

@pytest.fixture(scope="module")
def looked_after(tmp_path_factory):
    folder = tmp_path_factory.mktemp("la")
    episodes = [
        ep("C1", "01/06/2020"),                                   # open: looked after
        ep("C2", "01/01/2020", dec="31/12/2020", rec="E8"),      # leaves on D: not looked after
        ep("C3", "01/06/2020", ls="V3"),                          # short breaks: never counted
        ep("C4", "01/06/2020", ls="V4"),                          # short breaks: never counted
        ep("C5", "31/12/2020"),                                   # starts on D: looked after
        ep("C6", "01/01/2021"),                                   # starts after D: not
        ep("C7", "01/01/2020", dec="01/01/2021", rec="E8"),      # leaves the day after D: yes
        *chain("C8", ("01/01/2019", "S", "U4"), ("01/03/2020", "P", "U5")),   # X1 chain: one child
        # C9: a C2 episode ends X1 and the episode that follows is V3: not looked after on D.
        ep("C9", "01/01/2019", dec="01/06/2020", rec="X1"),
        ep("C9", "01/06/2020", ls="V3"),
    ]
    write_dataset(folder, header=header_for([f"C{i}" for i in range(1, 10)]), episodes=episodes,
                  population=[("Testshire", 2018, 4000), ("Testshire", 2020, 8000)])
    return folder


def test_cla_count_open_on_d(looked_after):
    # Looked after on D: C1, C5, C7, C8 -> 4.  Not: C2 (DEC = D), C3/C4 (V3/V4), C6 (starts after
    # D), C9 (its open episode is V3).
    out = run(looked_after, D)
    r = pick(out, "cla_count")
    assert (r["numerator"], r["value"]) == (4, 4)
    assert blank(r["denominator"])
    assert pick(out, "cla_count", "Unknown")["value"] == 4     # no districts: all Unknown


def test_cla_count_over_months(looked_after):
    # months=13 ends at 2019-12-31 .. 2020-12-31.  On 2019-12-31 only C8 and C9 (both from
    # 2019-01-01) are looked after -> 2.  On 2020-05-31: C2, C7, C8, C9 -> 4.  On 2020-06-30:
    # C1, C2, C7, C8 (C9 is now in its V3 episode) -> 4.
    out = run(looked_after, D, months=13)
    assert pick(out, "cla_count", period_end="2019-12-31")["value"] == 2
    assert pick(out, "cla_count", period_end="2020-05-31")["value"] == 4
    assert pick(out, "cla_count", period_end="2020-06-30")["value"] == 4


def test_cla_rate_10k_latest_population_year(looked_after):
    # D = 2020-12-31: 4 children / 8,000 (the 2020 row) x 10,000 = 5.0.
    # D = 2019-12-31: 2 children / 4,000 (no 2019 row: the latest year <= 2019 is 2018) = 5.0.
    # D = 2020-01-31: C2, C7, C8, C9 = 4 / 8,000 = 5.0.  The denominators tell the years apart.
    out = run(looked_after, D, months=13)
    r = pick(out, "cla_rate_10k", period_end="2020-12-31")
    assert (r["numerator"], r["denominator"], r["value"]) == (4, 8000, approx(5.0))
    r = pick(out, "cla_rate_10k", period_end="2019-12-31")
    assert (r["numerator"], r["denominator"], r["value"]) == (2, 4000, approx(5.0))
    r = pick(out, "cla_rate_10k", period_end="2020-01-31")
    assert (r["numerator"], r["denominator"], r["value"]) == (4, 8000, approx(5.0))
    # Unknown has no population row: no rate, with a note.
    u = pick(out, "cla_rate_10k", "Unknown", period_end="2020-12-31")
    assert blank(u["value"]) and u["note"]


def test_cla_rate_10k_before_any_population_year(tmp_path):
    # The only population row is for 2021; D = 2020-12-31 has no year <= 2020: blank, noted.
    write_dataset(tmp_path, header=header_for(["C1"]), episodes=[ep("C1", "01/06/2020")],
                  population=[("Testshire", 2021, 1000)])
    r = pick(run(tmp_path, D), "cla_rate_10k")
    assert r["numerator"] == 1 and blank(r["value"]) and "population" in r["note"]


def test_cla_rate_10k_not_available_without_population(looked_after, tmp_path):
    write_dataset(tmp_path, header=header_for(["C1"]), episodes=[ep("C1", "01/06/2020")])
    r = pick(run(tmp_path, D), "cla_rate_10k")
    assert blank(r["value"]) and blank(r["numerator"])
    assert r["note"].startswith("not available") and "population" in r["note"]


# --- starting, ceasing, repeat, abuse or neglect, ratio, adopted, SGO ------------------------

@pytest.fixture(scope="module")
def flows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flows")
    episodes = [
        # S1 starts in W (on its first day), CIN N1.
        ep("S1", "01/01/2020", cin="N1"),
        # S2: earlier period ended 31/12/2019 (= D minus 12 months, so before W); starts again
        # 10/02/2020 with CIN N2 -> started, repeat, not abuse.
        ep("S2", "15/03/2017", dec="31/12/2019", rec="E8", cin="N1"),
        ep("S2", "10/02/2020", cin="N2"),
        # S3: two periods in W -> started once, ceased once; first start 01/03/2020 has CIN N4;
        # no earlier period -> not repeat.
        ep("S3", "01/03/2020", dec="01/04/2020", rec="E8", cin="N4"),
        ep("S3", "01/06/2020", cin="N1"),
        # S4 starts on D minus 12 months: not in W.
        ep("S4", "31/12/2019", cin="N1"),
        # S5: an X1 chain from 2019; its RNE P episode in W is no start.
        *chain("S5", ("01/06/2019", "S", "U4"), ("01/03/2020", "P", "U5")),
        # S6: X1 whose next episode starts a day later (a gap): two periods.  The first ends
        # 01/05/2020 (ceased in W); the second starts 02/05/2020 (started in W, CIN N1), after
        # an earlier period that ended 01/05/2020 -> repeat.
        ep("S6", "01/06/2019", dec="01/05/2020", rec="X1", cin="N3"),
        ep("S6", "02/05/2020", rne="P", cin="N1"),
        # S7: V3/V4 episodes starting and ending in W: never counted.
        ep("S7", "01/04/2020", dec="01/05/2020", rec="E8", ls="V3"),
        ep("S7", "01/01/2019", dec="01/06/2019", rec="E8", ls="V4"),
        ep("S7", "01/06/2020", dec="01/07/2020", rec="E8", ls="V4"),
        # S8 adopted on D (E11): ceased in W, adopted.
        ep("S8", "01/02/2018", dec="31/12/2020", rec="E11", place="A3"),
        # S9 SGO (E45) on the first day of W: ceased, SGO.
        ep("S9", "01/02/2018", dec="01/01/2020", rec="E45"),
        # S10 adopted on D minus 12 months: not in W.
        ep("S10", "01/02/2018", dec="31/12/2019", rec="E11", place="A3"),
        # S11 starts on D, CIN N1.
        ep("S11", "31/12/2020", cin="N1"),
        # S13 adopted (E12), S14 SGO (E48), S15 SGO (E47), all in W.
        ep("S13", "01/01/2019", dec="30/06/2020", rec="E12", place="A4"),
        ep("S14", "01/01/2019", dec="30/06/2020", rec="E48"),
        ep("S15", "01/01/2019", dec="30/06/2020", rec="E47"),
        # S16: X1 chain ending E11 in W: the period ends with its last episode's REC -> adopted.
        *chain("S16", ("01/01/2018", "S", "U1"), ("01/03/2020", "T", "A4"),
               final_dec="01/10/2020", final_rec="E11"),
    ]
    kids = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S13", "S14",
            "S15", "S16"]
    write_dataset(folder, header=header_for(kids), episodes=episodes)
    return folder


def test_started_ceased_repeat_abuse(flows):
    out = run(flows, D)
    # started: S1, S2, S3, S6, S11 = 5 (S3 once; S4 started on D-12m; S5 no new period; S7 V3).
    assert pick(out, "cla_started_12m")["value"] == 5
    # ceased: S3 (01/04), S6 (01/05), S8 (on D), S9 (01/01), S13, S14, S15, S16 = 8
    # (S10 ended on D minus 12 months; S7's V3/V4 episodes never count).
    assert pick(out, "cla_ceased_12m")["value"] == 8
    # repeat: S2 and S6 had a period that ended before their first start in W: 2 of 5 = 40%.
    assert tuple(nd(out, "repeat_cla_pct")) == (2, 5)
    assert pick(out, "repeat_cla_pct")["value"] == approx(40.0)
    # abuse or neglect: first episode of the first start in W has CIN N1: S1, S6, S11 = 3 of 5.
    assert tuple(nd(out, "started_abuse_neglect_pct")) == (3, 5)
    assert pick(out, "started_abuse_neglect_pct")["value"] == approx(60.0)
    # ratio 5 / 8
    r = pick(out, "started_to_ceased_ratio")
    assert (r["numerator"], r["denominator"], r["value"]) == (5, 8, approx(0.625))
    # adopted (E11/E12): S8, S13, S16 = 3 of 8; SGO (E45-E48): S9, S14, S15 = 3 of 8.
    assert tuple(nd(out, "adopted_pct")) == (3, 8)
    assert pick(out, "adopted_pct")["value"] == approx(37.5)
    assert tuple(nd(out, "sgo_pct")) == (3, 8)
    assert pick(out, "sgo_pct")["value"] == approx(37.5)


def test_flows_on_an_earlier_period_end(flows):
    # D = 2020-06-30, W = 2019-07-01 .. 2020-06-30 (D minus 12 months = 2019-06-30).
    # started: S1 (01/01), S2 (10/02), S3 (01/03), S4 (31/12/2019), S6 (02/05) = 5.
    #   S5 started 01/06/2019, before W; S11 not yet.
    # ceased: S3 (01/04), S6 (01/05), S9 (01/01/2020), S10 (31/12/2019), S13/S14/S15 (30/06 = D)
    #   = 7, and S2's first period (31/12/2019) = 8.  S8, S16 not yet.
    # repeat: S2 (ended 31/12/2019 before 10/02/2020) and S6 -> 2 of 5.
    out = run(flows, "2020-06-30")
    assert pick(out, "cla_started_12m")["value"] == 5
    assert pick(out, "cla_ceased_12m")["value"] == 8
    assert tuple(nd(out, "repeat_cla_pct")) == (2, 5)
    # adopted: S10 (E11), S13 (E12) = 2 of 8; SGO: S9, S14, S15 = 3 of 8.
    assert tuple(nd(out, "adopted_pct")) == (2, 8)
    assert tuple(nd(out, "sgo_pct")) == (3, 8)


def test_ratio_with_nobody_ceasing_is_blank(tmp_path):
    write_dataset(tmp_path, header=header_for(["C1"]), episodes=[ep("C1", "01/06/2020")])
    r = pick(run(tmp_path, D), "started_to_ceased_ratio")
    assert (r["numerator"], r["denominator"]) == (1, 0)
    assert blank(r["value"]) and r["note"]
    a = pick(run(tmp_path, D), "adopted_pct")
    assert (a["numerator"], a["denominator"]) == (0, 0) and blank(a["value"]) and a["note"]


# --- placements: stability_3plus_pct ---------------------------------------------------------

@pytest.fixture(scope="module")
def placements(tmp_path_factory):
    folder = tmp_path_factory.mktemp("placements")
    episodes = [
        # P1: placement current at the start of W (from 01/06/2019) + P on 01/03 + P on 01/08 = 3.
        *chain("P1", ("01/06/2019", "S", "U4"), ("01/03/2020", "P", "U5"), ("01/08/2020", "P", "U6")),
        # P2: 1 (current) + P 01/03; then L, T and U continue the placement -> 2.
        *chain("P2", ("01/06/2019", "S", "U4"), ("01/03/2020", "P", "U5"), ("01/08/2020", "L", "U5"),
               ("01/09/2020", "T", "U5"), ("01/10/2020", "U", "A4")),
        # P3: a temporary episode (T1, RNE P) begins nothing; the episode after it is RNE T, so
        # it begins nothing either; then P on 01/08 -> 1 + 1 = 2.
        *chain("P3", ("01/06/2019", "S", "U4"), ("01/03/2020", "P", "T1"), ("01/04/2020", "T", "U4"),
               ("01/08/2020", "P", "U5")),
        # P4: temporary (T2) then RNE B (begins one), then P -> 1 + 2 = 3.
        *chain("P4", ("01/06/2019", "S", "U4"), ("01/03/2020", "P", "T2"), ("01/04/2020", "B", "U5"),
               ("01/08/2020", "P", "U6")),
        # P5: period begins in W (15/01/2020): its first placement begins in W; + P + P = 3.
        *chain("P5", ("15/01/2020", "S", "U4"), ("01/03/2020", "P", "U5"), ("01/06/2020", "P", "U6")),
        # P6: an earlier period, current at the start of W, ends 01/02/2020; a new period on
        # 01/03/2020 and a P on 01/05/2020 -> 1 + 2 = 3 (placements in W of any period count).
        ep("P6", "01/01/2019", dec="01/02/2020", rec="E8"),
        *chain("P6", ("01/03/2020", "S", "U4"), ("01/05/2020", "P", "U5")),
        # P7: a change on 31/12/2019 (= D minus 12 months, so not in W): that placement is the
        # one current at the start of W; the one before it ended 31/12/2019 and is not.  Then P on
        # 01/07/2020 -> 1 + 1 = 2.
        *chain("P7", ("01/06/2019", "S", "U4"), ("31/12/2019", "P", "U5"), ("01/07/2020", "P", "U6")),
        # P8: only V3 episodes: never looked after.
        ep("P8", "01/02/2020", dec="01/03/2020", rec="E8", ls="V3"),
        ep("P8", "01/04/2020", dec="01/05/2020", rec="E8", ls="V3"),
        ep("P8", "01/06/2020", ls="V3"),
        # P9: three placements in W but left care before D: not in the denominator.
        *chain("P9", ("01/02/2020", "S", "U4"), ("01/03/2020", "P", "U5"), ("01/04/2020", "P", "U6"),
               final_dec="01/12/2020", final_rec="E8"),
    ]
    write_dataset(folder, header=header_for([f"P{i}" for i in range(1, 10)]), episodes=episodes)
    return folder


def test_stability_3plus(placements):
    # Denominator: P1-P7 (looked after on D) = 7.  Numerator: P1, P4, P5, P6 = 4.
    out = run(placements, D)
    assert tuple(nd(out, "stability_3plus_pct")) == (4, 7)
    assert pick(out, "stability_3plus_pct")["value"] == approx(400 / 7)


# --- stability_long_pct ----------------------------------------------------------------------

def test_stability_long(tmp_path):
    # D = 2020-12-31: D - 30 months = 2018-06-30, D - 24 months = 2018-12-31.
    episodes = [
        ep("L1", "30/06/2018"),                                         # cohort; same since -> yes
        ep("L2", "01/07/2018"),                                         # period too recent: out
        *chain("L3", ("01/01/2017", "S", "U4"), ("31/12/2018", "P", "U5")),   # placed on D-24m: yes
        *chain("L4", ("01/01/2017", "S", "U4"), ("01/01/2019", "P", "U5")),   # a day later: no
        # L5: to placed-for-adoption with the same carers (RNE T): no new placement -> yes
        *chain("L5", ("01/01/2017", "S", "U4"), ("01/06/2020", "T", "A4")),
        *chain("L6", ("01/01/2017", "S", "U4"), ("01/06/2020", "U", "A5")),   # RNE U: yes
        # L7: a temporary episode then back (RNE L): still the 2017 placement -> yes
        *chain("L7", ("01/01/2017", "S", "U4"), ("01/06/2020", "P", "T1"), ("01/07/2020", "L", "U4")),
        # L7B: a temporary episode then RNE P: a new placement on 01/07/2020 -> no
        *chain("L7B", ("01/01/2017", "S", "U4"), ("01/06/2020", "P", "T1"), ("01/07/2020", "P", "U5")),
        ep("L8", "01/01/2017"),          # 16 on D (birthday on D): not under 16 -> out
        ep("L9", "01/01/2017"),          # 15 on D (16 the day after): cohort, yes
        # L10: legal status changes (RNE L) in an X1 chain: one period, one placement -> yes
        *chain("L10", ("01/01/2017", "S", "U4"), ("01/06/2017", "L", "U4"), ("01/06/2019", "L", "U4")),
        # L11: a gap breaks the chain: the current period began 05/01/2019 -> out
        ep("L11", "01/01/2017", dec="01/01/2019", rec="X1"),
        ep("L11", "05/01/2019", rne="L"),
        # L13: left care on D: not looked after -> out
        ep("L13", "01/01/2017", dec="31/12/2020", rec="E8"),
        # L14: V3 short breaks since 2017: never looked after -> out
        ep("L14", "01/01/2017", ls="V3"),
    ]
    header = [kid(c, "01/01/2010") for c in ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L7B",
                                              "L10", "L11", "L13", "L14"]]
    header += [kid("L8", "31/12/2004"), kid("L9", "01/01/2005")]
    write_dataset(tmp_path, header=header, episodes=episodes)
    # Cohort: L1, L3, L4, L5, L6, L7, L7B, L9, L10 = 9; numerator L1, L3, L5, L6, L7, L9, L10 = 7.
    out = run(tmp_path, D)
    assert tuple(nd(out, "stability_long_pct")) == (7, 9)
    assert pick(out, "stability_long_pct")["value"] == approx(700 / 9)


def test_stability_long_period_opening_with_a_temporary_episode(tmp_path):
    # Ambiguity (see the indicator's definition): a period that opens with a temporary (T0-T4)
    # episode.  The temporary episode begins no placement; the first non-temporary episode after
    # it then begins the period's first placement whatever its RNE (there is no placement before
    # it to continue).  T1 started 01/01/2017; U4 from 01/02/2017 (RNE L): placement from
    # 01/02/2017 <= D - 24 months -> in the numerator.  T2: U4 from 01/02/2019 -> not.
    episodes = [*chain("T1", ("01/01/2017", "S", "T0"), ("01/02/2017", "L", "U4")),
                *chain("T2", ("01/01/2017", "S", "T0"), ("01/02/2019", "T", "U4"))]
    write_dataset(tmp_path, header=header_for(["T1", "T2"]), episodes=episodes)
    out = run(tmp_path, D)
    assert tuple(nd(out, "stability_long_pct")) == (1, 2)
    # In W (D = 2020-12-31) T1 has the placement current at its start, T2 too (from 2019): 1 each.
    assert tuple(nd(out, "stability_3plus_pct")) == (0, 2)


def test_stability_long_29_february(tmp_path):
    # D = 2021-02-28: D - 30 months = 2018-08-28, D - 24 months = 2019-02-28 (calendar months).
    # D = 2020-02-29: D - 30 months = 2017-08-29, D - 24 months = 2018-02-28 (clamped).
    episodes = [
        *chain("F1", ("28/08/2018", "S", "U4"), ("28/02/2019", "P", "U5")),   # 2021: in, yes
        *chain("F2", ("29/08/2018", "S", "U4"), ("28/02/2019", "P", "U5")),   # 2021: out
        *chain("F3", ("28/08/2018", "S", "U4"), ("01/03/2019", "P", "U5")),   # 2021: in, no
        *chain("G1", ("29/08/2017", "S", "U4"), ("28/02/2018", "P", "U5")),   # 2020: in, yes
        *chain("G2", ("30/08/2017", "S", "U4"), ("28/02/2018", "P", "U5")),   # 2020: out
        *chain("G3", ("29/08/2017", "S", "U4"), ("01/03/2018", "P", "U5")),   # 2020: in, no
    ]
    write_dataset(tmp_path, header=header_for(["F1", "F2", "F3", "G1", "G2", "G3"]),
                  episodes=episodes)
    # On 2021-02-28 the G children's periods began long before: G1 (placed 28/02/2018), G2, G3
    # (placed 01/03/2018) are all in with placements before 2019-02-28 -> yes.  Total: in =
    # F1, F3, G1, G2, G3 = 5; yes = F1, G1, G2, G3 = 4.
    out = run(tmp_path, "2021-02-28")
    assert tuple(nd(out, "stability_long_pct")) == (4, 5)
    # On 2020-02-29 the F children began after 2017-08-29: in = G1, G3 = 2; yes = G1 = 1.
    out = run(tmp_path, "2020-02-29")
    assert tuple(nd(out, "stability_long_pct")) == (1, 2)


# --- placement types ---------------------------------------------------------------------------

def test_placed_types(tmp_path):
    places = ["U1", "u3 ", "U4", "U6", "P1", "A3", "A6", "K1", "R5", "S1", "H5", "P2", "K3", "T1",
              "Z11", "R3"]
    kids = [f"K{i}" for i in range(len(places))]
    episodes = [ep(k, "01/06/2020", place=p) for k, p in zip(kids, places)]
    episodes += [ep("V1", "01/06/2020", place="U2", ls="V3"),            # short breaks: out
                 ep("X1", "01/06/2020", dec="31/12/2020", place="U1")]    # left on D: out
    write_dataset(tmp_path, header=header_for(kids + ["V1", "X1"]), episodes=episodes)
    out = run(tmp_path, D)
    # 16 looked after.  foster U1-U6: U1, U3 (lower case, spaces), U4, U6 = 4;
    # connected U1-U3: 2; parents P1: 1; adoption A3-A6: 2; residential K1, R5, S1: 3;
    # supported H5, P2, K3: 3.  T1, Z11 and R3 are in none of these.
    expected = {"placed_foster_pct": 4, "placed_connected_pct": 2, "placed_parents_pct": 1,
                "placed_adoption_pct": 2, "placed_residential_pct": 3, "placed_supported_pct": 3}
    for ind, n in expected.items():
        assert tuple(nd(out, ind)) == (n, 16), ind
        assert pick(out, ind)["value"] == approx(100 * n / 16), ind


# --- UASC --------------------------------------------------------------------------------------

def test_uasc(tmp_path):
    episodes = [ep("U1", "01/01/2020"), ep("U2", "01/01/2020"), ep("U3", "01/01/2020"),
                ep("U4", "01/01/2020", dec="01/06/2020"), ep("U5", "01/01/2020")]
    uasc = [("U1", "1", "01/01/2005", ""),             # DUC blank: counted
            ("U2", "1", "01/01/2005", "01/01/2021"),   # DUC after D: counted
            ("U3", "1", "01/01/2005", "31/12/2020"),   # DUC on D: not after D -> not counted
            ("U4", "1", "01/01/2005", "")]             # not looked after on D
    write_dataset(tmp_path, header=header_for(["U1", "U2", "U3", "U4", "U5"]), episodes=episodes,
                  uasc=uasc)
    out = run(tmp_path, D)
    assert pick(out, "uasc_count")["value"] == 2
    # cla_count = U1, U2, U3, U5 = 4: 2 of 4 = 50%.
    assert tuple(nd(out, "cla_uasc_pct")) == (2, 4)
    assert pick(out, "cla_uasc_pct")["value"] == approx(50.0)


# --- reviews -------------------------------------------------------------------------------------

def test_reviews_in_time(tmp_path):
    # Bank holidays near D: Fri 25/12/2020 and Mon 28/12/2020 (Boxing Day substitute).
    # 20 working days after Tue 01/12/2020 = Thu 31/12/2020 (= D); after Mon 30/11/2020 =
    # Wed 30/12/2020 (without bank holidays it would be 28/12).
    # 20 WD after Mon 06/01/2020 = 03/02/2020; after Mon 07/01/2019 = 04/02/2019; after Mon
    # 01/06/2020 = 29/06/2020.
    episodes = [
        ep("EDGE_OUT", "01/12/2020"),       # first review due on D: not "more than 20 WD": out
        ep("EDGE_IN", "30/11/2020"),        # due 30/12 < D, none held: overdue -> late
        ep("OK_FIRST", "30/11/2020"),       # review 30/12/2020 (on the due date): in time
        ep("BH", "30/11/2020"),             # review 31/12/2020: after 30/12 -> late
        ep("SECOND", "06/01/2020"),         # 03/02 (due 03/02) ok; 04/05 (due 03/05) late
        ep("SECOND_OK", "06/01/2020"),      # 20/01, 20/04 (due 20/04), 20/10 (due 20/10): ok
        # RESTART: first review late (01/03/2019, due 04/02/2019) but before W; the next are due
        # from the date it was held: 01/06/2019 (due 01/06), 01/12/2019 (due 01/12), 01/06/2020
        # (due 01/06), 30/11/2020 (due 01/12); next due 30/05/2021 -> in time.  (Counting from
        # the due dates instead, 01/06/2020 would be late in W.)
        ep("RESTART", "07/01/2019"),
        # OVERDUE: 04/02/2019, 04/05/2019, 04/11/2019, 04/05/2020 all on time; next due
        # 04/11/2020 < D and not held -> overdue on D -> late.
        ep("OVERDUE", "07/01/2019"),
        # PREV: an earlier period with its own reviews; the current period began 01/06/2020:
        # 29/06/2020 (due 29/06) and 28/09/2020 (due 29/09) -> in time.  Earlier reviews are
        # not part of the current period's sequence.
        ep("PREV", "01/01/2018", dec="01/06/2019", rec="E8"),
        ep("PREV", "01/06/2020"),
        ep("GONE", "06/01/2020", dec="01/12/2020"),   # not looked after on D: out
        ep("SHORT", "06/01/2020", ls="V3"),           # V3: out
    ]
    reviews = [
        ("OK_FIRST", "", "30/12/2020"), ("BH", "", "31/12/2020"),
        ("SECOND", "", "03/02/2020"), ("SECOND", "", "04/05/2020"),
        ("SECOND_OK", "", "20/01/2020"), ("SECOND_OK", "", "20/04/2020"), ("SECOND_OK", "", "20/10/2020"),
        ("RESTART", "", "01/03/2019"), ("RESTART", "", "01/06/2019"), ("RESTART", "", "01/12/2019"),
        ("RESTART", "", "01/06/2020"), ("RESTART", "", "30/11/2020"),
        ("OVERDUE", "", "04/02/2019"), ("OVERDUE", "", "04/05/2019"), ("OVERDUE", "", "04/11/2019"),
        ("OVERDUE", "", "04/05/2020"),
        ("PREV", "", "15/01/2018"), ("PREV", "", "15/04/2018"),
        ("PREV", "", "29/06/2020"), ("PREV", "", "28/09/2020"),
    ]
    kids = ["EDGE_OUT", "EDGE_IN", "OK_FIRST", "BH", "SECOND", "SECOND_OK", "RESTART", "OVERDUE",
            "PREV", "GONE", "SHORT"]
    write_dataset(tmp_path, header=header_for(kids), episodes=episodes, reviews=reviews)
    out = run(tmp_path, D)
    # Cohort: EDGE_IN, OK_FIRST, BH, SECOND, SECOND_OK, RESTART, OVERDUE, PREV = 8.
    # In time: OK_FIRST, SECOND_OK, RESTART, PREV = 4.
    assert tuple(nd(out, "reviews_in_time_pct")) == (4, 8)
    assert pick(out, "reviews_in_time_pct")["value"] == approx(50.0)


def test_reviews_due_on_d_is_not_overdue(tmp_path):
    # D = Mon 2020-11-30.  ON_D: period from 06/01/2020, reviews 03/02, 01/05 (due 03/05),
    # 31/05/2020 (early: due 01/11); next due 31/05 + 6 months = 30/11/2020 = D: not overdue.
    # BEFORE_D: same but last review 29/05/2020: next due 29/11/2020 < D: overdue -> late.
    episodes = [ep("ON_D", "06/01/2020"), ep("BEFORE_D", "06/01/2020")]
    reviews = [("ON_D", "", "03/02/2020"), ("ON_D", "", "01/05/2020"), ("ON_D", "", "31/05/2020"),
               ("BEFORE_D", "", "03/02/2020"), ("BEFORE_D", "", "01/05/2020"),
               ("BEFORE_D", "", "29/05/2020")]
    write_dataset(tmp_path, header=header_for(["ON_D", "BEFORE_D"]), episodes=episodes,
                  reviews=reviews)
    out = run(tmp_path, "2020-11-30")
    assert tuple(nd(out, "reviews_in_time_pct")) == (1, 2)


def test_reviews_late_before_w_does_not_count(tmp_path):
    # Period from 07/01/2019; first review late on 01/03/2019 (due 04/02/2019).
    # On D = 2019-12-31 (W from 2019-01-01) it is late in W: 0 of 1.  On D = 2020-12-31 it is
    # before W; the next ones (01/06/2019, 01/12/2019, 01/06/2020, 30/11/2020) are on time: 1 of 1.
    episodes = [ep("R", "07/01/2019")]
    reviews = [("R", "", d) for d in ["01/03/2019", "01/06/2019", "01/12/2019", "01/06/2020",
                                      "30/11/2020"]]
    write_dataset(tmp_path, header=header_for(["R"]), episodes=episodes, reviews=reviews)
    out = run(tmp_path, D, months=13)
    assert tuple(nd(out, "reviews_in_time_pct", period_end="2019-12-31")) == (0, 1)
    assert tuple(nd(out, "reviews_in_time_pct", period_end="2020-12-31")) == (1, 1)


# --- missing -----------------------------------------------------------------------------------

def test_missing_pct_and_rhi(tmp_path):
    episodes = [
        ep("M1", "01/01/2019"),                              # M starting in W: yes
        ep("M2", "01/01/2019"),                              # only A (away): no
        ep("M3", "01/01/2019"),                              # M started before W: no
        ep("M4", "01/01/2019", dec="01/01/2020"),            # in care on W's first day; M later: yes
        ep("M5", "01/01/2019", dec="31/12/2019"),            # left before W: not in the cohort
        ep("M6", "31/12/2020"),                              # starts on D: cohort, no missing
        ep("M7", "01/01/2019", ls="V3"),                     # V3 only: not in the cohort
        ep("M8", "01/01/2019"),                              # two M episodes: counted once
    ]
    missing = [
        # CHILD, DOB, MISSING, MIS_START, MIS_END, RHI_DATE
        ("M1", "", "M", "15/03/2020", "16/03/2020", ""),
        ("M2", "", "A", "15/03/2020", "16/03/2020", ""),
        ("M3", "", "M", "31/12/2019", "02/01/2020", ""),
        ("M4", "", "M", "01/06/2020", "02/06/2020", ""),
        ("M5", "", "M", "01/06/2020", "", ""),
        ("M7", "", "M", "01/06/2020", "", ""),
        ("M8", "", "M", "01/02/2020", "", ""),
        ("M8", "", "m", "01/03/2020", "", ""),
    ]
    write_dataset(tmp_path, header=header_for([f"M{i}" for i in range(1, 9)]), episodes=episodes,
                  missing=missing, extra_columns={"missing": ["RHI_DATE"]})
    out = run(tmp_path, D)
    # Cohort: M1, M2, M3, M4, M6, M8 = 6; went missing (M) in W: M1, M4, M8 = 3.
    assert tuple(nd(out, "missing_pct")) == (3, 6)
    assert pick(out, "missing_pct")["value"] == approx(50.0)
    # RHI: episodes ending in W: M1 (16/03), M2 (16/03), M3 (02/01), M4 (02/06) = 4, none with
    # an RHI_DATE -> 0 of 4.
    assert tuple(nd(out, "missing_rhi_3days_pct")) == (0, 4)


def test_missing_rhi_3days(tmp_path):
    missing = [
        ("E1", "", "M", "01/03/2020", "10/03/2020", "10/03/2020"),   # same day: yes
        ("E2", "", "A", "01/03/2020", "10/03/2020", "13/03/2020"),   # away, +3 days: yes
        ("E3", "", "M", "01/03/2020", "10/03/2020", "14/03/2020"),   # +4 days: no
        ("E4", "", "M", "01/03/2020", "10/03/2020", "09/03/2020"),   # before the end: no
        ("E5", "", "M", "01/03/2020", "10/03/2020", ""),             # none: no
        ("E6", "", "M", "01/12/2019", "31/12/2019", "31/12/2019"),   # ended before W: out
        ("E7", "", "M", "01/12/2020", "", ""),                       # not ended: out
        ("E8", "", "M", "30/12/2020", "31/12/2020", "02/01/2021"),   # ends on D, +2 days: yes
    ]
    kids = [f"E{i}" for i in range(1, 9)]
    write_dataset(tmp_path, header=header_for(kids), episodes=[ep(k, "01/01/2019") for k in kids],
                  missing=missing, extra_columns={"missing": ["RHI_DATE"]})
    out = run(tmp_path, D)
    # Ending in W: E1-E5, E8 = 6; within 3 days: E1, E2, E8 = 3.
    assert tuple(nd(out, "missing_rhi_3days_pct")) == (3, 6)
    assert pick(out, "missing_rhi_3days_pct")["value"] == approx(50.0)


def test_missing_rhi_not_available_without_the_column(tmp_path):
    write_dataset(tmp_path, header=header_for(["E1"]), episodes=[ep("E1", "01/01/2019")],
                  missing=[("E1", "", "M", "01/03/2020", "10/03/2020")])
    out = run(tmp_path, D)
    r = pick(out, "missing_rhi_3days_pct")
    assert blank(r["value"]) and r["note"].startswith("not available") and "RHI_DATE" in r["note"]
    assert tuple(nd(out, "missing_pct")) == (1, 1)


# --- OC2 (health) ------------------------------------------------------------------------------

def test_oc2_indicators(tmp_path):
    # OC2 cohort on D = 2020-12-31: looked after on D, current period began on or before
    # 2019-12-31.
    episodes = [
        ep("H1", "31/12/2019"),                                   # exactly 12 months: in
        ep("H2", "01/01/2020"),                                   # a day short: out
        ep("H3", "01/01/2015"), ep("H4", "01/01/2015"),
        *chain("H5", ("01/01/2018", "S", "U4"), ("01/06/2020", "P", "U5")),   # chain: in
        ep("H6", "01/01/2015"), ep("H7", "01/01/2015"),
        ep("H8", "01/01/2015", dec="31/12/2020"),                 # left on D: out
        ep("H9", "01/01/2015"),
        ep("H10", "01/01/2018", dec="01/06/2020", rec="X1"),      # gap: current period from
        ep("H10", "02/06/2020", rne="P"),                         # 02/06/2020 -> out
    ]
    header = [kid("H1", "01/01/2010"), kid("H2", "01/01/2010"),
              kid("H3", "01/01/2016"),     # age 4
              kid("H4", "01/01/2012"),     # age 8
              kid("H5", "31/12/2004"),     # 16 on D (birthday on D)
              kid("H6", "01/01/2003"),     # 17
              kid("H7", "31/12/2015"),     # 5 on D (birthday on D)
              kid("H8", "01/01/2010"), kid("H9", "01/01/2011"), kid("H10", "01/01/2010")]
    oc2 = [  # CHILD, DOB, SDQ_SCORE, SDQ_REASON, CONVICTED, HEALTH_CHECK, IMMUNISATIONS, TEETH_CHECK
        ("H1", "", "12", "", "0", "1", "1", "1"),
        ("H2", "", "5", "", "0", "1", "1", "1"),
        ("H3", "", "", "", "0", "0", "0", "0"),
        # H4: no oc2 row (denominator only)
        ("H5", "", "20", "", "0", "1", "1", "0"),
        ("H6", "", "30", "", "0", "1", "1", "1"),
        ("H7", "", "0", "", "0", "0", "0", "0"),
        ("H8", "", "3", "", "0", "1", "1", "1"),
        ("H9", "", "41", "", "0", "1", "0", "0"),    # SDQ 41 is out of range: not present
        ("H10", "", "3", "", "0", "1", "1", "1"),
    ]
    write_dataset(tmp_path, header=header, episodes=episodes, oc2=oc2)
    out = run(tmp_path, D)
    # Cohort: H1, H3, H4, H5, H6, H7, H9 = 7.
    # HEALTH_CHECK = 1: H1, H5, H6, H9 = 4; TEETH_CHECK = 1: H1, H6 = 2;
    # IMMUNISATIONS = 1: H1, H5, H6 = 3.
    assert tuple(nd(out, "health_check_pct")) == (4, 7)
    assert pick(out, "health_check_pct")["value"] == approx(400 / 7)
    assert tuple(nd(out, "teeth_check_pct")) == (2, 7)
    assert tuple(nd(out, "immunisations_pct")) == (3, 7)
    # Aged 5-16 on D: H1 (10), H4 (8), H5 (16), H7 (5), H9 (9) = 5 (H3 is 4, H6 is 17).
    # SDQ present: H1 (12), H5 (20), H7 (0) = 3 -> 60%; mean (12 + 20 + 0) / 3.
    assert tuple(nd(out, "sdq_completed_pct")) == (3, 5)
    r = pick(out, "sdq_avg_score")
    assert r["numerator"] == 3 and blank(r["denominator"])
    assert r["value"] == approx(32 / 3)


def test_oc2_not_available_without_the_table(tmp_path):
    write_dataset(tmp_path, header=header_for(["H1"]), episodes=[ep("H1", "01/01/2015")])
    out = run(tmp_path, D)
    for ind in ["health_check_pct", "teeth_check_pct", "immunisations_pct", "sdq_completed_pct",
                "sdq_avg_score", "uasc_count", "cla_uasc_pct", "reviews_in_time_pct",
                "missing_pct", "sw_changes_3plus_pct"]:
        r = pick(out, ind)
        assert blank(r["value"]) and blank(r["numerator"]), ind
        assert r["note"].startswith("not available"), ind


# --- adoption ------------------------------------------------------------------------------------

def test_adoption_days_avg(tmp_path):
    # D = 2020-12-31; 36 months to D = after 2017-12-31.
    episodes = [
        # AD1: into care 01/01/2019; placed for adoption with new carers (RNE P, A3) 01/07/2019;
        # adopted 01/03/2020: 181 days (31+28+31+30+31+30).
        *chain("AD1", ("01/01/2019", "S", "U4"), ("01/07/2019", "P", "A3"),
               final_dec="01/03/2020", final_rec="E11"),
        # AD2: new foster carers 01/04/2019 (RNE P); placed for adoption with them 01/10/2019
        # (RNE T): the placement began 01/04/2019 -> 90 days (31+28+31).  E12.
        *chain("AD2", ("01/01/2019", "S", "U4"), ("01/04/2019", "P", "U4"), ("01/10/2019", "T", "A4"),
               final_dec="01/06/2020", final_rec="E12"),
        # AD3: adopted 01/01/2018 (in the 36 months); 01/01/2016 -> 01/07/2016 = 182 (leap year).
        *chain("AD3", ("01/01/2016", "S", "U4"), ("01/07/2016", "P", "A5"),
               final_dec="01/01/2018", final_rec="E11"),
        # AD4: adopted 31/12/2017: not in the 36 months.
        *chain("AD4", ("01/01/2016", "S", "U4"), ("01/03/2016", "P", "A5"),
               final_dec="31/12/2017", final_rec="E11"),
        # AD5: placed for adoption but the period ended E8: not adopted.
        *chain("AD5", ("01/01/2019", "S", "U4"), ("01/03/2019", "P", "A3"),
               final_dec="01/03/2020", final_rec="E8"),
        # AD6: adopted with no A3-A6 episode: left out of the average.
        ep("AD6", "01/01/2019", dec="01/03/2020", rec="E11"),
        # AD7: a temporary episode then RNE U to A6 with the carers from the start: the
        # placement in which placed for adoption began 01/01/2019 -> 0 days.
        *chain("AD7", ("01/01/2019", "S", "U4"), ("01/02/2019", "P", "T1"), ("01/03/2019", "U", "A6"),
               final_dec="01/12/2020", final_rec="E11"),
    ]
    write_dataset(tmp_path, header=header_for([f"AD{i}" for i in range(1, 8)]), episodes=episodes)
    out = run(tmp_path, D)
    # (181 + 90 + 182 + 0) / 4 = 113.25, numerator = 4 children averaged.
    r = pick(out, "adoption_days_avg")
    assert r["numerator"] == 4 and blank(r["denominator"])
    assert r["value"] == approx(453 / 4)
    # adopted_pct on D: ceased in W: AD1, AD2, AD5, AD6, AD7 = 5; adopted: AD1, AD2, AD6, AD7 = 4.
    assert tuple(nd(out, "adopted_pct")) == (4, 5)


# --- social workers ------------------------------------------------------------------------------

def test_sw_changes_3plus(tmp_path):
    episodes = [ep(k, "01/01/2019") for k in ["W1", "W2", "W3", "W4", "W6"]]
    episodes.append(ep("W5", "01/01/2019", dec="01/12/2020"))     # not looked after on D
    sw = [  # CHILD, DOB, SW_ID, SW_DECOM, SW_DEC
        ("W1", "", "A", "01/01/2019", "01/01/2020"),   # ends on W's first day: overlaps W
        ("W1", "", "B", "01/01/2020", "01/06/2020"),
        ("W1", "", "C", "01/06/2020", ""),
        ("W2", "", "A", "01/01/2019", "31/12/2019"),   # ends on D minus 12 months: not in W
        ("W2", "", "B", "31/12/2019", "01/06/2020"),
        ("W2", "", "C", "01/06/2020", ""),
        ("W3", "", "A", "01/01/2020", "01/03/2020"),   # A, B, A: 2 distinct
        ("W3", "", "B", "01/03/2020", "01/06/2020"),
        ("W3", "", "A", "01/06/2020", ""),
        ("W4", "", "A", "01/01/2020", "01/03/2020"),
        ("W4", "", "B", "01/03/2020", "01/01/2021"),
        ("W4", "", "C", "01/01/2021", ""),             # starts after D
        ("W5", "", "A", "01/01/2020", "01/03/2020"),
        ("W5", "", "B", "01/03/2020", "01/06/2020"),
        ("W5", "", "C", "01/06/2020", ""),
    ]
    write_dataset(tmp_path, header=header_for([f"W{i}" for i in range(1, 7)]), episodes=episodes,
                  sw_episodes=sw)
    out = run(tmp_path, D)
    # Looked after: W1, W2, W3, W4, W6 = 5; 3+ social workers: W1 = 1 -> 20%.
    assert tuple(nd(out, "sw_changes_3plus_pct")) == (1, 5)
    assert pick(out, "sw_changes_3plus_pct")["value"] == approx(20.0)


# --- profile -------------------------------------------------------------------------------------

def test_profile(tmp_path):
    header = [
        kid("P1", "01/01/2020", sex="1", ethnic="WBRI"),   # age 0
        kid("P2", "31/12/2019", sex="M", ethnic="WIRI"),   # 1 (birthday on D)
        kid("P3", "01/01/2016", sex="2", ethnic="MWBC"),   # 4
        kid("P4", "31/12/2015", sex="F", ethnic="ABAN"),   # 5
        kid("P5", "01/01/2011", sex="1", ethnic="BCRB"),   # 9
        kid("P6", "31/12/2010", sex="2", ethnic="CHNE"),   # 10
        kid("P7", "01/01/2005", sex="1", ethnic="OOTH"),   # 15
        kid("P8", "31/12/2004", sex="2", ethnic="REFU"),   # 16
        kid("P9", "29/02/2004", sex="m", ethnic="NOBT"),   # 16 (born 29 Feb)
        kid("P10", "01/01/2003", sex="9", ethnic=""),      # 17, sex and ethnicity unknown
    ]
    kids = [f"P{i}" for i in range(1, 12)]                  # P11 has no header row
    write_dataset(tmp_path, header=header, episodes=[ep(k, "31/12/2020") for k in kids])
    out = run(tmp_path, D)
    expected = {
        "cla_male_pct": 5,            # P1, P2, P5, P7, P9 (1, M, m)
        "cla_female_pct": 4,          # P3, P4, P6, P8 (2, F)
        "cla_age_under1_pct": 1,      # P1
        "cla_age_1_4_pct": 2,         # P2, P3
        "cla_age_5_9_pct": 2,         # P4, P5
        "cla_age_10_15_pct": 2,       # P6, P7
        "cla_age_16_17_pct": 3,       # P8, P9, P10
        "cla_white_british_pct": 1,   # P1
        "cla_ethnicity_white_pct": 2,  # P1, P2
        "cla_ethnicity_mixed_pct": 1,
        "cla_ethnicity_asian_pct": 1,
        "cla_ethnicity_black_pct": 1,
        "cla_ethnicity_other_pct": 2,  # CHNE, OOTH
        "cla_ethnicity_not_known_pct": 2,  # REFU, NOBT
    }
    for ind, n in expected.items():
        assert tuple(nd(out, ind)) == (n, 11), ind
        assert pick(out, ind)["value"] == approx(100 * n / 11), ind


def test_age_bands_on_29_february_period_end(tmp_path):
    # D = 2024-02-29.  A: born 29/02/2008 -> 16 on D.  B: born 01/03/2008 -> 15 on D.
    # C: born 28/02/2023 -> 1 on D.  E: born 01/03/2023 -> under 1.
    header = [kid("A", "29/02/2008"), kid("B", "01/03/2008"), kid("C", "28/02/2023"),
              kid("E", "01/03/2023")]
    write_dataset(tmp_path, header=header, episodes=[ep(k, "01/01/2024") for k in "ABCE"])
    out = run(tmp_path, "2024-02-29")
    assert tuple(nd(out, "cla_age_16_17_pct")) == (1, 4)
    assert tuple(nd(out, "cla_age_10_15_pct")) == (1, 4)
    assert tuple(nd(out, "cla_age_1_4_pct")) == (1, 4)
    assert tuple(nd(out, "cla_age_under1_pct")) == (1, 4)


def test_age_of_29_february_births_in_a_common_year(tmp_path):
    # A child born on 29 February has their birthday on 1 March in a common year.
    # Y: born 29/02/2020 -> on 2021-02-28 aged 0 (under 1), on 2021-03-31 aged 1.
    # Z: born 29/02/2016 -> on 2021-02-28 aged 4 (1-4), on 2021-03-31 aged 5 (5-9).
    header = [kid("Y", "29/02/2020"), kid("Z", "29/02/2016")]
    write_dataset(tmp_path, header=header, episodes=[ep(k, "01/01/2021") for k in "YZ"])
    out = run(tmp_path, "2021-03-31", months=2)
    feb, mar = "2021-02-28", "2021-03-31"
    assert tuple(nd(out, "cla_age_under1_pct", period_end=feb)) == (1, 2)
    assert tuple(nd(out, "cla_age_1_4_pct", period_end=feb)) == (1, 2)
    assert tuple(nd(out, "cla_age_5_9_pct", period_end=feb)) == (0, 2)
    assert tuple(nd(out, "cla_age_under1_pct", period_end=mar)) == (0, 2)
    assert tuple(nd(out, "cla_age_1_4_pct", period_end=mar)) == (1, 2)
    assert tuple(nd(out, "cla_age_5_9_pct", period_end=mar)) == (1, 2)


def test_year_to_29_february(tmp_path):
    # D = 2021-02-28: D minus 12 calendar months = 2020-02-28, so W = 2020-02-29 .. 2021-02-28.
    # D = 2020-02-29: D minus 12 months = 2019-02-28 (clamped), W = 2019-03-01 .. 2020-02-29.
    episodes = [ep("A", "29/02/2020"),          # in W to 2021-02-28 (and to 2020-02-29)
                ep("B", "28/02/2020"),          # on D-12m of 2021-02-28: not in that W
                ep("C", "28/02/2019"),          # on D-12m of 2020-02-29: not in that W
                ep("E", "01/03/2019")]          # first day of W to 2020-02-29
    write_dataset(tmp_path, header=header_for(list("ABCE")), episodes=episodes)
    assert pick(run(tmp_path, "2021-02-28"), "cla_started_12m")["value"] == 1      # A
    assert pick(run(tmp_path, "2020-02-29"), "cla_started_12m")["value"] == 3      # A, B, E


# --- V3/V4 short breaks: in no indicator at all ----------------------------------------------------

def test_short_breaks_never_counted_anywhere(tmp_path):
    # V has only V3/V4 episodes: a V3 period starting and ending (E11, placed for adoption) in W,
    # a V4 one open on D since 2018 with three placement changes.  V also has reviews, a uasc
    # row, an oc2 row, a missing (M) episode in W and three social workers.  Every indicator of
    # the section must see nobody: counts 0, percentages 0 of 0 (blank), averages of nothing.
    episodes = [ep("V", "01/02/2020", dec="01/06/2020", rec="E11", ls="V3", place="A3"),
                *chain("V", ("01/01/2018", "S", "U4"), ("01/07/2020", "P", "U5"),
                       ("01/08/2020", "P", "U6"), ls="V4")]
    write_dataset(
        tmp_path, header=[kid("V", "01/01/2010")], episodes=episodes,
        reviews=[("V", "", "01/03/2020")], uasc=[("V", "1", "01/01/2010", "")],
        oc2=[("V", "", "10", "", "0", "1", "1", "1")],
        missing=[("V", "", "M", "01/03/2020", "")],
        sw_episodes=[("V", "", "A", "01/01/2020", "01/03/2020"), ("V", "", "B", "01/03/2020", "01/06/2020"),
                     ("V", "", "C", "01/06/2020", "")])
    from builders import section_indicators
    out = run(tmp_path, D, indicators=section_indicators())
    la = out.loc[out["geography"] == "Testshire"].set_index("indicator")
    skip = {"cla_rate_10k", "missing_rhi_3days_pct"} | {i for i in la.index if i.startswith("care_leavers")}
    for ind in la.index.difference(sorted(skip)):
        assert la.loc[ind, "numerator"] == 0, ind
        assert la.loc[ind, "denominator"] in (0,) or math.isnan(la.loc[ind, "denominator"]), ind
        assert not la.loc[ind, "note"].startswith("not available"), ind


# --- random episode histories against a plain, child-by-child reading of the definitions ----------

from hypothesis import HealthCheck, given, settings, strategies as st   # noqa: E402
import datetime as _dt                                                 # noqa: E402
import tempfile                                                        # noqa: E402
from pathlib import Path                                               # noqa: E402

_BASE = _dt.date(2017, 1, 1)


@st.composite
def _histories(draw):
    """Up to 5 children, each a run of non-overlapping episodes (some chained by X1)."""
    kids = []
    for k in range(draw(st.integers(1, 5))):
        day = draw(st.integers(0, 1300))
        eps = []
        for _ in range(draw(st.integers(1, 7))):
            length = draw(st.integers(1, draw(st.sampled_from([60, 400]))))
            eps.append(dict(start=day, end=day + length, rne=draw(st.sampled_from("SLPTBU")),
                            place=draw(st.sampled_from(["U4", "U1", "T1", "A3", "K1"])),
                            ls=draw(st.sampled_from(["C2", "C2", "C2", "V3"])),
                            chained=draw(st.booleans()), rec=draw(st.sampled_from(["E8", "E11"]))))
            day += length + (0 if eps[-1]["chained"] else draw(st.integers(1, 60)))
        eps[-1]["open"] = draw(st.booleans())
        kids.append((f"K{k}", draw(st.integers(2003, 2019)), eps))
    return kids


def _fmt(n):
    return (_BASE + _dt.timedelta(days=n)).strftime("%d/%m/%Y")


def _reference(kids, d):
    """cla_count, started, ceased, repeat, stability_3plus (num, den), stability_long (num, den)."""
    import pandas as pd
    D = (pd.Timestamp(d) - pd.Timestamp(_BASE)).days
    ws = (pd.Timestamp(d) - pd.DateOffset(months=12) - pd.Timestamp(_BASE)).days
    m30 = (pd.Timestamp(d) - pd.DateOffset(months=30) - pd.Timestamp(_BASE)).days
    m24 = (pd.Timestamp(d) - pd.DateOffset(months=24) - pd.Timestamp(_BASE)).days
    res = dict(count=0, started=0, ceased=0, repeat=0, s3=[0, 0], slong=[0, 0])
    for child, born, eps in kids:
        rows = []
        for i, e in enumerate(eps):
            last = i == len(eps) - 1
            end = None if (last and e.get("open")) else e["end"]
            rec = "X1" if (e["chained"] and not last) else (e["rec"] if end is not None else "")
            rows.append(dict(start=e["start"], end=end, rec=rec, rne=e["rne"], place=e["place"],
                             ls=e["ls"]))
        rows = [r for r in rows if r["ls"] not in ("V3", "V4")]
        # periods of care and placements, one episode at a time
        periods, cur = [], None
        for r in rows:
            if cur is not None and cur[-1]["rec"] == "X1" and cur[-1]["end"] == r["start"]:
                cur.append(r)
            else:
                cur = [r]
                periods.append(cur)
        placements = []           # [start, end]
        for p in periods:
            current = previous = None
            for r in p:
                temp = r["place"] == "T1"
                if not temp and (current is None or r["rne"] in "PB"):
                    previous, current = current, [r["start"], r["end"]]
                    placements.append(current)
                elif current is not None:
                    current[1] = r["end"]
                r["placement"], r["previous"] = current, previous
                r["period_start"] = p[0]["start"]
        open_now = [r for r in rows if r["start"] <= D and (r["end"] is None or r["end"] > D)]
        starts = [p[0]["start"] for p in periods]
        ends = [p[-1]["end"] for p in periods]
        in_w = [s for s in starts if ws < s <= D]
        if in_w:
            res["started"] += 1
            first = min(in_w)
            if any(e is not None and e < first for e in ends):
                res["repeat"] += 1
        if any(e is not None and ws < e <= D for e in ends):
            res["ceased"] += 1
        if open_now:
            r = open_now[-1]
            res["count"] += 1
            n = int(any(s <= ws and (e is None or e > ws) for s, e in placements))
            n += sum(ws < s <= D for s, _ in placements)
            res["s3"][1] += 1
            res["s3"][0] += n >= 3
            age = pd.Timestamp(d).year - born - (1 if (pd.Timestamp(d).month, pd.Timestamp(d).day) < (1, 1) else 0)
            if age < 16 and r["period_start"] <= m30:
                res["slong"][1] += 1
                # placed for adoption: the placement before the adoptive one (same period) too
                res["slong"][0] += ((r["placement"] is not None and r["placement"][0] <= m24)
                                    or (r["place"] == "A3" and r["previous"] is not None
                                        and r["previous"][0] <= m24))
    return res


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_histories())
def test_random_histories_match_a_plain_reading(kids):
    episodes, header = [], []
    for child, born, eps in kids:
        header.append(kid(child, f"01/01/{born}"))
        for i, e in enumerate(eps):
            last = i == len(eps) - 1
            dec = "" if (last and e.get("open")) else _fmt(e["end"])
            rec = "X1" if (e["chained"] and not last) else (e["rec"] if dec else "")
            episodes.append(ep(child, _fmt(e["start"]), dec=dec, rec=rec, rne=e["rne"],
                               place=e["place"], ls=e["ls"]))
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp), header=header, episodes=episodes)
        ids = ["cla_count", "cla_started_12m", "cla_ceased_12m", "repeat_cla_pct",
               "stability_3plus_pct", "stability_long_pct"]
        out = run(Path(tmp), "2020-12-31", months=2, indicators=ids)
    for d in ["2020-11-30", "2020-12-31"]:
        ref = _reference(kids, d)
        assert pick(out, "cla_count", period_end=d)["value"] == ref["count"]
        assert pick(out, "cla_started_12m", period_end=d)["value"] == ref["started"]
        assert pick(out, "cla_ceased_12m", period_end=d)["value"] == ref["ceased"]
        assert tuple(nd(out, "repeat_cla_pct", period_end=d)) == (ref["repeat"], ref["started"])
        assert tuple(nd(out, "stability_3plus_pct", period_end=d)) == tuple(ref["s3"])
        assert tuple(nd(out, "stability_long_pct", period_end=d)) == tuple(ref["slong"])
