"""``--with-child-lists``: the children behind each indicator below its green line, to act on.

Off by default.  With it, each book gets one sheet per rated indicator that is Amber or Red for
its geography (linked from the indicator's counts on the Scorecard),
listing the CHILD identifier, the child's district and the fact that makes the child count (the
last visit date, the placement count, the OC2 code ...), under an OFFICIAL-SENSITIVE personal data
banner; the file name says ``_CHILD_LISTS`` and its header and footer say PERSONAL DATA.  Without
the flag no CHILD identifier (nor any name or date of birth) is in any output.

Which children "fail" an indicator is recomputed here for the last period end only, by calling the
indicator's own ``compute`` on an engine :class:`~cpxl.engine.Context` and reading its tally (one
row per child or event): for a higher-is-better percentage the rows in the cohort but not in the
numerator (``den == 1, num == 0``); for a lower-is-better percentage the rows in the numerator; for
a lower-is-better average the cases worse than the green threshold.  The engine is not changed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalogue import Indicator
from ..dates import minus_months, period_ends
from ..engine import Context, NotAvailable, missing_inputs
from ..rag import Bands
from .model import BookData, ChildRow
from .naming import safe_sheet_name
from .styles import page_setup, row_height

#: the bands whose children are listed: every rated indicator below its green line
BELOW_GREEN = ("Amber", "Red")

BANNER = ("OFFICIAL-SENSITIVE - PERSONAL DATA. Children's identifiers, for managers to act on. "
          "Keep within the authority; do not share outside it; delete when no longer needed.")


# --- which children ---------------------------------------------------------------------------

def failing_rows(ind: Indicator, tally: pd.DataFrame, bands: Bands | None) -> pd.DataFrame:
    """The tally rows of the children who make the indicator worse."""
    if tally.empty or "cid" not in tally.columns or "dc" in tally.columns:
        return tally.iloc[0:0]
    num, den = tally["num"].to_numpy(float), tally["den"].to_numpy(float)
    if ind.kind == "percent":
        keep = (den > 0) & (num == 0) if ind.polarity == "higher" else (den > 0) & (num > 0)
    elif ind.kind == "mean" and ind.polarity in ("higher", "lower"):
        if bands is None:
            keep = np.ones(len(tally), dtype=bool)
        else:
            keep = num > bands.green if ind.polarity == "lower" else num < bands.green
    else:
        keep = np.zeros(len(tally), dtype=bool)
    return tally.loc[keep]


def context(dataset, period_end) -> Context:
    """An engine context for the one period end the lists are for."""
    return Context(dataset, period_ends(period_end, 1))


def failing_children(ctx: Context, indicators: list[Indicator],
                     bands: dict[str, Bands | None]) -> dict[str, pd.DataFrame]:
    """Per indicator: CHILD, district and fact of each child who makes it worse at the context's
    (single) period end."""
    dataset = ctx.dataset
    geo = ctx.geography
    districts = np.asarray(geo.districts, dtype=object)
    out = {}
    for ind in indicators:
        if missing_inputs(ind, dataset):
            continue
        try:
            tally = ind.compute(ctx)
        except NotAvailable:
            continue
        rows = failing_rows(ind, tally, bands.get(ind.id))
        rows = rows.loc[rows["p"] == 0]
        if rows.empty:
            out[ind.id] = pd.DataFrame(columns=["CHILD", "district", "fact"])
            continue
        cid = rows["cid"].to_numpy(dtype=np.int64)
        facts = _facts(ind, ctx, rows)
        frame = pd.DataFrame({"CHILD": ctx.children[cid].astype(str),
                              "district": districts[geo.matrix[cid, 0]], "fact": facts})
        frame = (frame.groupby(["district", "CHILD"], sort=True)["fact"]
                 .agg(lambda f: "; ".join(dict.fromkeys(f))).reset_index())
        out[ind.id] = frame[["CHILD", "district", "fact"]]
    return out


def for_book(lists: dict[str, pd.DataFrame], data: BookData) -> dict[str, list[ChildRow]]:
    """The lists of the indicators below green (rated) for this book's geography, its children
    only."""
    names = {data.name} if data.kind == "district" else {s.name for s in data.districts}
    out = {}
    rows = data.rows(data.own)
    for i, m in enumerate(data.indicators):
        if m.id not in lists or rows[i].rag not in BELOW_GREEN:
            continue
        frame = lists[m.id]
        if data.kind != "la":
            frame = frame.loc[frame["district"].isin(names)]
        out[m.id] = [ChildRow(c, d, f) for c, d, f in frame.itertuples(index=False)]
    return out


# --- the fact that makes a child count ---------------------------------------------------------

def _date(d) -> str:
    return "" if pd.isna(d) else f"{pd.Timestamp(d):%d/%m/%Y}"


def _per_child(ctx, table: str, column: str, cids: np.ndarray, how: str = "last",
               where=None) -> pd.Series:
    """The child's latest (or count of) ``column`` on or before D (in the year to D for count)."""
    t = ctx.tables.get(table)
    if t is None or column not in t.columns:
        return pd.Series([None] * len(cids))
    D = ctx.periods[0]
    if where is not None:
        t = t.loc[where(t)]
    values = t[column]
    if how == "count":
        start = minus_months(D, 12)
        t = t.loc[(values > start) & (values <= D)]
    elif pd.api.types.is_datetime64_any_dtype(values):
        t = t.loc[values <= D]
    grouped = pd.Series(t[column].to_numpy(), index=ctx.cid(t["CHILD"])).groupby(level=0)
    agg = {"count": grouped.size, "code": grouped.last, "last": grouped.max}[how]()
    return pd.Series(agg.reindex(cids).to_numpy())


