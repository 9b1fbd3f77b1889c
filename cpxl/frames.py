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
    """``pd.factorize`` of the concatenated object arrays: (each array's codes, uniques).

    The same codes and uniques (first-appearance order, NaN as -1) as factorizing the
    concatenation.  The readers hand a table's repeated ids as one shared str object and keep a
    child's rows together, so a run of one object is hashed once: comparing pointers is a
    sequential read, where hashing each of millions of scattered strings is a cache miss or
    three.  Equal strings that are distinct objects still meet in the hash, so nothing relies
    on the sharing for the result, only for the speed.
    """
    heads, runs = [], []
    for a in arrays:
        a = np.asarray(a, dtype=object)
        head = np.ones(len(a), dtype=bool)
        if len(a) > 1 and a.flags.c_contiguous:
            ptr = _addresses(a)
            head[1:] = ptr[1:] != ptr[:-1]
        starts = np.flatnonzero(head)
        heads.append(a[starts])
        runs.append(np.diff(np.append(starts, len(a))))
    run_codes, uniques = pd.factorize(np.concatenate(heads) if heads else np.empty(0, dtype=object))
    bounds = np.cumsum([0] + [len(h) for h in heads])
    codes = [np.repeat(run_codes[a:b], n) for a, b, n in zip(bounds[:-1], bounds[1:], runs)]
    return codes, np.asarray(uniques, dtype=object)
