r"""What the worksheet functions compute, in plain Python (no xlwings here).

Each public function takes the cell's arguments as xlwings hands them over (strings, floats,
datetimes, Excel serial numbers, None for an omitted or blank argument) and a :class:`Settings`
(the calling workbook's ``cpxl.conf`` sheet and where the workbook is).  It returns a number, a
string or a 2-D list (a header row and rows) for Excel to show, and raises
:class:`~cpxl.errors.CpxlError`, ``ValueError`` or ``KeyError`` with a message for a person;
:func:`error_text` turns any exception into the text the cell shows ("cpxl: ...").

The data is resolved as: the ``source`` argument, else the ``DATA_SOURCE`` setting, else the
``CPXL_DATA_SOURCE`` environment variable (for scripts and tests).  A relative path is relative
to the calling workbook's folder.  Settings are looked up, first non-blank value winning, in the
places xlwings itself reads the add-in's settings from: the workbook's ``cpxl.conf`` sheet, the
add-in's ``cpxl.conf`` sheet, a ``cpxl.conf`` file beside the workbook, then
``%USERPROFILE%\.cpxl\cpxl.conf`` (files in xlwings' format: ``"KEY","value"`` per line).

The ribbon runs in its own Python process (xlwings' RunPython) unless the add-in sets
``USE UDF SERVER``; the worksheet functions run in xlwings' UDF server.  So that Refresh reaches
the functions' cache either way, :func:`clear_cache` also touches a token file that every
process checks (:func:`cpxl.xl.cache.refresh_token`).
"""
from __future__ import annotations

import datetime as dt
import difflib
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CpxlError
from .cache import CACHE, DataCache, Month, SourceSpec, month_key

log = logging.getLogger("cpxl.xl")

#: The sheet of an analyst's workbook that holds its cpxl settings (column A key, column B value,
#: from A1 down without gaps - the layout xlwings' own ``<name>.conf`` sheets use, so the add-in's
#: xlwings settings such as INTERPRETER_WIN may share it).
CONF_SHEET = "cpxl.conf"
#: The add-in's file name (its own cpxl.conf sheet is the second place settings are read from).
ADDIN_BOOK = "cpxl.xlam"
ENV_SOURCE = "CPXL_DATA_SOURCE"
#: Settings files, in xlwings' format, beside the workbook and in the user's profile.
CONF_FILE = "cpxl.conf"
USER_CONF = Path("~") / ".cpxl" / CONF_FILE
#: The settings cpxl reads, with what the Settings button writes beside them.
SETTINGS_HELP = {
    "DATA_SOURCE": "Folder of CSV extracts, or a workbook, with the SSDA903 and local tables. "
                   "A relative path is relative to this workbook's folder.",
    "CONFIG_FILE": "Optional: the cpxl.toml to use (default: cpxl.toml beside the data).",
    "PERIOD_END": "Optional: the period end for Insert scorecard and district scorecards "
                  "(default: the last month end of the data).",
    "GEOGRAPHY": "Optional: the district or area for Insert scorecard (default: the authority).",
    "LA_CODE": "Optional: the DfE LA code for comparators (default: la_code in cpxl.toml).",
}
MAX_SERIES_MONTHS = 240
WHICH = {"england": "England", "region": "Region", "neighbours": "Neighbours",
         "neighbors": "Neighbours", "statistical neighbours": "Neighbours", "la": "LA"}


# --- settings and sources ---------------------------------------------------------------------

