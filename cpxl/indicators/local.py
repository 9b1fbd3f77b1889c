"""Indicators from the authority's local tables (indicators.md, "Local tables"; data.md section 2).

Every function works on all period ends at once: events are expanded over the period ends whose
window holds them (``in_window``, ``open_on``), and "the latest event on or before D" is one
``searchsorted`` over the events sorted by child and date (``latest_on_or_before``).  A child in
cp_plans, referrals or assessments who is not looked after belongs to the district of the
``districts`` table, else Unknown (the engine's geography does that for any CHILD); caseloads
follow the worker's district.

"Within N months" of D is the window of the year-to-D convention: after D minus N calendar
months (clamped to the month's end: 31 August minus 6 months is 28/29 February) and up to and
including D.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import indicator
from ..config import DEFAULT_VISIT_INTERVAL_DAYS
from ..dates import add_working_days, minus_months
from ..frames import CHILD_SHIFT, days, earliest_on_or_after, expand_ranges, latest_on_or_before
from ..tables import MAX_FTE
from .cla import EPISODES
from .cohorts import oc2_cohort_children

_NONE = np.iinfo(np.int64).min // 4          # "no event" as a day number: before every date

CARE_PLANNING_REGS = "Care Planning, Placement and Case Review (England) Regulations 2010"


# --- shared helpers -----------------------------------------------------------------------------

def _events(c, table: str, column: str, rows=None) -> tuple[np.ndarray, np.ndarray]:
    """(cid, day) of a table's dated rows, sorted by child then date."""
    t = c.tables[table]
    keep = t[column].notna().to_numpy()
    if rows is not None:
        keep = keep & np.asarray(rows, dtype=bool)
    # Sorting one packed (child, day) key is several times faster than a two-key lexsort, and
    # only the sorted values are returned, so the order of ties does not matter.
    key = np.sort(c.table_cid(table)[keep].astype(np.int64) * CHILD_SHIFT + days(t[column].to_numpy()[keep]))
    return key // CHILD_SHIFT, key % CHILD_SHIFT


def _counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct integer keys, sorted, and how often each occurs."""
    s = np.sort(keys)
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]])) if len(s) else np.zeros(0, dtype=np.int64)
    return s[starts], np.diff(np.append(starts, len(s)))


def _latest(events, cid, on_or_before) -> np.ndarray:
    """Each query's latest event day on or before ``on_or_before`` (``_NONE`` if none)."""
    e_cid, e_day = events
    idx = latest_on_or_before(e_cid, e_day, np.asarray(cid, dtype=np.int64),
                              np.asarray(on_or_before, dtype=np.int64))
    return np.where(idx >= 0, e_day[np.maximum(idx, 0)] if len(e_day) else _NONE, _NONE)


def _months_back(c, months: int) -> np.ndarray:
    """Day number of D minus ``months`` calendar months, per period index."""
    return days(minus_months(c.periods, months))


def _within_months(c, frame: pd.DataFrame, events, months) -> np.ndarray:
    """Whether each (p, cid) row has an event after D minus ``months`` months and on or before D.

    ``months`` is one number or one per row (6 or 12).
    """
    p = frame["p"].to_numpy()
    latest = _latest(events, frame["cid"].to_numpy(), c.period_days[p])
    months = np.broadcast_to(np.asarray(months), p.shape)
    bound = np.empty(len(p), dtype=np.int64)
    for m in np.unique(months):                 # one or two distinct intervals, not per child
        sel = months == m
        bound[sel] = _months_back(c, int(m))[p[sel]]
    return latest > bound


def _cp_plans(c) -> pd.DataFrame:
    t = c.tables["cp_plans"]
    return pd.DataFrame({"cid": c.table_cid("cp_plans"), "start": t["CPP_START"].to_numpy(),
                         "end": t["CPP_END"].to_numpy()})


def _per_event(c, frame: pd.DataFrame, date_column: str, flag: np.ndarray) -> pd.DataFrame:
    """A percentage tally: each event in the year to D in the denominator, ``flag`` in the numerator.

    ``flag`` is per event (it does not depend on D): one range-tally row per event.
    """
    lo, hi = c.in_window_bounds(frame[date_column])
    return c.percent_over(frame["cid"].to_numpy(), lo, hi, flag)


# --- visits, health, education ------------------------------------------------------------------

@indicator("visits_in_time_pct", "Children looked after visited in time", unit="%",
           polarity="higher", tables=EPISODES + ("visits",), theme="Visits and reviews",
           headline=True, definition=f"""
           Of children looked after on D whose current period of care began 7 or more days before D
           (period start on or before D minus 7 days), those with a visit in the 42 days up to D:
           D minus 42 days < VISIT_DATE <= D, so a visit on D itself counts and one exactly 42 days
           before D does not. The interval is configurable ([indicators] visit_interval_days in
           cpxl.toml, default {DEFAULT_VISIT_INTERVAL_DAYS}). Any visit to the child in the
           interval counts (visits are not matched to a period of care). No DfE measure; statutory
           basis: {CARE_PLANNING_REGS}, reg. 28 (a visit within one week of the start of a placement
           and then at intervals of not more than six weeks in its first year).""")
