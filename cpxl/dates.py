"""Date arithmetic in the analysts' terms: month ends, calendar months back, working days, ages.

Working days are Monday to Friday less the bank holidays of England and Wales, taken from the
maintained ``holidays`` package (substitute days and one-off holidays included), not a typed list:
``scripts/build_bank_holidays.py`` writes them into ``cpxl/data/bank_holidays.csv``, which ships,
and a test holds that file to the installed package.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .frames import text_values

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
# Formats that occur in real exports besides the two of the contract.  They are accepted only
# where they cannot be confused with each other (all day-first, as UK Excel writes them).
_EXTRA_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y",
                  "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%Y%m%d",
                  "%Y-%m-%dT%H:%M:%S")


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse a column of date strings (dd/mm/yyyy or yyyy-mm-dd, mixed) to datetime64.

    Blank cells become NaT; so do cells that no format reads, which the caller reports by
    comparing with the blanks.  Times of day are dropped (an Excel date may carry 00:00:00).
    """
    # Extracts repeat a few thousand distinct dates across many rows: parse each once.
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    s = text_values(uniques)
    cells = pc.utf8_trim_whitespace(pa.array(s, type=pa.string()))     # trims as str.strip does
    parsed = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    fast = np.zeros(len(s), dtype=bool)
    for pattern, fields in _CANONICAL:
        match = pc.match_substring_regex(cells, pattern).to_numpy(zero_copy_only=False) & ~fast
        if match.any():
            dates = _canonical_dates(cells.filter(pa.array(match)), fields)
            parsed[match] = dates
            fast[match] = ~np.isnat(dates)
    rest = ~fast & (pc.utf8_length(cells).to_numpy(zero_copy_only=False) > 0)   # a blank is NaT
    if rest.any():
        parsed[rest] = _parse_by_formats(pd.Series(cells.filter(pa.array(rest)).to_pylist(),
                                                   dtype="string"))
    result = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    known = codes >= 0
    result[known] = parsed[codes[known]]
    return pd.Series(result, index=values.index)


