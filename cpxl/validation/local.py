"""Rules on the local tables (docs/data.md section 2): districts, areas, population, events,
child protection plans, workers and allocations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import codes
from ..frames import text_values
from ..tables import MAX_FTE
from .registry import after_each_run, not_yet, rule


# --- local tables (data.md section 2) --------------------------------------------------------
#
# Blank keys (CHILD, WORKER_ID, DISTRICT, ...), blank or unreadable row dates (VISIT_DATE, CPP_START,
# START, ...), unreadable end dates (CPP_END, END) and unreadable numbers (FTE, POPULATION_0_17,
# YEAR) are already reported and left out by dataset.py before these rules run.

def _never(t) -> pd.Series:
    return pd.Series(False, index=t.index)


# Folded columns of the table being checked (three districts rules fold DISTRICT), by the
# column's memory, the column held so that no other array can take its place; forgotten after
# each table's rules.
_FOLDED: dict[tuple[int, int], tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}


@after_each_run
def _forget_folded() -> None:
    _FOLDED.clear()


def _fold_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Names compared as the geography compares them, case and surrounding spaces ignored: each
    row's position among the distinct folded names, and those names."""
    values = s.to_numpy(dtype=object)
    where = (values.__array_interface__["data"][0], len(values))
    if where not in _FOLDED:                   # (while held, no other array has that memory)
        _FOLDED[where] = (values, _fold(values))
    return _FOLDED[where][1]