def visits_in_time_pct(c):
    interval = int(getattr(c.config, "visit_interval_days", None) or DEFAULT_VISIT_INTERVAL_DAYS)
    la = c.looked_after
    started = days(la["period_start"]) <= days(la["D"]) - 7
    cohort = la.loc[started, ["p", "cid"]]
    p = cohort["p"].to_numpy()
    latest = _latest(_events(c, "visits", "VISIT_DATE"), cohort["cid"].to_numpy(), c.period_days[p])
    return c.percent(cohort, latest > c.period_days[p] - interval)


@indicator("health_assessment_pct", "Health assessments up to date", unit="%", polarity="higher",
           tables=EPISODES + ("health_assessments",), theme="Health",
           lait="Percentage of CLA having Health Checks", definition=f"""
           Of the OC2 cohort (children looked after on D whose current period of care began on or
           before D minus 12 months), those whose latest health assessment on or before D (of
           either TYPE) is within 6 months of D if they are under 5 on D, within 12 months
           otherwise ("within N months": after D minus N calendar months, up to D). A child whose
           age is unknown (no DOB) is held to 12 months. The local counterpart of the OC2
           HEALTH_CHECK measure; statutory basis: {CARE_PLANNING_REGS}, reg. 7 (a review of the
           health plan at least every 6 months before the fifth birthday and every 12 months
           after).""")
def health_assessment_pct(c):
    cohort = oc2_cohort_children(c)
    months = np.where(cohort["age"].to_numpy() < 5, 6, 12)
    ok = _within_months(c, cohort, _events(c, "health_assessments", "ASSESSMENT_DATE"), months)
    return c.percent(cohort, ok)


@indicator("dental_check_pct", "Dental checks up to date", unit="%", polarity="higher",
           tables=EPISODES + ("dental_checks",), theme="Health",
           lait="Percentage of CLA having Dental Checks", definition="""
           Of the OC2 cohort (children looked after on D whose current period of care began on or
           before D minus 12 months) aged 1 or over on D, those whose latest dental check on or
           before D is within 12 months of D (after D minus 12 calendar months). A child whose age
           is unknown is left out. The local counterpart of the OC2 TEETH_CHECK measure.""")
def dental_check_pct(c):
    cohort = oc2_cohort_children(c, ages=(1, np.inf))
    return c.percent(cohort, _within_months(c, cohort, _events(c, "dental_checks", "CHECK_DATE"), 12))


@indicator("iha_20wd_pct", "Initial health assessments within 20 working days", unit="%",
           polarity="higher", tables=EPISODES + ("health_assessments",), theme="Health",
           definition=f"""
           Of the periods of care starting in the year to D whose 20th working day after the start
           is on or before D, those with an initial health assessment (TYPE = IHA) on or after the
           start of the period and on or before its 20th working day (working days: Monday to
           Friday less the bank holidays of England and Wales; the start day itself is not
           counted). A child with two periods of care starting in the year counts twice. No DfE
           measure; statutory basis: {CARE_PLANNING_REGS}, reg. 7, and the statutory guidance
           "Promoting the health and well-being of looked-after children" (2015): the assessment
           done in time for the first review, within 20 working days.""")
def iha_20wd_pct(c):
    cp = c.care_periods
    due = days(add_working_days(cp["start"], 20))
    start = days(cp["start"])
    ha = c.tables["health_assessments"]
    e_cid, e_day = _events(c, "health_assessments", "ASSESSMENT_DATE", rows=ha["TYPE"] == "IHA")
    idx = earliest_on_or_after(e_cid, e_day, cp["cid"].to_numpy(dtype=np.int64), start)
    first_iha = np.where(idx >= 0, e_day[np.maximum(idx, 0)] if len(e_day) else 0, np.iinfo(np.int64).max)
    in_time = first_iha <= due
    rows, p = c.in_window(cp["start"])
    keep = due[rows] <= c.period_days[p]
    rows, p = rows[keep], p[keep]
    return pd.DataFrame({"p": p, "cid": cp["cid"].to_numpy()[rows],
                         "num": in_time[rows].astype(float), "den": 1.0})


@indicator("pep_pct", "Children looked after with a personal education plan", unit="%",
           polarity="higher", tables=EPISODES + ("peps",), theme="Visits and reviews",
           definition=f"""
           Of children looked after on D aged 5 to 15 on D, those with a PEP dated within 6 months
           of D (after D minus 6 calendar months, up to and including D). No DfE measure;
           statutory basis: the PEP is part of the care plan ({CARE_PLANNING_REGS}, reg. 5), which
           is reviewed at least every 6 months (reg. 33); the statutory guidance "Promoting the
           education of looked-after children" (2018) asks for a termly review.""")
