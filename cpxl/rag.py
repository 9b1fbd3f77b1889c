"""Red, amber, green: banding an indicator's value against its thresholds, knowing its polarity.

Thresholds come from the configuration, one table per indicator (``cpxl.toml``)::

    [thresholds.visits_in_time_pct]
    green = 90      # Green at or better than this
    amber = 80      # Amber at or better than this (and worse than green); Red beyond
    target = 95     # optional: the target shown on the scorecard (default: the green threshold)

"Better" follows the indicator's polarity: for a higher-is-better indicator Green is a value of at
least ``green``; for a lower-is-better one, a value of at most ``green``.  An indicator whose
polarity is *neither* (a count, a profile share) is never banded.

**The default, with no configured threshold**, bands against the published England figure:
Green when the value is at least as good as England, Amber when it is worse by no more than 10% of
England's value (relative: England 80% gives Amber down to 72%; for lower-is-better, England 10%
gives Amber up to 11%), Red beyond.  Without an England figure either, there is no RAG ("").

**Statutory local indicators** (visits, reviews, health assessments, initial health assessments,
personal education plans, return home interviews) have no England figure; they take the default
thresholds of :data:`STATUTORY_THRESHOLDS` (documented with their sources in docs/scorecards.md),
which a ``[thresholds.<id>]`` table overrides.

**Comparable only**: an indicator whose cpxl definition differs from the published one
(:func:`comparable` is False: residential care, missing, suitable accommodation, 3 or more social
workers, caseload) is never banded against England; it is rated only with configured thresholds.

Values and thresholds are banded as they are shown: both rounded to the unit's display precision
(percentages, rates and scores to 1 decimal place, counts and days to whole numbers), so a board
member never sees "90.0%" marked Amber against a 90% threshold, nor 16.4 marked Red beside
"Amber at 16.4".

Everything here is plain Python and pandas, so the scorecards, the batch and the worksheet
functions band values the same way::

    >>> rag("visits_in_time_pct", 86.2, thresholds={"green": 90, "amber": 80})
    'Amber'
    >>> rag("stability_3plus_pct", 12.0, comparators={"england": 10})     # lower is better
    'Red'
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from .errors import CpxlError
from .indicators.registry import DISPLAY_DECIMALS  # noqa: F401  (decimal places by unit)

GREEN, AMBER, RED, NONE = "Green", "Amber", "Red", ""
#: the default amber band: this fraction of England's value, on the worse side of England
DEFAULT_RELATIVE_MARGIN = 0.10


#: defaults for the statutory local indicators, which have no published England figure:
#: (green, amber, why).  A duty the law sets for every child is Green only close to 100%.
STATUTORY_THRESHOLDS = {
    "visits_in_time_pct": (95.0, 85.0, "statutory visits at least every 6 weeks (Care Planning, "
                           "Placement and Case Review (England) Regulations 2010, reg. 28)"),
    "reviews_in_time_pct": (95.0, 85.0, "reviews within 20 working days, 3 months, then 6 months "
                            "(Care Planning Regulations 2010, reg. 33)"),
    "pep_pct": (95.0, 85.0, "a personal education plan as part of every care plan, reviewed each "
                "term (Promoting the education of looked-after children, DfE 2018)"),
    "health_assessment_pct": (90.0, 80.0, "review health assessments every 6 months under 5, "
                              "yearly from 5 (Promoting the health and well-being of looked-after "
                              "children, DfE/DHSC 2015)"),
    "iha_20wd_pct": (90.0, 75.0, "initial health assessment within 20 working days of entering "
                     "care (Promoting the health and well-being of looked-after children, 2015)"),
    "missing_rhi_3days_pct": (90.0, 75.0, "a return home interview within 72 hours of return "
                              "(Children who run away or go missing from home or care, DfE 2014)"),
}
#: bases a :class:`Bands` can have
BASIS_CONFIGURED, BASIS_STATUTORY, BASIS_ENGLAND = "configured", "statutory default", "England"


def comparable(indicator_id: str) -> bool:
    """Whether cpxl's definition is the published comparator's (so England can band it)."""
    from .comparators import indicator_info
    info = indicator_info(indicator_id)
    return info is not None and info.get("match") == "exact"


@dataclass(frozen=True)
class Bands:
    """The thresholds one indicator is banded with, and where they come from."""
    polarity: str            # "higher" or "lower"
    green: float
    amber: float
    target: float
    basis: str               # "configured" or "England"
    england: float | None = None
    decimals: int = 1        # the value is banded rounded to this many places, as shown

    def band(self, value) -> str:
        return band(round_half_up(value, self.decimals), self.polarity, self.green, self.amber)


def _indicator(indicator):
    if isinstance(indicator, str):
        from .catalogue import get
        return get(indicator)
    return indicator


def _number(x) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _own_thresholds(indicator_id: str, thresholds) -> dict | None:
    """The thresholds table for one indicator from either that table or the whole config dict."""
    if not thresholds:
        return None
    if isinstance(thresholds, dict) and indicator_id in thresholds and isinstance(
            thresholds[indicator_id], dict):
        return thresholds[indicator_id]
    if isinstance(thresholds, dict) and ("green" in thresholds or "amber" in thresholds):
        return thresholds
    return None


def _england(indicator_id: str, comparators) -> float | None:
    """England's value from a number, a mapping or Series with 'england', or comparators()."""
    if comparators is None:
        return None
    if isinstance(comparators, Real):
        return _number(comparators)
    if isinstance(comparators, pd.DataFrame):
        rows = comparators.loc[comparators["indicator"] == indicator_id, "england"]
        return _number(rows.iloc[0]) if len(rows) else None
    try:
        if isinstance(comparators, (dict, pd.Series)) and indicator_id in comparators:
            return _england(indicator_id, comparators[indicator_id])
        return _number(comparators.get("england", comparators.get("England")))
    except AttributeError:
        return None


