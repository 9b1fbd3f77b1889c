"""One scorecard row per indicator: what a reader sees on a line of the scorecard, worked out once.

:func:`scorecard_rows` builds them from the long indicator table, the configuration and the
published comparators (the worksheet function and the ribbon's entry point);
:func:`build_rows` from arrays already cut per geography (the batch's).  Both apply the same
rules, the board's rules of trust:

- values, changes and thresholds are compared as they are shown (rounded to the unit's places);
- a figure on fewer than ``min_denominator`` children (or cases) is shown but not rated or ranked;
- a comparator whose definition differs from cpxl's is shown and marked, never used to band;
- a move is "better" or "worse" only when it is at least the policy's margin.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..catalogue import CATALOGUE, THEMES
from ..rag import DISPLAY_DECIMALS, Bands, round_half_up
from ..rag import bands as make_bands
from .plain import printed_title
from .policy import Policy
from .published import Comparator, comparator_table

NO_POLARITY = "a count or profile: no better or worse direction"
NO_THRESHOLD = "no threshold configured and no comparable England figure"
NO_VALUE = "no value this month"
SUPPRESSED = "suppressed (small numbers)"


SMALL_BASE = "too few to rate"


def small_base(n, minimum: int) -> str:
    return f"{SMALL_BASE}: {_count(n)}, fewer than {minimum}"


def _count(x) -> str:
    """A count as printed; a part-time total (FTE) keeps its decimal: 332/21.4, not 332/21."""
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _num(x) -> float | None:
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) else f


@dataclass(frozen=True)
class Row:
    """One indicator on one geography's scorecard at one period end."""
    indicator: str
    title: str
    theme: str
    unit: str
    kind: str
    polarity: str
    decimals: int
    value: float | None
    previous: float | None
    numerator: float | None
    denominator: float | None
    change: float | None            # this month minus last, between the figures as shown
    direction: str                  # better, worse, up, down, same, or "" (no change to show)
    series: tuple                   # the months, oldest first (None where blank or suppressed)
    rag: str                        # Green, Amber, Red, or "" (not rated)
    previous_rag: str
    rated: bool
    not_rated: str                  # why there is no RAG ("" when rated)
    england: float | None
    region: float | None
    neighbours: float | None
    comparator_year: int | None
    quartile: str                   # LAIT band A-D of this value among England's authorities
    comparable: bool                # the published definition is cpxl's
    comparability: str              # how the definitions differ, when they do
    bands: Bands | None
    threshold_basis: str            # configured, statutory default, England, or ""
    suppressed: bool = False

    @property
    def shown(self) -> float | None:
        return round_half_up(self.value, self.decimals)

    @property
    def counts(self) -> str:
        """The compact "n/N" of a percentage or ratio; "n" for the cases of an average."""
        if self.kind in ("percent", "ratio"):
            if self.numerator is None or self.denominator is None:
                return ""
            return f"{_count(self.numerator)}/{_count(self.denominator)}"
        if self.kind == "mean" and self.numerator is not None:
            return f"n={_count(self.numerator)}"
        return ""

    @property
    def arrow(self) -> str:
        return {"better": "▲ better" if self._up else "▼ better",
                "worse": "▲ worse" if self._up else "▼ worse",
                "up": "▲ up", "down": "▼ down", "same": "► no change"}.get(self.direction, "")

    @property
    def _up(self) -> bool:
        return self.change is not None and self.change > 0

    def to_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "bands"}
        out["series"] = list(self.series)
        out["green"] = self.bands.green if self.bands else None
        out["amber"] = self.bands.amber if self.bands else None
        return out


def base_of(kind: str, numerator, denominator) -> float | None:
    """The number of children (or cases) a figure rests on: the denominator of a percentage
    or ratio, the cases of an average; None where no base applies (counts, rates)."""
    if kind in ("percent", "ratio"):
        return _num(denominator)
    if kind == "mean":
        return _num(numerator)
    return None


def rate(ind, value, base, b: Bands | None, policy: Policy) -> tuple[str, str]:
    """(RAG, why not rated)."""
    if ind.polarity not in ("higher", "lower"):
        return "", NO_POLARITY
    if value is None:
        return "", NO_VALUE
    if b is None:
        return "", NO_THRESHOLD
    if base is not None and base < policy.min_denominator:
        return "", small_base(base, policy.min_denominator)
    return b.band(value), ""


def direction(ind, now, before, policy: Policy, rated: bool = True) -> tuple[str, float | None]:
    """(better | worse | up | down | same | "", change as shown)."""
    d = DISPLAY_DECIMALS.get(ind.unit, 1)
    a, b = round_half_up(now, d), round_half_up(before, d)
    if a is None or b is None:
        return "", None
    change = round_half_up(a - b, d)
    if change == 0:
        return "same", change
    up = change > 0
    if (ind.polarity not in ("higher", "lower") or not rated
            or abs(change) < policy.margin(ind.unit, b) - 1e-9):
        return ("up" if up else "down"), change
    return ("better" if up == (ind.polarity == "higher") else "worse"), change


