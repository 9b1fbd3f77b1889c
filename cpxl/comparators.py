"""Published comparators for cpxl indicators (England, region, statistical neighbours).

The figures ship inside the package as ``cpxl/data/comparators.csv`` with
``cpxl/data/comparators_meta.json`` beside it; both are built from the DfE's published
statistics by ``scripts/build_comparators.py`` (see the JSON for sources, years, method and
licence: Open Government Licence v3.0 data, MIT-licensed source files).

    >>> from cpxl.comparators import comparator, quartile, source_note
    >>> comparator("stability_3plus_pct", "England", 888)
    10.0
    >>> quartile("stability_3plus_pct", "888")
    'A'

Local authorities are identified by their old 3-digit DfE code (``888`` or ``"888"``).
An indicator with no published equivalent has no row: its comparators are ``None``.
Errors are ``ValueError`` with a message meant for the user.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = [
    "authorities",
    "comparator",
    "comparators",
    "indicator_info",
    "indicators",
    "neighbour_values",
    "quartile",
    "source_note",
]

_CSV = "comparators.csv"
_META = "comparators_meta.json"
_GROUPS = "neighbour_groups.csv"

#: which= values accepted by comparator(), lower-cased, to the column they read
_WHICH = {"england": "england", "region": "region", "neighbours": "neighbours", "la": "la_value"}

_COLUMNS = ["indicator", "la_code", "la_name", "region_name", "year", "la_value", "england",
            "region", "neighbours", "quartile", "n_neighbours"]


def _data_file(name: str):
    return resources.files(__package__ or "cpxl").joinpath("data", name)


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    with _data_file(_CSV).open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"la_code": str, "la_name": str, "region_name": str,
                                    "indicator": str, "quartile": str})
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:  # pragma: no cover - a broken build
        raise ValueError(f"The shipped comparators table lacks columns {missing}; "
                         "rebuild it with scripts/build_comparators.py.")
    df["la_code"] = df["la_code"].str.strip()
    for col in ("la_value", "england", "region", "neighbours"):
        df[col] = df[col].astype("float64")
    return df[_COLUMNS]


@lru_cache(maxsize=1)
def _meta() -> dict:
    with _data_file(_META).open("r", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _by_la() -> dict[str, pd.DataFrame]:
    return {code: rows.reset_index(drop=True) for code, rows in _table().groupby("la_code", sort=False)}


def _code(la_code) -> str:
    """An old 3-digit DfE LA code as the table's string; ValueError when unknown."""
    if isinstance(la_code, bool) or la_code is None:
        code = None
    elif isinstance(la_code, int):
        code = str(la_code)
    elif isinstance(la_code, float) and la_code.is_integer():
        code = str(int(la_code))
    elif isinstance(la_code, str) and la_code.strip().isdigit():
        code = str(int(la_code.strip()))
    else:
        try:  # numpy integers and the like
            code = str(int(la_code)) if int(la_code) == la_code else None
        except (TypeError, ValueError):
            code = None
    if code is None or code not in _by_la():
        example = _by_la().get("888")
        hint = (f" such as 888 ({example['la_name'].iloc[0]})" if example is not None else "")
        raise ValueError(
            f"Unknown local authority code {la_code!r}: expected the old 3-digit DfE code "
            f"of an English local authority{hint}. cpxl.comparators.authorities() lists "
            f"the {len(_by_la())} known codes.")
    return code


def _row(indicator: str, la_code) -> pd.Series | None:
    rows = _by_la()[_code(la_code)]
    hit = rows[rows["indicator"] == indicator]
    return None if hit.empty else hit.iloc[0]


def _float(value) -> float | None:
    return None if pd.isna(value) else float(value)


def authorities() -> pd.DataFrame:
    """Every authority with comparators: la_code, la_name, region_name."""
    return (_table()[["la_code", "la_name", "region_name"]]
            .drop_duplicates("la_code").reset_index(drop=True))


def indicators() -> list[str]:
    """The cpxl indicator ids that have a published comparator, in table order."""
    return list(dict.fromkeys(_table()["indicator"]))


def comparators(la_code: int | str) -> pd.DataFrame:
    """One row per indicator for the authority: indicator, la_code, la_name, region_name,
    year, la_value, england, region, neighbours, quartile, n_neighbours (a copy)."""
    return _by_la()[_code(la_code)].copy()


def comparator(indicator: str, which: str, la_code) -> float | None:
    """The published value of ``indicator`` for the authority (``which="LA"``), England,
    its region or the mean of its statistical neighbours (``"Neighbours"``); ``which`` is
    case-insensitive. None where nothing is published (suppressed, or no equivalent)."""
    key = str(which).strip().casefold() if isinstance(which, str) else None
    if key not in _WHICH:
        raise ValueError(f"Unknown comparator {which!r}: use one of England, Region, "
                         "Neighbours or LA.")
    row = _row(indicator, la_code)
    return None if row is None else _float(row[_WHICH[key]])


def quartile(indicator: str, la_code) -> str | None:
    """The authority's LAIT-style quartile band, "A" (best) to "D" (worst); None where the
    indicator has no polarity (neither), no published equivalent, or no value."""
    row = _row(indicator, la_code)
    if row is None or pd.isna(row["quartile"]):
        return None
    return str(row["quartile"])


def indicator_info(indicator: str) -> dict | None:
    """The metadata recorded for ``indicator`` (source, year, period, polarity, match
    and notes), or None when it has no published comparator."""
    info = _meta()["indicators"].get(indicator)
    return None if info is None else json.loads(json.dumps(info))


def source_note(indicator: str) -> str:
    """A one-line attribution for ``indicator``'s comparators, e.g. "DfE, Children looked
    after in England including adoptions 2025 (year ending 31 March 2025), LA value;
    neighbours: 2025 statistical neighbour groups"."""
    meta = _meta()
    info = meta["indicators"].get(indicator)
    if info is None:
        reason = meta.get("not_mapped", {}).get(indicator)
        return ("No published comparator" + (f": {reason}" if reason else "."))
    via = (f" via LAIT ({info['lait_measure_short']})"
           if info["source"]["file"].endswith(".parquet") else "")
    note = f"{info['publication']} {info['year']} ({info['period']}), LA value{via}; " \
           "neighbours: 2025 statistical neighbour groups"
    if info["match"] != "exact" and info.get("note"):
        label = "Caveat" if info["match"] == "partial" else "Definition differs"
        note += f". {label}: {info['note']}"
    return note


@lru_cache(maxsize=1)
def _groups() -> pd.DataFrame:
    with _data_file(_GROUPS).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"la_code": str, "neighbour": str})


def neighbour_values(la_code, method: str = "mean", group: int = 2025) -> dict[str, float]:
    """Per indicator, the ``method`` ("mean" or "median") of the published values of the
    authority's 10 statistical neighbours in the DfE's ``group`` (2025 or 2021) groupings, over
    those with a value (the mean of the 2025 groups is the ``neighbours`` column)."""
    if method not in ("mean", "median") or group not in (2021, 2025):
        raise ValueError(f"neighbours: method is mean or median and the groups 2025 or 2021; "
                         f"got {method!r}, {group!r}")
    code = _code(la_code)
    g = _groups()
    mine = g.loc[(g["set"] == group) & (g["la_code"] == code), "neighbour"].tolist()
    t = _table()
    values = t.loc[t["la_code"].isin(mine)].groupby("indicator")["la_value"]
    return {k: float(v) for k, v in getattr(values, method)().items() if pd.notna(v)}
