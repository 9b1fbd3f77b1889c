"""Benchmark: the batch scorecards of the sample county (prints figures; not a test).

    python benchmarks/bench_scorecards.py [--children 2000] [--repeat 3]

Figures:

1. the stages of ``cpxl scorecards`` on the sample county (``cpxl sample``: Northshire, 12
   districts in 3 areas): reading the data, computing the indicators (once), cutting the books,
   writing the 16 workbooks with 1 and with 2 jobs, and the whole command with ``--jobs 2``
   (target: the workbooks in under 5 s with 2 jobs);
2. per workbook, cpxl's writer against bare XlsxWriter writing the same cells and formats, side by
   side in this run (target: within 2x).  The bare figure replays, straight into XlsxWriter, the
   calls cpxl's writer made for that workbook (recorded once, outside the timing): the same cells,
   formats, formulas, conditional formats, sparklines and charts, with none of cpxl's work of
   deciding them.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from cpxl.scorecard import batch
from cpxl.scorecard.book import WORKBOOK_OPTIONS, build, write_book

HERE = Path(__file__).resolve().parent


def sample(folder: Path, children: int) -> Path:
    """The sample county: ``cpxl sample`` when it is there, else the tests' fictional county."""
    try:
        from cpxl.sample import write_sample
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            "county", HERE.parent / "tests" / "test_scorecard_county.py")
        county = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(county)
        print("(cpxl.sample is not there: using the tests' fictional county)")
        return county.write_county(folder, children=children)
    write_sample(folder, children=children, seed=1, period_end="2025-12-31")
    return folder


# --- recording the XlsxWriter calls of one workbook, to replay them bare ------------------------

class Ref:
    __slots__ = ("id",)

    def __init__(self, id_: int):
        self.id = id_


class Recorder:
    """Wraps an XlsxWriter object; logs every method call (objects it returns are wrapped too)."""

    def __init__(self, target, log: list, id_: int):
        object.__setattr__(self, "_t", target)
        object.__setattr__(self, "_log", log)
        object.__setattr__(self, "_id", id_)

    def __getattr__(self, name):
        attr = getattr(self._t, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            result = attr(*_real(args), **_real(kwargs))
            wrap = type(result).__module__.startswith("xlsxwriter") and not isinstance(
                result, (int, str))
            rid = None
            if wrap:
                rid = len(self._log) + 1_000_000
            self._log.append((self._id, name, _refs(args), _refs(kwargs), rid))
            return Recorder(result, self._log, rid) if wrap else result
        return call


def _real(x):
    if isinstance(x, Recorder):
        return x._t
    if isinstance(x, dict):
        return {k: _real(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_real(v) for v in x)
    return x


def _refs(x):
    if isinstance(x, Recorder):
        return Ref(x._id)
    if isinstance(x, dict):
        return {k: _refs(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_refs(v) for v in x)
    return x


def _has_ref(x) -> bool:
    if isinstance(x, Ref):
        return True
    if isinstance(x, dict):
        return any(_has_ref(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_has_ref(v) for v in x)
    return False


def record(data, path: Path) -> list:
    log: list = []
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    build(Recorder(wb, log, 0), data)
    wb.close()
    # Only calls with an object argument need resolving at replay.
    return [(o, n, a, k, r, _has_ref(a) or _has_ref(k)) for o, n, a, k, r in log]


def replay(log: list, path: Path) -> None:
    """Bare XlsxWriter: the recorded calls, made directly."""
    objs = {0: xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)}

    def res(x):
        if isinstance(x, Ref):
            return objs[x.id]
        if isinstance(x, dict):
            return {k: res(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(res(v) for v in x)
        return x
    for obj, name, args, kwargs, rid, needs in log:
        if needs:
            args, kwargs = res(args), res(kwargs)
        out = getattr(objs[obj], name)(*args, **kwargs)
        if rid is not None:
            objs[rid] = out
    objs[0].close()


def timed(fn, repeat: int) -> float:
    best = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t)
    return min(best)


def side_by_side(a, b, repeat: int) -> tuple[float, float]:
    """The best of ``repeat`` runs of each in CPU seconds, alternating, so both meet the same
    machine load (a shared machine's wall clock is mostly other people's work)."""
    ta, tb = [], []
    for _ in range(repeat):
        for fn, times in ((a, ta), (b, tb)):
            t = time.process_time()
            fn()
            times.append(time.process_time() - t)
    return min(ta), min(tb)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    opts = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_dir = sample(tmp / "sample", opts.children)
        args = argparse.Namespace(data=str(data_dir), config=None, period_end="2025-12-31",
                                  out=str(tmp / "out"), districts=None, jobs=2, pdf=False,
                                  suppress=0, with_child_lists=False, months=13)
        stages: dict = {}
        books, paths = batch.plan(args, stages)
        n = len(books)
        t1 = timed(lambda: batch.write_all(books, paths, jobs=1, progress=False), opts.repeat)
        t2 = timed(lambda: batch.write_all(books, paths, jobs=2, progress=False), opts.repeat)
        t = time.perf_counter()
        batch.run_batch(args)
        t_all = time.perf_counter() - t

        print(f"\nSample county: {opts.children:,} children, {n} workbooks "
              f"({sum(b.kind == 'district' for b in books)} districts, "
              f"{sum(b.kind == 'area' for b in books)} areas, the authority)")
        print(f"  read and validate the data       {stages['load']:6.2f} s")
        print(f"  compute the indicators (once)    {stages['compute']:6.2f} s")
        print(f"  cut into books                   {stages['books']:6.2f} s")
        print(f"  write {n} workbooks, 1 job       {t1:6.2f} s   ({t1 / n * 1000:.0f} ms each)")
        print(f"  write {n} workbooks, 2 jobs      {t2:6.2f} s   (target < 5 s)")
        print(f"  cpxl scorecards --jobs 2, total  {t_all:6.2f} s   (reading and computing included)")

        print("\nPer workbook: cpxl's writer against bare XlsxWriter, same cells and formats "
              "(CPU)")
        print(f"  {'workbook':<44} {'cpxl':>8} {'bare':>8} {'ratio':>6}")
        ratios = []
        bare_dir = tmp / "bare"
        bare_dir.mkdir()
        for data, path in zip(books, paths):
            log = record(data, bare_dir / "recorded.xlsx")
            ours, bare = side_by_side(lambda: write_book(data, path),
                                      lambda: replay(log, bare_dir / path.name), opts.repeat)
            ratios.append(ours / bare)
            print(f"  {path.name:<44} {ours * 1000:6.0f}ms {bare * 1000:6.0f}ms {ours / bare:6.2f}")
        print(f"  median ratio {statistics.median(ratios):.2f}, worst {max(ratios):.2f} "
              "(target within 1.25x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
