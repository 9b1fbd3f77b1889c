"""The indicator catalogue: every indicator is one small function with its metadata beside it.

::

    @indicator("placed_foster_pct", "Children looked after in foster care", unit="%",
               polarity="higher", tables=("episodes",), theme="Placements and stability",
               lait="...", definition="Of children looked after on D, those whose open episode "
               "has PLACE U1-U6.")
    def placed_foster_pct(c):
        la = c.looked_after
        return c.percent(la, la["PLACE"].isin(codes.PLACE_FOSTER))

The function receives the engine's :class:`~cpxl.engine.Context` (every period end at once) and
returns a *tally*: one row per child (or event, or worker) and period with ``num`` and ``den``
columns, which the engine adds up by district, area and authority.  Adding an indicator touches
only the module that defines it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

# How each unit is added up and shown.
KIND_OF_UNIT = {"count": "count", "%": "percent", "rate per 10,000": "rate", "days": "mean",
                "score": "mean", "ratio": "ratio", "cases per FTE": "ratio"}
POLARITIES = {"higher", "lower", "neither"}
THEMES = ["Demand", "Placements and stability", "Visits and reviews", "Health", "Missing",
          "Care leavers", "Child protection", "Workforce", "Profile"]


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    unit: str
    polarity: str
    tables: tuple[str, ...]
    theme: str
    definition: str
    compute: Callable = field(repr=False, compare=False)
    lait: str | None = None
    columns: tuple[tuple[str, str], ...] = ()   # optional columns it needs: (table, column)
    headline: bool = False                       # shown in the trend charts

    @property
    def kind(self) -> str:
        return KIND_OF_UNIT[self.unit]

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "unit": self.unit, "polarity": self.polarity,
                "theme": self.theme, "tables": ", ".join(self.tables), "lait_measure": self.lait or "",
                "definition": self.definition, "headline": self.headline}


CATALOGUE: dict[str, Indicator] = {}


def indicator(id: str, title: str, *, unit: str, polarity: str, tables: tuple[str, ...], theme: str,
              definition: str, lait: str | None = None, columns=(), headline: bool = False):
    """Register the decorated function as the indicator ``id`` with its metadata."""
    if unit not in KIND_OF_UNIT:
        raise ValueError(f"{id}: unknown unit {unit!r}")
    if polarity not in POLARITIES:
        raise ValueError(f"{id}: polarity must be one of {sorted(POLARITIES)}")
    if theme not in THEMES:
        raise ValueError(f"{id}: theme must be one of {THEMES}")

    def register(func):
        if id in CATALOGUE:
            raise ValueError(f"indicator {id} is defined twice")
        CATALOGUE[id] = Indicator(id, title, unit, polarity, tuple(tables), theme,
                                  " ".join(definition.split()), func, lait, tuple(columns), headline)
        return func
    return register


def catalogue() -> pd.DataFrame:
    """The catalogue as a table, in reporting order."""
    _load_all()
    return pd.DataFrame([i.as_dict() for i in CATALOGUE.values()])


def markdown() -> str:
    """The catalogue as a Markdown document (docs/indicators.md is this, kept in step by a test)."""
    _load_all()
    lines = ["# Indicator definitions", "",
             "Generated from the catalogue in `cpxl/indicators/` by `cpxl list --markdown "
             "docs/indicators.md`; the definitions are the ones the code carries and the scorecards' "
             "Definitions sheet shows. D is the period end; the year to D is the dates after D minus "
             "12 calendar months up to and including D.", ""]
    by_theme: dict[str, list[Indicator]] = {}
    for ind in CATALOGUE.values():
        by_theme.setdefault(ind.theme, []).append(ind)
    for theme in THEMES:
        if theme not in by_theme:
            continue
        lines += [f"## {theme}", ""]
        for ind in by_theme[theme]:
            lines += [f"### `{ind.id}` — {ind.title}", "",
                      f"Unit: {ind.unit}. Polarity: {ind.polarity}. Tables: {', '.join(ind.tables)}."
                      + (f" Compared with LAIT: {ind.lait}." if ind.lait else ""), "",
                      ind.definition, ""]
    return "\n".join(lines)


def get(indicator_id: str) -> Indicator:
    _load_all()
    try:
        return CATALOGUE[indicator_id]
    except KeyError:
        import difflib
        close = difflib.get_close_matches(indicator_id, list(CATALOGUE), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise KeyError(f"no indicator '{indicator_id}'{hint}") from None


def _load_all() -> None:
    from . import indicators  # noqa: F401  (registers every indicator module)
