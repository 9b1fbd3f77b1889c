"""Where each child belongs at each period end, the areas, and the population denominators.

A child belongs, at each D, to the district of the ``districts`` table, else of the HOME_POST
outward code on their latest non-V3/V4 episode starting on or before D (a blank HOME_POST there
means ``Unknown``), else ``Unknown``.  ``Unknown`` belongs to no area; the authority is everyone.
District names are matched without regard to case or surrounding spaces.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import codes
from .codes import outward_code
from .frames import days, latest_on_or_before

__all__ = ["UNKNOWN", "Geography", "outward_code"]

UNKNOWN = codes.UNKNOWN_DISTRICT


class Geography:
    def __init__(self, dataset, children: pd.Index, periods: pd.DatetimeIndex, episodes: pd.DataFrame,
                 district_cid: np.ndarray | None = None):
        self.authority = dataset.authority_name
        self.periods = periods
        tables = dataset.tables
        config = dataset.config
        canonical: dict[str, str] = {}

        def canon(names) -> list[str]:
            out = []
            for n in names:
                n = str(n).strip()
                if not n:
                    continue
                out.append(canonical.setdefault(n.casefold(), n))
            return out

        # Areas: the data first, else the configuration.
        area_of: dict[str, str] = {}
        if "areas" in tables:
            for d, a in zip(canon(tables["areas"]["DISTRICT"]), tables["areas"]["AREA"]):
                area_of[d] = a.strip()
        else:
            for area, ds in config.areas.items():
                for d in canon(ds):
                    area_of[d] = area
        ordered = list(area_of)
        for name, col in (("districts", "DISTRICT"), ("postcode_districts", "DISTRICT"),
                          ("workers", "DISTRICT")):
            if name in tables:
                ordered += sorted(set(canon(tables[name][col].unique())) - set(ordered))
        ordered += sorted(set(canon(config.districts)) - set(ordered))
        ordered = [d for d in dict.fromkeys(ordered) if d.casefold() != UNKNOWN.casefold()]
        self.districts = ordered + [UNKNOWN]
        self.areas = list(dict.fromkeys(a for a in area_of.values() if a))
        self._district_code = {d.casefold(): i for i, d in enumerate(self.districts)}
        self.unknown = len(self.districts) - 1
        self.area_index = np.array([self.areas.index(area_of[d]) if d in area_of and area_of[d] else -1
                                    for d in self.districts], dtype=np.int64)
        self._canon = canon
        self.matrix = self._child_districts(tables, children, episodes, district_cid)
        # Children in one district on every D (most: the districts table places them): a range
        # of periods can be added to their district at once.
        self.steady = (self.matrix == self.matrix[:, :1]).all(axis=1)

    def code(self, names: pd.Series) -> np.ndarray:
        """District codes for names (unknown names are ``Unknown``)."""
        # Each distinct name is coded once: a districts table has a row per child (1.5 million
        # rows at 20x the sample county), but only a handful of names.
        codes, uniques = pd.factorize(np.asarray(names, dtype=object), use_na_sentinel=False)
        coded = (pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip().str.casefold()
                 .map(self._district_code).fillna(self.unknown).to_numpy(dtype=np.int64))
        return coded[codes]

    def _child_districts(self, tables, children: pd.Index, episodes: pd.DataFrame,
                         district_cid: np.ndarray | None = None) -> np.ndarray:
        """(children x periods) district codes (``district_cid``: the districts rows' cids)."""
        n, P = len(children), len(self.periods)
        # The (children x periods) matrix holds small codes: int16 (a quarter of int64's memory)
        # for any authority's districts.
        small = np.int16 if len(self.districts) < (1 << 15) else np.int32
        base: np.ndarray = np.full(n, -1, dtype=small)
        if "districts" in tables:
            d = tables["districts"]
            cid = children.get_indexer(d["CHILD"]) if district_cid is None else district_cid
            base[cid] = self.code(d["DISTRICT"])      # the last row for a child wins
        matrix = np.repeat(base[:, None], P, axis=1)
        todo = np.flatnonzero(base < 0)
        if len(todo) == 0:
            return matrix
        matrix[todo] = self.unknown
        if "HOME_POST" not in episodes.columns or "postcode_districts" not in tables or episodes.empty:
            return matrix
        pc = tables["postcode_districts"]
        pc_map = dict(zip(outward_code(pc["OUTWARD_CODE"]), self.code(pc["DISTRICT"])))
        # Each distinct HOME_POST is looked up once, then spread over its episodes.
        hp_codes, hp = pd.factorize(episodes["HOME_POST"].to_numpy(dtype=object), use_na_sentinel=False)
        hp = pd.Series(np.asarray(hp, dtype=object))
        # np.array (a copy): under pandas copy-on-write ``to_numpy`` may hand back a read-only
        # view (it did whenever every HOME_POST had a district), and the next line writes to it.
        hp_code = np.array(outward_code(hp).map(pc_map).fillna(self.unknown), dtype=np.int64)
        hp_code[(hp.astype(str).str.strip() == "").to_numpy()] = self.unknown
        ep_code = hp_code[hp_codes]
        q_cid = np.repeat(todo, P)
        q_p = np.tile(np.arange(P), len(todo))
        idx = latest_on_or_before(episodes["cid"].to_numpy(), days(episodes["DECOM"]), q_cid,
                                  days(self.periods)[q_p])
        found = idx >= 0
        matrix[q_cid[found], q_p[found]] = ep_code[idx[found]]
        return matrix

    def population(self, population: pd.DataFrame | None) -> np.ndarray:
        """Population aged 0-17 per (period, geography column) for la, areas, districts.

        Columns are ordered [authority, areas..., districts...]; NaN where none is known.  For a
        period end D in year Y:

        - a district's population is its row for the latest year <= Y;
        - an area's (or the authority's) is its own row for Y; where it has no row for Y, the sum
          of its districts' populations for Y (each district's latest year <= Y, as above) when
          every one of its districts has one (Unknown, which is in no area and has no population,
          is left out of the authority's sum); failing both, its own row for the latest year
          <= Y.  A partial sum over the districts that happen to have a figure is not "the sum of
          its districts" and would overstate the rate, so it is never used.
        """
        n_a, n_d = len(self.areas), len(self.districts)
        G = 1 + n_a + n_d
        out = np.full((len(self.periods), G), np.nan)
        if population is None or population.empty:
            return out
        pop = population.dropna(subset=["YEAR", "POPULATION_0_17"])
        names = pop["GEOGRAPHY"].astype(str).str.strip().str.casefold()
        col = {self.authority.casefold(): 0}
        col.update({a.casefold(): 1 + i for i, a in enumerate(self.areas)})
        col.update({d.casefold(): 1 + n_a + i for i, d in enumerate(self.districts)})
        table = (pd.DataFrame({"col": names.map(col), "year": pop["YEAR"].astype(int),
                               "pop": pop["POPULATION_0_17"]})
                 .dropna(subset=["col"]).astype({"col": int})
                 .groupby(["year", "col"])["pop"].sum().unstack("col"))
        if table.empty:
            # No row names a geography of this run (e.g. only other districts' names): no
            # population anywhere (and the year list below would be empty).
            return out
        table = table.reindex(columns=range(G))
        years = self.periods.year.to_numpy()
        table_years = table.index.to_numpy()
        own = table.to_numpy(dtype=float)                       # (table years, G)
        # Each geography's own figure for the latest year <= Y (forward-filled over the years).
        latest = table.ffill().to_numpy(dtype=float)
        pos = np.searchsorted(table_years, years, side="right") - 1
        ok = pos >= 0
        own_latest = np.full((len(years), G), np.nan)
        own_latest[ok] = latest[pos[ok]]
        # Its own row for exactly Y.
        exact = np.full((len(years), G), np.nan)
        hit = ok & (table_years[np.maximum(pos, 0)] == years)
        exact[hit] = own[pos[hit]]
        district = own_latest[:, 1 + n_a:]
        out[:, 1 + n_a:] = district
        # Membership matrix (districts x [authority, areas]); Unknown is in neither.
        member = np.zeros((n_d, 1 + n_a))
        member[:self.unknown, 0] = 1.0
        has_area = self.area_index >= 0
        member[np.flatnonzero(has_area), 1 + self.area_index[has_area]] = 1.0
        summed = np.nan_to_num(district) @ member
        complete = (np.isnan(district).astype(float) @ member == 0) & (member.sum(axis=0) > 0)
        derived = np.where(complete, summed, np.nan)
        upper = exact[:, :1 + n_a]
        upper = np.where(np.isnan(upper), derived, upper)
        out[:, :1 + n_a] = np.where(np.isnan(upper), own_latest[:, :1 + n_a], upper)
        return out
