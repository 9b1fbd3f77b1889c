"""Children looked after: indicators from the SSDA903 tables (indicators.md, first section)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import codes
from .registry import indicator
from ..dates import add_working_days, minus_months, plus_months
from ..frames import CHILD_SHIFT, days, expand_ranges, sorted_unique
from .cohorts import ceased, oc2_cohort_children, started, uasc_on_d

EPISODES = ("header", "episodes")

# The readings of the Conventions that real extracts need, carried into each definition.
PERIOD_RULES = """A period of care is a chain of a child's episodes: each episode ending
           with REC X1 continues into the child's not-yet-used episode that starts on its DEC,
           wherever that row sits (the episodes taken in the order DECOM, DEC with blank last,
           file order, so an episode starting and ending on a move day comes between the one
           ending and the one starting that day); only when there is none does the period end on
           that DEC. Every other episode begins a period of care, also one that overlaps another
           episode of the child (validation reports the overlap). Only a row repeating a whole
           episode (every column) is a duplicate and left out; V3/V4 short breaks are left out."""
OPEN_RULES = """A child with two episodes open on D (overlapping episodes) is one child; the
           later-starting of them (the later in the order DECOM, DEC with blank last, file order)
           gives the open episode, the current period of care and the current placement."""


@indicator("cla_count", "Children looked after", unit="count", polarity="neither", tables=EPISODES,
           theme="Demand", lait="CLA (number)", headline=True, definition="""
           Children looked after on D: a child with an episode open on D (DECOM on or before D and
           DEC blank or after D) that is not V3/V4 (short breaks). A child who leaves on D is not
           looked after at the end of D; an episode starting and ending on one day is open on no
           D. A child with two episodes open on D (overlapping episodes) counts once.""")
def cla_count(c):
    return c.count(c.looked_after)


@indicator("cla_rate_10k", "Children looked after per 10,000 children", unit="rate per 10,000",
           polarity="neither", tables=EPISODES + ("population",), theme="Demand",
           lait="CLA rate per 10,000", headline=True, definition="""
           cla_count divided by the population aged 0-17 of the geography for D's year, times
           10,000. A district's population is its row for the latest year on or before D's year.
           An area's (or the authority's) is its own row for D's year; without one, the sum of its
           districts' populations (each as above) when every one of its districts has one; failing
           both, its own row for the latest year on or before D's year. Unknown has no population,
           so no rate.""")
def cla_rate_10k(c):
    return c.count(c.looked_after)


@indicator("cla_started_12m", "Children starting to be looked after in the year", unit="count",
           polarity="neither", tables=EPISODES, theme="Demand", lait="CLA starting (number)",
           definition=f"""Distinct children with a period of care starting in the year to D (after
           D minus 12 months, up to and including D). {PERIOD_RULES}""")
def cla_started_12m(c):
    return c.count(started(c))


@indicator("cla_ceased_12m", "Children ceasing to be looked after in the year", unit="count",
           polarity="neither", tables=EPISODES, theme="Demand", lait="CLA ceasing (number)",
           definition=f"""Distinct children with a period of care ending (the DEC of its last episode)
           in the year to D. {PERIOD_RULES}""")
def cla_ceased_12m(c):
    return c.count(ceased(c))


@indicator("repeat_cla_pct", "Children starting care who had been looked after before", unit="%",
           polarity="lower", tables=EPISODES, theme="Demand", definition=f"""
           Of the children counted in cla_started_12m, those who had an earlier period of care that
           ended (strictly) before their first start in the year to D. {PERIOD_RULES}""")
def repeat_cla_pct(c):
    s = started(c)
    first_end = c.care_periods.groupby("cid")["end"].min()
    earlier_end = first_end.reindex(s["cid"]).to_numpy()
    return c.percent(s, pd.notna(earlier_end) & (earlier_end < s["start"].to_numpy()))


PLACEMENT_RULES = """A placement begins with the first episode of a period of care and with
           each later episode whose RNE is P or B (a change of carer); RNE L, T and U continue the
           placement, so a child placed for adoption with their existing foster carers (RNE T or
           U) has no new placement, also when a temporary episode (T0-T4) comes between the
           foster and the adoptive episode; temporary episodes never begin a placement (the child
           is still in the placement before it), and a period that opens with a temporary episode
           begins its first placement with its first non-temporary episode, whatever its RNE. A
           zero-length episode (DECOM = DEC, a move day) is a real episode: with RNE P or B it
           begins a placement. A period of care chains each X1 episode to the child's
           not-yet-used episode starting on its DEC, wherever that row sits (episodes are taken
           in the order DECOM, DEC with blank last, file order)."""


@indicator("stability_3plus_pct", "Children looked after with 3 or more placements in the year",
           unit="%", polarity="lower", tables=EPISODES, theme="Placements and stability",
           lait="CLA with 3 or more placements during the year (%)", headline=True, definition=f"""
           Of the children looked after on D, those with 3 or more placements in the year to D:
           the placement current at the start of the year (open at the end of D minus 12 months;
           one, even when overlapping episodes leave two open) counts as one, plus each placement
           beginning in the year, in any period of care. {PLACEMENT_RULES} {OPEN_RULES}""")
def stability_3plus_pct(c):
    pl = c.placements
    rows, p = c.open_in_window(pl["start"], pl["end"])
    began = pl["start"].to_numpy()[rows] > c.window_start[p].to_numpy()
    key = c.period_child_key(p, pl["cid"].to_numpy()[rows])
    # Each placement beginning in the year counts one; those current at its start, one between
    # them (some placement begun before the year).
    la = c.looked_after
    counts = c.occurrences(np.sort(key[began]), la) + c.occurrences(sorted_unique(key[~began]), la)
    return c.percent(la, counts >= 3)


@indicator("stability_long_pct", "Long-term placement stability", unit="%", polarity="higher",
           tables=EPISODES, theme="Placements and stability", headline=True,
           lait="CLA under 16 looked after 2.5+ years in same placement 2+ years (%)", definition=f"""
           Of children looked after on D, aged under 16 on D, whose current period of care began on
           or before D minus 30 months: those whose current placement began on or before D minus 24
           months, or who are placed for adoption (PLACE A3-A6 on D) and whose placement before the
           adoptive one, in the same period of care, began on or before D minus 24 months (the
           DfE: "their adoptive placement together with their previous placement last for at least
           2 years"). D minus N calendar months is clamped to the month's end (2021-02-28 minus 30
           months is 2018-08-28). The adoptive placement is the current placement: when the child
           was placed for adoption with their foster carers (RNE T or U) it is the foster
           placement continued, and the placement before it is the one before the foster
           placement. {PLACEMENT_RULES} {OPEN_RULES}""")
def stability_long_pct(c):
    la = c.looked_after
    cohort = la.loc[(la["age"] < 16) & (la["period_start"] <= minus_months(la["D"], 30))]
    cutoff = minus_months(cohort["D"], 24)
    stable = cohort["placement_start"] <= cutoff
    adoptive = cohort["PLACE"].isin(codes.PLACE_ADOPTION) & (cohort["previous_placement_start"] <= cutoff)
    return c.percent(cohort, stable | adoptive)


def _placed(unit_codes):
    def compute(c):
        la = c.looked_after
        return c.percent(la, la["PLACE"].isin(unit_codes))
    return compute


for _id, _title, _codes, _pol, _lait in [
    ("placed_foster_pct", "Children looked after in foster care", codes.PLACE_FOSTER, "higher",
     "CLA in foster placements (%)"),
    ("placed_parents_pct", "Children looked after placed with parents", codes.PLACE_PARENTS, "neither", None),
    ("placed_adoption_pct", "Children looked after placed for adoption", codes.PLACE_ADOPTION, "neither", None),
    ("placed_residential_pct", "Children looked after in residential care", codes.PLACE_RESIDENTIAL,
     "lower", None),
    ("placed_supported_pct", "Children looked after in supported or independent living",
     codes.PLACE_SUPPORTED, "neither", None),
    ("placed_connected_pct", "Children looked after with connected carers (family and friends)",
     codes.PLACE_CONNECTED, "neither", None),
]:
    indicator(_id, _title, unit="%", polarity=_pol, tables=EPISODES, theme="Placements and stability",
              lait=_lait, headline=_id == "placed_foster_pct",
              definition=f"Of children looked after on D, those whose open episode has PLACE "
                         f"{', '.join(sorted(_codes))}. {OPEN_RULES}")(_placed(_codes))


@indicator("uasc_count", "Unaccompanied asylum-seeking children looked after", unit="count",
           polarity="neither", tables=EPISODES + ("uasc",), theme="Demand", lait="UASC (number)",
           definition="""Children looked after on D who are in the uasc table with DUC (the date
           they ceased to be UASC) blank or after D.""")
def uasc_count(c):
    return c.count(uasc_on_d(c))


@indicator("reviews_in_time_pct", "Reviews held in time", unit="%", polarity="higher",
           tables=EPISODES + ("reviews",), theme="Visits and reviews", headline=True, definition=f"""
           Of children looked after on D whose current period of care began more than 20 working
           days before D (the 20th working day after the start is before D): those with no review
           late in the year to D. Reviews (of the current period of care, dated from its start up
           to D) are due: the first within 20 working days of the start of the period of care, the
           second within 3 months of the first, each later one within 6 months of the one before,
           each interval running from the date the previous review was held. A review is late when
           held after its due date; it counts when held in the year to D. A review overdue on D
           (its due date before D and not yet held) counts as late. Statutory basis: Care
           Planning, Placement and Case Review (England) Regulations 2010, reg. 33. {OPEN_RULES}""")
def reviews_in_time_pct(c):
    la = c.looked_after[["p", "cid", "D", "period_start"]]
    # One due date per distinct start (a few thousand), not per (child, D) row.
    starts, which = np.unique(la["period_start"].to_numpy(), return_inverse=True)
    first_due = add_working_days(starts, 20).to_numpy()[which]
    in_cohort = first_due < la["D"].to_numpy()
    cohort = la.loc[in_cohort].reset_index(drop=True)
    cohort["first_due"] = first_due[in_cohort]
    # Each cohort row's reviews (of its current period of care: from its start up to D) are a run
    # of the reviews sorted by child and date, found with searchsorted and expanded in order: the
    # same rows a merge on cid, a filter and a sort gave, without the merge's memory and time.
    r = c.tables["reviews"]
    r_cid = c.table_cid("reviews").astype(np.int64)
    r_key = r_cid * CHILD_SHIFT + days(r["REVIEW"])
    order = np.argsort(r_key, kind="stable")
    r_key, held_on = r_key[order], r["REVIEW"].to_numpy()[order]
    once = np.ones(len(r_key), dtype=bool)
    once[1:] = r_key[1:] != r_key[:-1]                    # a review on the same date counts once
    r_key, held_on = r_key[once], held_on[once]
    q = cohort["cid"].to_numpy(dtype=np.int64) * CHILD_SHIFT
    start = days(cohort["period_start"])
    lo = np.searchsorted(r_key, q + start, side="left")
    hi = np.searchsorted(r_key, q + days(cohort["D"]), side="right")
    # A late review counts when held in the year to D (after D minus 12 months): only those are
    # expanded; each one's due date needs only its rank in the period (pos - lo) and the review
    # before it (pos - 1), so the earlier ones need not be (a third of the rows and memory).
    in_year = np.maximum(start, days(c.window_start)[cohort["p"].to_numpy()] + 1)
    row, pos = expand_ranges(np.searchsorted(r_key, q + in_year, side="left"), hi)
    k = pos - lo[row]                                     # 0 for the first review of the period
    held = held_on[pos]
    due = cohort["first_due"].to_numpy()[row]
    later = k > 0
    due[later] = plus_months(held_on[pos[later] - 1], np.where(k[later] == 1, 3, 6)).to_numpy()
    late = np.zeros(len(cohort), dtype=bool)
    late[row[held > due]] = True
    # The next review due after the last one held (or the first, if none): overdue if before D.
    n_held = hi - lo
    has = n_held > 0
    next_due = cohort["first_due"].to_numpy().copy()
    if has.any():
        nd = plus_months(held_on[hi[has] - 1], np.where(n_held[has] == 1, 3, 6))
        next_due[has] = nd.to_numpy()
    overdue = next_due < cohort["D"].to_numpy()
    return c.percent(cohort, ~(late | overdue))


@indicator("missing_pct", "Children who went missing in the year", unit="%", polarity="lower",
           tables=EPISODES + ("missing",), theme="Missing", lait="CLA who had a missing incident (%)",
           headline=True, definition="""Of children looked after at any time in the year to D (a
           non-V3/V4 episode with DECOM on or before D and DEC blank or after D minus 12 months),
           those with a MISSING = M episode (missing, not 'away') starting in the year to D.""")
def missing_pct(c):
    cohort = c.looked_after_in_window
    ms = c.tables["missing"]
    is_m = (ms["MISSING"] == "M").to_numpy()
    ms, ms_cid = ms.loc[is_m], c.table_cid("missing")[is_m]
    rows, p = c.in_window(ms["MIS_START"])
    went = pd.MultiIndex.from_arrays([p, ms_cid[rows]])
    return c.percent(cohort, pd.MultiIndex.from_arrays([cohort["p"], cohort["cid"]]).isin(went))


@indicator("missing_rhi_3days_pct", "Return home interviews within 3 days", unit="%",
           polarity="higher", tables=("header", "episodes", "missing"), theme="Missing",
           columns=(("missing", "RHI_DATE"),), definition="""Of missing or away episodes (MISSING
           M or A) ending in the year to D, those with a return home interview on or after the
           day they ended and within 3 days of it (MIS_END <= RHI_DATE <= MIS_END + 3 days). Needs
           the local RHI_DATE column of the missing table. Statutory guidance on children who run
           away or go missing from home or care (2014) asks for the interview within 72 hours.""")
def missing_rhi_3days_pct(c):
    ms = c.tables["missing"]
    known = ms["MISSING"].isin(codes.MISSING).to_numpy()
    ms, ms_cid = ms.loc[known], c.table_cid("missing")[known]
    rows, p = c.in_window(ms["MIS_END"])
    ev = pd.DataFrame({"p": p, "cid": ms_cid[rows]})
    end, rhi = ms["MIS_END"].to_numpy()[rows], ms["RHI_DATE"].to_numpy()[rows]
    ok = (rhi >= end) & (rhi <= end + np.timedelta64(3, "D"))
    return c.percent(ev, ok)


def _oc2_cohort(c, ages=None) -> pd.DataFrame:
    """The OC2 cohort with each child's oc2 row (blank where the child has none)."""
    def make():
        oc2 = c.tables["oc2"]
        # The rows' cids are known (table_cid): looking CHILD up again would build a hash index
        # of every child.
        last = ~oc2["CHILD"].duplicated(keep="last").to_numpy()
        oc2 = oc2.loc[last].assign(cid=c.table_cid("oc2")[last]).set_index("cid")
        cols = ["HEALTH_CHECK", "TEETH_CHECK", "IMMUNISATIONS", "SDQ_SCORE"]
        return oc2_cohort_children(c, ages).join(oc2[cols], on="cid")
    return c.memo(("oc2_cohort", ages), make)


