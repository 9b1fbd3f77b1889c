"""Memory-lean loading and computing stays lean (GitHub issue 6, part 7).

Not a timed test (machines are shared and noisy; ``benchmarks/bench_engine.py`` measures time and
peak memory at 1x, 5x, 20x and a million episodes).  It checks, cheaply and deterministically, the
choices that keep a large county within memory, so that a change undoing one fails here rather
than on an analyst's laptop:

- text columns hold one shared ``str`` per distinct value, not one per row (a 20x county's tables
  took 2.4 GB as per-row strings);
- the ``_file`` column is categorical (one name, not the name repeated per row);
- the engine's per-child district matrix is int32 and its episodes frame carries only the columns
  it reads;
- on a sample county of about 20,000 episodes, the Python/numpy memory that tracemalloc sees is
  below generous bounds per input row, for the loaded tables and for compute's peak (measured:
  about 67 and 76 bytes a row; before the work on memory: 137 and 97).
"""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import cpxl
from cpxl.engine import EPISODE_COLUMNS, Context
from cpxl.dates import period_ends
from cpxl.sample import write_sample

PERIOD_END = "2025-12-31"
LOAD_BYTES_PER_ROW = 100          # measured ~67
COMPUTE_PEAK_BYTES_PER_ROW = 160  # measured ~76


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county_20k")
    write_sample(folder, children=1400, seed=3)        # about 20,600 episodes, 500,000 rows
    return folder


def test_text_values_are_shared_and_file_names_categorical(county):
    data = cpxl.load(county)
    assert 15_000 < len(data["episodes"]) < 30_000
    for name in ("episodes", "visits", "referrals"):
        t = data[name]
        for col in ("CHILD", "PLACE" if name == "episodes" else "CHILD"):
            values = t[col].to_numpy()
            assert values.dtype == object
            distinct_objects = len({id(v) for v in values})
            assert distinct_objects == t[col].nunique(dropna=False), f"{name}.{col}: a str per row"
        assert isinstance(t["_file"].dtype, pd.CategoricalDtype)


def test_engine_frames_are_narrow(county):
    data = cpxl.load(county)
    ctx = Context(data, period_ends(PERIOD_END, 13))
    assert ctx.geography.matrix.dtype == np.int16
    assert all(t["_row"].dtype == np.int32 for t in data.tables.values())
    extra = set(ctx.episodes.columns) - set(EPISODE_COLUMNS)
    assert {"URN", "PL_POST", "PLACE_PROVIDER", "_file"}.isdisjoint(extra)


def test_memory_stays_within_bounds(county):
    gc.collect()
    tracemalloc.start()
    try:
        data = cpxl.load(county)
        gc.collect()
        loaded = tracemalloc.get_traced_memory()[0]
        rows = sum(len(t) for t in data.tables.values())
        tracemalloc.reset_peak()
        out = cpxl.compute(data, PERIOD_END, months=13)
        peak = tracemalloc.get_traced_memory()[1] - loaded
    finally:
        tracemalloc.stop()
    assert len(out) > 0 and rows > 300_000
    assert loaded < LOAD_BYTES_PER_ROW * rows, f"loaded tables: {loaded / rows:.0f} bytes a row"
    assert peak < COMPUTE_PEAK_BYTES_PER_ROW * rows, f"compute peak: {peak / rows:.0f} bytes a row"
