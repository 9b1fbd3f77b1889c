"""What one workbook needs, as plain picklable data: the slices a worker process is handed.

The batch computes the long indicator table once, turns it into arrays (geography x indicator x
month), and gives each workbook only its own geography, the authority, its districts (and areas)
and the small tables every book shares (indicator metadata, thresholds, comparators).  A worker
never sees the dataset, and without ``--with-child-lists`` no book holds a child identifier.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..rag import DISPLAY_DECIMALS, Bands
from ..reports.policy import Policy
from ..reports.published import Comparator
from ..reports.rows import Row, build_rows

LEVEL_WORD = {"la": "authority", "area": "area", "district": "district"}


@dataclass(frozen=True)
class Meta:
    """An indicator as the scorecards show it (from the catalogue)."""
    id: str
    title: str
    unit: str
    kind: str
    polarity: str
    theme: str
    definition: str
    headline: bool
    lait: str

    @property
    def decimals(self) -> int:
        return DISPLAY_DECIMALS.get(self.unit, 1)

    @property
    def rated(self) -> bool:
        return self.polarity in ("higher", "lower")


@dataclass
class Series:
    """One geography's figures: arrays of shape (indicators, months), oldest month first.

    Suppressed cells are NaN in the numbers and True in the ``*_c`` masks (shown as "c").
    """
    name: str
    level: str
    area: str | None
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    note: np.ndarray              # (indicators,) the latest month's note ("" when none)
    value_c: np.ndarray
    numerator_c: np.ndarray
    denominator_c: np.ndarray

    def latest(self, i: int, back: int = 0) -> float | None:
        """The value of indicator ``i`` ``back`` months before the latest (None when blank)."""
        v = self.value[i, -1 - back]
        return None if np.isnan(v) else float(v)


@dataclass
class QualityRow:
    scope: str
    table: str
    severity: str
    rule: str
    column: str
    rows: int
    rows_not_used: int


@dataclass
class ChildRow:
    child: str
    district: str
    fact: str


@dataclass
class BookData:
    kind: str                      # "la", "area" or "district"
    name: str
    authority: str
    periods: list[dt.date]
    indicators: list[Meta]
    own: Series
    authority_series: Series | None           # on district and area books
    districts: list[Series]                   # the authority's or the area's; every district on
                                              # a district book (for its ranking)
    areas: list[Series]                       # on the authority's book
    bands: list[Bands | None]
    comparators: list[Comparator | None]
    comparator_note: str
    region_name: str | None
    quality: list[QualityRow]
    quality_note: str
    not_available: list[tuple[str, str]]      # (indicator title, reason) left off the scorecard
    suppress: int = 0
    child_lists: dict[str, list[ChildRow]] | None = None   # indicator id -> children
    generated: dt.datetime = field(default_factory=dt.datetime.now)
    version: str = ""
    policy: Policy = field(default_factory=Policy)
    pack: bool = False                          # part of a board pack (the appendix is shared)
    axis: list[tuple[float, float] | None] | None = None   # sparkline range per indicator (%)

    def rows(self, series: Series) -> list[Row]:
        """The scorecard rows (cpxl.reports) of one of this book's geographies."""
        cache = self.__dict__.setdefault("_rows", {})
        key = (series.level, series.name)
        if key not in cache:
            cache[key] = build_rows(self.indicators, series.value, series.numerator,
                                    series.denominator, self.bands, self.comparators, self.policy,
                                    series.value_c)
        return cache[key]

    @property
    def period_end(self) -> dt.date:
        return self.periods[-1]

    @property
    def title(self) -> str:
        """The geography as a reader names it: "Northshire", "North area", "Aldermoor"."""
        return f"{self.name} area" if self.kind == "area" else self.name

    def index(self, indicator_id: str) -> int | None:
        for i, m in enumerate(self.indicators):
            if m.id == indicator_id:
                return i
        return None
