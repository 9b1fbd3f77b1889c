"""The long output table (data.md section 5): columns, period ends, levels, completeness, sums."""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from cpxl.catalogue import CATALOGUE
from builders import OUTPUT_COLUMNS, chain, ep, kid, pick, run, write_dataset

D = "2021-03-31"
MONTHS = 4
DISTRICTS = ["Aldermoor", "Brackenfold", "Cray", "Unknown"]
AREAS = {"North": ["Aldermoor", "Brackenfold"], "South": ["Cray"]}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract")
    episodes = [
        ep("A1", "01/01/2019", home_post="AL1 1AA"),
        *chain("A2", ("01/06/2020", "S", "U4"), ("01/02/2021", "P", "U5"), home_post="AL1 2AA"),
        ep("B1", "01/01/2021", dec="15/03/2021", rec="E11", home_post="BR2 1AA", place="A3"),
        ep("B2", "01/01/2018", home_post="BR2 1BB", place="K1"),
        ep("U1", "01/12/2020", home_post=""),
        ep("S1", "01/01/2018", ls="V3", home_post="CR3 1AA"),      # short breaks: nowhere
    ]
    write_dataset(
        folder,
        header=[kid(k, "01/01/2012") for k in ["A1", "A2", "B1", "B2", "U1", "S1"]],
        episodes=episodes,
        postcode_districts=[("AL1", "Aldermoor"), ("BR2", "Brackenfold"), ("CR3", "Cray")],
        areas=[(d, a) for a, ds in AREAS.items() for d in ds],
        population=[("Aldermoor", 2021, 1000), ("Brackenfold", 2021, 2000), ("Cray", 2021, 3000)],
        oc2=[("A1", "", "10", "", "0", "1", "1", "1")],
        reviews=[("A1", "", "20/01/2019")],
    )
    return run(folder, D, months=MONTHS)


def test_columns_exactly(out):
    assert list(out.columns) == OUTPUT_COLUMNS


def test_period_ends_are_iso_month_ends(out):
    assert sorted(out["period_end"].unique()) == ["2020-12-31", "2021-01-31", "2021-02-28",
                                                  "2021-03-31"]
    assert all(isinstance(p, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p) for p in out["period_end"])


def test_levels_and_geographies(out):
    g = out.drop_duplicates(["level", "geography"])[["level", "geography"]]
    assert list(map(tuple, g.to_numpy())) == [
        ("la", "Testshire"), ("area", "North"), ("area", "South"), ("district", "Aldermoor"),
        ("district", "Brackenfold"), ("district", "Cray"), ("district", "Unknown")]


def test_every_indicator_period_geography_once(out):
    # 7 geographies x 4 period ends x every indicator in the catalogue, each exactly once.
    assert set(out["indicator"]) == set(CATALOGUE)
    assert len(out) == len(CATALOGUE) * MONTHS * 7
    assert not out.duplicated(["indicator", "period_end", "geography"]).any()


def test_hand_numbers(out):
    # On 2021-03-31: A1, A2 (Aldermoor), B2 (Brackenfold), U1 (blank HOME_POST: Unknown); B1 left
    # on 15/03/2021; S1 is V3.  Cray has nobody.
    v = out.loc[(out["indicator"] == "cla_count") & (out["period_end"] == D)]
    assert dict(zip(v["geography"], v["value"])) == {
        "Testshire": 4, "North": 3, "South": 0, "Aldermoor": 2, "Brackenfold": 1, "Cray": 0,
        "Unknown": 1}
    # On 2021-01-31 B1 is looked after as well: Brackenfold 2.
    assert pick(out, "cla_count", "Brackenfold", "2021-01-31")["value"] == 2
    # population: Testshire has no row -> 1000 + 2000 + 3000 = 6000; 4 / 6000 x 10,000.
    r = pick(out, "cla_rate_10k", "Testshire", D)
    assert r["denominator"] == 6000 and r["value"] == pytest.approx(4 / 6000 * 1e4)
    # Cray: nobody -> count 0, percentage blank with a note.
    c = pick(out, "placed_foster_pct", "Cray", D)
    assert (c["numerator"], c["denominator"]) == (0, 0) and math.isnan(c["value"]) and c["note"]
    assert pick(out, "cla_count", "Cray", D)["value"] == 0
    # adopted on 15/03/2021 -> adopted_pct 1 of 1 in Brackenfold, la.
    assert pick(out, "adopted_pct", "Brackenfold", D)["value"] == 100


def test_not_available_rows_are_blank_with_note(out):
    na = out.loc[out["note"].str.startswith("not available")]
    # No uasc, missing, sw_episodes, oc3 tables: e.g. uasc_count is not available everywhere.
    assert set(na.loc[na["indicator"] == "uasc_count", "geography"]) == {
        "Testshire", "North", "South", "Aldermoor", "Brackenfold", "Cray", "Unknown"}
    assert na["value"].isna().all() and na["numerator"].isna().all()
    # never a 0 for an indicator that is not available
    assert not (na["value"] == 0).any()


def check_sums(out, districts, areas):
    """la = sum of all districts, area = sum of its districts, for every count column."""
    kinds = {i: CATALOGUE[i].kind for i in CATALOGUE}
    checked = 0
    for (ind, period), g in out.groupby(["indicator", "period_end"], sort=False):
        g = g.set_index("geography")
        la = g.loc[g["level"] == "la"].iloc[0]
        cols = ["numerator"] + (["denominator"] if kinds[ind] in ("percent", "ratio") else [])
        for col in cols:
            d = g.loc[districts, col].to_numpy(dtype=float)
            if np.isnan(d).all():
                assert math.isnan(la[col]), (ind, period, col)
                continue
            assert la[col] == pytest.approx(d.sum()), (ind, period, col)
            for area, members in areas.items():
                assert g.loc[area, col] == pytest.approx(g.loc[members, col].sum()), (ind, period, col)
            checked += 1
        # values follow from the sums
        for geo, r in g.iterrows():
            if kinds[ind] == "percent" and r["denominator"] > 0:
                assert r["value"] == pytest.approx(100 * r["numerator"] / r["denominator"])
            if kinds[ind] == "count" and not math.isnan(r["numerator"]):
                assert r["value"] == r["numerator"] and math.isnan(r["denominator"])
            if kinds[ind] == "rate" and r["denominator"] > 0:
                assert r["value"] == pytest.approx(1e4 * r["numerator"] / r["denominator"])
    return checked


def test_areas_and_authority_are_sums_of_districts(out):
    assert check_sums(out, DISTRICTS, AREAS) > 100


def test_written_csv_round_trip(out, tmp_path):
    # The CLI's writer keeps the columns and ISO dates (as text, not Excel dates).
    from cpxl.output import write_table
    path = write_table(out, tmp_path / "indicators.csv")
    back = pd.read_csv(path, dtype={"period_end": str}, keep_default_na=False)
    assert list(back.columns) == OUTPUT_COLUMNS
    assert len(back) == len(out)
    assert back["period_end"].iloc[0] == "2020-12-31"
