"""Published comparators: figures checked by hand against the raw DfE files.

The expected numbers below were read from the public DfE files (dfe/ in the developers' public
data folder, 2025 release):

* la_cla_placement_stability.csv, "CLA on 31 March" / "With 3 or more placements during
  the year": England 10, North West 9, Lancashire (888) 7.
* c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv, rereferral_percent 2025:
  England 22.6, North West 21.7, Lancashire 16.3, Lewisham (209) 20.9, London 19.4.
  Lancashire's 2025 neighbours (sn_model_2025_wide.csv: 925, 351, 332, 884, 841, 808, 384,
  891, 929, 359) have 22.9, 26, 22.5, 14.8, 13, 28.8, 18.5, 23.1, 20, 19.7 -> mean 20.93.
  All 153 authorities: quartile limits (R type 7) 16.9 / 20.0 / 23.0, polarity Low, so
  Lancashire (16.3 <= 16.9) is A and Lewisham (20 < 20.9 <= 23) is C.
* la_conviction_health_outcome_cla.csv, "Had their annual health assessment" percent:
  England 90, London 93, Lewisham 91; Lewisham's neighbours 208, 210, 306, 205, 203, 320,
  309, 302, 383, 355 have 94, 98, 94, 94, 99, 93, 93, 84, 86, 96 -> mean 93.1. 151
  authorities with a value: limits 89 / 93 / 96, polarity High, so Lancashire (90) and
  Lewisham (91) are C.
* cla_number_and_rate_per_10k_children.csv, looked after on 31 March 2025: England 81770
  (rate 67), Lancashire 1699 (rate 65), Lewisham 439 (rate 71).
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from cpxl import comparators as cmp

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "build_comparators.py"
DATA = REPO / "cpxl" / "data"


# The public data the comparators are built from: $CPXL_SHARED_DATA, else ../shared/data.
DATA_ENV = "CPXL_SHARED_DATA"


def _public_data() -> Path | None:
    cand = Path(os.environ.get(DATA_ENV) or REPO.parent / "shared" / "data")
    return cand if (cand / "dfe" / "sn_model_2025_wide.csv").exists() else None


# --- hand-checked values ----------------------------------------------------------------

def test_lancashire_placement_stability():
    assert cmp.comparator("stability_3plus_pct", "England", 888) == 10
    assert cmp.comparator("stability_3plus_pct", "Region", 888) == 9
    assert cmp.comparator("stability_3plus_pct", "LA", 888) == 7


def test_lancashire_rereferrals_and_neighbours_by_hand():
    assert cmp.comparator("rereferral_pct", "england", "888") == pytest.approx(22.6)
    assert cmp.comparator("rereferral_pct", "REGION", 888) == pytest.approx(21.7)
    assert cmp.comparator("rereferral_pct", "la", 888) == pytest.approx(16.3)
    hand = [22.9, 26, 22.5, 14.8, 13, 28.8, 18.5, 23.1, 20, 19.7]
    assert cmp.comparator("rereferral_pct", "Neighbours", 888) == pytest.approx(sum(hand) / 10)
    row = cmp.comparators(888).set_index("indicator").loc["rereferral_pct"]
    assert row["n_neighbours"] == 10
    assert row["la_name"] == "Lancashire" and row["region_name"] == "North West"
    assert row["year"] == 2025


def test_lewisham_london_borough():
    assert cmp.comparator("rereferral_pct", "LA", 209) == pytest.approx(20.9)
    assert cmp.comparator("rereferral_pct", "Region", 209) == pytest.approx(19.4)  # London
    assert cmp.comparator("health_check_pct", "England", 209) == 90
    assert cmp.comparator("health_check_pct", "Region", 209) == 93
    assert cmp.comparator("health_check_pct", "LA", 209) == 91
    hand = [94, 98, 94, 94, 99, 93, 93, 84, 86, 96]
    assert cmp.comparator("health_check_pct", "Neighbours", 209) == pytest.approx(sum(hand) / 10)


def test_counts_and_rates():
    assert cmp.comparator("cla_count", "England", 888) == 81770
    assert cmp.comparator("cla_count", "LA", 888) == 1699
    assert cmp.comparator("cla_rate_10k", "LA", 888) == 65
    assert cmp.comparator("cla_count", "LA", 209) == 439
    assert cmp.comparator("cla_rate_10k", "LA", 209) == 71


def test_quartiles_lower_and_higher_is_better():
    # rereferral_pct: LAIT polarity Low, limits 16.9 / 20.0 / 23.0
    assert cmp.quartile("rereferral_pct", 888) == "A"
    assert cmp.quartile("rereferral_pct", 209) == "C"
    # health_check_pct: LAIT polarity High, limits 89 / 93 / 96
    assert cmp.quartile("health_check_pct", 888) == "C"
    assert cmp.quartile("health_check_pct", 209) == "C"
    # polarity '-' (neither): no band
    assert cmp.quartile("cla_rate_10k", 888) is None


def test_quartile_orientation_follows_polarity():
    t = cmp._table()
    high = t[(t.indicator == "health_check_pct") & t.la_value.notna()]
    low = t[(t.indicator == "rereferral_pct") & t.la_value.notna()]
    assert high.loc[high.la_value.idxmax(), "quartile"] == "A"
    assert high.loc[high.la_value.idxmin(), "quartile"] == "D"
    assert low.loc[low.la_value.idxmin(), "quartile"] == "A"
    assert low.loc[low.la_value.idxmax(), "quartile"] == "D"


# --- API behaviour ------------------------------------------------------------------------

def test_unknown_code_message():
    with pytest.raises(ValueError, match=r"Unknown local authority code 999: expected the "
                                         r"old 3-digit DfE code .* such as 888 \(Lancashire\)"):
        cmp.comparators(999)
    for bad in ("E10000017", "", None, True, 88.5):
        with pytest.raises(ValueError, match="Unknown local authority code"):
            cmp.comparator("rereferral_pct", "LA", bad)


def test_unknown_which():
    with pytest.raises(ValueError, match="use one of England, Region, Neighbours or LA"):
        cmp.comparator("rereferral_pct", "national", 888)


def test_code_forms_and_frame_shape():
    a = cmp.comparators(888)
    b = cmp.comparators(" 888 ")
    pd.testing.assert_frame_equal(a, b)
    assert list(a["indicator"]) == cmp.indicators()
    assert a["indicator"].is_unique
    assert len(cmp.authorities()) == 153


def test_unpublished_is_none():
    assert cmp.comparator("adoption_days_avg", "England", 888) is None
    assert cmp.quartile("adoption_days_avg", 888) is None
    assert cmp.source_note("adoption_days_avg").startswith("No published comparator")
    # suppressed value: City of London's looked-after count is 'c'
    assert cmp.comparator("cla_count", "LA", 201) is None
    # ... and its long-term stability percentage is 'z' (not applicable)
    assert cmp.comparator("stability_long_pct", "LA", 201) is None
    assert cmp.quartile("stability_long_pct", 201) is None
    assert cmp.comparator("stability_long_pct", "England", 201) == 69


def test_source_note_and_meta():
    note = cmp.source_note("stability_3plus_pct")
    assert note.startswith("DfE, Children looked after in England including adoptions 2025")
    assert "neighbours: 2025 statistical neighbour groups" in note
    assert "Caveat" in cmp.source_note("placed_residential_pct")
    info = cmp.indicator_info("rereferral_pct")
    assert info["lait_measure_short"] == "ReReferral" and info["lait_polarity"] == "Low"
    meta = cmp._meta()
    assert "Open Government Licence" in meta["licence"]["data"]
    assert any("MIT License" in t for t in meta["licence"]["notices"].values())
    assert set(meta["indicators"]) == set(cmp.indicators())


def test_shipped_csv_is_small():
    assert (DATA / "comparators.csv").stat().st_size < 1_000_000


# --- the shipped files are what the script builds -----------------------------------------

def test_shipped_files_match_a_rebuild(tmp_path):
    public = _public_data()
    if public is None:
        pytest.skip(f"no public DfE data: set {DATA_ENV} to the folder with dfe/ and lait/ "
                    "(default ../shared/data beside the repository)")
    spec = importlib.util.spec_from_file_location("build_comparators", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--data", str(public), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "comparators.csv").read_bytes() == (DATA / "comparators.csv").read_bytes()
    assert ((tmp_path / "neighbour_groups.csv").read_bytes()
            == (DATA / "neighbour_groups.csv").read_bytes())
    rebuilt = json.loads((tmp_path / "comparators_meta.json").read_text(encoding="utf-8"))
    shipped = json.loads((DATA / "comparators_meta.json").read_text(encoding="utf-8"))
    assert rebuilt == shipped