def _oc2_flag(column):
    def compute(c):
        cohort = _oc2_cohort(c)
        return c.percent(cohort, cohort[column] == "1")
    return compute


for _id, _title, _col, _lait in [
    ("health_check_pct", "Annual health check up to date", "HEALTH_CHECK", "CLA health assessments (%)"),
    ("teeth_check_pct", "Dental check up to date", "TEETH_CHECK", "CLA teeth checked (%)"),
    ("immunisations_pct", "Immunisations up to date", "IMMUNISATIONS", "CLA immunisations (%)"),
]:
    indicator(_id, _title, unit="%", polarity="higher", tables=EPISODES + ("oc2",), theme="Health",
              lait=_lait, headline=_id == "health_check_pct",
              definition=f"""Of the OC2 cohort (children looked after on D continuously for 12
              months or more: their current period of care began on or before D minus 12 months),
              those whose oc2 row has {_col} = 1. A child of the cohort with no oc2 row counts in
              the denominator only. {OPEN_RULES}""")(_oc2_flag(_col))


def _sdq(cohort) -> np.ndarray:
    s = cohort["SDQ_SCORE"].to_numpy(dtype=float)
    valid = (s >= 0) & (s <= 40) & (s == np.floor(s))
    return np.where(valid, s, np.nan)


