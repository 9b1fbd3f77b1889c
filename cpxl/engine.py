"""The engine: every indicator, every period end, every geography, in one pass.

The :class:`Context` derives what indicators share once for all period ends (periods of care,
placements, who is looked after on each D, where each child belongs); each indicator returns a
tally with a row per (period, child) and ``num``/``den`` columns (or, a *range tally*, a row per
child and run of periods ``p`` to ``p_end``); the engine adds tallies up by
district with ``np.bincount`` and sums districts into areas and the authority.  Nothing loops over
children, districts or months in Python.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from . import care
from .catalogue import CATALOGUE, Indicator
from .dates import age_on, minus_months, period_ends
from .frames import days, expand_ranges, factorize_objects
from .geography import Geography

#: the most month ends one computation covers (50 years): more is a mistyped --months
MAX_MONTHS = 600

# The open episode's columns the indicators read (a narrow copy is much cheaper at scale).
LOOKED_AFTER_COLUMNS = ["cid", "DECOM", "DEC", "RNE", "LS", "CIN", "PLACE", "REC", "period_no",
                        "period_start", "placement_no", "placement_start", "previous_placement_start"]
# The episodes' columns the engine reads (periods of care, placements, geography, indicators); the
# others (URN, PL_POST, PLACE_PROVIDER, ...) are left behind, not copied into every frame.
EPISODE_COLUMNS = ["DECOM", "DEC", "RNE", "LS", "CIN", "PLACE", "REC", "HOME_POST", "_row"]
OUTPUT_COLUMNS = ["indicator", "period_end", "level", "geography", "numerator", "denominator",
                  "value", "note"]


class Context:
    """What the indicators of one run share, derived on first use and kept."""

    def __init__(self, dataset, periods: pd.DatetimeIndex):
        self.dataset = dataset
        self.tables = dataset.tables
        self.config = dataset.config
        self.periods = pd.DatetimeIndex(periods).astype("datetime64[ns]")
        self.P = len(self.periods)
        self.window_start = minus_months(self.periods, 12)     # W = (window_start, D]
        self.period_days = days(self.periods)
        self._memo: dict = {}
        self._cids: dict = {}

    def memo(self, key, make):
        """A value several indicators share (a cohort, the starters), made on first use."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # --- children and geography -------------------------------------------------------------

    @cached_property
    def children(self) -> pd.Index:
        """Every CHILD id in any table, as one index; ``cid`` is a position in it.

        One factorize over every table's CHILD column gives each table's cids at once.
        """
        names = [n for n, t in self.tables.items() if "CHILD" in t.columns]
        codes, uniques = factorize_objects([self.tables[n]["CHILD"].to_numpy(dtype=object)
                                            for n in names])
        # int32: a cid per row of every table (14 million at 40,000 children).
        self._cids.update(zip(names, codes))
        # dtype=object: an inferred str index would copy every id into Arrow and back.
        return pd.Index(uniques, dtype=object)

    def cid(self, child: pd.Series) -> np.ndarray:
        return self.children.get_indexer(child)

    def table_cid(self, name: str) -> np.ndarray:
        """The cid (int32) of every row of an input table (worked out once per table)."""
        self.children  # noqa: B018  (fills self._cids)
        return self._cids[name]

    @cached_property
    def geography(self) -> Geography:
        # The districts rows' cids are known already: no second hash lookup of every CHILD.
        district_cid = self.table_cid("districts") if "districts" in self.tables else None
        return Geography(self.dataset, self.children, self.periods, self.episodes, district_cid)

    @cached_property
    def header(self) -> pd.DataFrame:
        """One row per cid (position): SEX, DOB, ETHNIC (blank where the child has no header row)."""
        h = self.tables["header"]
        out = pd.DataFrame({"SEX": "", "ETHNIC": ""}, index=range(len(self.children)))
        out["DOB"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        pos = self.table_cid("header")
        out.loc[pos, "SEX"] = h["SEX"].to_numpy()
        out.loc[pos, "ETHNIC"] = h["ETHNIC"].to_numpy()
        out.loc[pos, "DOB"] = h["DOB"].to_numpy()
        return out

    def age(self, cid: np.ndarray, p: np.ndarray, dob=None) -> np.ndarray:
        """Age in completed years on the period end ``p`` of each row."""
        if dob is None:
            dob = self.header["DOB"].to_numpy()[cid]
        return age_on(dob, self.periods[p])

    # --- episodes, periods of care, placements ----------------------------------------------

    @cached_property
    def episodes(self) -> pd.DataFrame:
        e = self.tables["episodes"]
        e = e[[col for col in EPISODE_COLUMNS if col in e.columns]]
        return care.prepare_episodes(e, self.table_cid("episodes"))

    @cached_property
    def care_periods(self) -> pd.DataFrame:
        return care.care_periods(self.episodes)

    @cached_property
    def placements(self) -> pd.DataFrame:
        return care.placements(self.episodes)

    # --- expanding rows over period ends ----------------------------------------------------

    def open_on(self, start, end) -> tuple[np.ndarray, np.ndarray]:
        """(row, p) for every period end D with start <= D and (end blank or end > D)."""
        return expand_ranges(*self.open_on_bounds(start, end))

    def open_on_bounds(self, start, end) -> tuple[np.ndarray, np.ndarray]:
        """The periods :meth:`open_on` gives each row, as the range lo <= p < hi."""
        D = self.period_days
        return np.searchsorted(D, days(start), side="left"), np.searchsorted(D, days(end), side="left")

    def open_in_window(self, start, end, months: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """(row, p) for every D whose window (D - months, D] the interval [start, end) touches."""
        ws = days(minus_months(self.periods, months))
        lo = np.searchsorted(self.period_days, days(start), side="left")
        hi = np.searchsorted(ws, days(end), side="left")
        return expand_ranges(lo, hi)

    def in_window(self, dates, months: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """(row, p) for every D with D - months < date <= D."""
        return expand_ranges(*self.in_window_bounds(dates, months))

    def in_window_bounds(self, dates, months: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """The periods :meth:`in_window` gives each row, as the range lo <= p < hi."""
        ws = days(minus_months(self.periods, months))
        d = days(dates)
        return np.searchsorted(self.period_days, d, side="left"), np.searchsorted(ws, d, side="left")

    def per_period(self, frame: pd.DataFrame, rows: np.ndarray, p: np.ndarray,
                   columns: list[str] | None = None) -> pd.DataFrame:
        if columns is not None:
            frame = frame[columns]
        out = frame.iloc[rows].reset_index(drop=True)
        out["p"] = p
        out["D"] = self.periods[p]
        return out

    @cached_property
    def looked_after(self) -> pd.DataFrame:
        """Children looked after on each D: one row per (p, cid) with their open episode.

        A child with two episodes open on one date (overlapping episodes, which validation
        reports) is one child looked after; the episode that counts (its PLACE, its period of
        care, its placement) is the later one in episode order (DECOM, DEC with blank last, file
        order): the later-starting one.
        """
        e = self.episodes
        rows, p = self.open_on(e["DECOM"], e["DEC"])
        # Episodes are in episode order, so the last row of a (p, cid) is the later one.
        key = e["cid"].to_numpy()[rows].astype(np.int64) * self.P + p
        keep = ~pd.Series(key).duplicated(keep="last").to_numpy()
        la = self.per_period(e, rows[keep], p[keep], LOOKED_AFTER_COLUMNS)
        la["age"] = self.age(la["cid"].to_numpy(), la["p"].to_numpy())
        return la

    @cached_property
    def looked_after_in_window(self) -> pd.DataFrame:
        """Children looked after at any time in W: one row per (p, cid)."""
        e = self.episodes
        rows, p = self.open_in_window(e["DECOM"], e["DEC"])
        return pd.DataFrame({"p": p, "cid": e["cid"].to_numpy()[rows]}).drop_duplicates()

    def period_child_key(self, p, cid) -> np.ndarray:
        """One int64 per (period, child): sorting by it sorts by period, then child.

        A blank CHILD (cid -1) keys apart from every child, never as the previous period's last.
        """
        return np.asarray(p, dtype=np.int64) * (len(self.children) + 1) + np.asarray(cid, dtype=np.int64) + 1

    def occurrences(self, sorted_keys: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        """How often each (p, cid) row of ``frame`` occurs in ``sorted_keys`` (period_child_key)."""
        q = self.period_child_key(frame["p"].to_numpy(), frame["cid"].to_numpy())
        return np.searchsorted(sorted_keys, q, side="right") - np.searchsorted(sorted_keys, q, side="left")

    # --- tallies ----------------------------------------------------------------------------

    @staticmethod
    def count(frame: pd.DataFrame) -> pd.DataFrame:
        """Each row counts one."""
        return pd.DataFrame({"p": frame["p"].to_numpy(), "cid": frame["cid"].to_numpy(),
                             "num": 1.0, "den": 0.0})

    @staticmethod
    def percent(frame: pd.DataFrame, numerator) -> pd.DataFrame:
        """Each row is in the denominator; those where ``numerator`` is true in the numerator."""
        return pd.DataFrame({"p": frame["p"].to_numpy(), "cid": frame["cid"].to_numpy(),
                             "num": np.asarray(numerator, dtype=bool).astype(float), "den": 1.0})

    @staticmethod
    def percent_over(cid, lo, hi, numerator) -> pd.DataFrame:
        """:meth:`percent` of rows that each stand for every period lo <= q < hi (a *range
        tally*: ``p`` is lo, ``p_end`` is hi): the engine adds such a row to its periods at once,
        so an event in the year to twelve month ends is one row, not twelve.  Rows for no period
        are left out, so with one period end (the scorecards' child lists) every row has p = 0
        as in a per-period tally."""
        lo, hi = np.asarray(lo), np.asarray(hi)
        some = np.flatnonzero(hi > lo)
        return pd.DataFrame({"p": lo[some], "p_end": hi[some], "cid": np.asarray(cid)[some],
                             "num": np.asarray(numerator, dtype=bool)[some].astype(float), "den": 1.0})

    @staticmethod
    def mean(frame: pd.DataFrame, values) -> pd.DataFrame:
        """The mean of ``values`` over the rows (rows with a blank value are left out)."""
        v = np.asarray(values, dtype=float)
        keep = ~np.isnan(v)
        return pd.DataFrame({"p": frame["p"].to_numpy()[keep], "cid": frame["cid"].to_numpy()[keep],
                             "num": v[keep], "den": 1.0})


class NotAvailable(Exception):
    """An indicator that cannot be computed from this dataset (a table or column is missing)."""


def missing_inputs(ind: Indicator, dataset) -> str | None:
    missing = [t for t in ind.tables if t not in dataset.tables]
    if missing:
        return f"not available: no {', '.join(missing)} table in the data"
    for table, column in ind.columns:
        if column not in dataset.columns_present.get(table, ()):
            return f"not available: the {table} table has no {column} column"
    return None


def _district_sums(ctx: Context, tally: pd.DataFrame) -> dict[str, np.ndarray]:
    """(periods x districts) sums of a tally's ``num`` and ``den``.

    A row counts in the district of its ``dc`` column, else of its child on that D (looked up
    once for both columns).  A row of a range tally (one with a ``p_end`` column) counts in
    every period p <= q < p_end.  Where its values are whole numbers and the child's district
    is the same on every D, the row is added to the range as a difference (+ at p, - at p_end,
    summed down the periods): whole numbers add up exactly in any order, so the sums are the
    bytes expanding every row would give, without the (period x row) arrays.  Other values (an
    FTE) are expanded in row order, as the sums of a per-period tally would add them; rows of 0
    add nothing and are left out.
    """
    geo = ctx.geography
    n_d, P = len(geo.districts), ctx.P
    weights = {col: tally[col].to_numpy(dtype=float) for col in ("num", "den")}
    p = tally["p"].to_numpy(dtype=np.int64)
    if "p_end" not in tally.columns:
        if "dc" in tally.columns:
            dc = tally["dc"].to_numpy(dtype=np.int64)
        else:
            dc = geo.matrix[tally["cid"].to_numpy(dtype=np.int64), p]
        idx = p * n_d + dc
        return {col: np.bincount(idx, weights=w, minlength=P * n_d).reshape(P, n_d)
                for col, w in weights.items()}
    return {col: _range_sums(ctx, tally, p, w) for col, w in weights.items()}


def _range_sums(ctx: Context, tally: pd.DataFrame, lo: np.ndarray, w: np.ndarray) -> np.ndarray:
    """One column of :func:`_district_sums` for a range tally."""
    geo = ctx.geography
    n_d, P = len(geo.districts), ctx.P
    hi = tally["p_end"].to_numpy(dtype=np.int64)
    keep = np.flatnonzero((hi > lo) & (w != 0))
    lo, hi, w = lo[keep], hi[keep], w[keep]
    if "dc" in tally.columns:
        cid, dc = None, tally["dc"].to_numpy(dtype=np.int64)[keep]
        steady = np.ones(len(keep), dtype=bool)
    else:
        cid = tally["cid"].to_numpy(dtype=np.int64)[keep]
        dc = geo.matrix[cid, 0].astype(np.int64)
        steady = geo.steady[cid]
    if not np.array_equal(w, np.floor(w)):
        steady[:] = False
    s = np.flatnonzero(steady)
    edges = (np.bincount(lo[s] * n_d + dc[s], weights=w[s], minlength=(P + 1) * n_d)
             - np.bincount(hi[s] * n_d + dc[s], weights=w[s], minlength=(P + 1) * n_d))
    out = np.cumsum(edges.reshape(P + 1, n_d), axis=0)[:P]
    u = np.flatnonzero(~steady)
    if len(u):
        rows, p = expand_ranges(lo[u], hi[u])
        at = dc[u][rows] if cid is None else geo.matrix[cid[u][rows], p]
        out = out + np.bincount(p * n_d + at, weights=w[u][rows], minlength=P * n_d).reshape(P, n_d)
    return out


def _aggregate(ctx: Context, ind: Indicator, tally: pd.DataFrame) -> dict[str, np.ndarray]:
    """Add a tally up to (periods x geographies) arrays of num and den: [la, areas, districts]."""
    geo = ctx.geography
    n_d, n_a = len(geo.districts), len(geo.areas)
    out = {}
    for col, district in _district_sums(ctx, tally).items():
        member = np.zeros((n_d, n_a))
        has_area = geo.area_index >= 0
        member[np.flatnonzero(has_area), geo.area_index[has_area]] = 1.0
        area = district @ member
        la = district.sum(axis=1, keepdims=True)
        out[col] = np.hstack([la, area, district])
    return out


def _finish(ctx: Context, ind: Indicator, sums: dict[str, np.ndarray], population: np.ndarray):
    """Numerator, denominator, value and note arrays for one indicator, by its kind."""
    num, den = sums["num"], sums["den"]
    kind = ind.kind
    note = np.full(num.shape, "", dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "count":
            value, out_num, out_den = num, num, np.full(num.shape, np.nan)
        elif kind == "percent":
            value, out_num, out_den = np.where(den > 0, 100.0 * num / den, np.nan), num, den
            note[den == 0] = "no children in the cohort (denominator 0)"
        elif kind == "rate":
            out_num, out_den = num, population
            value = np.where(population > 0, 1e4 * num / population, np.nan)
            note[~(population > 0)] = "no population figure for this geography and year"
        elif kind == "mean":
            value, out_num, out_den = np.where(den > 0, num / den, np.nan), den, np.full(num.shape, np.nan)
            note[den == 0] = "no cases to average"
        else:  # ratio
            value, out_num, out_den = np.where(den > 0, num / den, np.nan), num, den
            note[den == 0] = "denominator 0"
    return out_num, out_den, value, note


def compute(dataset, period_end, months: int = 13, indicators: list[str] | None = None, *,
            allow_beyond_data: bool | None = None) -> pd.DataFrame:
    """The long indicator table (data.md section 5) for ``months`` period ends up to ``period_end``.

    ``allow_beyond_data`` checks ``period_end`` against the dates the data covers
    (:func:`cpxl.coverage.check_period_end`): with ``False`` a period end after the end of the
    month of the data's last event, or before its first episode, raises
    :class:`~cpxl.errors.CpxlError`; with ``True`` a period end past the data is computed anyway
    and every row's note says so (before the first episode is still refused); ``None`` (the
    default, for callers that have checked already or build test data by hand) does not check.
    The command line always checks.  Only ``period_end`` is checked: the earlier months of a
    trend may begin before the first episode, where nobody looked after is the truth.
    """
    from .coverage import check_period_end

    beyond = None if allow_beyond_data is None else check_period_end(dataset, period_end,
                                                                       allow_beyond_data)
    ctx = Context(dataset, period_ends(period_end, months))
    geo = ctx.geography
    levels = ["la"] + ["area"] * len(geo.areas) + ["district"] * len(geo.districts)
    names = [geo.authority] + geo.areas + geo.districts
    G = len(names)
    population = geo.population(dataset.tables.get("population"))
    chosen = [CATALOGUE[i] for i in indicators] if indicators else list(CATALOGUE.values())
    parts = []
    for ind in chosen:
        reason = missing_inputs(ind, dataset)
        if reason is None:
            try:
                tally = ind.compute(ctx)
            except NotAvailable as e:
                reason = f"not available: {e}"
        if reason is not None:
            nan = np.full((ctx.P, G), np.nan)
            num, den, value, note = nan, nan, nan, np.full((ctx.P, G), reason, dtype=object)
        else:
            sums = _aggregate(ctx, ind, tally)
            num, den, value, note = _finish(ctx, ind, sums, population)
        parts.append((ind.id, num, den, value, note))
    P = ctx.P
    n = len(parts)
    period_iso = np.asarray(ctx.periods.strftime("%Y-%m-%d"))
    frame = pd.DataFrame({
        "indicator": np.repeat([x[0] for x in parts], P * G),
        "period_end": np.tile(np.repeat(period_iso, G), n),
        "level": np.tile(np.array(levels, dtype=object), P * n),
        "geography": np.tile(np.array(names, dtype=object), P * n),
        "numerator": np.concatenate([x[1].ravel() for x in parts]) if parts else [],
        "denominator": np.concatenate([x[2].ravel() for x in parts]) if parts else [],
        "value": np.concatenate([x[3].ravel() for x in parts]) if parts else [],
        "note": np.concatenate([x[4].ravel() for x in parts]) if parts else [],
    })
    if beyond:
        note = frame["note"].astype(object)
        frame["note"] = np.where(note == "", beyond, note + "; " + beyond)
    return frame[OUTPUT_COLUMNS]
