"""Geography (indicators.md, Geography; data.md, districts/postcode_districts/areas/population).

A child belongs, at each D, to the district of ``districts``, else of the HOME_POST outward code
on their latest non-V3/V4 episode starting on or before D (blank HOME_POST there -> Unknown),
else Unknown.  Events in the year to D count where the child belongs at D.  An area is the sum of
its districts; Unknown is in no area; the authority is everyone.
"""
from __future__ import annotations

import math

import pytest

from builders import blank, chain, ep, kid, pick, run, write_dataset

D = "2020-12-31"
DISTRICTS = ["North1", "North2", "South1", "Empty", "Unknown"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county")
    episodes = [
        # G1: a districts row (North1) wins over its home postcode (SO1 = South1).
        ep("G1", "01/01/2019", home_post="SO1 1AA"),
        # G2: no districts row; HOME_POST NR1 -> North2.
        ep("G2", "01/01/2019", home_post="NR1 2AB"),
        # G3: NR1 until 01/06/2020, then an episode with a blank HOME_POST: Unknown from then.
        *chain("G3", ("01/01/2019", "S", "U4"), ("01/06/2020", "P", "U5")),
        # G4: an outward code no district has -> Unknown.
        ep("G4", "01/01/2019", home_post="ZZ9 9ZZ"),
        # G5: NR1 (written without a space) from 01/01/2020, SO1 from 01/09/2020, NR1 again from
        # 01/01/2021 (after D: not yet).  North2 until August, South1 at D.
        ep("G5", "01/01/2020", dec="01/09/2020", rec="X1", home_post="NR12AB"),
        ep("G5", "01/09/2020", dec="01/01/2021", rec="X1", rne="P", home_post="SO1 1AA"),
        ep("G5", "01/01/2021", rne="P", home_post="NR1 1AA"),
        # G6: lower case postcode -> South1.
        ep("G6", "01/01/2019", home_post="so1 1aa"),
        # G7: districts row "north1 " (case and spaces) -> North1.
        ep("G7", "01/01/2019", home_post="NR1 1AA"),
        # G8: NR1, left care 01/06/2020 (ceased in W); then V3 short breaks with a SO1 postcode:
        # V3 episodes decide nothing, so G8 stays North2.
        ep("G8", "01/01/2020", dec="01/06/2020", rec="E8", home_post="NR1 1AA"),
        ep("G8", "01/07/2020", ls="V3", home_post="SO1 1AA"),
        # G10: started in W in NR1, moved (RNE P) to SO1 on 01/06/2020: the start counts in
        # South1, where G10 belongs at D.
        ep("G10", "01/02/2020", dec="01/06/2020", rec="X1", home_post="NR1 1AA"),
        ep("G10", "01/06/2020", rne="P", home_post="SO1 2BB"),
        # G12: a districts row with a blank DISTRICT is no district: HOME_POST NR1 -> North2.
        ep("G12", "01/01/2019", home_post="NR1 3CD"),
    ]
    episodes[2]["HOME_POST"] = "NR1 1AA"      # G3's first episode
    kids = ["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G10", "G12"]
    write_dataset(
        folder,
        header=[kid(k, "01/01/2010") for k in kids],
        episodes=episodes,
        districts=[("G1", "North1"), ("G7", "north1 "), ("G12", "")],
        postcode_districts=[("NR1", "North2"), ("SO1", "South1")],
        areas=[("North1", "North"), ("North2", "North"), ("South1", "South"), ("Empty", "South")],
        population=[("North1", 2020, 1000), ("North2", 2020, 2000), ("South1", 2019, 3000),
                    ("South1", 2021, 9999), ("Empty", 2020, 500), ("South", 2020, 4000)],
    )
    return folder


@pytest.fixture(scope="module")
def county_out(county):
    return run(county, D, months=13)


def values(out, ind, period_end=D, col="value"):
    rows = out.loc[(out["indicator"] == ind) & (out["period_end"] == period_end)]
    return dict(zip(rows["geography"], rows[col]))


def test_geographies_listed(county_out):
    rows = county_out.loc[(county_out["indicator"] == "cla_count") & (county_out["period_end"] == D)]
    assert list(zip(rows["level"], rows["geography"])) == [
        ("la", "Testshire"), ("area", "North"), ("area", "South"),
        ("district", "North1"), ("district", "North2"), ("district", "South1"),
        ("district", "Empty"), ("district", "Unknown")]


def test_children_belong_at_d(county_out):
    # At D: North1 G1, G7; North2 G2, G12; South1 G5, G6, G10; Unknown G3, G4; Empty nobody.
    # (G8 is not looked after.)  North = 4, South = 3, la = 9 = 2 + 2 + 3 + 0 + 2.
    assert values(county_out, "cla_count") == {
        "Testshire": 9, "North": 4, "South": 3, "North1": 2, "North2": 2, "South1": 3,
        "Empty": 0, "Unknown": 2}


def test_children_belong_at_earlier_d(county_out):
    # At 2020-05-31 every episode's latest start on or before it: G3 NR1 (North2), G5 NR1
    # (North2), G10 NR1 (North2), G8 in care (North2).  North1 G1, G7; North2 G2, G3, G5, G8,
    # G10, G12; South1 G6; Unknown G4.
    assert values(county_out, "cla_count", "2020-05-31") == {
        "Testshire": 10, "North": 8, "South": 1, "North1": 2, "North2": 6, "South1": 1,
        "Empty": 0, "Unknown": 1}
    # At 2020-06-30: G3's blank-postcode episode (01/06) -> Unknown; G10's SO1 episode (01/06)
    # -> South1; G8 has left.  North2: G2, G5, G12.
    assert values(county_out, "cla_count", "2020-06-30") == {
        "Testshire": 9, "North": 5, "South": 2, "North1": 2, "North2": 3, "South1": 2,
        "Empty": 0, "Unknown": 2}


def test_events_count_where_the_child_belongs_at_d(county_out):
    # Started in W: G5 (South1 at D), G8 (North2: its V3 episode is ignored), G10 (South1).
    assert values(county_out, "cla_started_12m") == {
        "Testshire": 3, "North": 1, "South": 2, "North1": 0, "North2": 1, "South1": 2,
        "Empty": 0, "Unknown": 0}
    # Ceased in W: G8 -> North2.
    assert values(county_out, "cla_ceased_12m") == {
        "Testshire": 1, "North": 1, "South": 0, "North1": 0, "North2": 1, "South1": 0,
        "Empty": 0, "Unknown": 0}


def test_empty_district_percentages_blank_with_note(county_out):
    rows = county_out.loc[(county_out["geography"] == "Empty") & (county_out["period_end"] == D)]
    pct = rows.loc[rows["indicator"] == "placed_foster_pct"].iloc[0]
    assert (pct["numerator"], pct["denominator"]) == (0, 0)
    assert blank(pct["value"]) and "denominator 0" in pct["note"]
    cnt = rows.loc[rows["indicator"] == "cla_count"].iloc[0]
    assert cnt["value"] == 0 and cnt["note"] == ""


def test_population_fallbacks(county_out):
    # D = 2020-12-31 (year 2020):
    #   North1 1000, North2 2000, Empty 500 (own 2020 rows); South1 3000 (latest year <= 2020 is
    #   2019; the 2021 row is in the future); Unknown none.
    #   North: no row -> North1 + North2 = 3000.  South: its own 2020 row, 4000.
    #   Testshire: no row -> the sum of its districts = 1000 + 2000 + 3000 + 500 = 6500.
    pop = values(county_out, "cla_rate_10k", col="denominator")
    assert {k: pop[k] for k in ["North1", "North2", "South1", "Empty", "North", "South",
                                "Testshire"]} == {
        "North1": 1000, "North2": 2000, "South1": 3000, "Empty": 500, "North": 3000,
        "South": 4000, "Testshire": 6500}
    assert blank(pop["Unknown"])
    rate = values(county_out, "cla_rate_10k")
    assert rate["North1"] == pytest.approx(2 / 1000 * 1e4)
    assert rate["North2"] == pytest.approx(2 / 2000 * 1e4)
    assert rate["South1"] == pytest.approx(3 / 3000 * 1e4)
    assert rate["Empty"] == 0
    assert rate["North"] == pytest.approx(4 / 3000 * 1e4)
    assert rate["South"] == pytest.approx(3 / 4000 * 1e4)
    assert rate["Testshire"] == pytest.approx(9 / 6500 * 1e4)
    assert blank(rate["Unknown"])
    note = values(county_out, "cla_rate_10k", col="note")
    assert "population" in note["Unknown"] and note["Testshire"] == ""


def test_population_when_a_district_has_none(county_out):
    # D = 2019-12-31: only South1 has a figure (2019).  North1, North2, Empty have none, so North
    # has none; South (no 2019 row of its own, its 2020 row is in the future) would be South1 +
    # Empty, and Empty has none: blank; the authority likewise.  A partial sum is not "the sum of
    # its districts".
    pop = values(county_out, "cla_rate_10k", "2019-12-31", col="denominator")
    assert pop["South1"] == 3000
    for g in ["North1", "North2", "Empty", "North", "South", "Testshire", "Unknown"]:
        assert blank(pop[g]), g
    note = values(county_out, "cla_rate_10k", "2019-12-31", col="note")
    assert "population" in note["Testshire"]


def test_districts_add_up_to_the_authority(county_out):
    # For every count numerator and denominator (not population): la = sum of all districts,
    # each area = the sum of its districts.
    out = county_out
    members = {"North": ["North1", "North2"], "South": ["South1", "Empty"]}
    for (ind, period), g in out.groupby(["indicator", "period_end"]):
        by = dict(zip(g["geography"], zip(g["numerator"], g["denominator"])))
        for k, col in enumerate(["numerator", "denominator"]):
            if ind == "cla_rate_10k" and col == "denominator":
                continue
            dist = [by[d][k] for d in DISTRICTS]
            if all(isinstance(x, float) and math.isnan(x) for x in dist):
                assert math.isnan(by["Testshire"][k]), (ind, period, col)
                continue
            assert by["Testshire"][k] == pytest.approx(sum(dist)), (ind, period, col)
            for area, ds in members.items():
                assert by[area][k] == pytest.approx(sum(by[d][k] for d in ds)), (ind, period, col)


def test_no_geography_tables_all_unknown(tmp_path):
    # No districts, postcode_districts or areas: everyone is Unknown; no areas are listed.
    write_dataset(tmp_path, header=[kid("A", "01/01/2010")],
                  episodes=[ep("A", "01/01/2020", home_post="NR1 1AA")])
    out = run(tmp_path, D)
    rows = out.loc[out["indicator"] == "cla_count"]
    assert list(zip(rows["level"], rows["geography"], rows["value"])) == [
        ("la", "Testshire", 1), ("district", "Unknown", 1)]


def test_areas_from_configuration(tmp_path):
    # No areas table: the [areas] of cpxl.toml group the districts.
    config = '[authority]\nname = "Testshire"\n[areas]\nNorth = ["North1", "North2"]\n'
    write_dataset(tmp_path, config=config, header=[kid("A", "01/01/2010"), kid("B", "01/01/2010")],
                  episodes=[ep("A", "01/01/2020"), ep("B", "01/01/2020")],
                  districts=[("A", "North1"), ("B", "North2")])
    out = run(tmp_path, D)
    assert values(out, "cla_count") == {"Testshire": 2, "North": 2, "North1": 1, "North2": 1,
                                        "Unknown": 0}


def test_authority_name_inferred_from_population(tmp_path):
    # Without a configuration the authority's name is the population geography that is neither
    # a district nor an area.
    write_dataset(tmp_path, authority=None, header=[kid("A", "01/01/2010")],
                  episodes=[ep("A", "01/01/2020")], districts=[("A", "North1")],
                  areas=[("North1", "North")],
                  population=[("North1", 2020, 100), ("North", 2020, 100), ("Westshire", 2020, 200)])
    out = run(tmp_path, D)
    r = pick(out, "cla_rate_10k", "Westshire")
    assert (r["level"], r["numerator"], r["denominator"]) == ("la", 1, 200)
    assert r["value"] == pytest.approx(50.0)


def test_care_leavers_belong_where_their_last_episode_was(tmp_path):
    # Care leavers are counted where they belong at D: L1 by its latest episode's HOME_POST
    # (NR1 -> North2), L2 by the districts table (South1), L3 has no episode: Unknown.
    write_dataset(
        tmp_path,
        header=[kid(k, "01/06/2002") for k in ["L1", "L2", "L3"]],
        episodes=[ep("L1", "01/01/2015", dec="01/06/2020", home_post="NR1 1AA"),
                  ep("L2", "01/01/2015", dec="01/06/2020", home_post="NR1 1AA")],
        oc3=[("L1", "01/06/2002", "YES", "F1", "B1"), ("L2", "01/06/2002", "YES", "F1", "B1"),
             ("L3", "01/06/2002", "NO", "G4", "B2")],
        districts=[("L2", "South1")],
        postcode_districts=[("NR1", "North2")],
        areas=[("North2", "North"), ("South1", "South")],
    )
    out = run(tmp_path, D)
    v = values(out, "care_leavers_in_touch_pct_17_18", col="numerator")
    d = values(out, "care_leavers_in_touch_pct_17_18", col="denominator")
    assert v == {"Testshire": 2, "North": 1, "South": 1, "North2": 1, "South1": 1, "Unknown": 0}
    assert d == {"Testshire": 3, "North": 1, "South": 1, "North2": 1, "South1": 1, "Unknown": 1}