@indicator("sdq_completed_pct", "SDQ completed", unit="%", polarity="higher",
           tables=EPISODES + ("oc2",), theme="Health", lait="CLA SDQ completed (%)", definition="""
           Of the OC2 cohort aged 5 to 16 on D, those with an SDQ_SCORE (a whole number 0-40).""")
def sdq_completed_pct(c):
    cohort = _oc2_cohort(c, ages=(5, 16))
    return c.percent(cohort, ~np.isnan(_sdq(cohort)))


@indicator("sdq_avg_score", "Average SDQ score", unit="score", polarity="lower",
           tables=EPISODES + ("oc2",), theme="Health", lait="CLA average SDQ score", definition="""
           Of the OC2 cohort aged 5 to 16 on D with an SDQ_SCORE: the mean score (numerator: the
           number of children averaged).""")
def sdq_avg_score(c):
    cohort = _oc2_cohort(c, ages=(5, 16))
    return c.mean(cohort, _sdq(cohort))


@indicator("adoption_days_avg", "Average days from entering care to moving in with the adoptive family",
           unit="days", polarity="lower", tables=EPISODES, theme="Placements and stability",
           lait="A1: days between entering care and moving in with adoptive family (3-year average)",
           definition=f"""Children whose period of care ended in the 36 months to D with REC E11 or
           E12 (adopted): the mean number of days from the start of that period of care to the
           start of the placement in which they were placed for adoption (the placement of the
           first episode of the period with PLACE A3-A6, which began earlier when the child was
           placed for adoption with the same carers, RNE T or U). A child adopted with no A3-A6
           episode in the period is left out (numerator: the number of children averaged).
           {PERIOD_RULES}""")
