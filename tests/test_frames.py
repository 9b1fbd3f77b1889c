"""The engine's factorizing of CHILD ids gives exactly what pandas gives.

``factorize_objects`` leans on the readers sharing one str object per distinct value; these
hold it to ``pd.factorize`` whether the values are shared or not, with missing values, and with
values that are not text.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cpxl.frames import factorize_objects

WORDS = ["", "A1", "a1", "0042", "42", "Ł", "東京", " B "]
CELL = st.one_of(st.sampled_from(WORDS), st.none(), st.just(np.nan), st.sampled_from([42, 42.0]))


def _objects(values: list, share: list[bool]) -> np.ndarray:
    """The values as an object array; where ``share`` is False a str is a fresh copy of itself
    (an equal value that is a different object, as a reader that does not share makes)."""
    out = np.empty(len(values), dtype=object)
    for i, (v, same) in enumerate(zip(values, share)):
        out[i] = v if same or not isinstance(v, str) else (v + "x")[:-1]   # a new, equal str
    return out


@st.composite
def tables(draw):
    n_tables = draw(st.integers(0, 4))
    arrays = []
    for _ in range(n_tables):
        values = draw(st.lists(CELL, max_size=30))
        share = draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
        arrays.append(_objects(values, share))
    return arrays


@settings(max_examples=300, deadline=None)
@given(tables())
def test_factorize_objects_is_pandas_factorize_of_the_concatenation(arrays):
    codes, uniques = factorize_objects(arrays)
    whole = np.concatenate(arrays) if arrays else np.empty(0, dtype=object)
    expected_codes, expected_uniques = pd.factorize(whole)
    assert [len(c) for c in codes] == [len(a) for a in arrays]
    got = np.concatenate(codes) if codes else np.empty(0, dtype=np.int32)
    assert all(c.dtype == np.int32 for c in codes)
    np.testing.assert_array_equal(got, expected_codes)
    assert list(uniques) == list(expected_uniques)


def test_factorize_objects_hands_back_the_tables_own_objects():
    shared = "0000123"
    a = np.array([shared, shared, "9"], dtype=object)
    b = np.array([(shared + "x")[:-1], "9"], dtype=object)       # equal, another object
    codes, uniques = factorize_objects([a, b])
    assert [list(c) for c in codes] == [[0, 0, 1], [0, 1]]
    assert uniques[0] is shared

