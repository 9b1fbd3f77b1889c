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
    concatenation, made faster two ways for the millions of CHILD ids of a large county:

    - the readers hand a table's repeated ids as one shared str object and keep a child's rows
      together, so only the first row of a run of one object is hashed (comparing pointers is
      a sequential read; the other rows are masked out before Arrow ever reads them).  Equal
      strings that are distinct objects still meet in the hash: the sharing buys speed only;
    - Arrow hashes a contiguous copy of the text, where pandas hashes each scattered object.

    Anything that is not text (or NaN or None) is factorized by pandas as it is.
    """
    import pyarrow as pa

    arrays = [np.asarray(a, dtype=object) for a in arrays]
    starts, runs, chunks = [], [], []
    try:
        for a in arrays:
            head = np.ones(len(a), dtype=bool)
            if len(a) > 1 and a.flags.c_contiguous:
                ptr = _addresses(a)
                head[1:] = ptr[1:] != ptr[:-1]
            starts.append(np.flatnonzero(head))
            runs.append(np.diff(np.append(starts[-1], len(a))))
            # 32-bit offsets (half the memory of large_string) while a table's text fits.
            text = pa.array(a, type=pa.string(), mask=~head, from_pandas=True)
            if isinstance(text, pa.ChunkedArray):
                text = pa.array(a, type=pa.large_string(), mask=~head, from_pandas=True)
            chunks.append(text)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        codes, uniques = pd.factorize(np.concatenate(arrays) if arrays else np.empty(0, dtype=object))
        bounds = np.cumsum([0] + [len(a) for a in arrays])
        return ([codes[a:b].astype(np.int32) for a, b in zip(bounds[:-1], bounds[1:])],
                np.asarray(uniques, dtype=object))
    # One dictionary for every chunk, numbered in order of first appearance as pandas does
    # (Arrow leaves empty chunks out, so they are not handed to it).
    large = any(c.type == pa.large_string() for c in chunks)
    chunks = [c.cast(pa.large_string()) if large else c for c in chunks if len(c)]
    encoded = pa.chunked_array(chunks, type=pa.large_string() if large else pa.string()).dictionary_encode()
    del chunks
    done = iter(encoded.chunks)
    head_codes = [next(done).indices.fill_null(-1).to_numpy(zero_copy_only=False)[st]
                  if len(st) else np.empty(0, dtype=np.int32) for st in starts]
    del encoded, done
    # Arrow's allocator keeps the freed buffers of the hashing resident unless asked.
    pa.default_memory_pool().release_unused()
    # The uniques are the tables' own objects, each code's first row (where the running
    # maximum of the codes rises): no second copy of a million and a half strings.
    every = np.concatenate(head_codes) if head_codes else np.empty(0, dtype=np.int32)
    first = np.flatnonzero(np.diff(np.maximum.accumulate(np.concatenate([[-1], every]))) > 0)
    bounds = np.cumsum([0] + [len(h) for h in head_codes])
    table = np.searchsorted(bounds, first, side="right") - 1
    uniques = np.empty(len(first), dtype=object)
    for t in np.unique(table):                  # a handful of tables, not children
        sel = table == t
        uniques[sel] = arrays[t][starts[t][first[sel] - bounds[t]]]
    codes = [np.repeat(h.astype(np.int32), n) for h, n in zip(head_codes, runs)]
    return codes, uniques