def adoption_days_avg(c):
    cp = c.care_periods
    adopted = cp.loc[cp["end_rec"].isin(codes.REC_ADOPTED)]
    e = c.episodes
    a = e.loc[e["PLACE"].isin(codes.PLACE_ADOPTION)].drop_duplicates("period_no", keep="first")
    placed = a["placement_start"].fillna(a["DECOM"])
    placed = pd.Series(placed.to_numpy(), index=a["period_no"].to_numpy())
    adopted = adopted.assign(placed=placed.reindex(adopted["period_no"]).to_numpy())
    rows, p = c.in_window(adopted["end"], months=36)
    ev = c.per_period(adopted, rows, p)
    return c.mean(ev, (ev["placed"] - ev["start"]).dt.days.to_numpy(dtype=float))


@indicator("adopted_pct", "Children ceasing care who were adopted", unit="%", polarity="higher",
           tables=EPISODES, theme="Placements and stability", lait="CLA ceasing: adopted (%)",
           definition="""Of the children counted in cla_ceased_12m, those with a period of care
           ending in the year to D with REC E11 or E12.""")
def adopted_pct(c):
    out = ceased(c)
    return c.percent(out, out["adopted"])


@indicator("sgo_pct", "Children ceasing care on a special guardianship order", unit="%",
           polarity="higher", tables=EPISODES, theme="Placements and stability",
           lait="CLA ceasing: special guardianship order (%)", definition="""Of the children
           counted in cla_ceased_12m, those with a period of care ending in the year to D with REC
           E45, E46, E47 or E48.""")
