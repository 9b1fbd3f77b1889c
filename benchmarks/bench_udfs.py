"""How fast a sheet of cpxl formulas recalculates: 500 CPXL_VALUE calls, cold and warm.

    python benchmarks/bench_udfs.py [--children 2000] [--calls 500] [--data FOLDER]

Cold: the first calculation of the sheet after the data is (re)loaded, in CPU seconds, with the
parsed-data cache (the usual case: the files were loaded before) and without it, and how many
engine runs it took (the design: one per refresh).  Warm: the same cells again (target < 0.5 s).

Every call goes the way Excel's does, through xlwings' own ``xlwings.udfs.call_udf`` (argument
conversion with the declared ``@xw.arg`` options, the Windows engine's value cleaning, the result
conversion) with a fake calling cell whose workbook's cpxl.conf sheet names the data; see
tests/winharness.py.  What is not measured: Excel, COM and the VBA wrapper (the
out-of-process round trip Excel makes for each cell; typically well under a millisecond).

Prints figures; it is not a test (the test suite checks a looser bound).
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 0.5


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--children", type=int, default=2000, help="sample size (cpxl sample)")
    p.add_argument("--calls", type=int, default=500)
    p.add_argument("--data", help="a data folder instead of a fresh sample")
    p.add_argument("--repeat", type=int, default=5, help="warm passes; the median is reported")
    args = p.parse_args(argv)

    import cpxl
    import cpxl.dates
    from cpxl.xl import service
    from cpxl.xl.cache import CACHE
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))   # the test harness
    from winharness import FakeWorkbook, TimeType, windows_udf_runtime

    tmp = tempfile.TemporaryDirectory(prefix="cpxl-bench-")
    if args.data:
        data = Path(args.data)
    else:
        from cpxl.sample import write_sample
        started = time.perf_counter()
        data = write_sample(Path(tmp.name) / "data", children=args.children, seed=1)
        print(f"sample: {args.children} children written in {time.perf_counter() - started:.1f} s")

    import os

    from cpxl import parsed_cache
    os.environ["CPXL_REFRESH_TOKEN"] = str(Path(tmp.name) / "cpxl-refresh.token")   # this run's own
    os.environ[parsed_cache.ENV_DIR] = str(Path(tmp.name) / "parsed")
    os.environ.pop(parsed_cache.ENV_OFF, None)
    service.clear_cache()
    with windows_udf_runtime() as rt:
        book = FakeWorkbook(Path(tmp.name) / "Board.xlsx",
                            {"Scorecard": {}, "cpxl.conf": {(1, 1): "DATA_SOURCE", (1, 2): str(data)}})
        dataset = cpxl.load(data)
        last = service.default_period_end(dataset)
        months = [d.to_pydatetime() for d in cpxl.dates.period_ends(last, 13)]
        table = cpxl.compute(dataset, last, months=1)
        geos = [None] + [g for g in table.geography.unique() if g != dataset.authority_name][:9]
        indicators = list(cpxl.catalogue().id)
        # A scorecard's worth of distinct cells: indicator x month x geography, as serials
        # (what DATE()/EOMONTH() pass) and as date cells (COM dates).
        serial = {m: float((m.date() - dt.date(1899, 12, 30)).days) for m in months}
        calls = []
        k = 0
        while len(calls) < args.calls:
            ind = indicators[k % len(indicators)]
            m = months[(k // len(indicators)) % len(months)]
            geo = geos[(k // 7) % len(geos)]
            when = serial[m] if k % 2 else TimeType(m.year, m.month, m.day)   # serial or date cell
            calls.append((ind, when, geo))
            k += 1
        caller = rt.caller(book, "Scorecard", "C8")

        def cold_sheet(label):
            service.clear_cache()                            # the ribbon's Refresh
            runs, cpu = CACHE.computes, time.process_time()
            for c in calls:
                out = rt.call("CPXL_VALUE", *c, caller=caller)
            cpu = time.process_time() - cpu
            assert not (isinstance(out[0][0], str) and out[0][0].startswith("cpxl:")), out
            print(f"cold sheet of {len(calls)} CPXL_VALUE cells, {label}: {cpu:.2f} s CPU, "
                  f"{CACHE.computes - runs} engine run(s)")
            return cpu, CACHE.computes - runs

        with parsed_cache.switched_off():
            cold_sheet("without the parsed-data cache")
        cpxl.load(data)                                      # fills the parsed-data cache
        cold_cpu, cold_runs = cold_sheet("with the parsed-data cache")
        print(f"  target <= 1.5 s CPU and one engine run: "
              f"{'met' if cold_cpu <= 1.5 and cold_runs == 1 else 'NOT met'}")

        service.clear_cache()
        started = time.perf_counter()
        first = rt.call("CPXL_VALUE", *calls[0], caller=caller)
        first_s = time.perf_counter() - started
        entry = CACHE.entry(service.resolve_source(str(data)))
        print(f"first call: {first_s:.2f} s (load {entry.load_seconds:.2f} s, compute "
              f"{entry.compute_seconds:.2f} s for {len(entry.months)} month ends) -> {first[0][0]!r}")

        started = time.perf_counter()
        for c in calls:
            rt.call("CPXL_VALUE", *c, caller=caller)
        cold_rest = time.perf_counter() - started

        passes = []
        for _ in range(args.repeat):
            started = time.process_time()
            for c in calls:
                out = rt.call("CPXL_VALUE", *c, caller=caller)
            passes.append(time.process_time() - started)
        warm = statistics.median(passes)
        assert not (isinstance(out[0][0], str) and out[0][0].startswith("cpxl:")), out
        print(f"{len(calls)} CPXL_VALUE calls after the first: {cold_rest:.3f} s "
              f"(engine runs so far: {CACHE.computes})")
        print(f"{len(calls)} CPXL_VALUE calls, warm: {warm:.3f} s CPU median of {args.repeat} "
              f"(best {min(passes):.3f} s) = {1e6 * warm / len(calls):.0f} us per call; "
              f"target < {TARGET_SECONDS} s: {'OK' if warm < TARGET_SECONDS else 'MISSED'}")

        started = time.perf_counter()
        series = rt.call("CPXL_SERIES", "cla_count", serial[months[0]], serial[months[-1]], caller=caller)
        print(f"CPXL_SERIES (13 months, warm): {1e3 * (time.perf_counter() - started):.1f} ms, "
              f"{len(series)} rows")
        started = time.perf_counter()
        card = rt.call("CPXL_SCORECARD", serial[months[-1]], caller=caller)
        print(f"CPXL_SCORECARD (warm): {1e3 * (time.perf_counter() - started):.1f} ms, "
              f"{len(card)} rows")
    tmp.cleanup()
    return 0 if warm < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
