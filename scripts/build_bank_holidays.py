#!/usr/bin/env python
"""Build the England and Wales bank holidays cpxl counts working days with, from the maintained
``holidays`` package.

    python scripts/build_bank_holidays.py [--out cpxl/data/bank_holidays.csv]

A developer's build script, not part of the product: the output ships, so cpxl does not import
``holidays`` at run time (importing it loads every country's calendar: a third of a second of
every command and every cold worksheet-function refresh).  ``tests/test_dates.py`` rebuilds the
table with the installed package and fails when they differ, so a new one-off holiday (a state
funeral, a coronation) reaches cpxl with the next ``holidays`` release and a rebuild.

The output is deterministic: one line per holiday, ``date,name``, oldest first.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

FIRST_YEAR, LAST_YEAR = 1990, 2060
OUT = Path(__file__).resolve().parents[1] / "cpxl" / "data" / "bank_holidays.csv"


def build() -> str:
    import holidays

    days = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    lines = ["date,name"] + [f"{d.isoformat()},{days[d].replace(',', ';')}" for d in sorted(days)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.write_text(build(), encoding="utf-8", newline="\n")
    print(f"{args.out}: {build().count(chr(10)) - 1} bank holidays, {FIRST_YEAR}-{LAST_YEAR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