def _last(table, column, label, where=None):
    def fact(ctx, rows):
        dates = _per_child(ctx, table, column, rows["cid"].to_numpy(), where=where)
        return [f"{label} {_date(d)}" if pd.notna(d) else f"no {label} recorded" for d in dates]
    return fact


def _in_year(table, column, noun):
    def fact(ctx, rows):
        cids = rows["cid"].to_numpy()
        n = _per_child(ctx, table, column, cids, how="count")
        last = _per_child(ctx, table, column, cids)
        return [f"{int(k) if pd.notna(k) else 0} {noun} in the year, latest {_date(d)}"
                for k, d in zip(n, last)]
    return fact


def _code(table, column):
    def fact(ctx, rows):
        codes = _per_child(ctx, table, column, rows["cid"].to_numpy(), how="code")
        return [f"{column} = {c if isinstance(c, str) and c else 'blank'}" for c in codes]
    return fact


def _value(template):
    def fact(_ctx, rows):
        return [template.format(v) for v in rows["num"].to_numpy()]
    return fact


def _placement(ctx, rows):
    la = ctx.looked_after
    la = la.loc[la["p"] == 0].set_index("cid")
    cur = la.reindex(rows["cid"].to_numpy())
    return [f"placement {p} since {_date(s)}" if isinstance(p, str) else "not looked after on D"
            for p, s in zip(cur["PLACE"], cur["placement_start"])]


def _placements_in_year(ctx, rows):
    pl = ctx.placements
    D = ctx.periods[0]
    start = minus_months(D, 12)
    in_year = pl.loc[(pl["start"] <= D) & (pl["end"].isna() | (pl["end"] > start))]
    n = in_year.groupby("cid").size().reindex(rows["cid"].to_numpy()).fillna(0).astype(int)
    return [f"{k} placements in the year" for k in n]


def _care_ended(ctx, rows):
    cp = ctx.care_periods.sort_values("end").drop_duplicates("cid", keep="last").set_index("cid")
    cur = cp.reindex(rows["cid"].to_numpy())
    return [f"care ended {_date(e)}, REC {r}" for e, r in zip(cur["end"], cur["end_rec"])]


def _in_care_since(ctx, rows):
    la = ctx.looked_after
    la = la.loc[la["p"] == 0].set_index("cid").reindex(rows["cid"].to_numpy())
    return [f"in care since {_date(a)}; current placement since {_date(b)}"
            for a, b in zip(la["period_start"], la["placement_start"])]


def _social_workers(ctx, rows):
    sw = ctx.tables["sw_episodes"]
    D = ctx.periods[0]
    start = minus_months(D, 12)
    sw = sw.loc[(sw["SW_DECOM"] <= D) & (sw["SW_DEC"].isna() | (sw["SW_DEC"] > start))]
    n = sw.groupby(ctx.cid(sw["CHILD"]))["SW_ID"].nunique().reindex(rows["cid"].to_numpy())
    return [f"{int(k) if pd.notna(k) else 0} social workers in the year" for k in n]