def _fold(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Folded once per distinct value: a districts table has a row per child but few names.
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = text_values(uniques)
    cells = pa.array(text, type=pa.string())
    if pc.all(pc.string_is_ascii(cells)).as_py() is not False:
        # ASCII (nearly always): Arrow trims as str.strip does, and lower is casefold there.
        lowered = pc.ascii_lower(pc.utf8_trim_whitespace(cells))
        if lowered.equals(cells):                  # ids, lower-case names: nothing to merge
            return codes, np.asarray(text, dtype=object)
        folded = lowered.to_numpy(zero_copy_only=False)
    else:
        folded = text.str.strip().str.casefold().to_numpy(dtype=object)
    merged, words = pd.factorize(folded, use_na_sentinel=False)
    return merged[codes], np.asarray(words, dtype=object)


def _folded(s: pd.Series) -> pd.Series:
    """The folded names (see :func:`_fold_codes`), a row each."""
    at, words = _fold_codes(s)
    return pd.Series(words[at], index=s.index, dtype=object)


def _conflicting(t, key: str, value: str) -> pd.Series:
    """Rows of a ``key`` that has two or more different (non-blank) ``value``s, but its last row.

    The geography keeps the last row for a key; the earlier ones that disagree with it are the
    problem (an exact repeat of the same value is harmless and not reported).
    """
    kc, _ = _fold_codes(t[key])
    vc, values = _fold_codes(t[value])
    filled = (values != "")[vc]
    # On integer codes (a string groupby over a row per child is slow): a key has "several"
    # values when it has two or more distinct filled ones.
    vc = np.where(filled, vc, -1)
    both = vc >= 0
    width = vc.max(initial=0) + 1
    pairs = pd.unique(kc[both].astype(np.int64) * width + vc[both])   # hashed, not sorted
    n_values = np.bincount(pairs // width, minlength=kc.max(initial=0) + 1)
    several = n_values[kc] > 1
    last = ~pd.Series(np.where(filled, kc, -2)).duplicated(keep="last").to_numpy() & filled
    return pd.Series(several & filled & ~last, index=t.index)


def _future_rule(table: str, column: str, what: str):
    def check(t, tables):
        return t[column].notna() & (t[column] > not_yet(tables))
    check.__name__ = f"{table}_{column.lower()}_in_future"
    text = (f"{column} {{{column}}} is more than a month after today (and after the latest DECOM or "
            f"DEC in the episodes table): {what} that has not happened yet (mistyped year?)")
    return rule(table, column, text, drops=True)(check)


# districts

@rule("districts", "DISTRICT", "DISTRICT is blank for child {CHILD}", drops=True)
def districts_blank(t, _tables):
    """Left out, so the child's district comes from HOME_POST (postcode_districts), else Unknown."""
    return _folded(t["DISTRICT"]) == ""


@rule("districts", "DISTRICT", "child {CHILD} has another districts row with a different district; "
      "this row ({DISTRICT}) is not used, the child's last row is", drops=True)
def districts_conflicting(t, _tables):
    return _conflicting(t, "CHILD", "DISTRICT")


@rule("districts", "DISTRICT", "district '{DISTRICT}' is not in the areas table",
      used_as="yes: counted in its district and the authority, in no area")
def districts_not_in_areas(t, tables):
    areas = tables.get("areas")
    if areas is None:
        return _never(t)
    d = _folded(t["DISTRICT"])
    return (d != "") & ~d.isin(set(_folded(areas["DISTRICT"])))


# postcode_districts

@rule("postcode_districts", "DISTRICT", "DISTRICT is blank for outward code {OUTWARD_CODE}", drops=True)
def postcode_districts_blank(t, _tables):
    """Left out: children with that outward code are in Unknown (unless districts names them)."""
    return _folded(t["DISTRICT"]) == ""


@rule("postcode_districts", "OUTWARD_CODE", "outward code {OUTWARD_CODE} is mapped to another "
      "district on a later row; this row ({DISTRICT}) is not used, the last row is", drops=True)
def postcode_districts_conflicting(t, _tables):
    return _conflicting(t.assign(OUTWARD_CODE=codes.outward_code(t["OUTWARD_CODE"])), "OUTWARD_CODE",
                        "DISTRICT")


# areas

@rule("areas", "AREA", "district {DISTRICT} is mapped to another area on a later row; this row "
      "({AREA}) is not used, the last row is", drops=True)
def areas_district_in_two_areas(t, _tables):
    return _conflicting(t, "DISTRICT", "AREA")


@rule("areas", "DISTRICT", "district {DISTRICT} is where children with no known district are "
      "counted, and belongs to no area; this row (area {AREA}) is not used", drops=True)
def areas_unknown_in_an_area(t, _tables):
    return _folded(t["DISTRICT"]) == codes.UNKNOWN_DISTRICT.casefold()


@rule("areas", "AREA", "AREA is blank for district {DISTRICT}",
      used_as="yes: the district is reported, in no area")
def areas_blank(t, _tables):
    return _folded(t["AREA"]) == ""


# population

@rule("population", "POPULATION_0_17", "POPULATION_0_17 '{POPULATION_0_17}' for {GEOGRAPHY} is blank "
      "or not a positive number", drops=True)
def population_not_positive(t, _tables):
    return ~(t["POPULATION_0_17"] > 0)


@rule("population", "YEAR", "YEAR '{YEAR}' for {GEOGRAPHY} is blank or not a year (e.g. 2024)",
      drops=True)
def population_year_not_a_year(t, _tables):
    y = t["YEAR"]
    return ~((y == np.floor(y)) & (y >= 1900) & (y <= 2100))


@rule("population", "GEOGRAPHY", "{GEOGRAPHY} has another row for the same YEAR {YEAR}; only the "
      "first row is used", drops=True)
def population_duplicate(t, _tables):
    return pd.DataFrame({"g": _folded(t["GEOGRAPHY"]), "y": t["YEAR"]}).duplicated(keep="first")


# events: visits, health assessments, dental checks, PEPs, referrals, assessments

_future_rule("visits", "VISIT_DATE", "a visit")
_future_rule("health_assessments", "ASSESSMENT_DATE", "an assessment")
_future_rule("dental_checks", "CHECK_DATE", "a check")
_future_rule("peps", "PEP_DATE", "a PEP")
_future_rule("referrals", "REFERRAL_DATE", "a referral")
_future_rule("assessments", "ASSESSMENT_START", "an assessment")
_future_rule("cp_plans", "CPP_START", "a plan")


@rule("health_assessments", "TYPE", "TYPE '{TYPE}' is not IHA (initial) or RHA (review)",
      used_as="yes: counts as a health assessment for health_assessment_pct, not as an IHA")
def health_assessments_type(t, _tables):
    return ~t["TYPE"].isin(codes.HEALTH_ASSESSMENT_TYPES)


@rule("referrals", "REFERRAL_DATE", "duplicate referral: the same CHILD and REFERRAL_DATE appear on "
      "an earlier row", drops=True)
def referrals_duplicate(t, _tables):
    return t.duplicated(["CHILD", "REFERRAL_DATE"], keep="first")


@rule("assessments", "ASSESSMENT_AUTHORISED", "ASSESSMENT_AUTHORISED {ASSESSMENT_AUTHORISED} is "
      "before ASSESSMENT_START {ASSESSMENT_START}", drops=True)
def assessments_authorised_before_start(t, _tables):
    return t["ASSESSMENT_AUTHORISED"].notna() & (t["ASSESSMENT_AUTHORISED"] < t["ASSESSMENT_START"])


@rule("assessments", "ASSESSMENT_START", "duplicate assessment: the same CHILD, ASSESSMENT_START and "
      "ASSESSMENT_AUTHORISED appear on an earlier row", drops=True)
def assessments_duplicate(t, _tables):
    return t.duplicated(["CHILD", "ASSESSMENT_START", "ASSESSMENT_AUTHORISED"], keep="first")


# cp_plans

@rule("cp_plans", "CPP_END", "CPP_END {CPP_END} is before CPP_START {CPP_START}", drops=True)
def cp_plans_end_before_start(t, _tables):
    return t["CPP_END"].notna() & (t["CPP_END"] < t["CPP_START"])


@rule("cp_plans", "CPP_START", "duplicate plan: the same CHILD and CPP_START appear on an earlier row",
      drops=True)
def cp_plans_duplicate(t, _tables):
    return t.duplicated(["CHILD", "CPP_START"], keep="first")


@rule("cp_plans", "CPP_START", "the plan starts (CPP_START {CPP_START}) before the child's previous "
      "plan ended", used_as="yes: both plans count; the child counts once while on a plan")
def cp_plans_overlap(t, _tables):
    order = t.sort_values(["CHILD", "CPP_START"], kind="stable")
    same = order["CHILD"].eq(order["CHILD"].shift()) & order["CPP_START"].ne(order["CPP_START"].shift())
    prev_end = order["CPP_END"].shift()
    overlap = same & (prev_end.isna() | (order["CPP_START"] < prev_end))
    return overlap.reindex(t.index, fill_value=False)


# workers

# A worker with no usable FTE stays in the table (so their allocations are not also reported as
# "not in the workers table", whatever order the tables are checked in); caseload_avg leaves the
# worker and the allocations they hold out (see cpxl.indicators.local.caseload_avg).
_NO_FTE = "no: left out of caseload_avg, with the allocations the worker holds"


@rule("workers", "FTE", "FTE is blank for worker {WORKER_ID}", used_as=_NO_FTE)
def workers_fte_blank(t, _tables):
    return t["FTE"].isna()


@rule("workers", "FTE", "FTE {FTE} of worker {WORKER_ID} is not more than 0 and at most 1.5 "
      "(a full-time worker is 1; hours per week are not FTE)", used_as=_NO_FTE)
def workers_fte_out_of_range(t, _tables):
    f = t["FTE"]
    return f.notna() & ~((f > 0) & (f <= MAX_FTE))


@rule("workers", "WORKER_ID", "worker {WORKER_ID} appears more than once in the workers table; only "
      "the first row is used", drops=True)
def workers_duplicate(t, _tables):
    return t["WORKER_ID"].duplicated(keep="first")


@rule("workers", "DISTRICT", "DISTRICT is blank for worker {WORKER_ID}",
      used_as="yes: the worker's caseload is reported in Unknown")
def workers_district_blank(t, _tables):
    return _folded(t["DISTRICT"]) == ""


# allocations

@rule("allocations", "END", "END {END} is before START {START}", drops=True)
def allocations_end_before_start(t, _tables):
    return t["END"].notna() & (t["END"] < t["START"])


@rule("allocations", "WORKER_ID", "WORKER_ID '{WORKER_ID}' is not in the workers table", drops=True)
def allocations_worker_not_in_workers(t, tables):
    """Left out of caseload_avg: the case has no worker's district or FTE to count against."""
    workers = tables.get("workers")
    if workers is None:
        return _never(t)
    return ~t["WORKER_ID"].isin(set(workers["WORKER_ID"]))


@rule("allocations", "START", "duplicate allocation: the same CHILD, WORKER_ID and START appear on "
      "an earlier row", drops=True)
def allocations_duplicate(t, _tables):
    return t.duplicated(["CHILD", "WORKER_ID", "START"], keep="first")
