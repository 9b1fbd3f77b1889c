#!/usr/bin/env python
"""Build cpxl's published comparators from the public DfE and LAIT statistics.

    python scripts/build_comparators.py [--data DIR] [--out cpxl/data]

A developer's build script, not part of the product: its input is the public data folder (with
``dfe/`` and ``lait/``), by default ``$CPXL_SHARED_DATA``, else ``../shared/data`` beside the
repository, where the project's developers keep it. Users never need it: the output ships.

Writes two files that ship inside the package:

* ``cpxl/data/comparators.csv``: for every local authority in the 2025 statistical
  neighbour model and every cpxl indicator that has a published equivalent, the latest
  published year's LA value, England, region, statistical-neighbour mean and LAIT-style
  quartile band. Columns: ``indicator, la_code, la_name, region_name, year, la_value,
  england, region, neighbours, quartile, n_neighbours``.
* ``cpxl/data/comparators_meta.json``: where each indicator comes from (file, measure,
  breakdown, LAIT measure and polarity), the year, how the comparators were derived,
  which indicators could not be mapped and why, and the licence attribution.

The raw files are read only; nothing from them is copied into the project. The
output is deterministic (no timestamps) so a test can rebuild it and compare.

Method, in brief (details in the JSON):

* Values are the published ones, on the cpxl indicator's own scale (percentages 0-100,
  rates per 10,000, days, cases per FTE). DfE suppression and not-applicable markers
  (c, x, z, k, u, low, ``-`` in LAIT, ...) and anything else non-numeric are missing.
* Year: the latest year in the source for that measure (time_period in the DfE files,
  ``Years`` in LAIT).
* Region: the authority's region in sn_model_2025_wide.csv (the nine English regions;
  London is London, not Inner/Outer London).
* Neighbours: the mean of the authority's 10 statistical neighbours (2025 groups,
  sn_model_2025_wide.csv) over those with a value; n_neighbours says how many.
* Quartile: as the DfE LAIT does (``calculate_quartile_band``): the quartile band limits
  are R's default (type 7) quantiles of every authority's value in that year; for
  polarity Low a value <= Q1 is A, <= median B, <= Q3 C, else D; for High the reverse
  (> Q3 is A). Polarity ``-`` (neither), or a LAIT measure flagged No_Quartile, has no band.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA_ENV = "CPXL_SHARED_DATA"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = REPO / "cpxl" / "data"

# Paths inside the data folder; the metadata records them as data/<path>.
SN_FILE = "dfe/sn_model_2025_wide.csv"
SN_2021_FILE = "dfe/New_Statistical_Neighbour_Groupings_April_2021.csv"
GROUPS_CSV = "neighbour_groups.csv"
LAIT_FILE = "lait/bds_long_0.parquet"
LAIT_DICT = "lait/lait_data_dictionary.csv"

CLA_PUB = "Children looked after in England including adoptions"
CIN_PUB = "Characteristics of children in need"
CSWW_PUB = "Children's social work workforce"
STAB_PUB = "Stability measures for children looked after in England"

YEAR_MARCH = "year ending 31 March {y}"
AT_MARCH = "31 March {y}"
AT_SEPT = "30 September {y}"

# --------------------------------------------------------------------------------------
# The mapping. One entry per cpxl indicator that has a published equivalent.
#   source "dfe": file under data/dfe, filters (column -> value), value column.
#   source "lait": the LAIT long dataset, by Short Desc (= Measure_short).
#   lait: the LAIT measure whose polarity is used (and whose code/name is recorded);
#         None where LAIT has no such measure (then the cpxl polarity is used).
#   match: exact (same definition), close (same concept, small definitional
#          differences, stated in note), partial (the published measure covers only
#          part of what cpxl counts).
# --------------------------------------------------------------------------------------
MAPPING: list[dict] = [
    dict(indicator="cla_count", unit="count", cpxl_polarity="neither",
         source="dfe", file="cla_number_and_rate_per_10k_children.csv",
         filters={"population_type": "Children looked after on 31 March each year"},
         value="children_count", lait="LACnum", publication=CLA_PUB, period=AT_MARCH,
         match="exact", note=""),
    dict(indicator="cla_rate_10k", unit="rate per 10,000", cpxl_polarity="neither",
         source="dfe", file="cla_number_and_rate_per_10k_children.csv",
         filters={"population_type": "Children looked after on 31 March each year"},
         value="rate_per_10000", lait="LAC", publication=CLA_PUB, period=AT_MARCH,
         match="exact",
         note="Published rate is rounded to a whole number per 10,000 children aged 0-17."),
    dict(indicator="cla_started_12m", unit="count", cpxl_polarity="neither",
         source="dfe", file="cla_number_and_rate_per_10k_children.csv",
         filters={"population_type": "Children starting to be looked after each year"},
         value="children_count", lait="LACnum_Start", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact", note=""),
    dict(indicator="cla_ceased_12m", unit="count", cpxl_polarity="neither",
         source="dfe", file="cla_number_and_rate_per_10k_children.csv",
         filters={"population_type": "Children ceasing to be looked after each year"},
         value="children_count", lait="LACceased", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact", note=""),
    dict(indicator="stability_3plus_pct", unit="%", cpxl_polarity="lower",
         source="dfe", file="la_cla_placement_stability.csv",
         filters={"cla_group": "CLA on 31 March",
                  "placement_stability": "With 3 or more placements during the year"},
         value="children_percent", lait="LACStable_2016on", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact",
         note="Published percentage is rounded to a whole number."),
    dict(indicator="stability_long_pct", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_cla_placement_stability.csv",
         filters={"cla_group": "Children looked after continuously for at least 2.5 years "
                               "on 31 March aged under 16 years",
                  "placement_stability": "Living with the same carer for at least 2 years"},
         value="children_percent", lait="LAC_LongStable%", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact",
         note="Published percentage is rounded to a whole number."),
    dict(indicator="placed_foster_pct", unit="%", cpxl_polarity="higher",
         source="lait", lait="LAC_Foster_Placements", publication=CLA_PUB,
         period=AT_MARCH, match="exact",
         note="DfE 'foster placements' = PLACE U1-U6. Whole-number percentage."),
    dict(indicator="placed_residential_pct", unit="%", cpxl_polarity="lower",
         source="lait", lait="LAC_SecHome_And_ChildHome", publication=CLA_PUB,
         period=AT_MARCH, match="partial",
         note="Published measure is secure homes and children's homes only (PLACE K1, K2); "
              "cpxl also counts R1, R2, R5 and S1. LAIT's 'other residential settings' "
              "(LAC_Other_Res_Settings: R1, R2, R3, R5) is suppressed for most authorities "
              "and residential schools are not in LAIT, so they are not added. An authority "
              "that records residential care as R1 will look low against this comparator."),
    dict(indicator="uasc_count", unit="count", cpxl_polarity="neither",
         source="lait", lait="Unacc_Asylmn_Seek_Childn", publication=CLA_PUB,
         period=AT_MARCH, match="exact",
         note="Unaccompanied asylum-seeking children looked after on 31 March."),
    dict(indicator="missing_pct", unit="%", cpxl_polarity="lower",
         source="lait", lait="Children_missing", publication=CLA_PUB,
         period=YEAR_MARCH, match="close",
         note="% of children looked after during the year who had a missing incident; the "
              "published figure also counts children already missing on 1 April. LAIT gives "
              "this measure no polarity, so it has no quartile band."),
    dict(indicator="health_check_pct", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_conviction_health_outcome_cla.csv",
         filters={"characteristic": "Health assessments: Children looked after all ages",
                  "breakdown": "Had their annual health assessment"},
         value="children_percent", lait="LACHealth%", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact",
         note="Children looked after continuously for 12 months at 31 March. "
              "Whole-number percentage."),
    dict(indicator="teeth_check_pct", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_conviction_health_outcome_cla.csv",
         filters={"characteristic": "Health assessments: Children looked after all ages",
                  "breakdown": "Had their teeth checked by a dentist"},
         value="children_percent", lait="LACDental%", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact", note="Whole-number percentage."),
    dict(indicator="immunisations_pct", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_conviction_health_outcome_cla.csv",
         filters={"characteristic": "Health assessments: Children looked after all ages",
                  "breakdown": "Had their immunisations up to date"},
         value="children_percent", lait="LACVaccinations%", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact", note="Whole-number percentage."),
    dict(indicator="sdq_completed_pct", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_conviction_health_outcome_cla.csv",
         filters={"characteristic": "Ages 5 to 16 years with SDQ score",
                  "breakdown": "SDQ score was received"},
         value="children_percent", lait=None, publication=CLA_PUB,
         period=YEAR_MARCH, match="exact",
         note="Of the 12-month cohort aged 5-16. No LAIT measure; cpxl polarity (higher) "
              "used for the quartile band. Whole-number percentage."),
    dict(indicator="sdq_avg_score", unit="score", cpxl_polarity="lower",
         source="dfe", file="la_conviction_health_outcome_cla.csv",
         filters={"characteristic": "Ages 5 to 16 years with SDQ score",
                  "breakdown": "SDQ average score"},
         value="children_count", lait="Emotional_LAC", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact",
         note="The file holds the average score in the children_count column."),
    dict(indicator="sw_changes_3plus_pct", unit="%", cpxl_polarity="lower",
         source="dfe", file="la_cla_swcount.csv",
         filters={"cla_group": "CLA on 31 March",
                  "sw_stability": "3 or more social workers during the year"},
         value="percentage", lait="Stability_SocialWorker", publication=STAB_PUB,
         period=YEAR_MARCH, match="close",
         note="DfE counts distinct social workers assigned in the year, including while the "
              "child was not looked after. Whole-number percentage."),
    dict(indicator="care_leavers_suitable_pct_17_18", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_care_leavers_accommodation_suitability.csv",
         filters={"care_leaver_age": "17 to 18 years",
                  "breakdown": "Accommodation considered suitable"},
         value="care_leaver_percent", lait=None, publication=CLA_PUB,
         period=YEAR_MARCH, match="close",
         note="DfE denominator excludes young people abroad, deported or whose residence is "
              "not known. No LAIT measure for 17-18; cpxl polarity (higher) used. "
              "Whole-number percentage."),
    dict(indicator="care_leavers_suitable_pct_19_21", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_care_leavers_accommodation_suitability.csv",
         filters={"care_leaver_age": "19 to 21 years",
                  "breakdown": "Accommodation considered suitable"},
         value="care_leaver_percent", lait="CareLeaverAcc", publication=CLA_PUB,
         period=YEAR_MARCH, match="close",
         note="DfE denominator excludes young people abroad, deported or whose residence is "
              "not known. Whole-number percentage."),
    dict(indicator="care_leavers_eet_pct_17_18", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_care_leavers_activity.csv",
         filters={"care_leaver_age": "17 to 18 years",
                  "breakdown": "Total in education, employment or training"},
         value="care_leaver_percent", lait=None, publication=CLA_PUB,
         period=YEAR_MARCH, match="exact",
         note="No LAIT measure for 17-18; cpxl polarity (higher) used. "
              "Whole-number percentage."),
    dict(indicator="care_leavers_eet_pct_19_21", unit="%", cpxl_polarity="higher",
         source="dfe", file="la_care_leavers_activity.csv",
         filters={"care_leaver_age": "19 to 21 years",
                  "breakdown": "Total in education, employment or training"},
         value="care_leaver_percent", lait="CareLeaverEET", publication=CLA_PUB,
         period=YEAR_MARCH, match="exact", note="Whole-number percentage."),
    dict(indicator="cp_rate_10k", unit="rate per 10,000", cpxl_polarity="neither",
         source="lait", lait="CPP_rate", publication=CIN_PUB, period=AT_MARCH,
         match="exact", note="Children subject of a child protection plan at 31 March."),
    dict(indicator="cp_repeat_ever_pct", unit="%", cpxl_polarity="lower",
         source="dfe", file="d3_cpps_subsequent_plan_2013_to_2025.csv",
         filters={"category": "Child Protection Plans which are a second or subsequent plan"},
         value="CPP_subsequent_percent", lait="PrevRegCPR", publication=CIN_PUB,
         period=YEAR_MARCH, match="exact",
         note="Plans starting in the year that were a second or subsequent plan (ever)."),
    dict(indicator="cp_2yrs_plus_pct", unit="%", cpxl_polarity="lower",
         source="lait", lait="CPPlans2yrs", publication=CIN_PUB, period=YEAR_MARCH,
         match="exact",
         note="Plans ceasing in the year that had lasted 2 years or more (DfE table D7, via "
              "LAIT CPPlans2yrs): the same definition as cpxl (plans ending in the year). "
              "Not used: d5_cpps_at31march_by_duration (LAIT CPPlans2yrsActive), which is "
              "plans still open at 31 March that have lasted 2 years or more - a stock of "
              "open plans, not the plans that ended, and suppressed ('c') for about 40% of "
              "authorities."),
    dict(indicator="rereferral_pct", unit="%", cpxl_polarity="lower",
         source="dfe", file="c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
         filters={"category": "Referrals and Re-referrals"},
         value="rereferral_percent", lait="ReReferral", publication=CIN_PUB,
         period=YEAR_MARCH, match="exact",
         note="Referrals in the year within 12 months of a previous referral (referral "
              "based, not the child-based rereferral_child_percent)."),
    dict(indicator="assessments_45wd_pct", unit="%", cpxl_polarity="higher",
         source="lait", lait="Continue_Assess_Comp", publication=CIN_PUB,
         period=YEAR_MARCH, match="exact",
         note="Assessments completed in the year within 45 working days."),
    dict(indicator="caseload_avg", unit="cases per FTE", cpxl_polarity="lower",
         source="dfe", file="csww_indicators_2017_to_2025.csv", filters={},
         value="caseload_fte", lait="Work_Force_AvgNumCase_SW", publication=CSWW_PUB,
         period=AT_SEPT, match="close",
         note="DfE: cases held at 30 September by children and family social workers "
              "(including agency) / the FTE of those holding cases, across all case types; "
              "cpxl uses the allocations in its own table at D. Joint returns (Kingston upon Thames with "
              "Richmond upon Thames; North with West Northamptonshire) give both authorities "
              "the joint value, as LAIT does."),
]

NOT_MAPPED = {
    "adoption_days_avg": (
        "No local-authority figure in the inputs: LAIT's long dataset has no adoption "
        "scorecard timeliness measure (only % and number adopted and finance), and "
        "national_cla_adopted_average_time_between_adoption_process_stages.csv is England "
        "only, by age group, in years:months rather than days."),
    "care_leavers_in_touch_pct_17_18": (
        "Not published in the inputs: the DfE in-touch table (la_care_leavers_intouch) is "
        "not among the files, and the activity file's 'information not known' is a "
        "different quantity."),
    "care_leavers_in_touch_pct_19_21": (
        "Not published in the inputs as such: LAIT's CareLeavers_LA_NotInTouch (19-21) "
        "is 'local authority not in touch' only, so 100 minus it also counts young people "
        "who refused contact or no longer need services (and excludes those whose activity "
        "a third party reported); it is also suppressed for about half of authorities."),
    "adopted_pct": (
        "Not mapped yet: LAIT's adoption measures (from la_children_who_ceased_during_the_year_"
        "sgo_adoption) have not been checked against cpxl's definition, so no comparator ships."),
    "sgo_pct": (
        "Not mapped yet: LAIT's special guardianship measures (from la_children_who_ceased_during_"
        "the_year_sgo_adoption) have not been checked against cpxl's definition, so no "
        "comparator ships."),
    "health_assessment_pct": (
        "A local-table measure (health_assessments, children looked after on D); the published "
        "annual health assessment figure is health_check_pct (the SSDA903 OC2 cohort), which "
        "carries the comparators."),
    "dental_check_pct": (
        "A local-table measure (dental_checks, children looked after on D); the published dental "
        "check figure is teeth_check_pct (the SSDA903 OC2 cohort), which carries the comparators."),
}


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
def to_number(series: pd.Series) -> pd.Series:
    """Published values to floats: suppression markers and other text become NaN."""
    s = series.astype("string").str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(s, errors="coerce").astype("float64")


def read_dfe_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def year_key(label: str) -> int | None:
    """'2025' -> 2025; '2024-25' or '2024/25' -> 2025; '2025 (Rev)' -> 2025."""
    m = re.match(r"\s*(\d{4})(?:\s*[-/]\s*(\d{2,4}))?", str(label))
    if not m:
        return None
    start = int(m.group(1))
    if m.group(2):
        end = m.group(2)
        return int(str(start)[: 4 - len(end)] + end) if len(end) < 4 else int(end)
    return start


def la_codes(raw: str) -> list[str]:
    """'888' -> ['888']; '314 / 318' (a joint return) -> ['314', '318']."""
    return [c.strip() for c in str(raw).split("/") if c.strip()]


class Published:
    """One measure's latest-year values: year, england, {region: v}, {la_code: v}."""

    def __init__(self, year, england, regions, las):
        self.year, self.england, self.regions, self.las = year, england, regions, las


