"""Validation rules: one rule, one small function, its metadata beside it.

A rule looks at a typed table (and, where it must, the others) and returns a boolean mask of the
rows with the problem.  Its metadata say which column, what is wrong, and whether a row with the
problem is still used (``drops=False``) or left out of every indicator (``drops=True``).
Rules on codes never drop a row: an unknown PLACE is "other", an unknown REC ends the period of
care, and the report says so.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from . import codes
from .care import episode_order, successors
from .errors import Used
from .frames import days
from .tables import MAX_FTE, TABLES


@dataclass(frozen=True)
class Rule:
    id: str
    table: str
    column: str
    message: str          # what is wrong, with {COLUMN} placeholders filled from the row
    drops: bool
    check: Callable       # (table, tables) -> boolean mask
    used_as: str = ""     # for a kept row, what cpxl does with it


RULES: list[Rule] = []


def rule(table: str, column: str, message: str, drops: bool = False, used_as: str = ""):
    def register(func):
        RULES.append(Rule(func.__name__, table, column, message, drops, func, used_as))
        return func
    return register


def _code_rule(table, column, allowed, used_as, blank_ok=True):
    def check(t, _tables):
        v = t[column]
        bad = ~v.isin(allowed)
        return bad & (v != "") if blank_ok else bad
    check.__name__ = f"{table}_{column.lower()}_code"
    text = "'{%s}' is not a DfE %s code" % (column, column)
    return rule(table, column, text, drops=False, used_as=used_as)(check)


# --- episodes --------------------------------------------------------------------------------

@rule("episodes", "DEC", "DEC {DEC} is before DECOM {DECOM}", drops=True)
def episodes_dec_before_decom(t, _tables):
    return t["DEC"].notna() & (t["DEC"] < t["DECOM"])


# An episode is a duplicate only when it repeats a whole earlier row: the same CHILD, DECOM, DEC,
# RNE, LS, CIN, PLACE, PLACE_PROVIDER, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST and URN (the
# same episode in two years' extracts).  Two rows with the same CHILD and DECOM that differ are two
# real episodes: on a move day an episode can start and end on D (zero-length) and the next one
# start on D too.
EPISODE_COLUMNS = TABLES["episodes"].columns


def _repeats(t) -> pd.Series:
    # Only rows sharing CHILD and DECOM with another can repeat one: the whole-row comparison
    # (13 text columns) runs on those few, not on every row.
    maybe = t.duplicated(["CHILD", "DECOM"], keep=False)
    out = pd.Series(False, index=t.index)
    if maybe.any():
        cols = [c for c in EPISODE_COLUMNS if c in t.columns]
        out[maybe] = t.loc[maybe].duplicated(cols, keep="first")
    return out


_ORDER_MEMO: list = [None, None]      # (weak reference to the table, its arrays)


def _in_episode_order(t):
    """(index, child, DECOM, DEC, REC) of the episodes that are not repeats, in episode order
    (CHILD, DECOM, DEC blank last, row): plain arrays, not a reordered copy of the table.

    Three rules ask for the same table one after another: it is worked out once (hashing a
    million CHILD ids takes a third of a second each time).
    """
    ref, value = _ORDER_MEMO
    if ref is not None and ref() is t and value[0] == len(t):
        return value[1]
    value = _episode_arrays(t)
    _ORDER_MEMO[:] = [weakref.ref(t), (len(t), value)]
    return value


def _episode_arrays(t):
    keep = ~_repeats(t).to_numpy()
    child, _ = pd.factorize(t["CHILD"].to_numpy()[keep])
    decom, dec = t["DECOM"].to_numpy()[keep], t["DEC"].to_numpy()[keep]
    order = episode_order(child, decom, dec)
    return (t.index.to_numpy()[keep][order], child[order], decom[order], dec[order],
            t["REC"].to_numpy()[keep][order])


def _mask(t, index, flags) -> pd.Series:
    out = pd.Series(False, index=t.index)
    out[index[flags]] = True
    return out


@rule("episodes", "DECOM", "the episode starts (DECOM {DECOM}) before another episode of the "
      "child has ended", used_as="yes: the child is counted once; on a date with two open "
      "episodes, the later-starting one counts")
def episodes_overlap(t, _tables):
    """Starts before the latest end of the child's earlier episodes (in episode order), or while
    one of them is still open: a running maximum, not just the row before (which missed an
    episode inside a long one once a shorter one had ended)."""
    index, child, decom, dec, _rec = _in_episode_order(t)
    end = pd.Series(days(dec))
    latest_end_before = end.groupby(child).cummax().groupby(child).shift().to_numpy()
    overlap = ~np.isnan(latest_end_before) & (days(decom) < latest_end_before)
    return _mask(t, index, overlap)


@rule("episodes", "DECOM", "duplicate episode: every column (CHILD, DECOM, DEC, RNE, LS, CIN, PLACE, "
      "PLACE_PROVIDER, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN) repeats an earlier row "
      "(the same episode in two extracts?); the repeat is not used", drops=True)
def episodes_duplicate(t, _tables):
    return _repeats(t)


@rule("episodes", "DECOM", "another episode of child {CHILD} also starts on {DECOM} and lasts "
      "beyond it, with other values (not a repeat of the whole row); if both are the same episode "
      "from two extracts, keep only the newer one", used_as="yes: both episodes are used")
def episodes_same_start(t, _tables):
    """Two episodes of a child that start on one day and both last beyond it (a zero-length
    episode on a move day is normal and not reported)."""
    index, child, decom, dec, _rec = _in_episode_order(t)
    lasting = pd.isna(dec) | (dec > decom)
    same = np.zeros(len(index), dtype=bool)
    c, d = child[lasting], days(decom[lasting])
    again = np.zeros(len(c), dtype=bool)
    again[1:] = (c[1:] == c[:-1]) & (d[1:] == d[:-1])        # in order: same child, same start
    same[np.flatnonzero(lasting)] = again
    return _mask(t, index, same)


@rule("episodes", "CHILD", "child {CHILD} has episodes but no row in the header table",
      used_as="yes: sex, ethnicity and age are unknown")
def episodes_child_not_in_header(t, tables):
    header = tables.get("header")
    if header is None:
        return pd.Series(False, index=t.index)
    return ~t["CHILD"].isin(header["CHILD"])


@rule("episodes", "REC", "REC is X1 but no episode of the child starts on DEC {DEC} (or each one that "
      "does already continues another X1 episode)",
      used_as="yes: the period of care ends on DEC")
def episodes_x1_without_next(t, _tables):
    """No episode of the child starts on DEC that another X1 episode has not continued into
    already (the rule of cpxl.care.successors, on every episode, short breaks included)."""
    index, child, decom, dec, rec = _in_episode_order(t)
    succ = successors(child, decom, dec, rec)
    alone = (rec == codes.REC_CONTINUES) & ~pd.isna(dec) & (succ < 0)
    return _mask(t, index, alone)


@rule("episodes", "REC", "DEC {DEC} is filled but REC is blank", used_as="yes: the period of care ends on DEC")
def episodes_dec_without_rec(t, _tables):
    return t["DEC"].notna() & (t["REC"] == "")


_code_rule("episodes", "RNE", codes.RNE, "yes: treated as no change of carer", blank_ok=False)
_code_rule("episodes", "LS", codes.LS, "yes: counted as looked after", blank_ok=False)
_code_rule("episodes", "PLACE", codes.PLACE, "yes: counted as 'other' placement type", blank_ok=False)
_code_rule("episodes", "REC", codes.REC, "yes: ends the period of care")
_code_rule("episodes", "CIN", codes.CIN, "yes: not counted as abuse or neglect")

# --- header ----------------------------------------------------------------------------------


@rule("header", "CHILD", "child {CHILD} appears more than once in the header table",
      drops=True)
def header_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="first")


@rule("header", "DOB", "DOB is blank or not a date", used_as="yes: age unknown")
def header_dob_missing(t, _tables):
    return t["DOB"].isna()


_code_rule("header", "SEX", codes.SEX_MALE | codes.SEX_FEMALE, "yes: sex not known")

# --- oc3 -------------------------------------------------------------------------------------

_code_rule("oc3", "IN_TOUCH", codes.IN_TOUCH, "yes: counted as not in touch", blank_ok=False)


def _oc3_code(column, allowed, used_as):
    """ACTIV and ACCOM are left blank, as the DfE requires, for IN_TOUCH = DIED or RHOM."""
    def check(t, _tables):
        v = t[column]
        blank_allowed = (v == "") & t["IN_TOUCH"].isin(codes.IN_TOUCH_EXCLUDED)
        return ~v.isin(allowed) & ~blank_allowed
    check.__name__ = f"oc3_{column.lower()}_code"
    return rule("oc3", column, "'{%s}' is not a DfE %s code" % (column, column), used_as=used_as)(check)


_oc3_code("ACTIV", codes.ACTIV, "yes: counted as not in education, employment or training")
_oc3_code("ACCOM", codes.ACCOM, "yes: counted as not known to be suitable")


@rule("oc3", "CHILD", "young person {CHILD} appears more than once in the oc3 table", drops=True)
def oc3_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="last")


@rule("oc2", "CHILD", "child {CHILD} appears more than once in the oc2 table",
      drops=True, used_as="no: the last row is used")
def oc2_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="last")


@rule("oc2", "SDQ_SCORE", "SDQ_SCORE '{SDQ_SCORE}' is not a whole number from 0 to 40",
      used_as="yes: SDQ score treated as not present")
def oc2_sdq_out_of_range(t, _tables):
    s = t["SDQ_SCORE"]
    return s.notna() & ((s < 0) | (s > 40) | (s != np.floor(s)))


# --- missing ---------------------------------------------------------------------------------

_code_rule("missing", "MISSING", codes.MISSING, "yes: not counted as missing (M)", blank_ok=False)


@rule("missing", "MIS_END", "MIS_END {MIS_END} is before MIS_START {MIS_START}", drops=True)
def missing_end_before_start(t, _tables):
    return t["MIS_END"].notna() & (t["MIS_END"] < t["MIS_START"])


# --- sw_episodes / uasc ----------------------------------------------------------------------

@rule("sw_episodes", "SW_DEC", "SW_DEC {SW_DEC} is before SW_DECOM {SW_DECOM}", drops=True)
def sw_dec_before_decom(t, _tables):
    return t["SW_DEC"].notna() & (t["SW_DEC"] < t["SW_DECOM"])


def run_rules(tables: dict[str, pd.DataFrame], table: str) -> list[tuple[Rule, pd.Series]]:
    """Every rule of ``table`` with the mask of the rows it finds (only rules that find some)."""
    t = tables[table]
    found = []
    for r in RULES:
        if r.table != table or r.column not in t.columns:
            continue
        mask = r.check(t, tables)
        if mask.any():
            found.append((r, mask))
    _ORDER_MEMO[:] = [None, None]
    return found


def format_message(r: Rule, rows: pd.DataFrame) -> list[str]:
    """The rule's message for each row, its {COLUMN} placeholders filled with the row's values."""
    import re

    fields = re.findall(r"{(\w+)}", r.message)
    if not fields:
        return [r.message] * len(rows)
    values = {}
    for f in fields:
        col = rows[f] if f in rows.columns else pd.Series("", index=rows.index)
        if pd.api.types.is_datetime64_any_dtype(col):
            col = col.dt.strftime("%d/%m/%Y").fillna("blank")
        values[f] = col.astype(str).tolist()
    return [r.message.format(**{f: values[f][i] for f in fields}) for i in range(len(rows))]


# --- local tables (data.md section 2) --------------------------------------------------------
#
# Blank keys (CHILD, WORKER_ID, DISTRICT, ...), blank or unreadable row dates (VISIT_DATE, CPP_START,
# START, ...), unreadable end dates (CPP_END, END) and unreadable numbers (FTE, POPULATION_0_17,
# YEAR) are already reported and left out by dataset.py before these rules run.

# An event dated more than this after the day cpxl runs (or after the latest episode date, if
# that is later: a machine clock set wrong must not reject real dates) has not happened yet.
FUTURE_MARGIN_DAYS = 31


def _never(t) -> pd.Series:
    return pd.Series(False, index=t.index)


def _folded(s: pd.Series) -> pd.Series:
    """Names compared as the geography compares them: case and surrounding spaces ignored."""
    # Folded once per distinct name: a districts table has a row per child but few names.
    codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=False)
    folded = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str).str.strip().str.casefold()
    return pd.Series(folded.array.take(codes), index=s.index)


def _conflicting(t, key: str, value: str) -> pd.Series:
    """Rows of a ``key`` that has two or more different (non-blank) ``value``s, but its last row.

    The geography keeps the last row for a key; the earlier ones that disagree with it are the
    problem (an exact repeat of the same value is harmless and not reported).
    """
    k, v = _folded(t[key]), _folded(t[value])
    filled = (v != "").to_numpy()
    # On integer codes (a string groupby over a row per child is slow): a key has "several"
    # values when it has two or more distinct filled ones; missing keys are in no group.
    kc, _ = pd.factorize(k)
    vc, _ = pd.factorize(v.where(filled))
    both = (kc >= 0) & (vc >= 0)
    width = vc.max(initial=0) + 1
    pairs = pd.unique(kc[both].astype(np.int64) * width + vc[both])   # hashed, not sorted
    n_values = np.bincount(pairs // width, minlength=kc.max(initial=0) + 1)
    several = (kc >= 0) & (n_values[np.maximum(kc, 0)] > 1)
    last = ~pd.Series(np.where(filled, kc, -2)).duplicated(keep="last").to_numpy() & filled
    return pd.Series(several & filled & ~last, index=t.index)


def _not_yet(tables) -> pd.Timestamp:
    """The latest date an event can have: today or the latest DECOM/DEC, plus the margin."""
    today = pd.Timestamp.today().normalize()
    e = tables.get("episodes")
    latest = pd.concat([e["DECOM"], e["DEC"]]).max() if e is not None and not e.empty else pd.NaT
    end = today if pd.isna(latest) or latest < today else latest
    return end + pd.Timedelta(days=FUTURE_MARGIN_DAYS)


def _future_rule(table: str, column: str, what: str):
    def check(t, tables):
        return t[column].notna() & (t[column] > _not_yet(tables))
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
    from .codes import outward_code
    return _conflicting(t.assign(OUTWARD_CODE=outward_code(t["OUTWARD_CODE"])), "OUTWARD_CODE",
                        "DISTRICT")


# areas

@rule("areas", "AREA", "district {DISTRICT} is mapped to another area on a later row; this row "
      "({AREA}) is not used, the last row is", drops=True)
def areas_district_in_two_areas(t, _tables):
    return _conflicting(t, "DISTRICT", "AREA")


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


# --- the catalogue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LoaderRule:
    """A check the reader and loader make before the rules above (reading.py, dataset.py)."""
    id: str
    table: str
    column: str
    checks: str
    row_used: str


# Made while reading and typing the tables; their ids are the report's `rule` column.
LOADER_RULES = [
    LoaderRule("file_not_recognised", "any", "", "a file whose header row matches no cpxl table "
               "(it is passed over)", "no: the file is not read"),
    LoaderRule("table_in_several_files", "any", "", "a table found in more than one file (their "
               "rows are combined)", "yes"),
    LoaderRule("table_has_no_rows", "any", "", "a table with a header row but no rows of data",
               "no: there is no row"),
    LoaderRule("child_id_is_a_number", "any", "CHILD", "CHILD ids stored as numbers in a workbook "
               "(leading zeros lost)", "yes: as written"),
    LoaderRule("blank_key", "any", "the table's key", "a blank identifier (OUTWARD_CODE, DISTRICT, "
               "GEOGRAPHY, WORKER_ID) that links the row to nothing", "no: the row is left out"),
    LoaderRule("date_not_readable", "any", "a date column", "a date that is not dd/mm/yyyy or "
               "yyyy-mm-dd", "no for the row's own date or an end date; else yes: the date is "
               "treated as blank"),
    LoaderRule("date_blank", "any", "the row's date", "a blank date the row is about (DECOM, "
               "REVIEW, VISIT_DATE, ...)", "no: the row is left out"),
    LoaderRule("number_not_readable", "any", "a number column", "a number that cannot be read",
               "as the report says"),
]


def rule_catalogue() -> pd.DataFrame:
    """Every check cpxl makes of the data: the loader's, then the rules by table.

    ``row_used`` is what happens to a row with the problem; every problem is a warning (a table
    that cannot be used at all stops the run with a message instead)."""
    rows = [(r.id, r.table, r.column, "warning", r.checks, r.row_used) for r in LOADER_RULES]
    rows += [(r.id, r.table, r.column, "warning", r.message,
              Used.NO.said("the row is left out") if r.drops else r.used_as or Used.YES.value)
             for r in RULES]
    return pd.DataFrame(rows, columns=["rule", "table", "column", "severity", "checks", "row_used"])
