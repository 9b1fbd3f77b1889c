"""Every benchmark in one run: cpxl beside its bare reference, so the ratios are on one page.

    python benchmarks/bench_all.py [--children 2000] [--england]

1. load and compute (``bench_engine.py``): a bare pyarrow CSV read, cpxl's load, a bare parquet
   read and cpxl's cached load, ``cpxl indicators`` end to end;
2. the worksheet functions (``bench_udfs.py``): a cold sheet of 500 cells (engine runs counted)
   and warm recalculation;
3. the batch (``bench_scorecards.py``): each workbook against bare XlsxWriter writing the same
   cells.

Each runs as its own process, one after the other.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", default="2000", help="county sizes for the engine benchmark")
    ap.add_argument("--england", action="store_true", help="also the 80,000 county (slow)")
    args = ap.parse_args(argv)
    first = args.children.split(",")[0]
    runs = [
        ["bench_engine.py", "--children", args.children] + (["--england"] if args.england else []),
        ["bench_udfs.py", "--children", first, "--repeat", "3"],
        ["bench_scorecards.py", "--children", first, "--repeat", "3"],
    ]
    failed = 0
    for script, *rest in runs:
        print(f"\n=== {script} {' '.join(rest)}", flush=True)
        failed |= subprocess.run([sys.executable, str(HERE / script), *rest], check=False).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