def load_dfe(data: Path, spec: dict) -> Published:
    df = read_dfe_csv(data / "dfe" / spec["file"])
    for col, val in spec["filters"].items():
        df = df[df[col].str.strip() == val]
    if df.empty:
        raise SystemExit(f"{spec['indicator']}: no rows in {spec['file']} for {spec['filters']}")
    df = df[df["time_identifier"].str.strip() == "Reporting year"] if "time_identifier" in df else df
    year = max(int(y) for y in df["time_period"])
    df = df[df["time_period"].astype(int) == year]
    vals = to_number(df[spec["value"]])
    level = df["geographic_level"].str.strip()

    nat = vals[level == "National"]
    if len(nat) != 1:
        raise SystemExit(f"{spec['indicator']}: expected one national row, got {len(nat)}")
    regions = {}
    for name, v in zip(df.loc[level == "Regional", "region_name"], vals[level == "Regional"]):
        regions[name.strip().casefold()] = v
    las: dict[str, float] = {}
    for raw, v in zip(df.loc[level == "Local authority", "old_la_code"],
                      vals[level == "Local authority"]):
        for code in la_codes(raw):
            if code in las:
                raise SystemExit(f"{spec['indicator']}: LA {code} twice in {spec['file']}")
            las[code] = v
    return Published(year, float(nat.iloc[0]), regions, las)