# The contract's two forms, written in full (01/02/2024, 2024-02-01): nearly every cell of a real
# extract.  Their digits are read as numbers, many at once; a cell this cannot read (31/02/2024,
# a year before 1900) goes through the formats above, as every other form does.
_CANONICAL = ((r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", ((6, 4), (3, 2), (0, 2))),
              (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", ((0, 4), (5, 2), (8, 2))))


def _canonical_dates(cells: pa.StringArray, fields) -> np.ndarray:
    """``cells``, all of one canonical form (ten ASCII characters), as datetime64[ns]; NaT where
    the day does not exist or the year is outside 1900-2100 (left to :func:`_parse_by_formats`)."""
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int32)[cells.offset:]
    data = np.frombuffer(cells.buffers()[2], dtype=np.uint8)
    digits = data[offsets[0]:offsets[0] + 10 * len(cells)].reshape(len(cells), 10).astype(np.int64) - 48

    def number(start, width):
        value = np.zeros(len(cells), dtype=np.int64)
        for k in range(start, start + width):
            value = value * 10 + digits[:, k]
        return value

    (year, month, day) = (number(*f) for f in fields)
    ok = (year >= 1900) & (year <= 2100) & (month >= 1) & (month <= 12) & (day >= 1)
    first = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok &= day <= length
    out = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = (first[ok].astype("datetime64[D]") + (day[ok] - 1)).astype("datetime64[ns]")
    return out


def _parse_by_formats(s: pd.Series) -> np.ndarray:
    """Each cell by the first format that reads it (the contract's two, then the others)."""
    out = pd.to_datetime(s, format=_DATE_FORMATS[0], errors="coerce")
    for fmt in _DATE_FORMATS[1:] + _EXTRA_FORMATS:
        todo = out.isna() & s.notna() & (s != "")
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(s.where(todo), format=fmt, errors="coerce"))
    out = out.dt.normalize()
    # Pre-1900 and far-future dates are typos (01/01/1019, 2202); treat them as unreadable.
    bad = (out < pd.Timestamp("1900-01-01")) | (out > pd.Timestamp("2100-12-31"))
    return out.mask(bad).astype("datetime64[ns]").to_numpy()


def to_date(value) -> pd.Timestamp:
    """One date from a user (ISO, dd/mm/yyyy, a datetime, an Excel serial number)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(value))).normalize()
    if isinstance(value, str):
        parsed = parse_dates(pd.Series([value])).iloc[0]
        if pd.isna(parsed):
            raise ValueError(f"'{value}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        return parsed
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError("a date is needed")
    return ts.normalize()


def minus_months(dates, months: int):
    """``dates`` minus calendar months, clamped to the month's end (31 Aug - 6 months = 28/29 Feb)."""
    offset = pd.DateOffset(months=months)
    if isinstance(dates, pd.Timestamp):
        return dates - offset
    return pd.DatetimeIndex(dates) - offset


def plus_months(dates, months):
    """``dates`` plus calendar months, clamped to the month's end.  ``months`` may be an array."""
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    m = np.broadcast_to(np.asarray(months, dtype="int64"), d.shape)
    ok = ~np.asarray(d.isna())
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[D]")
    if ok.any():
        # The target month as months since 1970-01; the few distinct months' first days and
        # lengths come from a small table (assembling dates from year/month/day columns with
        # to_datetime is slow on the reviews of a large county).
        year, month = d.year.to_numpy()[ok].astype(np.int64), d.month.to_numpy()[ok].astype(np.int64)
        target = (year - 1970) * 12 + month - 1 + m[ok]
        lo = target.min()
        firsts = np.arange(lo, target.max() + 2).astype("datetime64[M]").astype("datetime64[D]")
        length = np.diff(firsts).astype(np.int64)
        i = target - lo
        day = np.minimum(d.day.to_numpy()[ok].astype(np.int64), length[i])
        out[ok] = firsts[i] + (day - 1)
    return pd.DatetimeIndex(out.astype("datetime64[ns]"))


def period_ends(period_end, months: int = 13) -> pd.DatetimeIndex:
    """The reporting dates: ``months`` month ends up to ``period_end``, oldest first.

    A period end that is not a month end (fortnightly reporting) steps back in calendar months.
    """
    d = to_date(period_end)
    if months < 1:
        raise ValueError("months must be 1 or more")
    if d.is_month_end:
        return pd.date_range(end=d, periods=months, freq="ME")
    return pd.DatetimeIndex([d - pd.DateOffset(months=k) for k in range(months - 1, -1, -1)])


@lru_cache(maxsize=1)
def _bank_holidays() -> np.ndarray:
    # Read from the shipped table: importing ``holidays`` loads every country's calendar.
    from importlib.resources import files

    text = files("cpxl").joinpath("data", "bank_holidays.csv").read_text(encoding="utf-8")
    return np.array([line[:10] for line in text.splitlines()[1:] if line], dtype="datetime64[D]")


def bank_holiday_days() -> np.ndarray:
    """Every England and Wales bank holiday cpxl knows (1990-2060), as ``datetime64[D]``: the
    calendar of :func:`add_working_days`, for numpy's business-day functions."""
    return _bank_holidays()


def bank_holidays(year: int | None = None) -> list:
    """England and Wales bank holidays (from the ``holidays`` package, 1990-2060), optionally for
    one year."""
    days = _bank_holidays()
    if year is not None:
        days = days[(days >= np.datetime64(f"{year}-01-01")) & (days <= np.datetime64(f"{year}-12-31"))]
    return [pd.Timestamp(d).date() for d in days]


def add_working_days(start, n: int):
    """The ``n``-th working day after ``start`` (``start`` itself never counts).

    "Within N working days of S" is then ``date <= add_working_days(S, N)``.  Works on one date
    or an array; blanks stay blank.
    """
    scalar = not hasattr(start, "__len__") or isinstance(start, str)
    s = pd.DatetimeIndex([start] if scalar else start)
    ok = ~s.isna()
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[D]")
    if ok.any():
        # roll="backward" then +n: a weekend start counts from the Friday before, so its first
        # working day after is the Monday.
        out[ok] = np.busday_offset(s[ok].values.astype("datetime64[D]"), n, roll="backward",
                                   holidays=_bank_holidays())
    res = pd.DatetimeIndex(out.astype("datetime64[ns]"))
    return res[0] if scalar else res


def working_days_between(start, end):
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    scalar = not hasattr(start, "__len__") or isinstance(start, str)
    s = pd.DatetimeIndex([start] if scalar else start).values.astype("datetime64[D]")
    e = pd.DatetimeIndex([end] if scalar else end).values.astype("datetime64[D]")
    ok = ~(np.isnat(s) | np.isnat(e))
    out = np.full(len(s), np.nan)
    if ok.any():
        # busday_count counts [a, b); we want (start, end], i.e. [start+1, end+1).
        one = np.timedelta64(1, "D")
        n = np.busday_count(s[ok] + one, e[ok] + one, holidays=_bank_holidays())
        out[ok] = np.maximum(n, 0)
    return out[0] if scalar else out


def age_on(dob, on) -> np.ndarray:
    """Age in completed years on ``on`` (a birthday on ``on`` counts; 29 Feb birthdays move to 1 Mar)."""
    dob = pd.DatetimeIndex(dob)
    on = pd.DatetimeIndex(on) if hasattr(on, "__len__") else pd.DatetimeIndex([on] * len(dob))
    years = on.year.to_numpy() - dob.year.to_numpy()
    before_birthday = (on.month.to_numpy() * 100 + on.day.to_numpy()) < (
        dob.month.to_numpy() * 100 + dob.day.to_numpy())
    age = (years - before_birthday).astype("float64")
    age[dob.isna() | on.isna()] = np.nan
    return age
