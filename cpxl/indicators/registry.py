"""The indicator registry: each indicator's metadata and the function that computes it.

The section modules beside this one register their indicators with :func:`indicator` when
``cpxl.indicators`` is imported (which :mod:`cpxl.catalogue` does, so the catalogue is always
whole).  :func:`register` and :func:`unregister` are the same registry for code that builds an
indicator at run time (a local extension, a test).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable



@dataclass(frozen=True)
class Unit:
    """How values of one unit are added up (``kind``) and shown in Excel."""
    kind: str            # count, percent, rate, mean or ratio: how the engine adds tallies up
    number_format: str   # Excel number format of a value
    change_format: str   # Excel number format of a change between two values
    short: str           # the unit in a narrow column heading
    decimals: int        # decimal places a value is shown (and banded) with


# Every unit an indicator may have; a new unit is one line here.
UNITS = {
    "count": Unit("count", "#,##0", '+#,##0;"−"#,##0;0', "number", 0),
    "%": Unit("percent", '0.0"%"', '+0.0" pts";"−"0.0" pts";0.0" pts"', "%", 1),
    "rate per 10,000": Unit("rate", "0.0", '+0.0;"−"0.0;0.0', "per 10k", 1),
    "days": Unit("mean", "#,##0", '+#,##0;"−"#,##0;0', "days", 0),
    "score": Unit("mean", "0.0", '+0.0;"−"0.0;0.0', "score", 1),
    "ratio": Unit("ratio", "0.00", '+0.00;"−"0.00;0.00', "ratio", 2),
    "cases per FTE": Unit("ratio", "0.0", '+0.0;"−"0.0;0.0', "per FTE", 1),
}
KIND_OF_UNIT = {name: u.kind for name, u in UNITS.items()}
NUMBER_FORMATS = {name: u.number_format for name, u in UNITS.items()}
CHANGE_FORMATS = {name: u.change_format for name, u in UNITS.items()}
UNIT_SHORT = {name: u.short for name, u in UNITS.items()}
DISPLAY_DECIMALS = {name: u.decimals for name, u in UNITS.items()}
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
    _check(id, unit, polarity, theme)

    def add(func):
        register(Indicator(id, title, unit, polarity, tuple(tables), theme,
                           " ".join(definition.split()), func, lait, tuple(columns), headline))
        return func
    return add


def _check(id: str, unit: str, polarity: str, theme: str) -> None:
    if unit not in KIND_OF_UNIT:
        raise ValueError(f"{id}: unknown unit {unit!r}")
    if polarity not in POLARITIES:
        raise ValueError(f"{id}: polarity must be one of {sorted(POLARITIES)}")
    if theme not in THEMES:
        raise ValueError(f"{id}: theme must be one of {THEMES}")


def register(ind: Indicator) -> Indicator:
    """Add ``ind`` to the catalogue (after checking its metadata as :func:`indicator` does)."""
    _check(ind.id, ind.unit, ind.polarity, ind.theme)
    if ind.id in CATALOGUE:
        raise ValueError(f"indicator {ind.id} is defined twice")
    CATALOGUE[ind.id] = ind
    return ind


def unregister(indicator_id: str) -> None:
    """Take ``indicator_id`` out of the catalogue (it must be there)."""
    del CATALOGUE[indicator_id]
