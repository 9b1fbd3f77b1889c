"""Engine benchmark: load and compute every indicator for 13 month ends, against bare references.

For each county (``cpxl sample --children N``, seed 7), each case runs in its own process (so its
peak memory is its own) and is measured in CPU seconds (this process and its threads: a shared
machine's wall clock is noise).  Side by side in one run:

* **read**: a bare ``pyarrow.csv.read_csv`` of the same CSV files (every column as text);
* **load**: ``cpxl.load`` without the parsed-data cache (read, type, validate);
* **compute**: ``cpxl.compute`` for 13 month ends, every indicator;
* **parquet**: a bare ``pyarrow.parquet`` read (to pandas) of the cache entry's files;
* **cached load**: ``cpxl.load`` from the parsed-data cache;
* **cpxl indicators** end to end (the command line, a fresh process: imports included), cold
  (``--no-cache``), on its first run (keeping the cache), from the parsed data (its kept output
  removed) and run again (copying the output it kept), with a digest of the output file
  (outputs must be byte-identical across versions and with or without the cache), beside a
  fresh process that only imports pandas and pyarrow.

    python benchmarks/bench_engine.py [--children 2000,10000] [--england] [--cold-only]

``--england`` adds the 80,000 county (about all of England's children looked after; slow: some
minutes and a few GB).  Generated counties are kept under ``$CPXL_BENCH_DIR`` (default
``~/.cache/cpxl-bench``: synthetic data, but no shared temporary folder either).  Works on older
cpxl versions too (no cache: only the cold figures).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

PERIOD_END = "2025-12-31"
SEED = 7
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH = Path(os.environ.get("CPXL_BENCH_DIR") or Path.home() / ".cache" / "cpxl-bench")
# Targets from the issue ("Speed at national scale"), CPU seconds and GB.
TARGETS = {2000: {"cold": 1.5, "cached": 0.6}, 40000: {"cold": 15, "gb": 1.2},
           80000: {"cold": 30, "gb": 2.5}}


def county(children: int) -> Path:
    folder = BENCH / f"county_{children}_{SEED}"
    if not (folder / ".complete").exists():
        from cpxl.sample import write_sample

        started = time.perf_counter()
        write_sample(folder, children=children, seed=SEED)
        (folder / ".complete").write_text(f"{time.perf_counter() - started:.1f}")
    return folder


def cpu() -> float:
    return time.process_time()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _has_cache() -> bool:
    try:
        import cpxl.parsed_cache  # noqa: F401
    except ImportError:
        return False
    return True


# --- the cases, each in its own process -----------------------------------------------------

def _imported() -> None:
    """cpxl's modules imported before a clock starts, as the bare reads import theirs: ``import
    cpxl`` alone imports no pandas (its names load on first use)."""
    import cpxl.dataset  # noqa: F401
    import cpxl.engine  # noqa: F401
    if _has_cache():
        import cpxl.parsed_cache  # noqa: F401


def case_read(folder: Path) -> dict:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    t = cpu()
    rows = 0
    for f in sorted(folder.glob("*.csv")):
        with open(f, encoding="utf-8-sig") as fh:
            names = next(iter(fh)).rstrip("\r\n").split(",")
        table = pacsv.read_csv(f, convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}))
        rows += table.num_rows
    return {"read_s": cpu() - t, "rows": rows}


def case_cold(folder: Path) -> dict:
    import cpxl
    _imported()

    kw = {"cache": False} if _has_cache() else {}
    t = cpu()
    data = cpxl.load(folder, **kw)
    t1 = cpu()
    table = cpxl.compute(data, PERIOD_END, months=13)
    t2 = cpu()
    return {"load_s": t1 - t, "compute_s": t2 - t1, "peak_mb": peak_mb(),
            "episodes": len(data["episodes"]), "rows_out": len(table)}


def case_fill(folder: Path) -> dict:
    import cpxl
    _imported()

    t = cpu()
    cpxl.load(folder, cache=True)
    return {"fill_s": cpu() - t}


def case_cached(folder: Path) -> dict:
    import cpxl
    _imported()

    t = cpu()
    data = cpxl.load(folder, cache=True)
    t1 = cpu()
    cpxl.compute(data, PERIOD_END, months=13)
    return {"cached_s": t1 - t, "compute_s": cpu() - t1, "peak_mb": peak_mb()}


def case_parquet(folder: Path) -> dict:
    import pandas  # noqa: F401  (as the cached load has it)
    import pyarrow.parquet as pq

    from cpxl import parsed_cache

    entries = [p for root in parsed_cache.folders(folder) if root.is_dir()
               for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    entry = max(entries, key=lambda p: p.stat().st_mtime)
    t = cpu()
    for f in sorted(entry.glob("*.parquet")):
        pq.read_table(f).to_pandas()
    return {"parquet_s": cpu() - t}


CASES = {"read": case_read, "cold": case_cold, "fill": case_fill, "cached": case_cached,
         "parquet": case_parquet}


def run_case(name: str, folder: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", name, str(folder)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        raise SystemExit(f"{name} on {folder.name} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def command_line(folder: Path, out: Path, env: dict, mode: str) -> tuple[float, float, str]:
    """CPU seconds and peak MB of ``cpxl indicators`` in a fresh process, and the output's digest.

    ``mode``: "no-cache" (``--no-cache``), "first" (the cache emptied first: the run reads the
    files and keeps them), "parsed" (the parsed data kept, the output kept by the first run
    removed: the run loads from the cache and computes) or "cached" (the run after that, which
    copies the output it kept)."""
    args = [sys.executable, "-m", "cpxl", "indicators", str(folder), "--period-end", PERIOD_END,
            "--months", "13", "--out", str(out)]
    if mode == "no-cache" and _has_cache():
        args.append("--no-cache")
    if mode == "first":
        import shutil
        shutil.rmtree(env["CPXL_CACHE_DIR"], ignore_errors=True)
    if mode == "parsed":
        import shutil
        for kept in Path(env["CPXL_CACHE_DIR"]).glob("*/outputs"):
            shutil.rmtree(kept)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=Path(__import__("cpxl").__file__).parents[1])     # this cpxl
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)         # this child's own CPU and peak memory
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        print(err.decode(errors="replace"), file=sys.stderr)
        raise SystemExit(f"cpxl indicators on {folder.name} failed")
    return (usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            hashlib.sha256(out.read_bytes()).hexdigest()[:16])


def bare_imports(env: dict) -> float:
    """CPU seconds of a fresh process that only imports pandas and pyarrow's CSV reader: the
    floor under any run that loads data."""
    proc = subprocess.Popen([sys.executable, "-c", "import pandas, pyarrow.csv"], env=env)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", default="2000,10000", help="county sizes, comma-separated")
    ap.add_argument("--england", action="store_true", help="also the 80,000 county (slow)")
    ap.add_argument("--cold-only", action="store_true", help="no parsed-data cache figures")
    ap.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(CASES[args.case[0]](Path(args.case[1]))), flush=True)
        # As the cpxl program does (cpxl.cli.entry): Arrow's thread pool can abort the
        # interpreter's teardown after the work is done (it did, once, on the 80,000 county).
        os._exit(0)
    sizes = [int(s) for s in args.children.split(",") if s]
    if args.england:
        sizes.append(80000)
    cache = _has_cache() and not args.cold_only
    print(f"cpxl from {Path(__import__('cpxl').__file__).parent}; CPU seconds (process and "
          f"threads); parsed-data cache {'on' if cache else 'not measured'}\n")
    results = []
    for n in sizes:
        folder = county(n)
        env = {**os.environ, "PYTHONHASHSEED": "0",
               "CPXL_CACHE_DIR": str(BENCH / f"parsed_{n}"),
               "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__import__('cpxl').__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH")) if p)}
        r = {"children": n, "imports_s": bare_imports(env)}
        r.update(run_case("read", folder, env))
        r.update(run_case("cold", folder, env))
        out = BENCH / f"indicators_{n}.csv"
        r["cli_cold_s"], r["cli_cold_mb"], r["digest"] = command_line(folder, out, env, "no-cache")
        if cache:
            r["cli_first_s"], _mb, digest = command_line(folder, out, env, "first")
            if digest != r["digest"]:
                raise SystemExit(f"{n}: the output of the first (caching) run differs")
            run_case("fill", folder, env)
            hit = run_case("cached", folder, env)
            r["cached_s"], r["cached_peak_mb"] = hit["cached_s"], hit["peak_mb"]
            r.update(run_case("parquet", folder, env))
            r["cli_parsed_s"], _mb, digest = command_line(folder, out, env, "parsed")
            if digest != r["digest"]:
                raise SystemExit(f"{n}: the output from the parsed data differs from the cold output")
            r["cli_cached_s"], r["cli_cached_mb"], digest = command_line(folder, out, env, "cached")
            if digest != r["digest"]:
                raise SystemExit(f"{n}: the output with the cache differs from the cold output")
        results.append(r)
        line = (f"{n:>7,} children  {r['episodes']:>9,} episodes  {r['rows']:>10,} rows | "
                f"bare read {r['read_s']:6.2f}  load {r['load_s']:6.2f} (x{r['load_s'] / r['read_s']:4.1f})  "
                f"compute {r['compute_s']:6.2f}  peak {r['peak_mb'] / 1024:5.2f} GB | "
                f"cpxl indicators {r['cli_cold_s']:6.2f} s, peak {r['cli_cold_mb'] / 1024:5.2f} GB "
                f"(importing pandas alone: {r['imports_s']:4.2f} s)")
        if cache:
            line += (f" | parquet {r['parquet_s']:5.2f}  cached load {r['cached_s']:5.2f} "
                     f"(x{r['cached_s'] / r['parquet_s']:4.1f})  cpxl indicators: first run "
                     f"{r['cli_first_s']:5.2f} s, from the parsed data {r['cli_parsed_s']:5.2f} s, "
                     f"again (its kept output) {r['cli_cached_s']:5.2f} s")
        print(line + f" | digest {r['digest']}", flush=True)

    print("\nTargets (issue: speed at national scale):")
    for r in results:
        n = r["children"]
        checks = [f"load within 2x of the bare read: {'met' if r['load_s'] <= 2 * r['read_s'] else 'NOT met'}"]
        if cache:
            checks.append("cached load within 2x of the parquet read: "
                          f"{'met' if r['cached_s'] <= 2 * r['parquet_s'] else 'NOT met'}")
        t = TARGETS.get(n, {})
        if "cold" in t:
            checks.append(f"cpxl indicators cold (--no-cache) <= {t['cold']} s: "
                          f"{'met' if r['cli_cold_s'] <= t['cold'] else 'NOT met'}")
            if cache:
                checks.append(f"first run (keeping the cache) <= {t['cold']} s: "
                              f"{'met' if r['cli_first_s'] <= t['cold'] else 'NOT met'}")
        if "cached" in t and cache:
            checks.append(f"cached <= {t['cached']} s: "
                          f"{'met' if r['cli_cached_s'] <= t['cached'] else 'NOT met'}")
        if "gb" in t:
            checks.append(f"peak <= {t['gb']} GB: "
                          f"{'met' if r['cli_cold_mb'] / 1024 <= t['gb'] else 'NOT met'}")
        print(f"  {n:>7,}: " + "; ".join(checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