@dataclass
class Settings:
    """The calling workbook's cpxl.conf settings (upper-case keys) and its path, if known."""
    values: dict[str, str] = field(default_factory=dict)
    book_path: Path | None = None

    @classmethod
    def from_pairs(cls, pairs, book_path=None) -> "Settings":
        """From the cpxl.conf sheet's rows ``[[key, value], ...]`` (or a dict)."""
        values = {}
        if isinstance(pairs, dict):
            items = list(pairs.items())
        else:
            items = []
            for r in pairs or []:
                r = list(r) if isinstance(r, (list, tuple)) else [r]
                key = r[0] if r else None
                if key is None or str(key).strip() == "":
                    break   # like xlwings' own .conf sheets: the settings end at the first blank
                items.append((key, r[1] if len(r) > 1 else None))
        for key, value in items:
            if key is None or str(key).strip() == "":
                continue
            values[str(key).strip().upper()] = _setting_text(value)
        return cls(values, Path(book_path) if book_path else None)

    def get(self, key: str) -> str | None:
        for k in (key.upper(),) + ALIASES.get(key.upper(), ()):
            v = self.values.get(k)
            if v not in (None, ""):
                return v
        return None

    def merged(self, *layers: "Settings | None") -> "Settings":
        """These settings, with blanks filled from ``layers`` in order (first non-blank wins)."""
        values = {k: v for k, v in self.values.items() if v not in (None, "")}
        for layer in layers:
            for k, v in (layer.values.items() if layer else ()):
                if v not in (None, "") and values.get(k) in (None, ""):
                    values[k] = v
        return Settings(values, self.book_path)

    @property
    def folder(self) -> Path | None:
        if self.book_path is None or not str(self.book_path):
            return None
        return self.book_path.parent if self.book_path.suffix else None


ALIASES = {"CONFIG_FILE": ("CONFIG",)}


def read_conf_file(path) -> Settings:
    """A settings file in xlwings' format (``"KEY","value"`` per line); empty if there is none."""
    path = Path(os.path.expanduser(str(path)))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return Settings()
    pairs = {}
    for line in text.splitlines():
        found = re.findall(r'"([^"]*)"', line)
        if len(found) >= 2:
            pairs[found[0]] = _expand(found[1])
    return Settings.from_pairs(pairs)


def layered_settings(sheet_pairs, book_path=None, addin_pairs=None) -> Settings:
    """The workbook's settings over the add-in's sheet, the file beside the workbook and the
    user's file (see the module doc)."""
    own = Settings.from_pairs(sheet_pairs, book_path=book_path)
    folder = own.folder
    return own.merged(Settings.from_pairs(addin_pairs) if addin_pairs else None,
                      read_conf_file(folder / CONF_FILE) if folder else None,
                      read_conf_file(USER_CONF))


def _setting_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _expand(text: str) -> str:
    """Environment variables as Windows (%USERPROFILE%) and POSIX ($HOME) write them, and ~."""
    text = re.sub(r"%([^%]+)%", lambda m: os.environ.get(m.group(1), m.group(0)), text)
    return os.path.expanduser(os.path.expandvars(text))


_SPECS: dict[tuple, SourceSpec] = {}
_SETTINGS: dict[str, tuple[float, Settings]] = {}
#: Seconds a workbook's cpxl.conf sheet is remembered (one read per recalculation, not per cell).
SETTINGS_TTL = 2.0


def cached_settings(book_key: str, read) -> Settings:
    """The settings of the workbook ``book_key``, from ``read()`` at most every SETTINGS_TTL s."""
    import time

    sync()
    now = time.monotonic()
    hit = _SETTINGS.get(book_key)
    if hit is not None and now - hit[0] < SETTINGS_TTL:
        return hit[1]
    settings = read()
    if len(_SETTINGS) > 64:
        _SETTINGS.clear()
    _SETTINGS[book_key] = (now, settings)
    return settings


def _path(text: str, folder: Path | None) -> Path:
    p = Path(_expand(text.strip().strip('"')))
    if not p.is_absolute() and folder is not None:
        p = folder / p
    return p.absolute()


def resolve_source(source=None, settings: Settings | None = None) -> SourceSpec:
    """The data source a function reads: its argument, the workbook's setting, the environment."""
    settings = settings or Settings()
    chosen = source if source not in (None, "") else settings.get("DATA_SOURCE") or os.environ.get(ENV_SOURCE)
    if chosen in (None, ""):
        raise CpxlError("no data source: put the data folder in DATA_SOURCE on the cpxl.conf "
                        "sheet (ribbon: Settings) or give the source argument")
    if not isinstance(chosen, str):
        raise CpxlError(f"source must be a folder or workbook path, not {chosen!r}")
    config = settings.get("CONFIG_FILE") if source in (None, "") else None
    unsaved = settings.book_path is not None and settings.folder is None
    if unsaved and not Path(_expand(chosen.strip().strip('"'))).is_absolute():
        raise CpxlError(f"the data source '{chosen}' is a relative path but this workbook has not "
                        "been saved yet: save it, or give the folder's full path")
    key = (chosen, config, settings.folder)
    spec = _SPECS.get(key)
    if spec is None:
        folder = settings.folder
        spec = SourceSpec(_path(chosen, folder), _path(config, folder) if config else None)
        if len(_SPECS) > 256:
            _SPECS.clear()
        _SPECS[key] = spec
    return spec


