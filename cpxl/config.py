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
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CpxlError

CONFIG_NAME = "cpxl.toml"
DEFAULT_VISIT_INTERVAL_DAYS = 42


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
    return candidate if candidate.is_file() else None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    path = Path(path)
    if not path.is_file():
        raise CpxlError(f"{path}: configuration file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CpxlError(f"{path.name}: not valid TOML ({e})") from None
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
    else:
        la_code = None
    areas = raw.get("areas", {})
    if not isinstance(areas, dict) or not all(isinstance(v, list) for v in areas.values()):
        raise CpxlError(f"{path.name}: [areas] must map each area to a list of districts, e.g. "
                        'North = ["Aldermoor", "Brackenfold"]')
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
    districts = [str(d) for d in districts]
    return Config(authority_name=str(name) if name else None, la_code=la_code,
                  areas={str(k): [str(d) for d in v] for k, v in areas.items()},
                  districts=districts, visit_interval_days=interval, thresholds=thresholds,
                  path=path, raw=raw)
