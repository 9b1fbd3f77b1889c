"""The dates the data covers, and the period ends it can answer for.

An extract is taken on some day; indicators at a period end after that day would count every
child still in care as looked after with no visits, reviews or leavers recorded — plausible
numbers that are wrong.  So a period end past the data is refused unless the analyst asks for it,
and then every row carries a note.

Monthly reporting uses month ends and extracts are usually taken a few days into the next month,
or on the last working day of the month itself: a period end up to the end of the month of the
data's last event is accepted.  Before the data's first episode nothing can be counted at all.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .errors import CpxlError
from .tables import TABLES

# Dates that record something happening (not a date of birth, which may be decades back, and not
# an UASC end date, which the DfE records in advance).
EVENT_DATES: dict[str, tuple[str, ...]] = {
    name: tuple(c for c in t.dates if c not in ("DOB", "MC_DOB", "DUC"))
    for name, t in TABLES.items()
}

BEYOND_DATA_NOTE = "period end after the data's last event"


@dataclass(frozen=True)
class Coverage:
    first_episode: dt.date | None   # the earliest DECOM
    last_event: dt.date | None      # the latest event date in any table

    @property
    def latest_period_end(self) -> dt.date | None:
        """The last period end the data can answer for: the end of the last event's month."""
        if self.last_event is None:
            return None
        return (pd.Timestamp(self.last_event) + pd.offsets.MonthEnd(0)).date()

    def outside(self, day: dt.date) -> str | None:
        """"before" or "after" when the data cannot answer for a period end on ``day``."""
        if self.first_episode is not None and day < self.first_episode:
            return "before"
        latest = self.latest_period_end
        if latest is not None and day > latest:
            return "after"
        return None

    def describe(self) -> str:
        if self.first_episode is None or self.last_event is None:
            return "the data holds no dated episodes"
        return (f"the data runs from {self.first_episode.isoformat()} (first episode) to "
                f"{self.last_event.isoformat()} (last event)")


def _max_date(frame: pd.DataFrame, columns) -> pd.Timestamp | None:
    best = None
    for c in columns:
        if c in frame.columns and len(frame):
            m = pd.to_datetime(frame[c], errors="coerce").max()
            if pd.notna(m) and (best is None or m > best):
                best = m
    return best


def data_coverage(dataset) -> Coverage:
    """The first episode start and the last event date of a loaded dataset."""
    tables = dataset.tables
    first = None
    if "episodes" in tables and len(tables["episodes"]):
        m = pd.to_datetime(tables["episodes"]["DECOM"], errors="coerce").min()
        first = None if pd.isna(m) else m.date()
    last = None
    for name, cols in EVENT_DATES.items():
        if name in tables:
            m = _max_date(tables[name], cols)
            if m is not None and (last is None or m > last):
                last = m
    return Coverage(first, None if last is None else last.date())


def check_period_end(dataset, period_end, allow_beyond_data: bool = False,
                     cov: Coverage | None = None) -> str | None:
    """Raise CpxlError when ``period_end`` is outside the data; return a note when allowed past it.

    Returns None when the period end is within the data, or the note to write on every row when
    it is past the data and ``allow_beyond_data`` is set.  ``cov``: the data's coverage, when the
    caller has it already.
    """
    cov = cov or data_coverage(dataset)
    d = pd.Timestamp(period_end).date()
    side = cov.outside(d)
    if side == "before" and cov.first_episode is not None:
        raise CpxlError(f"period end {d.isoformat()} is before the data's first episode "
                        f"({cov.first_episode.isoformat()}): {cov.describe()}")
    latest, last = cov.latest_period_end, cov.last_event
    if side == "after" and latest is not None and last is not None:
        if allow_beyond_data:
            return f"{BEYOND_DATA_NOTE} ({last.isoformat()})"
        raise CpxlError(f"period end {d.isoformat()} is after the data: {cov.describe()}; "
                        f"the latest period end it can answer for is {latest.isoformat()} "
                        f"(use --allow-beyond-data to compute it anyway)")
    return None


def check_for_command(dataset, period_end, allow_beyond_data: bool = False, stream=None) -> str | None:
    """:func:`check_period_end` for a command: a period end past the data, when allowed, also
    gets a warning line on ``stream`` (stderr), since a note in a table is easily missed."""
    cov = data_coverage(dataset)
    note = check_period_end(dataset, period_end, allow_beyond_data, cov)
    if note:
        import sys

        latest = cov.latest_period_end
        print(f"cpxl: warning: period end {pd.Timestamp(period_end).date().isoformat()} is after "
              f"the data: {cov.describe()}, so the latest period end it can answer for is "
              f"{latest.isoformat() if latest else '(none)'}. Computed anyway (--allow-beyond-data): "
              f"children still in care at the end of the data count as in care, with no visits, "
              f"reviews or leavers recorded since; every row's note says so.", file=stream or sys.stderr)
    return note