def pep_pct(c):
    la = c.looked_after
    cohort = la.loc[(la["age"] >= 5) & (la["age"] <= 15), ["p", "cid"]]
    return c.percent(cohort, _within_months(c, cohort, _events(c, "peps", "PEP_DATE"), 6))


# --- child protection ---------------------------------------------------------------------------

def _on_plan(c) -> pd.DataFrame:
    plans = _cp_plans(c)
    rows, p = c.open_on(plans["start"], plans["end"])
    return pd.DataFrame({"p": p, "cid": plans["cid"].to_numpy()[rows]}).drop_duplicates()


@indicator("cp_count", "Children subject to a child protection plan", unit="count",
           polarity="neither", tables=("cp_plans",), theme="Child protection", definition="""
           Distinct children with a child protection plan open on D (CPP_START on or before D and
           CPP_END blank or after D; a plan with no CPP_END is open). A child with two plans open
           on D counts once.""")
def cp_count(c):
    return c.count(_on_plan(c))


@indicator("cp_rate_10k", "Children subject to a child protection plan per 10,000 children",
           unit="rate per 10,000", polarity="neither", tables=("cp_plans", "population"),
           theme="Child protection", lait="Child Protection Plans rate per 10,000", headline=True,
           definition="""cp_count divided by the population aged 0-17 of the geography for D's year
           (the latest year on or before D's year; an area or the authority with no row of its
           own is the sum of its districts), times 10,000. Unknown has no population, so no
           rate.""")
def cp_rate_10k(c):
    return c.count(_on_plan(c))


@indicator("cp_repeat_ever_pct", "Child protection plans that were a second or subsequent plan",
           unit="%", polarity="lower", tables=("cp_plans",), theme="Child protection",
           lait="Percentage of children who became the subject of a plan for a second or subsequent time",
           definition="""Of child protection plans starting in the year to D, those whose child had
           a plan starting (strictly) earlier, at any time. Counted by plan: a child with two plans
           starting in the year counts twice, the second as a repeat.""")
def cp_repeat_ever_pct(c):
    plans = _cp_plans(c)
    first = plans.groupby("cid")["start"].transform("min")
    return _per_event(c, plans, "start", (first < plans["start"]).to_numpy())


@indicator("cp_repeat_2yrs_pct", "Child protection plans starting within 2 years of a previous plan",
           unit="%", polarity="lower", tables=("cp_plans",), theme="Child protection", definition="""
           Of child protection plans starting in the year to D, those whose child had another plan
           ending within 730 days before the start: CPP_START minus 730 days <= that plan's CPP_END
           <= CPP_START (a plan ending on the day the new one starts counts; an open plan has not
           ended). Counted by plan. No DfE measure (the DfE publishes the 'ever' version,
           cp_repeat_ever_pct).""")
def cp_repeat_2yrs_pct(c):
    plans = _cp_plans(c).reset_index(names="plan")
    ended = plans.loc[plans["end"].notna(), ["plan", "cid", "end"]]
    pairs = plans[["plan", "cid", "start"]].merge(ended, on="cid", suffixes=("", "_other"))
    gap = (pairs["start"] - pairs["end"]).dt.days
    hit = (pairs["plan"] != pairs["plan_other"]) & (gap >= 0) & (gap <= 730)
    repeat = np.zeros(len(plans), dtype=bool)
    repeat[pairs.loc[hit, "plan"].to_numpy()] = True
    return _per_event(c, plans, "start", repeat)


@indicator("cp_2yrs_plus_pct", "Child protection plans ending that lasted 2 years or more",
           unit="%", polarity="lower", tables=("cp_plans",), theme="Child protection",
           lait="Child Protection Plans lasting 2 years or more which cease during the year",
           definition="""Of child protection plans ending in the year to D (CPP_END in the year),
           those that lasted 730 days or more (CPP_END minus CPP_START >= 730 days).""")
def cp_2yrs_plus_pct(c):
    plans = _cp_plans(c)
    lasted = (plans["end"] - plans["start"]).dt.days.to_numpy(dtype=float) >= 730
    return _per_event(c, plans, "end", lasted)


# --- demand: referrals and assessments ----------------------------------------------------------

@indicator("rereferral_pct", "Re-referrals within 12 months", unit="%", polarity="lower",
           tables=("referrals",), theme="Demand",
           lait="Percentage of re-referrals to children's social care within 12 months",
           definition="""Of referrals in the year to D, those whose child had another referral
           dated from REFERRAL_DATE minus 365 days up to the day before REFERRAL_DATE (one exactly
           365 days earlier counts; one on the same day does not). Counted by referral. The
           DfE's measure says "within 12 months"; cpxl counts 365 days as the definition says, so
           over a 29 February the window is a day shorter than 12 months.""")
