"""cpxl.rag: RAG banding, polarity-aware, configured or against England by default."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from cpxl.errors import CpxlError
from cpxl.rag import (DEFAULT_RELATIVE_MARGIN, bands, check_thresholds, rag, rag_series,
                      round_half_up)


def test_configured_thresholds_higher_is_better():
    t = {"green": 90, "amber": 80}
    assert rag("visits_in_time_pct", 95, thresholds=t) == "Green"
    assert rag("visits_in_time_pct", 90, thresholds=t) == "Green"       # at the threshold
    assert rag("visits_in_time_pct", 85, thresholds=t) == "Amber"
    assert rag("visits_in_time_pct", 80, thresholds=t) == "Amber"
    assert rag("visits_in_time_pct", 79.9, thresholds=t) == "Red"


def test_configured_thresholds_lower_is_better():
    t = {"green": 10, "amber": 12}
    assert rag("stability_3plus_pct", 9, thresholds=t) == "Green"
    assert rag("stability_3plus_pct", 11, thresholds=t) == "Amber"
    assert rag("stability_3plus_pct", 12.5, thresholds=t) == "Red"


def test_whole_config_dict_is_accepted():
    config = {"visits_in_time_pct": {"green": 90, "amber": 80}, "pep_pct": {"green": 95}}
    assert rag("visits_in_time_pct", 85, thresholds=config) == "Amber"
    assert rag("pep_pct", 94, thresholds=config) == "Red"          # no amber: amber = green


def test_default_bands_against_england():
    # higher is better, England 80: Green from 80, Amber from 72 (10% of 80 below), Red beyond
    assert rag("placed_foster_pct", 80, comparators={"england": 80}) == "Green"
    assert rag("placed_foster_pct", 72, comparators={"england": 80}) == "Amber"
    assert rag("placed_foster_pct", 71.9, comparators={"england": 80}) == "Red"
    # lower is better, England 10: Green to 10, Amber to 11, Red beyond
    assert rag("stability_3plus_pct", 10, comparators=10) == "Green"
    assert rag("stability_3plus_pct", 11, comparators=10) == "Amber"
    assert rag("stability_3plus_pct", 11.1, comparators=10) == "Red"
    assert DEFAULT_RELATIVE_MARGIN == 0.10


def test_default_from_the_published_comparators_frame():
    from cpxl.comparators import comparators
    frame = comparators(888)
    england = frame.set_index("indicator").loc["health_check_pct", "england"]
    assert rag("health_check_pct", england, comparators=frame) == "Green"
    assert rag("health_check_pct", england * 0.85, comparators=frame) == "Red"
    b = bands("health_check_pct", comparators=frame)
    assert b.basis == "England" and b.amber == round_half_up(england * 0.9, 1)


def test_configured_thresholds_win_over_england():
    assert rag("placed_foster_pct", 60, thresholds={"green": 55, "amber": 50},
               comparators={"england": 80}) == "Green"


def test_no_rag_for_neither_blank_or_nothing_to_band_on():
    assert rag("cla_count", 500, comparators={"england": 100}) == ""
    assert rag("visits_in_time_pct", None, thresholds={"green": 90}) == ""
    assert rag("visits_in_time_pct", math.nan, thresholds={"green": 90}) == ""
    assert rag("dental_check_pct", 50) == ""            # local, no default, no England figure
    assert bands("dental_check_pct") is None


def test_statutory_local_indicators_have_default_thresholds_that_config_overrides():
    # visits: Green from 95%, Amber from 85% (docs/scorecards.md gives the sources)
    assert rag("visits_in_time_pct", 95) == "Green"
    assert rag("visits_in_time_pct", 94.96) == "Green"          # shown as 95.0%
    assert rag("visits_in_time_pct", 85) == "Amber"
    assert rag("visits_in_time_pct", 84.9) == "Red"
    assert bands("iha_20wd_pct").basis == "statutory default"
    assert rag("visits_in_time_pct", 86, thresholds={"green": 80, "amber": 70}) == "Green"


def test_thresholds_are_rounded_as_shown_so_colour_agrees_with_the_page():
    # England 14.9, lower is better: the amber line is 14.9 x 1.1 = 16.39, printed "16.4";
    # a value printed 16.4 must be Amber, not Red
    b = bands("sdq_avg_score", comparators={"england": 14.9})
    assert (b.green, b.amber) == (14.9, 16.4)
    assert b.band(16.4) == "Amber" and b.band(16.44) == "Amber" and b.band(16.45) == "Red"


def test_no_default_against_england_where_the_definitions_differ():
    # cpxl's residential care counts R1, R2, R5, S1 too; DfE's is K1, K2 only
    assert bands("placed_residential_pct", comparators={"england": 12.0}) is None
    assert rag("missing_pct", 20.0, comparators={"england": 11.0}) == ""
    # configured thresholds still rate it
    assert rag("missing_pct", 9.0, thresholds={"green": 10, "amber": 12}) == "Green"


def test_values_are_banded_as_shown():
    # 89.96% shows as 90.0%: a board member must not see "90.0%" marked Amber against 90
    assert rag("visits_in_time_pct", 89.96, thresholds={"green": 90, "amber": 80}) == "Green"
    assert rag("visits_in_time_pct", 89.94, thresholds={"green": 90, "amber": 80}) == "Amber"
    assert round_half_up(2.25, 1) == 2.3 and round_half_up(-2.25, 1) == -2.3   # as Excel's ROUND


def test_rag_series_matches_rag():
    values = pd.Series([95, 85, 70, None, 89.96])
    t = {"green": 90, "amber": 80}
    assert list(rag_series("visits_in_time_pct", values, thresholds=t)) == [
        rag("visits_in_time_pct", v, thresholds=t) for v in values]
    assert list(rag_series("cla_count", values)) == [""] * 5


def test_bad_thresholds_are_clear_errors():
    with pytest.raises(CpxlError, match="amber"):
        check_thresholds("visits_in_time_pct", {"green": 80, "amber": 90})
    with pytest.raises(CpxlError, match="amber"):
        check_thresholds("stability_3plus_pct", {"green": 10, "amber": 5})
    with pytest.raises(CpxlError, match="number"):
        check_thresholds("visits_in_time_pct", {"green": "ninety"})
    with pytest.raises(CpxlError, match="needs green"):
        check_thresholds("visits_in_time_pct", {"amber": 80})
    with pytest.raises(CpxlError, match="no RAG"):
        check_thresholds("cla_count", {"green": 1})
    with pytest.raises(CpxlError, match="target"):
        check_thresholds("visits_in_time_pct", {"green": 90, "red": 70})
    assert check_thresholds("visits_in_time_pct", {"green": 90, "target": 95}) == {
        "green": 90.0, "target": 95.0, "amber": 90.0}