def load_lait(lait: pd.DataFrame, short: str, indicator: str) -> Published:
    df = lait[lait["Short Desc"].str.strip() == short]
    if df.empty:
        raise SystemExit(f"{indicator}: LAIT has no measure {short!r}")
    keys = df["Years"].map(year_key)
    year = int(keys.max())
    df = df[keys == year]
    if df["Years"].nunique() != 1:
        raise SystemExit(f"{indicator}: LAIT {short} has several labels for {year}: "
                         f"{sorted(df['Years'].unique())}")
    vals = to_number(df["Values"])
    num = df["LA Number"]
    eng = vals[num == 970]
    if len(eng) != 1:
        raise SystemExit(f"{indicator}: LAIT {short} has {len(eng)} England rows")
    regions, las = {}, {}
    for name, n, v in zip(df["LA and Regions"], num, vals):
        if pd.isna(n):
            continue
        n = int(n)
        if 980 <= n <= 990:
            regions[str(name).strip().casefold()] = v
        elif n < 970:
            code = f"{n:03d}"
            if code in las:
                raise SystemExit(f"{indicator}: LA {code} twice in LAIT {short}")
            las[code] = v
    return Published(year, float(eng.iloc[0]), regions, las)


def read_neighbours(data: Path) -> pd.DataFrame:
    sn = read_dfe_csv(data / SN_FILE)
    sn = sn.rename(columns=str.strip)
    out = pd.DataFrame({
        "la_code": sn["old_la_code"].str.strip(),
        "la_name": sn["la_name"].str.strip(),
        "region_name": sn["region_name"].str.strip(),
    })
    out["sn"] = [[str(r[f"SN_{i}"]).strip() for i in range(1, 11) if str(r[f"SN_{i}"]).strip()]
                 for _, r in sn.iterrows()]
    if out["la_code"].duplicated().any():
        raise SystemExit("duplicate LA codes in " + SN_FILE)
    return out


