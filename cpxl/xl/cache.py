"""The dataset and computed-month cache behind the worksheet functions.

A sheet of hundreds of ``=CPXL_VALUE(...)`` cells must recalculate in well under a second, so:

* each **source** (a data folder or workbook, with its ``cpxl.toml``) is loaded once and kept
  while its **fingerprint** - the name, size and modification time of every file the loader
  reads, and of the configuration - is unchanged; a changed, added or removed file reloads it
  on the next call;
* each **month** computed from it is kept as a dictionary ``(indicator, geography) -> row``;
  month ends are computed in fixed **blocks** of :data:`BLOCK_MONTHS` counted back from the
  data's last month end (the latest block is that month end and the 24 before it): a miss for a
  month end computes its whole block in one engine run (the engine computes 25 months for not
  much more than one).  The blocks do not depend on which cell Excel calculates first, so a
  sheet of any number of cells within the last two years - last month, a year ago, 13-month
  trends - costs one engine run per refresh;
* the fingerprint is checked at most every :attr:`DataCache.check_interval` seconds, so a
  recalculation on a slow network drive does not ``stat`` the folder for every cell.

The cache is process-wide (:data:`CACHE`): Excel's UDF server is one Python process.  The
ribbon's Refresh button may run in another process (xlwings' RunPython), so it clears this
process's cache and touches a **refresh token** file (:func:`refresh_token`, in the user's temp
folder, or the file the ``CPXL_REFRESH_TOKEN`` environment variable names); every cache checks
the token's time on each use (one ``stat``) and forgets everything when it has moved.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import find_config
from ..errors import CpxlError

#: Month ends computed together in one engine run (see the module docstring).
BLOCK_MONTHS = 25
#: The environment variable naming the refresh token file (tests give each run its own).
ENV_TOKEN = "CPXL_REFRESH_TOKEN"
#: Sources kept loaded at once (least recently used is dropped).
MAX_SOURCES = 4
#: Months kept per source.
MAX_MONTHS = 600


@dataclass(frozen=True)
class SourceSpec:
    """Where the data is: a folder or workbook, and the configuration file if named."""
    path: Path
    config: Path | None = None

    def label(self) -> str:
        return str(self.path) + (f" (config {self.config})" if self.config else "")


@dataclass
class Row:
    indicator: str
    period_end: str
    level: str
    geography: str
    numerator: float
    denominator: float
    value: float
    note: str


@dataclass
class Month:
    """One computed period end: its rows, found by (indicator, geography casefolded)."""
    period_end: pd.Timestamp
    rows: dict[tuple[str, str], Row]
    geographies: list[str]          # in reporting order: authority, areas, districts
    levels: dict[str, str]          # geography -> level
    authority: str

    def get(self, indicator: str, geography: str | None) -> Row | None:
        geo = self.authority if geography in (None, "") else geography
        return self.rows.get((indicator, geo.strip().casefold()))


@dataclass
class Entry:
    spec: SourceSpec
    fingerprint: tuple
    dataset: object
    loaded_at: dt.datetime
    load_seconds: float
    checked_at: float
    months: dict[str, Month] = field(default_factory=dict)
    compute_seconds: float = 0.0
    latest: pd.Timestamp | None = None      # the data's last month end


def latest_month_end(dataset) -> pd.Timestamp:
    """The last month end on or before the latest episode date (today at the latest)."""
    e = dataset.tables["episodes"]
    latest = pd.concat([e["DECOM"], e["DEC"]]).max()
    today = pd.Timestamp.today().normalize()
    if pd.isna(latest) or latest > today:
        latest = today
    return latest if latest.is_month_end else latest - pd.offsets.MonthEnd(1)


def _months_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return (b.year * 12 + b.month) - (a.year * 12 + a.month)


_DEFAULT_TOKEN = os.path.join(tempfile.gettempdir(), "cpxl-refresh.token")


def _token_path() -> str:
    # Looked up on each use (not once per process), so a test or a second add-in setup can point
    # it elsewhere at any time; an environment lookup costs far less than the stat beside it.
    return os.environ.get(ENV_TOKEN) or _DEFAULT_TOKEN


def refresh_token() -> Path:
    """The file whose modification time says "forget what you loaded" to every cpxl process
    (``%TEMP%\\cpxl-refresh.token``, or the ``CPXL_REFRESH_TOKEN`` environment variable)."""
    return Path(_token_path())


def _token_time() -> int:
    try:
        return os.stat(_token_path()).st_mtime_ns     # one stat per use: keep it cheap
    except OSError:
        return 0


def signal_refresh() -> None:
    """Ask every cpxl process (the UDF server too) to forget its loaded data."""
    token = refresh_token()
    try:
        token.parent.mkdir(parents=True, exist_ok=True)
        token.write_text(dt.datetime.now().isoformat(), encoding="utf-8")
        now = time.time_ns()
        os.utime(token, ns=(now, max(now, _token_time() + 1)))
    except OSError:   # a read-only temp folder: this process is still cleared
        pass


def _source_files(path: Path) -> list[Path]:
    """The files :func:`cpxl.reading.read_source` would read (the same filter)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir()
                      if p.is_file() and not p.name.startswith(("~$", ".")))
    return [path]


def fingerprint(spec: SourceSpec) -> tuple:
    """(name, size, mtime) of every data file and of the configuration in use."""
    path = spec.path
    if not path.exists():
        raise CpxlError(f"{path}: no such file or folder")
    items = []
    for f in _source_files(path):
        try:
            st = f.stat()
        except OSError:  # removed while we listed the folder
            continue
        items.append((f.name, st.st_size, st.st_mtime_ns))
    config = spec.config or find_config(path)
    if config is not None:
        try:
            st = Path(config).stat()
            items.append(("config:" + str(config), st.st_size, st.st_mtime_ns))
        except OSError:
            items.append(("config:" + str(config), -1, -1))
    return tuple(items)


