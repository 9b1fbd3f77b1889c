"""Engine benchmark: load and compute every indicator for 13 month ends at growing sizes.

Each size runs in its own process so its peak memory (max RSS) is its own.  Prints seconds,
rows, peak memory and how time grows against the data (ideally no faster than linear).

    python benchmarks/bench_engine.py [--scales 1,5,20] [--million]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_CHILDREN = 2000
# The sample county has about 14.5 episodes per child looked after over its six-year history
# (2,000 children: 29,254 episodes), so 69,050 children give about 1,000,000 episodes, with every
# other table at the same scale (a whole county, not an episodes table alone).
MILLION_CHILDREN = 69_050
PERIOD_END = "2025-12-31"
CACHE = Path(tempfile.gettempdir()) / "cpxl_bench"


def dataset_for(children: int, seed: int = 7) -> Path:
    from cpxl.sample import write_sample

    folder = CACHE / f"county_{children}_{seed}"
    if not (folder / ".complete").exists():
        started = time.perf_counter()
        write_sample(folder, children=children, seed=seed)
        (folder / ".complete").write_text(f"{time.perf_counter() - started:.1f}")
    return folder


def measure_one(folder: str) -> dict:
    import cpxl

    t0 = time.perf_counter()
    data = cpxl.load(folder)
    t1 = time.perf_counter()
    table = cpxl.compute(data, PERIOD_END, months=13)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    return {"episodes": len(data["episodes"]), "children": int(data["header"].shape[0]),
            "rows_out": len(table), "load_s": t1 - t0, "compute_s": t2 - t1, "peak_mb": peak,
            "local_tables": sorted(n for n in data.tables if n in {
                "visits", "cp_plans", "referrals", "allocations", "health_assessments"})}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1,5,20")
    ap.add_argument("--million", action="store_true", help="also a dataset of about 1 million episodes")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one)))
        return
    scales = [int(s) for s in args.scales.split(",")]
    if args.million:
        scales.append(0)
    results = []
    for scale in scales:
        children = BASE_CHILDREN * scale if scale else MILLION_CHILDREN   # ~1 million episodes
        folder = dataset_for(children)
        out = subprocess.run([sys.executable, __file__, "--one", str(folder)], capture_output=True,
                             text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        if out.returncode:
            print(out.stderr)
            raise SystemExit(f"scale {scale} failed")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["scale"] = scale or "1M episodes"
        results.append(r)
        label = f"{scale}x" if scale else r["scale"]
        print(f"{label:>12}  episodes {r['episodes']:>9,}  load {r['load_s']:6.2f} s  "
              f"compute {r['compute_s']:6.2f} s  peak {r['peak_mb']:7,.0f} MB  rows {r['rows_out']:,}",
              flush=True)
    base = results[0]
    print("\nGrowth against 1x (data = episodes ratio; time should grow no faster):")
    for r in results[1:]:
        data_ratio = r["episodes"] / base["episodes"]
        print(f"  {str(r['scale']):>12}: data x{data_ratio:5.1f}   compute x{r['compute_s'] / base['compute_s']:5.1f}"
              f"   load x{r['load_s'] / base['load_s']:5.1f}")
    print("\nTargets: 1x compute < 2 s; 20x load+compute < 60 s with peak < 4,096 MB; "
          "1M episodes within 4,096 MB; time growing no faster than the data.")
    for r in results:
        total = r["load_s"] + r["compute_s"]
        if r["scale"] == 1:
            ok = r["compute_s"] < 2
        elif r["scale"] == "1M episodes":
            ok = r["peak_mb"] < 4096
        else:
            ok = total < 60 and r["peak_mb"] < 4096
        grows = ""
        if r is not base:
            data_ratio = r["episodes"] / base["episodes"]
            slower = (total / (base["load_s"] + base["compute_s"])) > data_ratio
            grows = "; time grows faster than the data" if slower else "; time grows no faster than the data"
        print(f"  {r['scale']}: {'met' if ok else 'NOT met'}{grows}")


if __name__ == "__main__":
    main()