def build_rows(indicators, value: np.ndarray, numerator: np.ndarray, denominator: np.ndarray,
               bands: list[Bands | None], comparators: list[Comparator | None],
               policy: Policy | None = None, suppressed: np.ndarray | None = None) -> list[Row]:
    """Rows from one geography's arrays, shape (indicators, months), oldest month first.

    ``indicators`` are catalogue entries (or anything with id, title, theme, unit, kind and
    polarity); ``suppressed`` marks cells shown as "c" (their values already blank).
    """
    policy = policy or Policy()
    out = []
    for i, ind in enumerate(indicators):
        v = [_num(x) for x in value[i]]
        now, before = v[-1], v[-2] if len(v) > 1 else None
        num, den = _num(numerator[i, -1]), _num(denominator[i, -1])
        b = bands[i]
        rag, why = rate(ind, now, base_of(ind.kind, num, den), b, policy)
        prev_rag, _ = rate(ind, before, base_of(ind.kind, _num(numerator[i, -2]),
                                                _num(denominator[i, -2])) if len(v) > 1 else None,
                           b, policy)
        c_now = bool(suppressed[i, -1]) if suppressed is not None else False
        if c_now:
            why = SUPPRESSED
        comp = comparators[i]
        if comp is not None and not comp.comparable and not why and b is None:
            why = NO_THRESHOLD
        tone, change = direction(ind, now, before, policy, rated=bool(rag) or (
            ind.polarity in ("higher", "lower") and why in (NO_THRESHOLD,)))
        d = DISPLAY_DECIMALS.get(ind.unit, 1)
        out.append(Row(
            indicator=ind.id, title=printed_title(ind.id, ind.title), theme=ind.theme, unit=ind.unit, kind=ind.kind,
            polarity=ind.polarity, decimals=d, value=now, previous=before, numerator=num,
            denominator=den, change=change, direction=tone, series=tuple(v), rag=rag,
            previous_rag=prev_rag, rated=bool(rag), not_rated="" if rag else why,
            england=comp.england if comp else None, region=comp.region if comp else None,
            neighbours=comp.neighbours if comp else None,
            comparator_year=comp.year if comp else None,
            quartile=(comp.quartile(round_half_up(now, d))
                      if comp and not why.startswith(SMALL_BASE) and not c_now else ""),
            comparable=comp.comparable if comp else True,
            comparability=comp.caveat if comp else "", bands=b,
            threshold_basis=b.basis if b else "", suppressed=c_now))
    return out


NOT_AVAILABLE = "not available"


def scorecard_indicators(table: pd.DataFrame) -> tuple[list, list[tuple[str, str]]]:
    """The catalogue's indicators in scorecard order (by theme), and those the data cannot give."""
    la = table.loc[table["level"] == "la"]
    notes = la.groupby("indicator", sort=False)["note"].first()
    order = sorted(CATALOGUE.values(), key=lambda ind: THEMES.index(ind.theme))
    shown, missing = [], []
    for ind in order:
        note = str(notes.get(ind.id, NOT_AVAILABLE))
        if note.startswith(NOT_AVAILABLE):
            missing.append((ind.title, note))
        else:
            shown.append(ind)
    return shown, missing


def thresholds(indicators, config_thresholds, comparators) -> list[Bands | None]:
    """Each indicator's bands: configured, else the statutory default, else England's figure
    (only when comparable)."""
    return [make_bands(ind, config_thresholds or None, c.england if c is not None else None)
            for ind, c in zip(indicators, comparators)]


def scorecard_rows(table: pd.DataFrame, geography: str, period_end, config=None,
                   comparators: list[Comparator | None] | None = None, *, level: str | None = None,
                   months: int = 13) -> list[Row]:
    """The scorecard of ``geography`` at ``period_end`` from the long indicator table.

    ``geography``: a district, an area or the authority's name (``level`` picks one when a name
    is both).  ``config``: a :class:`~cpxl.config.Config` (thresholds, la_code, ``[scorecard]``).
    ``comparators``: one per scorecard indicator, as :func:`comparator_table` gives; by default
    those of the configuration's LA code.  The indicators are those with a value in the table,
    in scorecard order (theme by theme), less those the data cannot give (as the batch).
    """
    policy = Policy.from_config(config) if config is not None else Policy()
    end = pd.Timestamp(period_end).date().isoformat()
    t = table.loc[table["geography"].astype(str) == str(geography)]
    if level is not None:
        t = t.loc[t["level"] == level]
    if t.empty:
        raise ValueError(f"no geography called {geography!r} in the indicator table")
    if level is None:
        for lv in ("la", "area", "district"):
            if (t["level"] == lv).any():
                t = t.loc[t["level"] == lv]
                break
    periods = sorted(p for p in t["period_end"].astype(str).unique() if p <= end)[-months:]
    if not periods or periods[-1] != end:
        raise ValueError(f"the indicator table has no figures for {end}")
    present = set(t["indicator"])
    order = [ind for ind in scorecard_indicators(table)[0] if ind.id in present]
    ids = [ind.id for ind in order]
    t = t.loc[t["period_end"].astype(str).isin(periods)]
    arrays = []
    for col in ("value", "numerator", "denominator"):
        wide = (t.assign(_v=pd.to_numeric(t[col], errors="coerce"))
                .pivot_table(index="indicator", columns="period_end", values="_v", aggfunc="first",
                             dropna=False)
                .reindex(index=ids, columns=periods))
        arrays.append(wide.to_numpy(float))
    if comparators is None:
        comparators, _note, _region = comparator_table(getattr(config, "la_code", None), order,
                                                       policy)
    bands = thresholds(order, getattr(config, "thresholds", None), comparators)
    return build_rows(order, *arrays, bands, comparators, policy)
