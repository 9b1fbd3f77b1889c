"""The ``cpxl`` command line.

    cpxl sample OUT [--children N] [--seed S] [--xml]
    cpxl validate DATA [--out report.csv|.xlsx] [--config FILE]
    cpxl indicators DATA --period-end YYYY-MM-DD [--months N] [--config FILE] --out FILE
    cpxl list
    cpxl scorecards DATA --period-end YYYY-MM-DD --out DIR [...]
    cpxl update-workbook BOOK --sheet NAME --data DATA --period-end YYYY-MM-DD [--force]
    cpxl addin build [--out cpxl.xlam]

Errors an analyst can fix end with a one-paragraph message and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import CpxlError


MAX_MONTHS = 600


def _load(args):
    from .dataset import load
    return load(args.data, config=getattr(args, "config", None))


def _check_arguments(args, out_suffixes=(".csv", ".xlsx")) -> None:
    """Arguments an analyst can get wrong, checked before any work: the period end, --months and
    the output file (its extension, and that it is not open in another program)."""
    from .output import check_writable

    if getattr(args, "period_end", None) is not None:
        from .dates import to_date
        try:
            to_date(args.period_end)
        except (ValueError, TypeError, OverflowError) as e:
            raise CpxlError(f"--period-end: {e}") from None
    months = getattr(args, "months", None)
    if months is not None and not 1 <= months <= MAX_MONTHS:
        raise CpxlError(f"--months must be from 1 to {MAX_MONTHS} (the number of month ends); "
                        f"got {months}")
    out = getattr(args, "out", None)
    if out and out_suffixes:
        suffix = Path(out).suffix.lower()
        if suffix not in out_suffixes:
            raise CpxlError(f"--out {out}: write {' or '.join(out_suffixes)} "
                            f"(got '{Path(out).suffix or 'no extension'}')")
        check_writable(out)


def _print_problems(dataset, out=sys.stdout) -> None:
    summary = dataset.summary()
    errors = sum(p.severity == "error" for p in dataset.problems)
    warnings = len(dataset.problems) - errors
    print(f"Tables: " + ", ".join(f"{n} ({len(t):,} rows)" for n, t in dataset.tables.items()), file=out)
    if summary.empty:
        print("Validation: no problems found.", file=out)
        return
    print(f"Validation: {warnings:,} warning(s), {errors:,} error(s)", file=out)
    for r in summary.itertuples():
        not_used = f", {r.rows_not_used:,} not used" if r.rows_not_used else ""
        col = f".{r.column}" if r.column else ""
        print(f"  {r.table}{col}: {r.rule} - {r.rows:,} row(s){not_used}", file=out)


def cmd_validate(args) -> int:
    from .dataset import PERSONAL_DATA_NOTICE
    from .output import write_table

    _check_arguments(args)
    dataset = _load(args)
    _print_problems(dataset)
    path = write_table(dataset.report(), args.out, sheet_name="validation",
                       first_line=PERSONAL_DATA_NOTICE)
    print(f"Full report: {path}")
    return 0


def cmd_indicators(args) -> int:
    from .engine import compute
    from .output import write_table

    _check_arguments(args)
    dataset = _load(args)
    started = time.perf_counter()
    table = compute(dataset, args.period_end, months=args.months)
    write_table(table, args.out)
    n_ind = table["indicator"].nunique()
    na = table.loc[table["note"].str.startswith("not available"), "indicator"].nunique()
    print(f"{len(table):,} rows ({n_ind} indicators x {table['period_end'].nunique()} period ends x "
          f"{table['geography'].nunique()} geographies) in {time.perf_counter() - started:.1f} s "
          f"-> {args.out}")
    if na:
        print(f"{na} indicator(s) not available (see the note column)")
    if dataset.problems:
        print(f"{len(dataset.problems):,} validation problem(s): run 'cpxl validate' for the report")
    return 0


def cmd_list(args) -> int:
    from .catalogue import catalogue

    cat = catalogue()
    if args.markdown:
        from .catalogue import markdown
        from .output import atomic_path
        with atomic_path(args.markdown) as tmp:
            tmp.write_text(markdown(), encoding="utf-8")
        print(f"{len(cat)} indicators -> {args.markdown}")
        return 0
    if args.csv:
        from .output import write_table
        write_table(cat, args.csv)
        print(f"{len(cat)} indicators -> {args.csv}")
        return 0
    from .catalogue import THEMES

    width = cat["id"].str.len().max()
    theme = None
    cat = cat.sort_values("theme", key=lambda s: s.map(THEMES.index), kind="stable")
    for r in cat.itertuples():
        if r.theme != theme:
            theme = r.theme
            print(f"\n{theme}")
        print(f"  {r.id:<{width}}  {r.unit:<16} {r.polarity:<8} {r.title}")
    print(f"\n{len(cat)} indicators. 'cpxl list --csv FILE' writes them with their definitions.")
    return 0


def cmd_sample(args) -> int:
    from .sample import write_sample

    if args.children < 1:
        raise CpxlError(f"--children must be 1 or more; got {args.children}")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise CpxlError(f"{args.out}: is a file; name a folder for the sample")
    if args.period_end is not None:
        _check_arguments(args, out_suffixes=None)
    out = write_sample(args.out, children=args.children, seed=args.seed, period_end=args.period_end,
                       xml=args.xml)
    print(f"Synthetic sample written to {out}")
    return 0


def cmd_scorecards(args) -> int:
    from .scorecard import run_batch
    return run_batch(args)


def cmd_update_workbook(args) -> int:
    from .xl.update import update_workbook_command
    _check_arguments(args)
    return update_workbook_command(args)


def cmd_addin(args) -> int:
    from .addin import build_addin
    path = build_addin(args.out)
    print(f"Add-in written to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="cpxl", description="Corporate Parenting performance indicators "
                                "from SSDA903 and local extracts.")
    p.add_argument("--version", action="version", version=f"cpxl {__version__}")
    p.add_argument("--debug", action="store_true", help="show a traceback on unexpected errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def data_args(sp, period=True):
        sp.add_argument("data", help="a folder of CSV extracts, a workbook, or a 903 XML return")
        sp.add_argument("--config", help="cpxl.toml (default: the one beside the data, if any)")
        if period:
            sp.add_argument("--period-end", required=True, help="the last period end, YYYY-MM-DD")

    sp = sub.add_parser("validate", help="check the data and write the validation report")
    data_args(sp, period=False)
    sp.add_argument("--out", default="validation_report.csv", help="report file, .csv or .xlsx")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("indicators", help="write the long indicator table")
    data_args(sp)
    sp.add_argument("--months", type=int, default=13, help="number of month ends (default 13)")
    sp.add_argument("--out", required=True, help="output file, .csv or .xlsx")
    sp.set_defaults(func=cmd_indicators)

    sp = sub.add_parser("list", help="print the indicator catalogue")
    sp.add_argument("--csv", metavar="FILE", help="write the catalogue with definitions to a file")
    sp.add_argument("--markdown", metavar="FILE", help="write the definitions as a Markdown document")
    sp.set_defaults(func=cmd_list)

    sp = sub.add_parser("sample", help="write a synthetic county's extracts")
    sp.add_argument("out", help="folder to write")
    sp.add_argument("--children", type=int, default=2000, help="children looked after on any day")
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--period-end", default=None, help="last month of history (default 2025-12-31)")
    sp.add_argument("--xml", action="store_true",
                    help="the SSDA903 tables as one DfE XML file (ssda903.xml), the local ones as CSVs")
    sp.set_defaults(func=cmd_sample)

    sp = sub.add_parser("scorecards", help="write one scorecard workbook per district, area and the authority")
    data_args(sp)
    sp.add_argument("--out", required=True, help="output folder")
    sp.add_argument("--districts", help="only these districts (comma-separated)")
    sp.add_argument("--jobs", type=int, default=1, help="workbooks written in parallel")
    sp.add_argument("--pdf", action="store_true", help="also save each workbook as PDF (LibreOffice)")
    sp.add_argument("--suppress", type=int, default=0, metavar="N",
                    help="show counts 1..N (and values built on them) as 'c'")
    sp.add_argument("--with-child-lists", action="store_true",
                    help="add the children behind each red indicator (personal data)")
    sp.add_argument("--months", type=int, default=13, help="trend length (default 13)")
    sp.set_defaults(func=cmd_scorecards)

    sp = sub.add_parser("update-workbook", help="write the indicator table into a sheet of an existing workbook")
    sp.add_argument("book", help="the workbook (.xlsx or .xlsm)")
    sp.add_argument("--sheet", required=True, help="the sheet to (re)write")
    sp.add_argument("--data", required=True, help="a folder of CSV extracts or a workbook")
    sp.add_argument("--config")
    sp.add_argument("--period-end", required=True)
    sp.add_argument("--months", type=int, default=13)
    sp.add_argument("--force", action="store_true",
                    help="update even though openpyxl will drop the workbook's charts, images or pivots")
    sp.set_defaults(func=cmd_update_workbook)

    sp = sub.add_parser("addin", help="build the Excel add-in")
    asub = sp.add_subparsers(dest="addin_command", metavar="ACTION", required=True)
    b = asub.add_parser("build", help="write cpxl.xlam")
    b.add_argument("--out", default="cpxl.xlam")
    b.set_defaults(func=cmd_addin)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return args.func(args) or 0
    except CpxlError as e:
        print(f"cpxl: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head or similar: not an error
        return 0
    except KeyboardInterrupt:
        print("cpxl: interrupted; no output was left half-written", file=sys.stderr)
        return 130
    except MemoryError:
        print("cpxl: out of memory; try fewer --months or a smaller extract", file=sys.stderr)
        return 3
    except Exception as e:  # the last line of defence: never a traceback for an analyst
        if args.debug:
            raise
        print(f"cpxl: unexpected error ({type(e).__name__}: {e}). No output was left half-written. "
              "Run again with --debug and report it.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
