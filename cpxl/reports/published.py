"""The published comparators of each indicator, as a scorecard row shows them.

England, the authority's region, its statistical neighbours (the mean or median, of the 2025 or
2021 groups, as :class:`~cpxl.reports.policy.Policy` says), the year, the LAIT quartile limits
that give a value its band (A best to D worst), and whether cpxl's definition is the published
one at all: a comparator whose definition differs is shown, marked, and never used to band or
rank.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .. import comparators as shipped
from ..errors import CpxlError
from .policy import Policy


@dataclass(frozen=True)
class Comparator:
    """Published comparators of one indicator; any figure may be None."""
    england: float | None
    region: float | None
    neighbours: float | None
    year: int | None
    period: str
    source: str
    comparable: bool = True        # cpxl's definition is the published one
    caveat: str = ""               # how the definitions differ (when not comparable)
    quartile_limits: tuple[float, ...] | None = None   # min, Q1, median, Q3, max of all LAs
    quartile_polarity: str = ""    # LAIT's "High" or "Low" (no band otherwise)

    def quartile(self, value: float | None) -> str:
        """LAIT's quartile band of ``value`` among England's authorities ("" when none)."""
        q = self.quartile_limits
        if (q is None or value is None or not self.comparable
                or self.quartile_polarity not in ("High", "Low") or math.isnan(value)):
            return ""
        i = 0 if value <= q[1] else 1 if value <= q[2] else 2 if value <= q[3] else 3
        return "ABCD"[i] if self.quartile_polarity == "Low" else "DCBA"[i]


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def comparator_table(la_code, indicators, policy: Policy | None = None
                     ) -> tuple[list[Comparator | None], str, str | None]:
    """Per indicator its Comparator (None: nothing published), a note for the page, the region."""
    policy = policy or Policy()
    if la_code is None:
        return ([None] * len(indicators), ("none shown: the configuration names no DfE LA code "
                                           "([authority] la_code in cpxl.toml)."), None)
    try:
        frame = shipped.comparators(la_code)
        neighbours = shipped.neighbour_values(la_code, policy.neighbours, policy.neighbour_set)
    except ValueError as e:
        raise CpxlError(f"[authority] la_code: {e}") from None
    rows = {r["indicator"]: r for r in frame.to_dict("records")}
    out: list[Comparator | None] = []
    for ind in indicators:
        r = rows.get(ind.id)
        if r is None:
            out.append(None)
            continue
        info = shipped.indicator_info(ind.id) or {}
        exact = info.get("match") == "exact"
        limits = info.get("quartile_bands")
        out.append(Comparator(
            _num(r["england"]), _num(r["region"]), _num(neighbours.get(ind.id)),
            int(r["year"]) if pd.notna(r["year"]) else None, str(info.get("period", "")),
            shipped.source_note(ind.id), comparable=exact,
            caveat="" if exact else str(info.get("note", "")),
            quartile_limits=tuple(float(x) for x in limits) if limits else None,
            quartile_polarity=str(info.get("polarity_used", ""))))
    first = frame.iloc[0] if len(frame) else None
    region = str(first["region_name"]) if first is not None else None
    name = f"{first['la_name']} (LA {la_code})" if first is not None else f"LA {la_code}"
    years = sorted({c.year for c in out if c is not None and c.year})
    span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}" if years else ""
    note = (f"DfE published figures ({span}) for England, {region or 'the region'} and "
            f"{policy.neighbour_words} of {name}. Quartile: the LAIT band this value would "
            "have among England's authorities (A best, D worst). Blank: not published.")
    return out, note, region