def month_key(period_end: pd.Timestamp) -> str:
    return period_end.strftime("%Y-%m-%d")


def _index(frame: pd.DataFrame, authority: str) -> dict[str, Month]:
    """Split a long indicator table into Months."""
    out: dict[str, Month] = {}
    cols = [frame[c].tolist() for c in ("indicator", "period_end", "level", "geography",
                                         "numerator", "denominator", "value", "note")]
    for ind, pe, level, geo, num, den, val, note in zip(*cols):
        m = out.get(pe)
        if m is None:
            m = out[pe] = Month(pd.Timestamp(pe), {}, [], {}, authority)
        key = geo.casefold()
        if geo not in m.levels:
            m.levels[geo] = level
            m.geographies.append(geo)
        m.rows[(ind, key)] = Row(ind, pe, level, geo, _f(num), _f(den), _f(val),
                                 note if isinstance(note, str) else "")
    return out


def _f(x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return math.nan
    return x


class DataCache:
    """Datasets by source and their computed months (thread-safe)."""

    def __init__(self, check_interval: float = 2.0, block: int = BLOCK_MONTHS,
                 max_sources: int = MAX_SOURCES):
        self.check_interval = check_interval
        self.block = block
        self.max_sources = max_sources
        self._entries: OrderedDict[SourceSpec, Entry] = OrderedDict()
        self._lock = threading.RLock()
        self.loads = 0          # how many times a dataset was (re)loaded: for tests and status
        self.computes = 0       # how many engine runs
        self._token = _token_time()

    # --- refresh requests from other processes ----------------------------------------------

    def refresh_requested(self) -> bool:
        """True (once) when the refresh token moved since this cache last looked."""
        t = _token_time()
        if t != self._token:
            self._token = t
            return True
        return False

    def refresh_seen(self) -> None:
        self._token = _token_time()

    # --- datasets ---------------------------------------------------------------------------

    def entry(self, spec: SourceSpec) -> Entry:
        """The loaded dataset for ``spec``, (re)loading it if its files changed."""
        with self._lock:
            if self.refresh_requested():
                self._entries.clear()
            entry = self._entries.get(spec)
            now = time.monotonic()
            if entry is not None and now - entry.checked_at < self.check_interval:
                self._entries.move_to_end(spec)
                return entry
            fp = fingerprint(spec)
            if entry is not None and entry.fingerprint == fp:
                entry.checked_at = now
                self._entries.move_to_end(spec)
                return entry
            entry = self._load(spec, fp)
            self._entries[spec] = entry
            self._entries.move_to_end(spec)
            while len(self._entries) > self.max_sources:
                self._entries.popitem(last=False)
            return entry

    def _load(self, spec: SourceSpec, fp: tuple) -> Entry:
        from ..dataset import load

        started = time.perf_counter()
        dataset = load(spec.path, config=spec.config)
        self.loads += 1
        return Entry(spec, fp, dataset, dt.datetime.now().replace(microsecond=0),
                     time.perf_counter() - started, time.monotonic(),
                     latest=latest_month_end(dataset))

    def dataset(self, spec: SourceSpec):
        return self.entry(spec).dataset

    # --- months -----------------------------------------------------------------------------

    def month(self, spec: SourceSpec, period_end: pd.Timestamp) -> Month:
        return self.months(spec, [period_end])[0]

    def months(self, spec: SourceSpec, period_ends: list[pd.Timestamp]) -> list[Month]:
        """The computed months for ``period_ends``, computing the missing ones together."""
        with self._lock:
            entry = self.entry(spec)
            keys = [month_key(p) for p in period_ends]
            missing = sorted({p for p, k in zip(period_ends, keys) if k not in entry.months})
            blocks = sorted({self._block_end(entry, p) for p in missing if p.is_month_end})
            for last in blocks:
                self._compute(entry, last, self.block)
            for p in missing:  # dates that are not month ends: each on its own
                if month_key(p) not in entry.months:
                    self._compute(entry, p, 1)
            return [entry.months[k] for k in keys]

    def _block_end(self, entry: Entry, month_end: pd.Timestamp) -> pd.Timestamp:
        """The last month end of the block holding ``month_end`` (blocks counted back from the
        data's last month end, and on forward past it)."""
        anchor = entry.latest if entry.latest is not None else month_end
        back = _months_between(month_end, anchor)       # months before the anchor (< 0: after)
        return anchor + pd.offsets.MonthEnd(-(back // self.block) * self.block)

    def _compute(self, entry: Entry, last: pd.Timestamp, months: int) -> None:
        from ..engine import compute

        started = time.perf_counter()
        frame = compute(entry.dataset, last, months=months)
        self.computes += 1
        entry.compute_seconds += time.perf_counter() - started
        for key, month in _index(frame, entry.dataset.authority_name).items():
            entry.months.setdefault(key, month)
        if len(entry.months) > MAX_MONTHS:
            for key in sorted(entry.months)[: len(entry.months) - MAX_MONTHS]:
                del entry.months[key]

    # --- housekeeping -----------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def loaded(self, spec: SourceSpec) -> Entry | None:
        """The entry if loaded, without loading or checking it."""
        return self._entries.get(spec)

    def sources(self) -> list[SourceSpec]:
        return list(self._entries)


#: The process-wide cache used by the worksheet functions and the ribbon.
CACHE = DataCache()