FACTS = {
    "visits_in_time_pct": _last("visits", "VISIT_DATE", "last visit"),
    "reviews_in_time_pct": _last("reviews", "REVIEW", "last review"),
    "health_assessment_pct": _last("health_assessments", "ASSESSMENT_DATE", "health assessment"),
    "iha_20wd_pct": _last("health_assessments", "ASSESSMENT_DATE", "initial health assessment",
                          where=lambda t: t["TYPE"] == "IHA"),
    "dental_check_pct": _last("dental_checks", "CHECK_DATE", "dental check"),
    "pep_pct": _last("peps", "PEP_DATE", "PEP"),
    "missing_pct": _in_year("missing", "MIS_START", "missing or away episode(s)"),
    "missing_rhi_3days_pct": _last("missing", "RHI_DATE", "return home interview"),
    "rereferral_pct": _in_year("referrals", "REFERRAL_DATE", "referral(s)"),
    "assessments_45wd_pct": _last("assessments", "ASSESSMENT_START", "assessment started"),
    "cp_repeat_ever_pct": _in_year("cp_plans", "CPP_START", "plan(s) started"),
    "cp_repeat_2yrs_pct": _in_year("cp_plans", "CPP_START", "plan(s) started"),
    "cp_2yrs_plus_pct": _last("cp_plans", "CPP_START", "plan started"),
    "health_check_pct": _code("oc2", "HEALTH_CHECK"),
    "teeth_check_pct": _code("oc2", "TEETH_CHECK"),
    "immunisations_pct": _code("oc2", "IMMUNISATIONS"),
    "sdq_completed_pct": _code("oc2", "SDQ_REASON"),
    "sdq_avg_score": _value("SDQ score {:.0f}"),
    "adoption_days_avg": _value("{:,.0f} days from entering care to placement for adoption"),
    "placed_foster_pct": _placement,
    "placed_residential_pct": _placement,
    "stability_3plus_pct": _placements_in_year,
    "stability_long_pct": _in_care_since,
    "repeat_cla_pct": _last("episodes", "DECOM", "latest episode began"),
    "adopted_pct": _care_ended,
    "sgo_pct": _care_ended,
    "sw_changes_3plus_pct": _social_workers,
}
for _ages in ("17_18", "19_21"):
    FACTS[f"care_leavers_in_touch_pct_{_ages}"] = _code("oc3", "IN_TOUCH")
    FACTS[f"care_leavers_suitable_pct_{_ages}"] = _code("oc3", "ACCOM")
    FACTS[f"care_leavers_eet_pct_{_ages}"] = _code("oc3", "ACTIV")


def _facts(ind: Indicator, ctx, rows: pd.DataFrame) -> list[str]:
    rows = rows.reset_index(drop=True)
    fact = FACTS.get(ind.id)
    if fact is not None:
        try:
            return list(fact(ctx, rows))
        except (KeyError, ValueError, TypeError):
            pass
    word = ("in the cohort, not meeting the measure" if ind.polarity == "higher"
            else "counted in the measure")
    return [word] * len(rows)


# --- the sheets ---------------------------------------------------------------------------------

def sheet_names(data: BookData, taken: set[str]) -> dict[str, str]:
    """The sheet of each list (decided before the Scorecard, which links to them)."""
    return {indicator_id: safe_sheet_name(
        f"Children - {data.indicators[data.index(indicator_id)].title}", taken)
        for indicator_id in (data.child_lists or {})}


def write(wb, st, data: BookData, taken: set[str], names: dict[str, str] | None = None) -> None:
    lists = data.child_lists or {}
    names = names if names is not None else sheet_names(data, taken)
    if not lists:
        ws = wb.add_worksheet(safe_sheet_name("Child lists", taken))
        page_setup(ws, data, "Child lists", personal=True)
        ws.set_column(0, 0, 100)
        ws.write_string(0, 0, BANNER, st.banner())
        ws.write_string(2, 0, "Every rated indicator is Green for this geography, so there are no "
                        "lists.",
                        st.subtitle())
        return
    for indicator_id, rows in lists.items():
        i = data.index(indicator_id)
        m = data.indicators[i]
        ws = wb.add_worksheet(names[indicator_id])
        page_setup(ws, data, f"Children: {m.title}", personal=True, repeat_rows=(4,))
        ws.set_column(0, 0, 14)
        ws.set_column(1, 1, 24)
        ws.set_column(2, 2, 70)
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, 2, BANNER, st.banner())
        ws.write_string(1, 0, f"{m.title}: {data.rows(data.own)[i].rag} for {data.title} at "
                        f"{data.period_end:%d %B %Y}",
                        st(bold=True, font_size=11))
        note = f"{len(rows):,} child(ren) make this indicator worse. {m.definition}"
        ws.merge_range(2, 0, 2, 2, note, st.note(text_wrap=True, valign="top"))
        ws.set_row(2, row_height([(note, 108)], size=8) or 14)
        for j, head in enumerate(["CHILD", "District", "Why the child counts"]):
            ws.write_string(4, j, head, st.header(align="left"))
        text = st.cell()
        for k, row in enumerate(rows, start=5):
            ws.write_string(k, 0, row.child, text)
            ws.write_string(k, 1, row.district, text)
            ws.write_string(k, 2, row.fact, text)
        ws.freeze_panes(5, 1)
        ws.autofilter(4, 0, 4 + len(rows), 2)
        ws.print_area(0, 0, 4 + len(rows), 2)