def rereferral_pct(c):
    r = c.tables["referrals"]
    ev = pd.DataFrame({"cid": c.table_cid("referrals"), "date": r["REFERRAL_DATE"].to_numpy()})
    d = days(ev["date"])
    previous = _latest(_events(c, "referrals", "REFERRAL_DATE"), ev["cid"].to_numpy(), d - 1)
    return _per_event(c, ev, "date", previous >= d - 365)


@indicator("assessments_45wd_pct", "Assessments authorised within 45 working days", unit="%",
           polarity="higher", tables=("assessments",), theme="Demand",
           lait="Continuous assessments completed within 45 working days", definition="""
           Of assessments authorised in the year to D (ASSESSMENT_AUTHORISED in the year), those
           authorised within 45 working days of ASSESSMENT_START: on or before the 45th working
           day after it (Monday to Friday less the bank holidays of England and Wales; the start
           day itself is not counted). An assessment not yet authorised is in no year. Statutory
           basis: Working Together to Safeguard Children (a decision within 45 working days);
           the DfE counts from the referral, cpxl from ASSESSMENT_START as the local table
           gives it.""")
def assessments_45wd_pct(c):
    a = c.tables["assessments"]
    ev = pd.DataFrame({"cid": c.table_cid("assessments"), "authorised": a["ASSESSMENT_AUTHORISED"].to_numpy()})
    due = add_working_days(a["ASSESSMENT_START"], 45)
    in_time = np.asarray(ev["authorised"].to_numpy() <= due.to_numpy())
    return _per_event(c, ev, "authorised", in_time)


# --- workforce ----------------------------------------------------------------------------------

@indicator("caseload_avg", "Average caseload per social worker (FTE)", unit="cases per FTE",
           polarity="lower", tables=("workers", "allocations"), theme="Workforce",
           lait="Average number of cases per children and family social worker (based on FTE counts)",
           definition=f"""
           Allocations open on D (START on or before D, END blank or after D) divided by the total
           FTE of the workers holding at least one of them, by the worker's district (not the
           child's): a case counts where its worker works. Each open allocation is a case (a
           child allocated to two workers is two cases). A worker with no open allocation on D is
           not in the denominator; a district with no worker holding cases has no value. An
           allocation whose WORKER_ID is not in the workers table, or whose worker's FTE is blank
           or not more than 0 and at most {MAX_FTE}, is left out.""")
def caseload_avg(c):
    w = c.tables["workers"].drop_duplicates("WORKER_ID", keep="first")
    fte = w["FTE"].to_numpy(dtype=float)
    w = w.loc[(fte > 0) & (fte <= MAX_FTE)]
    fte, dc = w["FTE"].to_numpy(dtype=float), c.geography.code(w["DISTRICT"])
    # Each allocation's worker by position (WORKER_ID is unique in ``w``), allocations in their
    # order: what an inner merge on WORKER_ID gives, without a frame of two million ids.
    al = c.tables["allocations"]
    # (dtype=object both sides: an inferred str index would copy two million ids to Arrow.)
    worker = pd.Index(w["WORKER_ID"].to_numpy(), dtype=object).get_indexer(
        pd.Index(al["WORKER_ID"].to_numpy(dtype=object), dtype=object))
    held = worker >= 0
    worker = worker[held]
    lo, hi = c.open_on_bounds(al["START"].to_numpy()[held], al["END"].to_numpy()[held])
    # A range tally: each allocation is one case on every D it is open, so allocations of one
    # district open on the same D's are one row with their number (a count adds up exactly).
    span = c.P + 1
    case_key, cases_n = _counts((dc[worker].astype(np.int64) * span + lo) * span + hi)
    cases = pd.DataFrame({"p": case_key // span % span, "p_end": case_key % span,
                          "dc": case_key // (span * span), "num": cases_n.astype(float), "den": 0.0})
    # Each worker holding a case on D once, in the order first met (the FTE sums add up in it).
    # Only the first allocation of a worker with given open D's can be the first to hold one
    # of those D's, so the others are left out before the D's are spread out.
    ranges = pd.unique((worker.astype(np.int64) * span + lo) * span + hi)
    rows, p = expand_ranges(ranges // span % span, ranges % span)
    holding = pd.unique(p * len(w) + ranges[rows] // (span * span))
    p, worker = holding // len(w), holding % len(w)
    staff = pd.DataFrame({"p": p, "p_end": p + 1, "dc": dc[worker], "num": 0.0, "den": fte[worker]})
    return pd.concat([cases, staff], ignore_index=True)