def sgo_pct(c):
    out = ceased(c)
    return c.percent(out, out["sgo"])


@indicator("sw_changes_3plus_pct", "Children looked after with 3 or more social workers in the year",
           unit="%", polarity="lower", tables=EPISODES + ("sw_episodes",), theme="Workforce",
           lait="CLA with 3 or more social workers in the year (%)", definition="""Of children looked
           after on D, those with 3 or more distinct SW_ID among their sw_episodes overlapping the
           year to D (SW_DECOM on or before D and SW_DEC blank or after D minus 12 months).""")
def sw_changes_3plus_pct(c):
    sw = c.tables["sw_episodes"]
    rows, p = c.open_in_window(sw["SW_DECOM"], sw["SW_DEC"])
    # Each SW_ID coded once (a blank one is one more worker, as drop_duplicates took it), so
    # the distinct (D, child, worker) are distinct int64 keys, not rows of strings.
    worker, ids = pd.factorize(sw["SW_ID"].to_numpy(dtype=object), use_na_sentinel=False)
    child = c.period_child_key(p, c.table_cid("sw_episodes")[rows])
    seen = sorted_unique(child * len(ids) + worker[rows])
    la = c.looked_after
    return c.percent(la, c.occurrences(seen // max(len(ids), 1), la) >= 3)
