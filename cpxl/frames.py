"""Small vector helpers the engine is built on: no Python loop over children or months.

Periods are a sorted array of period ends D; most questions are "for which D is this row's date
(or interval) relevant", answered with ``searchsorted`` and expanded with ``expand_ranges``.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pandas as pd

_DAY_OFFSET = 1 << 17         # keeps day numbers of dates from 1700 to 2300 positive
CHILD_SHIFT = 1 << 18


def days(values) -> np.ndarray:
    """Dates as whole day numbers (int64); NaT becomes a very large number (never reached)."""
    arr = np.asarray(pd.DatetimeIndex(values).values.astype("datetime64[D]").astype("int64"))
    nat = pd.isna(pd.DatetimeIndex(values))
    out = arr + _DAY_OFFSET
    out[nat] = np.iinfo(np.int64).max // 4
    return out


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row i, every period index p with lo[i] <= p < hi[i]: returns (row, p) arrays."""
    lo = np.asarray(lo, dtype=np.int64)
    n = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    rows = np.repeat(np.arange(len(lo)), n)
    # position within each row's run, added to its lo
    starts = np.cumsum(n) - n
    p = np.arange(n.sum()) - np.repeat(starts, n) + np.repeat(lo, n)
    return rows, p


def text_values(values) -> pd.Series:
    """Distinct values as an object Series of str: pandas 3's own string type would convert every
    value twice, and a number or date object from a workbook becomes its text."""
    s = pd.Series(np.asarray(values, dtype=object), dtype=object)
    if len(s) and pd.api.types.infer_dtype(s, skipna=False) != "string":
        s = s.astype(str).astype(object)
    return s


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of integer keys: numpy 2's hash-based unique is several times slower than a
    sort and a comparison of neighbours on the millions of (period, child) keys here."""
    s = np.sort(np.asarray(values))
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    return s[keep]


def latest_on_or_before(sorted_cid: np.ndarray, sorted_days: np.ndarray,
                        q_cid: np.ndarray, q_days: np.ndarray) -> np.ndarray:
    """Index of each query child's last row dated on or before the query date, else -1.

    ``sorted_cid``/``sorted_days`` must be sorted by child then date; ties resolve to the last
    row in that order.
    """
    key = sorted_cid.astype(np.int64) * CHILD_SHIFT + sorted_days
    qkey = np.asarray(q_cid, dtype=np.int64) * CHILD_SHIFT + np.minimum(q_days, CHILD_SHIFT - 1)
    idx = np.searchsorted(key, qkey, side="right") - 1
    ok = idx >= 0
    ok[ok] = sorted_cid[idx[ok]] == np.asarray(q_cid)[ok]
    return np.where(ok, idx, -1)


def earliest_on_or_after(sorted_cid: np.ndarray, sorted_days: np.ndarray,
                         q_cid: np.ndarray, q_days: np.ndarray) -> np.ndarray:
    """Index of each query child's first row dated on or after the query date, else -1."""
    key = sorted_cid.astype(np.int64) * CHILD_SHIFT + sorted_days
    qkey = np.asarray(q_cid, dtype=np.int64) * CHILD_SHIFT + q_days
    idx = np.searchsorted(key, qkey, side="left")
    ok = idx < len(key)
    ok[ok] = sorted_cid[idx[ok]] == np.asarray(q_cid)[ok]
    return np.where(ok, idx, -1)


def _addresses(values: np.ndarray) -> np.ndarray:
    """The object pointers of a contiguous object array, read without touching the objects."""
    buf = (ctypes.c_ssize_t * len(values)).from_address(values.ctypes.data)
    return np.ctypeslib.as_array(buf).copy()


def factorize_objects(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """``pd.factorize`` of the concatenated object arrays: (each array's int32 codes, uniques).

    The same codes and uniques (first-appearance order, NaN as -1) as factorizing the
    concatenation, made faster for the millions of CHILD ids of a large county by what the
    readers do: a distinct value is one shared str object across every table, and a child's
    rows come together.  So the objects' pointers are factorized first (integers: no string is
    read; a run of one object counts once), and only one object per distinct pointer is hashed
    as a value.  Equal values that are distinct objects still meet there, so the sharing buys
    speed only; and a value's first pointer comes before any other value's that appears later,
    so the order is pandas' order.
    """
    arrays = [np.ascontiguousarray(np.asarray(a, dtype=object)) for a in arrays]
    starts, runs, pointers = [], [], []
    for a in arrays:
        ptr = _addresses(a) if len(a) else np.empty(0, dtype=np.intp)
        head = np.ones(len(a), dtype=bool)
        head[1:] = ptr[1:] != ptr[:-1]
        starts.append(np.flatnonzero(head))
        runs.append(np.diff(np.append(starts[-1], len(a))))
        pointers.append(ptr[head])
    at, _ = pd.factorize(np.concatenate(pointers) if pointers else np.empty(0, dtype=np.intp))
    # Each distinct pointer's first head (where the running maximum of the codes rises).
    first = np.flatnonzero(np.diff(np.maximum.accumulate(np.concatenate([[-1], at]))) > 0)
    heads = np.concatenate([a[st] for a, st in zip(arrays, starts)]) if arrays \
        else np.empty(0, dtype=object)
    value_at, uniques = pd.factorize(heads[first])
    head_codes = value_at.astype(np.int32)[at]
    bounds = np.cumsum([0] + [len(st) for st in starts])
    codes = [np.repeat(head_codes[a:b], n) for a, b, n in zip(bounds[:-1], bounds[1:], runs)]
    return codes, np.asarray(uniques, dtype=object)

