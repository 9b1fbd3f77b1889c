"""One engine run per refresh, whatever the number of cells and whichever Excel calculates first.

Through xlwings' real UDF machinery (:func:`winharness.windows_udf_runtime` (tests/winharness.py), as in
tests/test_xl_udfs.py), with this test's own refresh token and parsed-data cache folder (in
tmp_path), so another process touching the usual token cannot clear the cache mid-sheet.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import pandas as pd
import pytest
from builders import sample_county

import cpxl
import cpxl.dates
from cpxl import parsed_cache
from cpxl.xl import cache as cache_mod
from cpxl.xl import service
from cpxl.xl.cache import CACHE
from winharness import FakeWorkbook, TimeType, windows_udf_runtime

EPOCH = dt.date(1899, 12, 30)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_county(tmp_path_factory.mktemp("refresh") / "data")


@pytest.fixture(scope="module")
def rt():
    with windows_udf_runtime() as runtime:
        yield runtime


@pytest.fixture(autouse=True)
def private(monkeypatch, tmp_path):
    monkeypatch.setenv(cache_mod.ENV_TOKEN, str(tmp_path / "token" / "cpxl-refresh.token"))
    monkeypatch.setenv(parsed_cache.ENV_DIR, str(tmp_path / "parsed"))
    monkeypatch.delenv(parsed_cache.ENV_OFF, raising=False)
    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    monkeypatch.setattr(CACHE, "check_interval", 0.0)
    service.clear_cache()
    yield
    service.clear_cache()


def a_sheet(sample: Path, cells: int, seed: int):
    """``cells`` CPXL_VALUE calls in a random order: every indicator, the last 25 month ends
    (as serial numbers and as date cells), the authority and its districts."""
    data = cpxl.load(sample, cache=False)
    last = service.default_period_end(data)
    months = list(cpxl.dates.period_ends(last, 25))
    geos = [None] + [g for g in data.tables["districts"]["DISTRICT"].unique()[:4]]
    indicators = list(cpxl.catalogue().id)
    rng = random.Random(seed)
    calls = []
    for _ in range(cells):
        m = rng.choice(months)
        when = float((m.date() - EPOCH).days) if rng.random() < 0.5 else TimeType(m.year, m.month, m.day)
        calls.append((rng.choice(indicators), when, rng.choice(geos), m))
    return data, calls


def test_a_cold_sheet_of_500_cells_is_one_engine_run_and_so_is_each_refresh(rt, sample, tmp_path,
                                                                             monkeypatch):
    book = FakeWorkbook(tmp_path / "Board.xlsx",
                        {"Scorecard": {}, "cpxl.conf": {(1, 1): "DATA_SOURCE", (1, 2): str(sample)}})
    caller = rt.caller(book, "Scorecard", "C8")
    data, calls = a_sheet(sample, 500, seed=14)
    reads = []
    real = cpxl.dataset.read_source
    monkeypatch.setattr(cpxl.dataset, "read_source", lambda p: reads.append(p) or real(p))

    for refresh in range(3):
        loads, computes = CACHE.loads, CACHE.computes
        got = [rt.call("CPXL_VALUE", ind, when, geo, caller=caller)[0][0]
               for ind, when, geo, _m in calls]
        assert CACHE.loads - loads == 1, refresh
        assert CACHE.computes - computes == 1, refresh
        assert len(reads) == 1          # read once; each refresh after from the parsed-data cache
        service.clear_cache()           # the ribbon's Refresh
        calls.reverse()                 # Excel's order is its own

    # The values are the engine's, cell by cell.
    calls.reverse()
    wanted = {}
    for m in sorted({c[3] for c in calls}):
        t = cpxl.compute(data, m, months=1)
        for r in t.itertuples():
            wanted[(r.indicator, m, r.geography)] = r.value
    for (ind, _when, geo, m), value in zip(calls, got):
        expected = wanted[(ind, m, geo or data.authority_name)]
        if isinstance(expected, float) and math.isnan(expected):
            assert isinstance(value, str) and value.startswith(("n/a", "not available")), value
        else:
            assert value == expected, (ind, m, geo)


def test_older_months_are_one_run_per_block_in_any_order(sample):
    spec = cache_mod.SourceSpec(sample)
    cache = cache_mod.DataCache(check_interval=60)
    latest = cache.entry(spec).latest
    months = list(cpxl.dates.period_ends(latest, 50))            # two blocks of 25
    for order in (months, months[::-1], random.Random(3).sample(months, len(months))):
        cache._entries.clear()
        before = cache.computes
        cache.months(spec, order[:1])
        for m in order[1:]:
            cache.month(spec, m)
        assert cache.computes - before == 2
        assert set(cache.entry(spec).months) >= {cache_mod.month_key(m) for m in months}


def test_the_refresh_token_follows_the_environment(tmp_path, monkeypatch):
    one, two = tmp_path / "one.token", tmp_path / "two.token"
    monkeypatch.setenv(cache_mod.ENV_TOKEN, str(one))
    assert cache_mod.refresh_token() == one
    cache = cache_mod.DataCache()
    cache_mod.signal_refresh()
    assert one.exists() and cache.refresh_requested() and not cache.refresh_requested()
    monkeypatch.setenv(cache_mod.ENV_TOKEN, str(two))
    assert cache_mod.refresh_token() == two
    cache.refresh_seen()
    one.write_text("touched by someone else", encoding="utf-8")
    assert not cache.refresh_requested()                        # not this cache's token any more


def test_month_blocks_are_fixed_by_the_data_not_the_cell():
    cache = cache_mod.DataCache()
    entry = cache_mod.Entry(None, (), None, None, 0, 0, latest=pd.Timestamp("2025-12-31"))
    end = lambda d: cache._block_end(entry, pd.Timestamp(d))
    assert end("2025-12-31") == end("2023-12-31") == pd.Timestamp("2025-12-31")
    assert end("2023-11-30") == end("2021-11-30") == pd.Timestamp("2023-11-30")
    assert end("2021-10-31") == pd.Timestamp("2021-10-31")
    assert end("2026-01-31") == end("2028-01-31") == pd.Timestamp("2028-01-31")