# --- arguments ----------------------------------------------------------------------------------

#: Excel's error values by their number in Excel (the ``CVErr`` numbers).  COM hands them to
#: Python as the error code 0x800A0000 + that number; xlwings' ``err_to_str`` turns the seven
#: classic ones into their text, the newer ones (#SPILL!, #CALC! ...) arrive as the code.
EXCEL_ERRORS = {2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?",
                2036: "#NUM!", 2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!",
                2046: "#CONNECT!", 2047: "#BLOCKED!", 2048: "#UNKNOWN!", 2049: "#FIELD!",
                2050: "#CALC!"}
_COM_ERROR_BASE = -2146828288          # 0x800A0000 as the signed 32-bit int pywin32 gives
_ERROR_TEXTS = {t.upper() for t in EXCEL_ERRORS.values()}


def excel_error(value) -> str | None:
    """The Excel error an argument carries (``"#N/A"`` ...), or None for an ordinary value."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return EXCEL_ERRORS.get(value - _COM_ERROR_BASE)
    if isinstance(value, str) and value.strip().upper() in _ERROR_TEXTS:
        return value.strip().upper()
    return None


def check_arguments(arguments: dict) -> None:
    """Refuse an argument that is an Excel error value, by its name: "argument period_end is #N/A".

    Without this an error in a referenced cell would reach the function as a blank (xlwings'
    default) and be reported as a missing argument, or be taken for an omitted optional one.
    """
    for name, value in arguments.items():
        error = excel_error(value)
        if error is not None:
            raise ValueError(f"argument {name} is {error}: fix the cell or formula it comes from")


def as_date(value, name: str) -> pd.Timestamp:
    """A date argument: an Excel date (datetime), a serial number, or ISO / dd/mm/yyyy text."""
    from ..dates import to_date

    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{name} is blank: give a date, e.g. DATE(2025,12,31) or a date cell")
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a date, not {value}")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(f"{name} is blank")
        if 1900 <= value <= 2100:
            raise ValueError(f"{name} is {value:g}, which looks like a year, not a date: give a "
                             f"date, e.g. DATE({value:g},3,31)")
        if not 1 <= value <= 73050:   # 1900-01-01 .. 2099-12-31
            raise ValueError(f"{name} {value:g} is not an Excel date")
    elif isinstance(value, dt.datetime):
        return pd.Timestamp(value.year, value.month, value.day)
    elif isinstance(value, dt.date):
        return pd.Timestamp(value)
    try:
        return to_date(value)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None
    except (TypeError, OverflowError):
        raise ValueError(f"{name} must be a date, not {value!r}") from None


def as_indicator(value) -> str:
    """A catalogue indicator id; a close misspelling gets a suggestion."""
    from ..catalogue import CATALOGUE

    if not isinstance(value, str) or not value.strip():
        raise ValueError("indicator must be an indicator id such as 'cla_count' "
                         "(CPXL_INDICATORS() lists them)")
    text = value.strip()
    if text in CATALOGUE:
        return text
    lower = text.lower()
    if lower in CATALOGUE:
        return lower
    from ..catalogue import get
    get(text)  # raises KeyError("no indicator 'x'; did you mean 'y'?")
    return text  # pragma: no cover


def _text(value, name: str) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# --- errors -------------------------------------------------------------------------------------

def error_text(exc: BaseException) -> str:
    """What a cell shows for a failure: one line, never a traceback."""
    if isinstance(exc, KeyError) and exc.args:
        msg = str(exc.args[0])
    elif isinstance(exc, (CpxlError, ValueError, TypeError, LookupError, OSError)):
        msg = str(exc)
    else:
        log.exception("cpxl worksheet function failed")
        msg = f"unexpected error ({type(exc).__name__}: {exc}); please report it"
    msg = " ".join(msg.split())
    return msg if msg.startswith("cpxl:") else f"cpxl: {msg}"


# --- lookups ------------------------------------------------------------------------------------

def _row(month: Month, indicator: str, geography: str | None):
    row = month.get(indicator, geography)
    if row is not None:
        return row
    if geography not in (None, "") and (indicator, month.authority.casefold()) in month.rows:
        close = difflib.get_close_matches(geography.strip(), month.geographies, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else (
            f"; the geographies are {', '.join(month.geographies[:12])}"
            + (" ..." if len(month.geographies) > 12 else ""))
        raise KeyError(f"no geography '{geography.strip()}'{hint}")
    raise KeyError(f"no row for indicator '{indicator}'")


def _na(note: str) -> str:
    note = note or "no value"
    return note if note.startswith("not available") else f"n/a: {note}"


_COVERAGE: dict[int, tuple[object, object]] = {}


def coverage(dataset):
    """The dates a loaded dataset covers (:func:`cpxl.coverage.data_coverage`), once per load."""
    from ..coverage import data_coverage

    hit = _COVERAGE.get(id(dataset))
    if hit is not None and hit[0] is dataset:
        return hit[1]
    if len(_COVERAGE) > 8:
        _COVERAGE.clear()
    cov = data_coverage(dataset)
    _COVERAGE[id(dataset)] = (dataset, cov)
    return cov


def check_in_data(cache: DataCache, spec: SourceSpec, when: pd.Timestamp, name: str) -> None:
    """Refuse a period end the data cannot answer for, naming the data's range.

    After the data's last event every child still in care would count as looked after with
    nothing recorded since - a plausible, wrong number; before the first episode nothing can be
    counted.  The accepted range is :mod:`cpxl.coverage`'s: the first episode to the end of the
    month of the last event.
    """
    cov = coverage(cache.dataset(spec))
    d = when.date()
    side = cov.outside(d)
    if side == "before":
        raise CpxlError(f"{name} {d.isoformat()} is before the data: {cov.describe()}")
    if side == "after":
        latest = cov.latest_period_end
        raise CpxlError(f"{name} {d.isoformat()} is after the data: {cov.describe()}; the latest "
                        f"period end it can answer for is {latest.isoformat() if latest else ''}")


def value(indicator, period_end, geography=None, source=None, settings: Settings | None = None,
          cache: DataCache = CACHE):
    """One indicator's value for one period end and geography (the authority if omitted).

    A value that cannot be computed comes back as text: ``n/a: <the reason>``.
    """
    ind = as_indicator(indicator)
    when = as_date(period_end, "period_end")
    geo = _text(geography, "geography")
    spec = resolve_source(_text(source, "source"), settings)
    check_in_data(cache, spec, when, "period_end")
    row = _row(cache.month(spec, when), ind, geo)
    return _na(row.note) if math.isnan(row.value) else row.value


def _series_dates(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Timestamp]:
    from ..dates import period_ends

    if first > last:
        raise ValueError(f"first_period_end {first:%Y-%m-%d} is after last_period_end {last:%Y-%m-%d}")
    span = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
    if span > MAX_SERIES_MONTHS:
        raise ValueError(f"a series is at most {MAX_SERIES_MONTHS} months; this one is {span}")
    dates = [d for d in period_ends(last, span) if d >= first]
    return dates or [last]


def series(indicator, first_period_end, last_period_end, geography=None, source=None,
           settings: Settings | None = None, cache: DataCache = CACHE) -> list[list]:
    """Month ends from first to last with the indicator's value: a header row, then one row each.

    Blank values (not computable) are left blank; the header names the indicator and geography.
    """
    ind = as_indicator(indicator)
    first = as_date(first_period_end, "first_period_end")
    last = as_date(last_period_end, "last_period_end")
    geo = _text(geography, "geography")
    spec = resolve_source(_text(source, "source"), settings)
    dates = _series_dates(first, last)
    check_in_data(cache, spec, first, "first_period_end")
    check_in_data(cache, spec, last, "last_period_end")
    months = cache.months(spec, dates)
    rows = [_row(m, ind, geo) for m in months]
    from ..catalogue import get
    header = ["Period end", f"{get(ind).title} ({rows[0].geography})"]
    return [header] + [[d.to_pydatetime(), None if math.isnan(r.value) else r.value]
                       for d, r in zip(dates, rows)]


def _la_code(la_code, settings: Settings | None, spec: SourceSpec | None):
    code = _text(la_code, "la_code") or (settings.get("LA_CODE") if settings else None)
    if code is None and spec is not None:
        code = _config(spec).la_code
    if code is None:
        raise ValueError("no LA code: give la_code, or set la_code under [authority] in cpxl.toml "
                         "or LA_CODE on the cpxl.conf sheet")
    return code


_CONFIGS: dict = {}


def _config(spec: SourceSpec):
    """The configuration of a source without loading its data (cached by file time)."""
    from ..config import find_config, load_config

    path = spec.config or find_config(spec.path)
    stamp = None
    if path is not None:
        try:
            stamp = Path(path).stat().st_mtime_ns
        except OSError:
            stamp = None
    key = (str(path), stamp)
    if key not in _CONFIGS:
        _CONFIGS.clear() if len(_CONFIGS) > 32 else None
        _CONFIGS[key] = load_config(path)
    return _CONFIGS[key]


def _optional_spec(settings: Settings | None) -> SourceSpec | None:
    try:
        return resolve_source(None, settings)
    except CpxlError:
        return None


def comparator(indicator, which, la_code=None, settings: Settings | None = None):
    """The published England, region or statistical-neighbour figure for the indicator."""
    from .. import comparators as comps

    ind = as_indicator(indicator)
    key = str(which).strip().casefold() if isinstance(which, str) else None
    if key not in WHICH:
        raise ValueError(f"which must be England, Region or Neighbours, not {which!r}")
    code = _la_code(la_code, settings, _optional_spec(settings))
    result = comps.comparator(ind, WHICH[key], code)
    if result is None:
        return f"n/a: no published {WHICH[key]} figure for {ind}"
    return result


def _rag_function():
    try:
        from ..rag import rag
    except ImportError:
        return None
    return rag


_COMPARATORS: dict[str, dict[str, dict]] = {}


def _comparator_values(ind: str, code) -> dict | None:
    """England, Region and Neighbours for the indicator and authority (None: unknown code)."""
    from .. import comparators as comps

    if code is None:
        return None
    key = str(code)
    table = _COMPARATORS.get(key)
    if table is None:
        try:
            frame = comps.comparators(code)
        except ValueError:
            return None
        table = {r.indicator: {"England": _float_or_none(r.england),
                               "Region": _float_or_none(r.region),
                               "Neighbours": _float_or_none(r.neighbours)}
                 for r in frame.itertuples(index=False)}
        _COMPARATORS[key] = table
    return table.get(ind, {"England": None, "Region": None, "Neighbours": None})


def _float_or_none(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _rating(ind: str, val, config, code, strict: bool = True) -> str | None:
    """The RAG rating from :func:`cpxl.rag.rag`, with the configuration's thresholds and the
    published comparators; None when cpxl.rag is not installed or gives no rating.

    ``strict=False`` (the scorecard) turns a failure into a blank rating rather than failing
    the whole table.
    """
    rag = _rag_function()
    if rag is None or val is None or (isinstance(val, float) and math.isnan(val)):
        return None
    thresholds = (config.thresholds or {}).get(ind) if config is not None else None
    try:
        result = rag(ind, float(val), thresholds=thresholds,
                     comparators=_comparator_values(ind, code))
    except Exception:
        if strict:
            raise
        log.exception("cpxl.rag failed for %s", ind)
        return None
    return None if result in (None, "") else str(result)


def rag(indicator, value_, settings: Settings | None = None):
    """Red, Amber or Green for a value of the indicator (thresholds from the data's cpxl.toml)."""
    ind = as_indicator(indicator)
    if value_ is None or isinstance(value_, bool) or not isinstance(value_, (int, float)):
        if isinstance(value_, str) and value_.startswith(("n/a", "not available")):
            return ""
        try:
            value_ = float(str(value_).strip())
        except ValueError:
            raise ValueError(f"value must be a number, not {value_!r}") from None
    if _rag_function() is None:
        raise CpxlError("RAG ratings are not available in this installation (cpxl.rag is missing)")
    spec = _optional_spec(settings)
    config = _config(spec) if spec else None
    code = (settings.get("LA_CODE") if settings else None) or (config.la_code if config else None)
    return _rating(ind, value_, config, code) or ""


SCORECARD_HEADER = ["Theme", "Indicator", "Title", "Unit", "Polarity", "Value", "Previous period",
                    "A year before", "England", "Region", "Statistical neighbours", "RAG", "Note"]
#: the columns holding figures in the indicator's unit (formatted by it)
SCORECARD_FIGURES = ["Value", "Previous period", "A year before", "England", "Region",
                     "Statistical neighbours"]


def scorecard(period_end, geography=None, source=None, settings: Settings | None = None,
              cache: DataCache = CACHE) -> list[list]:
    """The scorecard of one period end and geography, row for row the batch's (cpxl.reports):
    the indicators the data can give in scorecard order, with the period before, a year before,
    the published comparators and the RAG rating: a header row and a row each."""
    from ..catalogue import CATALOGUE
    from ..reports import scorecard_rows

    when = as_date(period_end, "period_end")
    geo = _text(geography, "geography")
    spec = resolve_source(_text(source, "source"), settings)
    check_in_data(cache, spec, when, "period_end")
    ends = [when] if not when.is_month_end else []
    ends = ends or [when + pd.offsets.MonthEnd(-k) for k in range(12, -1, -1)]
    months = cache.months(spec, ends)
    now_m = months[-1]
    dataset = cache.dataset(spec)
    where = _row(now_m, next(iter(CATALOGUE)), geo)
    config = dataset.config
    code = (settings.get("LA_CODE") if settings else None) or config.la_code
    if code != config.la_code:
        import dataclasses
        config = dataclasses.replace(config, la_code=code)
    rows = scorecard_rows(_long_table(months, where.level, where.geography), where.geography,
                          when, config, level=where.level, months=len(months))
    out = [list(SCORECARD_HEADER)]
    for r in rows:
        year_before = r.series[0] if len(r.series) == 13 else None
        out.append([r.theme, r.indicator, CATALOGUE[r.indicator].title, r.unit, r.polarity,
                    r.value, r.previous, year_before, r.england, r.region, r.neighbours,
                    r.rag or None, _row(now_m, r.indicator, where.geography).note or None])
    return out


def _long_table(months: list[Month], level: str, geography: str) -> pd.DataFrame:
    """One geography's rows of the cached months as the engine's long table."""
    rows = [row for m in months for (ind, key), row in m.rows.items()
            if key == geography.casefold() and row.level == level]
    if level != "la":      # the scorecard's choice of indicators reads the authority's notes
        rows += [row for m in months[-1:] for (ind, key), row in m.rows.items()
                 if row.level == "la"]
    return pd.DataFrame([vars(r) for r in rows], columns=[
        "indicator", "period_end", "level", "geography", "numerator", "denominator", "value",
        "note"])


def indicators_frame() -> pd.DataFrame:
    """The catalogue as a DataFrame (id, title, unit, polarity, theme, tables, ...)."""
    from ..catalogue import catalogue

    return catalogue()


def indicators() -> list[list]:
    """The catalogue: a header row and a row per indicator."""
    cat = indicators_frame()
    return [list(cat.columns)] + [list(r) for r in cat.itertuples(index=False)]


def workdays(start_date, end_date) -> int:
    """Working days after start_date up to and including end_date (England and Wales bank
    holidays); negative when end_date is before start_date, as Excel's NETWORKDAYS:
    ``workdays(b, a) == -workdays(a, b)``."""
    from ..dates import working_days_between

    s, e = as_date(start_date, "start_date"), as_date(end_date, "end_date")
    if e < s:
        return -int(working_days_between(e, s))
    return int(working_days_between(s, e))


def default_period_end(dataset, settings: Settings | None = None) -> pd.Timestamp:
    """PERIOD_END from the settings, else the last month end on or before the data's latest date."""
    from .cache import latest_month_end

    if settings is not None and settings.get("PERIOD_END"):
        return as_date(settings.get("PERIOD_END"), "PERIOD_END")
    return latest_month_end(dataset)


#: Keys the add-in builder writes on the add-in's cpxl.conf sheet: what the add-in was built with.
ADDIN_CPXL_KEY = "ADDIN_CPXL_VERSION"
ADDIN_XLWINGS_KEY = "ADDIN_XLWINGS_VERSION"


def installation(settings: Settings | None, xlwings_version: str | None) -> list[list]:
    """How the add-in and this Python fit together: versions, interpreter, and one check line.

    The add-in's VBA declares the xlwings DLL by name (``xlwings64-<version>.dll``), fixed when
    the add-in was built; after an upgrade of xlwings in this Python the DLL of that name is gone
    and Excel cannot start Python.  The wrappers were generated from the cpxl of the build.
    """
    import sys

    from .. import __version__

    built_xlwings = settings.get(ADDIN_XLWINGS_KEY) if settings else None
    built_cpxl = settings.get(ADDIN_CPXL_KEY) if settings else None
    problems = []
    if built_xlwings is None:
        problems.append("the add-in's build versions are unknown (an add-in from before cpxl "
                        "recorded them, or not loaded as cpxl.xlam)")
    else:
        if xlwings_version and built_xlwings != xlwings_version:
            problems.append(f"the add-in was built for xlwings {built_xlwings} but this Python "
                            f"has xlwings {xlwings_version}")
        if built_cpxl and built_cpxl != __version__:
            problems.append(f"the add-in was built with cpxl {built_cpxl} but this Python has "
                            f"cpxl {__version__}")
    check = ("OK" if not problems else
             "; ".join(problems) + ": rebuild the add-in (cpxl addin install) and restart Excel")
    return [
        ["cpxl version", __version__],
        ["xlwings version", xlwings_version or "unknown"],
        ["Add-in built with cpxl", built_cpxl or "unknown"],
        ["Add-in built with xlwings", built_xlwings or "unknown"],
        ["Python", sys.executable],
        ["Add-in check", check],
    ]


def status(source=None, settings: Settings | None = None, cache: DataCache = CACHE,
           xlwings_version: str | None = None) -> list[list]:
    """What is loaded from the source: where, when, tables, validation problems, months computed;
    then the installation (:func:`installation`).  Without a data source the first row says so
    and the installation rows still follow, so the function also checks a new installation."""
    try:
        spec = resolve_source(_text(source, "source"), settings)
    except CpxlError as e:
        return [["Data source", error_text(e)]] + installation(settings, xlwings_version)
    entry = cache.entry(spec)
    d = entry.dataset
    months = sorted(entry.months)
    cfg = d.config.path
    return [
        ["Data source", str(spec.path)],
        ["Configuration", str(cfg) if cfg else "none (defaults)"],
        ["Authority", d.authority_name],
        ["Loaded at", entry.loaded_at],
        ["Load time (s)", round(entry.load_seconds, 2)],
        ["Tables", "; ".join(f"{n} ({len(t):,})" for n, t in d.tables.items())],
        ["Validation problems", len(d.problems)],
        ["Latest period end in data", default_period_end(d).to_pydatetime()],
        ["Data covers", coverage(d).describe()],
        ["Months computed", f"{months[0]} to {months[-1]} ({len(months)})" if months else "none yet"],
    ] + installation(settings, xlwings_version)


def _forget(cache: DataCache = CACHE) -> None:
    cache.clear()
    _CONFIGS.clear()
    _SPECS.clear()
    _SETTINGS.clear()
    _COVERAGE.clear()


def clear_cache(cache: DataCache = CACHE) -> None:
    """Forget every loaded dataset, computed month and setting (the ribbon's Refresh), here and,
    through the refresh token, in the UDF server's process."""
    from .cache import signal_refresh

    _forget(cache)
    signal_refresh()
    cache.refresh_seen()


def sync(cache: DataCache = CACHE) -> None:
    """Forget everything if another process (the ribbon) asked for a refresh since we looked."""
    if cache.refresh_requested():
        _forget(cache)


__all__ = ["Settings", "CONF_SHEET", "SETTINGS_HELP", "resolve_source", "as_date", "as_indicator",
           "excel_error", "check_arguments", "check_in_data", "coverage", "installation",
           "error_text", "value", "series", "scorecard", "rag", "comparator", "indicators",
           "indicators_frame", "cached_settings", "layered_settings", "read_conf_file", "sync",
           "workdays", "status", "default_period_end", "clear_cache", "month_key"]
