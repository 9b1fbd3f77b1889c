"""From the long indicator table (computed once) to one :class:`BookData` per workbook.

The table is turned into arrays ``[geography, indicator, month]`` in one vectorised step; each
geography's :class:`Series` (suppressed if asked) is made once and shared by the books that show
it.  Indicator metadata, bands and comparators are worked out once for the batch.
"""
from __future__ import annotations

import datetime as dt
from difflib import get_close_matches

import numpy as np
import pandas as pd

from .. import __version__
from ..catalogue import CATALOGUE
from ..errors import CpxlError, Used
from ..geography import UNKNOWN
from ..rag import check_thresholds
from ..reports.plain import printed_title
from ..reports.policy import Policy
from ..reports.published import comparator_table
from ..reports.rows import NOT_AVAILABLE, scorecard_indicators  # noqa: F401
from ..reports.rows import thresholds as make_thresholds
from . import suppress as sup
from .model import BookData, Meta, QualityRow, Series

def meta(ind) -> Meta:
    return Meta(ind.id, printed_title(ind.id, ind.title), ind.unit, ind.kind, ind.polarity, ind.theme, ind.definition,
                ind.headline, ind.lait or "")


def check_config_thresholds(config) -> None:
    """Every ``[thresholds.<id>]`` names an indicator and has sensible numbers."""
    Policy.from_config(config)                    # [scorecard], checked before any work
    where = config.path.name if config.path else "cpxl.toml"
    for key, table in (config.thresholds or {}).items():
        if key not in CATALOGUE:
            close = get_close_matches(key, list(CATALOGUE), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else " ('cpxl list' shows the ids)"
            raise CpxlError(f"{where}: [thresholds.{key}] names no indicator{hint}")
        if not isinstance(table, dict):
            raise CpxlError(f"{where}: [thresholds.{key}] must be a table, e.g. green = 90 and "
                            "amber = 80 on the lines below it")
        check_thresholds(CATALOGUE[key], table, where)


class Cube:
    """The long table as arrays [geography, indicator, month] for value, numerator, denominator."""

    def __init__(self, table: pd.DataFrame, ids: list[str]):
        keys = table["level"].astype(str) + "\x1f" + table["geography"].astype(str)
        self.keys = list(dict.fromkeys(keys))
        self.level = {k: k.split("\x1f", 1)[0] for k in self.keys}
        self.periods = sorted(table["period_end"].astype(str).unique())
        g = pd.Index(self.keys).get_indexer(keys)
        i = pd.Index(ids).get_indexer(table["indicator"])
        p = pd.Index(self.periods).get_indexer(table["period_end"].astype(str))
        keep = i >= 0
        g, i, p = g[keep], i[keep], p[keep]
        shape = (len(self.keys), len(ids), len(self.periods))
        self.arrays = {}
        for col in ("value", "numerator", "denominator"):
            a = np.full(shape, np.nan)
            a[g, i, p] = pd.to_numeric(table[col], errors="coerce").to_numpy(float)[keep]
            self.arrays[col] = a
        note = np.full(shape[:2], "", dtype=object)
        last = p == len(self.periods) - 1
        note[g[last], i[last]] = table["note"].fillna("").astype(str).to_numpy(object)[keep][last]
        self.note = note

    def key(self, level: str, name: str) -> int:
        return self.keys.index(f"{level}\x1f{name}")

    def has_children(self, k: int) -> bool:
        num, den = self.arrays["numerator"][k], self.arrays["denominator"][k]
        return bool(np.nansum(np.abs(num)) > 0 or np.nansum(np.abs(den)) > 0)

    def series(self, k: int, kinds: list[str], n: int, area: str | None = None) -> Series:
        level, name = self.keys[k].split("\x1f", 1)
        v, num, den, vc, nc, dc = sup.apply(kinds, self.arrays["value"][k],
                                           self.arrays["numerator"][k],
                                           self.arrays["denominator"][k], n)
        extra = getattr(self, "secondary", None)
        if extra is not None:             # cells that would give a suppressed one away
            more = extra[k] & ~vc
            vc, nc = vc | more, nc | more
            v[more] = np.nan
            num[more] = np.nan
        return Series(name, level, area, v, num, den, self.note[k], vc, nc, dc)

    def add_secondary(self, ids: list[str], kinds: list[str], n: int, geo) -> None:
        """Secondary suppression across geographies and complementary indicators."""
        if n <= 0:
            return
        num, den = self.arrays["numerator"], self.arrays["denominator"]
        value_c = np.zeros(num.shape, dtype=bool)
        for i, kind in enumerate(kinds):
            value_c[:, i, :] = sup.masks(kind, num[:, i, :], den[:, i, :], n)[0]
        index = {key: k for k, key in enumerate(self.keys)}

        def key(level, name):
            return index.get(f"{level}\x1f{name}")
        parents = []
        area_of = {d: (geo.areas[a] if a >= 0 else None) for d, a in zip(geo.districts,
                                                                          geo.area_index)}
        for a in geo.areas:
            parts = [key("district", d) for d, x in area_of.items() if x == a]
            parents.append((key("area", a), [p for p in parts if p is not None]))
        top = [key("area", a) for a in geo.areas] + [key("district", d)
                                                     for d, x in area_of.items() if x is None]
        parents.append((key("la", geo.authority), [p for p in top if p is not None]))
        parents = [(w, p) for w, p in parents if w is not None]
        self.secondary = sup.secondary(ids, kinds, value_c, num, parents)


def sparkline_axes(cube: Cube, metas: list[Meta]) -> list[tuple[float, float] | None]:
    """One range per percentage for the sparklines of every book: from below the lowest to the
    highest value of any geography in any month, to the nearest 10 points, so that bars compare
    across rows and books and the lowest month still shows."""
    out: list[tuple[float, float] | None] = []
    values = cube.arrays["value"]
    for i, m in enumerate(metas):
        v = values[:, i, :]
        if m.unit != "%" or not np.isfinite(v).any():
            out.append(None)
            continue
        lo = max(0.0, np.floor((np.nanmin(v) - 1) / 10) * 10)
        hi = min(100.0, np.ceil(np.nanmax(v) / 10) * 10)
        out.append((float(lo), float(max(hi, lo + 10))))
    return out


def quality_rows(report: pd.DataFrame, child_district: dict[str, str]) -> pd.DataFrame:
    """The validation report counted by (district or whole extract, table, severity, rule, column)."""
    if report.empty:
        return pd.DataFrame(columns=["district", "table", "severity", "rule", "column", "rows",
                                     "rows_not_used"])
    rep = report.copy()
    rep["district"] = rep["child"].astype(str).map(child_district).fillna("")
    rep["not_used"] = Used.not_used(rep["used"])
    return (rep.groupby(["district", "table", "severity", "rule", "column"], sort=True)
            .agg(rows=("problem", "size"), rows_not_used=("not_used", "sum")).reset_index())


def quality_for(counts: pd.DataFrame, districts: set[str] | None, scope: str) -> list[QualityRow]:
    """Rows for one book: its children's problems (all of them for the authority) and the
    extract-wide ones."""
    if counts.empty:
        return []
    linked = counts["district"] != ""
    mine = counts.loc[linked] if districts is None else counts.loc[linked & counts["district"].isin(
        districts)]
    out = []
    for label, part in ((scope, mine), ("whole extract", counts.loc[~linked])):
        if part.empty:
            continue
        agg = part.groupby(["table", "severity", "rule", "column"], sort=True)[
            ["rows", "rows_not_used"]].sum().reset_index()
        out += [QualityRow(label, r.table, r.severity, r.rule, r.column, int(r.rows),
                           int(r.rows_not_used)) for r in agg.itertuples()]
    return out


def plan_books(dataset, table: pd.DataFrame, geo, *, suppress: int = 0, only=None,
               generated: dt.datetime | None = None, child_district: dict[str, str] | None = None
               ) -> list[BookData]:
    """One BookData per workbook: the authority, each area, each district (``only``: by name)."""
    indicators, missing = scorecard_indicators(table)
    metas = [meta(ind) for ind in indicators]
    kinds = [m.kind for m in metas]
    ids = [m.id for m in metas]
    cube = Cube(table, ids)
    config = dataset.config
    policy = Policy.from_config(config)
    comps, comp_note, region = comparator_table(config.la_code, indicators, policy)
    bands = make_thresholds(indicators, config.thresholds, comps)
    periods = [dt.date.fromisoformat(p) for p in cube.periods]
    if len(periods) < 2:
        raise CpxlError("scorecards need at least 2 months (--months 2 or more) to show a change")
    generated = generated or dt.datetime.now().replace(microsecond=0)

    area_of = {d: (geo.areas[a] if a >= 0 else None) for d, a in zip(geo.districts, geo.area_index)}
    cube.add_secondary(ids, kinds, suppress, geo)
    la_key = cube.key("la", geo.authority)
    la = cube.series(la_key, kinds, suppress)
    areas = {a: cube.series(cube.key("area", a), kinds, suppress) for a in geo.areas}
    districts = {}
    for d in geo.districts:
        k = cube.key("district", d)
        if d == UNKNOWN and not cube.has_children(k):
            continue                      # every child has a district: Unknown is left out
        districts[d] = cube.series(k, kinds, suppress, area=area_of[d])
    for a, s in areas.items():
        s.area = a

    counts = quality_rows(dataset.report(), child_district or {})

    def qnote(title):
        if not dataset.problems:
            return "The validation found no problems in the extract."
        return (f"The extract has {len(dataset.problems):,} validation warning(s). Counted "
                f"here: those about children in {title} at the period end, and those about the "
                "whole extract. 'cpxl validate' writes the row-by-row report (it holds personal "
                "data).")

    common = dict(authority=geo.authority, periods=periods, indicators=metas, bands=bands,
                  axis=sparkline_axes(cube, metas),
                  comparators=comps, comparator_note=comp_note, region_name=region,
                  not_available=missing, suppress=suppress, generated=generated,
                  version=__version__, policy=policy)
    books = [BookData(kind="la", name=geo.authority, own=la, authority_series=None,
                      districts=list(districts.values()), areas=list(areas.values()),
                      quality=quality_for(counts, None, "children in the authority"),
                      quality_note=qnote(geo.authority), **common)]
    for a, s in areas.items():
        members = [d for d in districts.values() if d.area == a]
        books.append(BookData(kind="area", name=a, own=s, authority_series=la, districts=members,
                              areas=[], quality=quality_for(counts, {d.name for d in members},
                                                            f"children in {a} area"),
                              quality_note=qnote(f"{a} area"), **common))
    for d, s in districts.items():
        if d == UNKNOWN and not any(n.strip().casefold() == UNKNOWN.casefold() for n in only or ()):
            continue     # children with no district: on the authority's book, a book only if named
        books.append(BookData(kind="district", name=d, own=s, authority_series=la,
                              districts=list(districts.values()), areas=[],
                              quality=quality_for(counts, {d}, f"children in {d}"),
                              quality_note=qnote(d), **common))
    if only:                  # names checked beforehand with check_names()
        books = _only(books, only)
    return books


def check_names(names: list[str], geo) -> None:
    """Fail early, before any computing, on a --districts name that is no geography."""
    known = [geo.authority, *geo.areas, *geo.districts]
    folded = {k.casefold() for k in known}
    unknown = [n.strip() for n in names if n.strip() and n.strip().casefold() not in folded]
    if unknown:
        hints = []
        for u in unknown:
            close = get_close_matches(u, known, n=1)
            hints.append(f"'{u}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        real = [d for d in geo.districts if d != UNKNOWN]
        raise CpxlError(f"--districts: no district or area called {', '.join(hints)}. The districts "
                        f"are: {', '.join(real)}; the areas: {', '.join(geo.areas) or 'none'}")


def _only(books: list[BookData], names: list[str]) -> list[BookData]:
    """The books named (districts, areas or the authority), ignoring case."""
    wanted = {n.strip().casefold() for n in names if n.strip()}
    return [b for b in books if b.name.casefold() in wanted]
