"""The configuration: ``cpxl.toml`` beside the data, or named with ``--config``.

Everything has a default, so a folder of extracts runs with no configuration at all::

    [authority]
    name = "Northshire"        # the authority's name in outputs (default: inferred from the
                               # population table, else "Local authority")
    la_code = 888              # DfE LA code, picks the published comparators

    [areas]                    # used when the data has no areas table
    North = ["Aldermoor", "Brackenfold"]

    [indicators]
    visit_interval_days = 42   # statutory visits: a visit within this many days up to D

    [thresholds.visits_in_time_pct]   # RAG bands (see README); default: against England
    green = 90
    amber = 80

Values are checked as the file is read (docs/reliability.md, "Configuration limits"): la_code
100-999; names 1-100 characters; a district under one area, Unknown under none; thresholds
finite, percentages 0-100, others 0-1,000,000; at most MAX_DEPTH levels of nesting.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CpxlError

CONFIG_NAME = "cpxl.toml"
DEFAULT_VISIT_INTERVAL_DAYS = 42
# Limits (docs/reliability.md, "Configuration limits").
MAX_CONFIG_CHARS = 1_000_000
MAX_DEPTH = 4                 # [thresholds.id] green = 90 is 2; [areas] North = ["A"] is 2
MAX_NAME = 100                # an authority, area or district name
MAX_THRESHOLD = 1_000_000     # any threshold: rates per 10,000 and days are far below it
THRESHOLD_KEYS = ("green", "amber", "target")


@dataclass
class Config:
    authority_name: str | None = None
    la_code: int | None = None
    areas: dict[str, list[str]] = field(default_factory=dict)
    districts: list[str] = field(default_factory=list)
    visit_interval_days: int = DEFAULT_VISIT_INTERVAL_DAYS
    thresholds: dict[str, dict] = field(default_factory=dict)
    path: Path | None = None
    raw: dict = field(default_factory=dict)


def find_config(data_path: Path) -> Path | None:
    data_path = Path(data_path)
    folder = data_path if data_path.is_dir() else data_path.parent
    candidate = folder / CONFIG_NAME
    try:
        return candidate if candidate.is_file() else None
    except OSError:        # a folder that cannot be entered: the reader says so, naming it
        return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    path = Path(path)
    if not path.is_file():
        raise CpxlError(f"{path}: configuration file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise CpxlError(f"{path.name}: not valid TOML (not UTF-8 text: {e})") from None
    except PermissionError:
        raise CpxlError(f"{path}: the configuration cannot be read (permission denied); ask for "
                        "read access to it, or copy it somewhere you can read") from None
    except OSError as e:
        raise CpxlError(f"{path}: the configuration cannot be read "
                        f"({e.strerror or type(e).__name__})") from None
    if len(text) > MAX_CONFIG_CHARS:
        raise CpxlError(f"{path.name}: is {len(text):,} characters long; a cpxl.toml is a page or "
                        f"two (at most {MAX_CONFIG_CHARS:,} characters). Is it the right file?")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CpxlError(f"{path.name}: not valid TOML ({e})") from None
    except RecursionError:
        raise CpxlError(f"{path.name}: not a cpxl configuration: its tables or lists are nested "
                        "too deeply to read (a cpxl.toml nests at most 2 levels, e.g. "
                        "[thresholds.visits_in_time_pct])") from None
    depth = _depth(raw)
    if depth > MAX_DEPTH:
        raise CpxlError(f"{path.name}: not a cpxl configuration: its tables or lists are nested "
                        f"{depth} levels deep (a cpxl.toml nests at most {MAX_DEPTH}, e.g. "
                        "[thresholds.visits_in_time_pct] green = 90)")
    authority = raw.get("authority", {})
    if not isinstance(authority, dict):
        authority = {"name": authority}
    name = authority.get("name", raw.get("authority_name", raw.get("name")))
    la_code = authority.get("la_code", raw.get("la_code"))
    if la_code not in (None, ""):
        try:
            la_code = int(str(la_code).strip())
        except ValueError:
            raise CpxlError(f"{path.name}: [authority] la_code must be the DfE LA number, e.g. 888; "
                            f"got '{la_code}'") from None
        if not 100 <= la_code <= 999:
            raise CpxlError(f"{path.name}: [authority] la_code must be the 3-digit DfE LA number "
                            f"(100-999), e.g. 888; got {_short(la_code)}")
    else:
        la_code = None
    if name is not None and not isinstance(name, (str, int)) or len(str(name or "")) > MAX_NAME:
        raise CpxlError(f"{path.name}: [authority] name must be text of at most {MAX_NAME} "
                        f"characters; got {_short(name)}")
    areas = raw.get("areas", {})
    if not isinstance(areas, dict) or not all(isinstance(v, list) for v in areas.values()):
        raise CpxlError(f"{path.name}: [areas] must map each area to a list of districts, e.g. "
                        'North = ["Aldermoor", "Brackenfold"]')
    _check_areas(areas, path.name)
    indicators = raw.get("indicators", {})
    if not isinstance(indicators, dict):          # e.g. "indicators = 5": was an AttributeError
        raise CpxlError(f"{path.name}: [indicators] must be a table, e.g. [indicators] then "
                        "visit_interval_days = 42 on the next line")
    interval = indicators.get("visit_interval_days", raw.get("visit_interval_days",
                                                             DEFAULT_VISIT_INTERVAL_DAYS))
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 366:
        raise CpxlError(f"{path.name}: visit_interval_days must be a whole number of days (1-366); "
                        f"got {interval!r}")
    thresholds = raw.get("thresholds", {})
    if not isinstance(thresholds, dict):
        raise CpxlError(f"{path.name}: [thresholds] must be tables per indicator")
    districts = raw.get("districts", [])
    if isinstance(districts, dict):
        districts = districts.get("names", [])
    if not isinstance(districts, list):           # e.g. "districts = 5": was a TypeError
        raise CpxlError(f"{path.name}: districts must be a list of names, e.g. "
                        'districts = ["Aldermoor", "Brackenfold"]')
    if not all(isinstance(d, (str, int)) and len(str(d)) <= MAX_NAME for d in districts):
        raise CpxlError(f"{path.name}: districts must be a list of names (text, at most "
                        f"{MAX_NAME} characters each)")
    districts = [str(d) for d in districts]
    for key, table in thresholds.items():
        if isinstance(table, dict):
            check_threshold_numbers(key, table, path.name)
    return Config(authority_name=str(name) if name else None, la_code=la_code,
                  areas={str(k): [str(d) for d in v] for k, v in areas.items()},
                  districts=districts, visit_interval_days=interval, thresholds=thresholds,
                  path=path, raw=raw)


def _depth(value, level: int = 0) -> int:
    """How deeply tables and lists nest (tomllib has read it, so the depth is modest)."""
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _short(value, n: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= n else text[:n] + "..."


def _check_areas(areas: dict, where: str) -> None:
    """Each district in one area only; Unknown (the district of children with none) in none."""
    from .tables import UNKNOWN_DISTRICT as UNKNOWN

    seen: dict[str, str] = {}
    for area, districts in areas.items():
        if not str(area).strip() or len(str(area)) > MAX_NAME:
            raise CpxlError(f"{where}: [areas] an area's name must be 1 to {MAX_NAME} characters; "
                            f"got {_short(area)}")
        for d in districts:
            if not isinstance(d, (str, int)) or not str(d).strip() or len(str(d)) > MAX_NAME:
                raise CpxlError(f"{where}: [areas] {area}: each district must be a name of 1 to "
                                f"{MAX_NAME} characters; got {_short(d)}")
            key = str(d).strip().casefold()
            if key == UNKNOWN.casefold():
                raise CpxlError(f"{where}: [areas] {area} lists {UNKNOWN}: {UNKNOWN} is where "
                                "children with no known district are counted, and belongs to no "
                                f"area; remove it from {area}")
            if key in seen and seen[key] != area:
                raise CpxlError(f"{where}: [areas] district {str(d).strip()} is listed under both "
                                f"{seen[key]} and {area}; a district belongs to one area: remove "
                                "it from one of them")
            seen[key] = area


def check_threshold_numbers(indicator_id: str, table: dict, where: str = CONFIG_NAME) -> None:
    """[thresholds.<id>] green/amber/target: finite numbers, 0-100 for a percentage, never
    negative, at most MAX_THRESHOLD (RAG bands are compared with the indicator's values)."""
    import math

    from .catalogue import CATALOGUE     # here, not at the top: the catalogue reads the config

    unit = CATALOGUE[indicator_id].unit if indicator_id in CATALOGUE else None
    for key in THRESHOLD_KEYS:
        if key not in table:
            continue
        v = table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue                     # not a number at all: rag.check_thresholds says so
        what = f"{where}: [thresholds.{indicator_id}] {key}"
        if isinstance(v, float) and not math.isfinite(v):
            raise CpxlError(f"{what} must be a finite number; got {v}")
        if unit == "%" and not 0 <= v <= 100:
            raise CpxlError(f"{what} is a percentage, so it must be from 0 to 100; got "
                            f"{_short(v, 24)}")
        if not 0 <= v <= MAX_THRESHOLD:
            raise CpxlError(f"{what} must be from 0 to {MAX_THRESHOLD:,} (the indicator's "
                            f"{unit or 'unit'}); got {_short(v, 24)}")