def check_thresholds(indicator, table: dict, where: str = "cpxl.toml") -> dict:
    """A configured thresholds table, checked: numbers, and green no worse than amber."""
    ind = _indicator(indicator)
    unknown = set(table) - {"green", "amber", "target"}
    if unknown:
        raise CpxlError(f"{where}: [thresholds.{ind.id}] has {', '.join(sorted(unknown))}; use green, "
                        "amber and (optionally) target")
    out = {}
    for key in ("green", "amber", "target"):
        if key in table:
            v = _number(table[key])
            if v is None:
                raise CpxlError(f"{where}: [thresholds.{ind.id}] {key} must be a number; got "
                                f"{table[key]!r}")
            out[key] = v
    if "green" not in out:
        raise CpxlError(f"{where}: [thresholds.{ind.id}] needs green (and usually amber), e.g. "
                        "green = 90 and amber = 80")
    if ind.polarity == "neither":
        raise CpxlError(f"{where}: [thresholds.{ind.id}]: {ind.id} is neither better higher nor "
                        "lower, so it has no RAG; remove its thresholds")
    out.setdefault("amber", out["green"])
    worse = out["amber"] > out["green"] if ind.polarity == "higher" else out["amber"] < out["green"]
    if worse:
        word = "above" if ind.polarity == "higher" else "below"
        raise CpxlError(f"{where}: [thresholds.{ind.id}] amber ({out['amber']:g}) is {word} green "
                        f"({out['green']:g}), but {ind.id} is better {ind.polarity}; amber is the "
                        "worse boundary")
    return out


def bands(indicator, thresholds=None, comparators=None) -> Bands | None:
    """The bands an indicator is RAG-rated with, or None (polarity neither, or nothing to band on).

    ``thresholds``: the indicator's table ({"green": .., "amber": .., "target": ..}) or the whole
    ``[thresholds]`` dict of the configuration.  ``comparators``: England's value as a number, a
    mapping or Series with an ``england`` entry, or the frame of
    :func:`cpxl.comparators.comparators`.
    """
    ind = _indicator(indicator)
    if ind.polarity not in ("higher", "lower"):
        return None
    own = _own_thresholds(ind.id, thresholds)
    england = _england(ind.id, comparators)
    decimals = DISPLAY_DECIMALS.get(ind.unit, 1)
    def shown_(x):
        return round_half_up(x, decimals)
    if own is not None:
        t = check_thresholds(ind, own)
        return Bands(ind.polarity, shown_(t["green"]), shown_(t["amber"]),
                     shown_(t.get("target", t["green"])), BASIS_CONFIGURED, england, decimals)
    if ind.id in STATUTORY_THRESHOLDS:
        green, amber, _why = STATUTORY_THRESHOLDS[ind.id]
        return Bands(ind.polarity, green, amber, green, BASIS_STATUTORY, england, decimals)
    if england is None or not comparable(ind.id):
        return None
    margin = abs(england) * DEFAULT_RELATIVE_MARGIN
    amber = england - margin if ind.polarity == "higher" else england + margin
    return Bands(ind.polarity, shown_(england), shown_(amber), shown_(england), BASIS_ENGLAND,
                 england, decimals)


def band(value, polarity: str, green, amber) -> str:
    """"Green", "Amber", "Red" for one value, or "" when it or the thresholds are missing."""
    v, g, a = _number(value), _number(green), _number(amber)
    if v is None or g is None or polarity not in ("higher", "lower"):
        return NONE
    a = g if a is None else a
    if polarity == "lower":
        v, g, a = -v, -g, -a
    return GREEN if v >= g else AMBER if v >= a else RED


def round_half_up(value, decimals: int) -> float | None:
    """Round half away from zero, as Excel's ROUND does (Python's round() rounds half to even)."""
    v = _number(value)
    if v is None:
        return None
    scale = 10.0 ** decimals
    return math.copysign(math.floor(abs(v) * scale + 0.5), v) / scale


def shown(indicator, value):
    """The value rounded as the scorecards show it (and as it is banded)."""
    return round_half_up(value, DISPLAY_DECIMALS.get(_indicator(indicator).unit, 1))


def rag(indicator, value, thresholds=None, comparators=None) -> str:
    """The RAG status of ``value`` for ``indicator`` (an id or catalogue entry).

    "Green", "Amber" or "Red"; "" when the polarity is neither, the value is blank, or there is
    no threshold and no England figure to band against.
    """
    b = bands(indicator, thresholds, comparators)
    return NONE if b is None else b.band(value)


def rag_series(indicator, values, thresholds=None, comparators=None) -> pd.Series:
    """:func:`rag` for many values of one indicator at once (a Series of "Green"/"Amber"/"Red"/"")."""
    values = pd.Series(values)
    b = bands(indicator, thresholds, comparators)
    out = pd.Series(NONE, index=values.index, dtype=object)
    if b is None:
        return out
    scale = 10.0 ** b.decimals
    v = pd.to_numeric(values, errors="coerce").to_numpy(float)
    v = np.copysign(np.floor(np.abs(v) * scale + 0.5), v) / scale
    sign = 1.0 if b.polarity == "higher" else -1.0
    v, g, a = sign * v, sign * b.green, sign * b.amber
    res = np.where(v >= g, GREEN, np.where(v >= a, AMBER, RED)).astype(object)
    res[np.isnan(v)] = NONE
    out[:] = res
    return out