def lait_dictionary(data: Path) -> dict[str, dict]:
    dd = pd.read_csv(data / LAIT_DICT, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    out = {}
    for _, r in dd.iterrows():
        short = r["Measure_short"].strip()
        if short and short not in out:
            out[short] = {
                "measure_code": (None if r["Measure_code"].strip().upper() in ("", "NA", "NAN")
                                 else r["Measure_code"].strip()),
                "measure": r["Measure"].strip(),
                "polarity": r["Polarity"].strip() or None,
                "no_quartile": r["No_Quartile"].strip().upper() == "N",
                "table_status": r["Table_status"].strip() or None,
            }
    return out


# --------------------------------------------------------------------------------------
# Deriving
# --------------------------------------------------------------------------------------
CPXL_TO_LAIT_POLARITY = {"higher": "High", "lower": "Low", "neither": "-"}


def quartile_bands(values) -> np.ndarray | None:
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    if v.size == 0:
        return None
    return np.quantile(v, [0.0, 0.25, 0.5, 0.75, 1.0])  # linear = R's default type 7


def band(value: float, q: np.ndarray | None, polarity: str) -> str | None:
    """LAIT's calculate_quartile_band."""
    if q is None or value is None or math.isnan(value) or polarity not in ("High", "Low"):
        return None
    if value <= q[1]:
        i = 0
    elif value <= q[2]:
        i = 1
    elif value <= q[3]:
        i = 2
    else:
        i = 3
    return "ABCD"[i] if polarity == "Low" else "DCBA"[i]


def build(data: Path) -> tuple[pd.DataFrame, dict]:
    data = data.resolve()
    las = read_neighbours(data)
    ldict = lait_dictionary(data)
    lait = pd.read_parquet(data / LAIT_FILE)

    rows = []
    meta_ind = {}
    files_used = {SN_FILE, LAIT_DICT}
    for spec in MAPPING:
        ind = spec["indicator"]
        if spec["source"] == "dfe":
            pub = load_dfe(data, spec)
            files_used.add(f"dfe/{spec['file']}")
        else:
            pub = load_lait(lait, spec["lait"], ind)
            files_used.add(LAIT_FILE)

        lmeta = ldict.get(spec["lait"]) if spec["lait"] else None
        if spec["lait"] and lmeta is None:
            raise SystemExit(f"{ind}: {spec['lait']} is not in the LAIT data dictionary")
        if lmeta is not None:
            polarity = lmeta["polarity"] or "-"
            polarity_source = f"LAIT data dictionary, {spec['lait']}"
            no_quartile = lmeta["no_quartile"]
        else:
            polarity = CPXL_TO_LAIT_POLARITY[spec["cpxl_polarity"]]
            polarity_source = "cpxl indicator definition (no LAIT measure)"
            no_quartile = False
        q = None if no_quartile or polarity not in ("High", "Low") else quartile_bands(pub.las.values())

        for la in las.itertuples(index=False):
            v = pub.las.get(la.la_code, float("nan"))
            sn_vals = [pub.las.get(c, float("nan")) for c in la.sn]
            sn_vals = [x for x in sn_vals if not math.isnan(x)]
            rows.append({
                "indicator": ind,
                "la_code": la.la_code,
                "la_name": la.la_name,
                "region_name": la.region_name,
                "year": pub.year,
                "la_value": v,
                "england": pub.england,
                "region": pub.regions.get(la.region_name.casefold(), float("nan")),
                "neighbours": float(np.mean(sn_vals)) if sn_vals else float("nan"),
                "quartile": band(v, q, polarity),
                "n_neighbours": len(sn_vals),
            })

        if spec["source"] == "dfe":
            source = {"file": f"data/dfe/{spec['file']}", "filters": spec["filters"],
                      "value_column": spec["value"]}
        else:
            source = {"file": f"data/{LAIT_FILE}", "short_desc": spec["lait"]}
        meta_ind[ind] = {
            "unit": spec["unit"],
            "year": pub.year,
            "period": spec["period"].format(y=pub.year),
            "publication": f"DfE, {spec['publication']}",
            "source": source,
            "lait_measure_short": spec["lait"],
            "lait_measure_code": lmeta["measure_code"] if lmeta else None,
            "lait_measure": lmeta["measure"] if lmeta else None,
            "lait_polarity": lmeta["polarity"] if lmeta else None,
            "polarity_used": polarity,
            "polarity_source": polarity_source,
            "cpxl_polarity": spec["cpxl_polarity"],
            "quartile_bands": None if q is None else [float(f"{x:.10g}") for x in q],
            "n_authorities_with_value": int(sum(not math.isnan(x) for x in pub.las.values())),
            "match": spec["match"],
            "note": spec["note"],
        }

    table = pd.DataFrame(rows)
    table["year"] = table["year"].astype(int)
    table["n_neighbours"] = table["n_neighbours"].astype(int)

    licence_texts = {}
    for sub in ("dfe", "lait"):
        lic = data / sub / "LICENSE"
        if lic.exists():
            licence_texts[f"data/{sub}/LICENSE"] = lic.read_text(encoding="utf-8").strip()
    meta = {
        "about": "Published comparators for cpxl indicators: the latest published year for "
                 "every local authority, England, its region and its statistical neighbours.",
        "generated_by": "scripts/build_comparators.py",
        "columns": {
            "indicator": "cpxl indicator id",
            "la_code": "old 3-digit DfE local authority code",
            "la_name": "authority name (sn_model_2025_wide.csv)",
            "region_name": "the authority's region (sn_model_2025_wide.csv)",
            "year": "the published year (see indicators.<id>.period)",
            "la_value": "the authority's published value; blank where suppressed or not published",
            "england": "England value",
            "region": "the value for the authority's region",
            "neighbours": "mean of the authority's 10 statistical neighbours with a value",
            "quartile": "LAIT-style quartile band, A best to D worst; blank where the polarity "
                        "is neither or there is no value",
            "n_neighbours": "how many of the 10 neighbours had a value",
        },
        "method": {
            "values": "Published values on the cpxl indicator's own scale. DfE suppression and "
                      "not-applicable markers (c, x, z, k, u, low, '-' in LAIT, and any other "
                      "non-numeric text) are treated as missing.",
            "year": "The latest year published for that measure.",
            "region": "The nine English regions as in sn_model_2025_wide.csv; London "
                      "authorities are compared with London (not Inner/Outer London).",
            "neighbours": "Mean over the authority's 10 statistical neighbours in the 2025 "
                          "groups (sn_model_2025_wide.csv; the same groups as LAIT's "
                          "sn_may_2025.xlsx) that have a value.",
            "quartile": "As the DfE Local Authority Interactive Tool (calculate_quartile_band): "
                        "band limits are the 0/25/50/75/100% quantiles (R type 7, linear) of "
                        "all authorities' values that year. Polarity Low: <= Q1 A, <= median "
                        "B, <= Q3 C, else D. Polarity High: > Q3 A, > median B, > Q1 C, else "
                        "D. Polarity '-' (neither) or No_Quartile: no band. Polarity is "
                        "LAIT's for the equivalent LAIT measure, else the cpxl definition's.",
            "joint_returns": "Where the DfE publishes one figure for a joint return "
                             "(e.g. '314 / 318'), both authorities get it.",
        },
        "indicators": meta_ind,
        "not_mapped": NOT_MAPPED,
        "sources": {
            f"data/{f}": {"sha256": hashlib.sha256((data / f).read_bytes()).hexdigest()}
            for f in sorted(files_used)
        },
        "licence": {
            "data": "Contains public sector information licensed under the Open Government "
                    "Licence v3.0 (Department for Education: Children looked after in England "
                    "including adoptions; Characteristics of children in need; Children's "
                    "social work workforce; Local Authority Interactive Tool). "
                    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            "code_and_files": "The DfE CSC outcomes and enablers dashboard data folder and the "
                              "LAIT files are distributed under the MIT License; notice below.",
            "notices": licence_texts,
        },
    }
    return table, meta


def write(table: pd.DataFrame, meta: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "comparators.csv"
    json_path = out / "comparators_meta.json"
    table.to_csv(csv_path, index=False, float_format="%.10g", lineterminator="\n")
    json_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, json_path


def neighbour_groups(data: Path) -> pd.DataFrame:
    """Both DfE statistical neighbour groupings, long: set, la_code, rank, neighbour.

    Shipped so that cpxl.toml can choose the 2025 or the 2021 groups, and a mean or a median.
    """
    parts = []
    for _, r in read_neighbours(data).iterrows():
        parts += [(2025, r["la_code"], k, n) for k, n in enumerate(r["sn"], start=1)]
    old = pd.read_csv(data / SN_2021_FILE, dtype=str, encoding="utf-8-sig")
    for _, r in old.iterrows():
        code = str(r["LA number"]).strip()
        for k in range(1, 11):
            n = str(r.get(f"SN{k}", "") or "").strip()
            if n and n.lower() != "nan" and code:
                parts.append((2021, code, k, n))
    return pd.DataFrame(parts, columns=["set", "la_code", "rank", "neighbour"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None,
                    help=f"the public data folder, holding dfe/ and lait/ (default: ${DATA_ENV}, "
                         f"else {DEFAULT_DATA})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="where to write comparators.csv and comparators_meta.json "
                         "(default: %(default)s)")
    args = ap.parse_args(argv)
    data = args.data or Path(os.environ.get(DATA_ENV) or DEFAULT_DATA)
    if not (data / SN_FILE).exists():
        ap.error(f"{data} does not look like the public data folder (no {SN_FILE}); name it with "
                 f"--data or ${DATA_ENV}")
    table, meta = build(data)
    csv_path, json_path = write(table, meta, args.out)
    groups = args.out / GROUPS_CSV
    neighbour_groups(data).to_csv(groups, index=False, lineterminator="\n")
    print(f"wrote {groups}")
    print(f"wrote {csv_path} ({csv_path.stat().st_size:,} bytes, {len(table):,} rows, "
          f"{table['indicator'].nunique()} indicators) and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
