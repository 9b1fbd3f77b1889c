"""Dates: the shipped bank-holiday table, and reading dates by their digits."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cpxl import dates

ROOT = Path(__file__).resolve().parents[1]


def _build_script():
    spec = importlib.util.spec_from_file_location("build_bank_holidays",
                                                  ROOT / "scripts" / "build_bank_holidays.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_bank_holidays_are_the_holidays_packages():
    shipped = (ROOT / "cpxl" / "data" / "bank_holidays.csv").read_text(encoding="utf-8")
    assert shipped == _build_script().build(), (
        "cpxl/data/bank_holidays.csv differs from the installed holidays package: run "
        "python scripts/build_bank_holidays.py")


def test_the_engine_counts_with_the_shipped_table():
    days = dates.bank_holiday_days()
    assert days.dtype == np.dtype("datetime64[D]") and len(days) > 600
    assert np.all(np.diff(days).astype(int) > 0)
    # The one-off holidays, and a substitute day (Boxing Day 2020 was a Saturday).
    for day in ("2022-09-19", "2023-05-08", "2020-12-28"):
        assert np.datetime64(day) in days
    assert dates.add_working_days(pd.Timestamp("2023-05-05"), 1) == pd.Timestamp("2023-05-09")


# Cells of the contract's two forms, valid or not (31/02, month 13, year 1899), and others.
_DIGITS = st.integers(0, 39).map(lambda n: f"{n:02d}")
_CELLS = st.one_of(
    st.builds(lambda d, m, y: f"{d}/{m}/{y}", _DIGITS, _DIGITS, st.integers(1890, 2110)),
    st.builds(lambda d, m, y: f"{y}-{m}-{d}", _DIGITS, _DIGITS, st.integers(1890, 2110)),
    st.sampled_from(["", " ", " 01/02/2024 ", "\u00a001/02/2024", "1/2/2024", "2024-1-5",
                     "12/05/1999 00:00:00", "05-01-2020", "٠١/٠٢/٢٠٢٤", "01/02/20244",
                     "2024-02-29T00:00:00", "29 Feb 2024"]),
    st.text(max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELLS, max_size=40))
def test_reading_dates_by_their_digits_is_reading_them_by_format(cells):
    column = pd.Series(cells, dtype=object)
    by_format = dates._parse_by_formats(column.astype("string").str.strip())
    got = dates.parse_dates(column).to_numpy()
    assert np.array_equal(np.isnat(got), np.isnat(by_format))
    assert np.array_equal(got[~np.isnat(got)], by_format[~np.isnat(by_format)])
