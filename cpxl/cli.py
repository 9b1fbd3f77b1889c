"""The ``cpxl`` command line.

    cpxl sample OUT [--children N] [--seed S] [--xml]
    cpxl validate DATA [--out report.csv|.xlsx] [--config FILE]
    cpxl indicators DATA --period-end YYYY-MM-DD [--months N] [--config FILE] [--allow-beyond-data] --out FILE
    cpxl list
    cpxl scorecards DATA --period-end YYYY-MM-DD --out DIR [...]
    cpxl update-workbook BOOK --sheet NAME --data DATA --period-end YYYY-MM-DD [--force]
    cpxl addin build [--out cpxl.xlam] [--interpreter PATH\\pythonw.exe]
    cpxl addin install [--interpreter PATH\\pythonw.exe] [--uninstall]
    cpxl template OUT
    cpxl cache clear [DATA]

Errors an analyst can fix end with a one-paragraph message and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from .errors import CpxlError


MAX_MONTHS = 600


def _load(args):
    from .dataset import load
    from .guard import check_not_an_input

    dataset = load(args.data, config=getattr(args, "config", None))
    out = getattr(args, "out", None)
    if out:
        files = [f for fl in dataset.files.values() for f in fl]
        check_not_an_input(out, args.data, files)
        if getattr(args, "config", None):
            check_not_an_input(out, args.config)
    return dataset


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


def _print_problems(dataset, out=None) -> None:
    out = out or sys.stdout          # looked up now, so a redirected stdout gets it too
    summary = dataset.summary()
    print("Tables: " + ", ".join(f"{n} ({len(t):,} rows)" for n, t in dataset.tables.items()), file=out)
    if summary.empty:
        print("Validation: no problems found.", file=out)
        return
    print(f"Validation: {len(dataset.problems):,} warning(s)", file=out)
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
    # The report names children, so it is written only where the analyst asked for it.
    if not args.out:
        if dataset.problems:
            print("No report written: add --out report.csv (or .xlsx) for every problem row "
                  "(it holds personal data).")
        return 0
    path = write_table(dataset.report(), args.out, sheet_name="validation",
                       first_line=PERSONAL_DATA_NOTICE)
    print(f"Full report (personal data): {path}")
    return 0


def _indicators_request(args) -> dict:
    """What, besides the data, decides the bytes ``cpxl indicators`` writes."""
    return {"command": "indicators", "period_end": str(args.period_end), "months": args.months,
            "allow_beyond_data": bool(args.allow_beyond_data), "suffix": Path(args.out).suffix.lower()}


def _print_indicators_summary(summary: dict, out, seconds: float, kept: bool = False) -> None:
    print(f"{summary['rows']:,} rows ({summary['indicators']} indicators x {summary['period_ends']} "
          f"period ends x {summary['geographies']} geographies) in {seconds:.1f} s -> {out}"
          + (" (the same files, configuration and arguments as an earlier run: its output, kept "
             "in the parsed-data cache)" if kept else ""))
    if summary["not_available"]:
        print(f"{summary['not_available']} indicator(s) not available (see the note column)")
    if summary["problems"]:
        print(f"{summary['problems']:,} validation problem(s): run 'cpxl validate' for the report")


def _replay_indicators(args, request: dict) -> bool:
    """Write the output an earlier run kept for the same files and request (parsed-data cache),
    without loading or computing (nor importing pandas); False on a miss."""
    from . import parsed_cache
    from .config import find_config, load_config

    path = Path(args.data)
    if not parsed_cache.enabled() or not path.exists():
        return False
    started = time.perf_counter()
    config = load_config(Path(args.config) if args.config else find_config(path))
    kept = parsed_cache.kept_output(path, parsed_cache.key(path, config), request)
    if kept is None:
        return False
    data, summary = kept
    if summary.get("warning"):
        print(summary["warning"], file=sys.stderr)
    from .guard import check_not_an_input
    from .output import atomic_path, check_writable, part_pattern, remove_stale_parts

    out = Path(args.out)
    check_writable(out)
    check_not_an_input(out, args.data, summary["files"])
    if args.config:
        check_not_an_input(out, args.config)
    remove_stale_parts(out.parent, part_pattern(out))
    with atomic_path(out) as tmp:
        Path(tmp).write_bytes(data)
    _print_indicators_summary(summary, args.out, time.perf_counter() - started, kept=True)
    return True


def cmd_indicators(args) -> int:
    request = _indicators_request(args)
    if _replay_indicators(args, request):
        return 0
    import io

    from . import parsed_cache
    from .coverage import check_for_command
    from .engine import compute
    from .output import write_table

    _check_arguments(args)
    dataset = _load(args)
    allow = bool(args.allow_beyond_data)
    warning = io.StringIO()
    check_for_command(dataset, args.period_end, allow, stream=warning)
    if warning.getvalue():
        print(warning.getvalue(), end="", file=sys.stderr)
    started = time.perf_counter()
    table = compute(dataset, args.period_end, months=args.months, allow_beyond_data=allow)
    written = write_table(table, args.out)
    summary = {
        "rows": len(table), "indicators": table["indicator"].nunique(),
        "period_ends": table["period_end"].nunique(), "geographies": table["geography"].nunique(),
        "not_available": table.loc[table["note"].str.startswith("not available"),
                                   "indicator"].nunique(),
        "problems": len(dataset.problems), "warning": warning.getvalue().rstrip("\n"),
        "files": [f for fl in dataset.files.values() for f in fl]}
    _print_indicators_summary(summary, args.out, time.perf_counter() - started)
    parsed_cache.keep_output(Path(args.data), dataset.cache_entry, request, written, summary)
    return 0


def cmd_list(args) -> int:
    from .catalogue import catalogue

    if args.rules:
        return _list_rules(args)
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


def _list_rules(args) -> int:
    from .validation import rule_catalogue

    rules = rule_catalogue()
    if args.csv:
        from .output import write_table
        write_table(rules, args.csv)
        print(f"{len(rules)} validation rules -> {args.csv}")
        return 0
    for table, part in rules.groupby("table", sort=False):
        print(f"\n{table}")
        for r in part.itertuples():
            print(f"  {r.rule}  [{r.column or '-'}; row used: {r.row_used}]\n      {r.checks}")
    print(f"\n{len(rules)} validation rules (all warnings). 'cpxl list --rules --csv FILE' "
          "writes them.")
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


def cmd_pack(args) -> int:
    from .scorecard.pack import run_pack
    return run_pack(args)


def cmd_update_workbook(args) -> int:
    from .xl.update import update_workbook_command
    _check_arguments(args)
    return update_workbook_command(args)


def _interpreter(args):
    """--interpreter, else this Python's pythonw.exe on Windows (None elsewhere: no INTERPRETER_WIN)."""
    from .addin.interpreter import default_interpreter
    return args.interpreter or default_interpreter()


def cmd_addin(args) -> int:
    from .addin import build_addin
    interpreter = _interpreter(args)
    path = build_addin(args.out, interpreter=interpreter)
    print(f"Add-in written to {path}")
    if interpreter is not None:
        print(f"It starts Python as {interpreter}")
    else:
        print("No Python interpreter recorded (not built on Windows): xlwings will run pythonw "
              "from the PATH unless INTERPRETER_WIN is set; see docs/excel.md")
    return 0


def cmd_addin_install(args) -> int:
    from .addin import build_addin
    from .addin import install as inst

    if not inst.on_windows():
        raise CpxlError("cpxl addin install registers the add-in with Excel for Windows; on this "
                        "system use cpxl addin build --out PATH and copy the file to the PC")
    if args.uninstall:
        removed = inst.uninstall_addin()
        print("\n".join(f"Removed {r}" for r in removed) if removed else
              "cpxl.xlam was not installed for this user; nothing to remove")
        return 0
    interpreter = _interpreter(args)
    result = inst.install_addin(lambda p: build_addin(p, interpreter=interpreter))
    print(result.summary())
    print(f"It starts Python as {interpreter}")
    print("Start Excel: the Corporate Parenting tab appears. In a cell, =CPXL_STATUS() shows the "
          "versions and 'Add-in check: OK'.")
    return 0


def cmd_template(args) -> int:
    from importlib import resources

    from .output import atomic_path

    out = Path(args.out)
    if out.is_dir():
        out = out / TEMPLATE_NAME
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise CpxlError(f"{args.out}: name an .xlsx file (or a folder) for the template")
    if out.exists():
        raise CpxlError(f"{out}: already exists; cpxl does not overwrite a workbook (choose "
                        "another name or remove it)")
    template = resources.files("cpxl").joinpath("templates", TEMPLATE_NAME)
    with atomic_path(out) as tmp:
        tmp.write_bytes(template.read_bytes())
    print(f"Template written to {out} (see docs/template.md; the extracts go in a folder "
          "'data' beside it)")
    return 0


TEMPLATE_NAME = "cpxl_template.xlsx"


def beyond_data_arg(sp) -> None:
    sp.add_argument("--allow-beyond-data", action="store_true",
                    help="compute a period end after the end of the month of the data's last "
                         "event anyway (refused otherwise); every row's note says so")


def cmd_cache_clear(args) -> int:
    from . import parsed_cache

    removed = parsed_cache.clear(Path(args.data) if args.data else None)
    if args.data is None:
        print("Cleared the cache in your profile"
              + (f" ({removed[0]})" if removed else " (it was empty)")
              + "; caches beside data folders are cleared with 'cpxl cache clear DATA'")
    elif removed:
        print("Cleared: " + ", ".join(str(r) for r in removed))
    else:
        print(f"No cached loads of {args.data}")
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
            beyond_data_arg(sp)
        no_cache(sp)

    def no_cache(sp):
        sp.add_argument("--no-cache", action="store_true",
                        help="read and validate the files afresh, without the parsed-data cache")

    sp = sub.add_parser("validate", help="check the data; with --out, write the validation report")
    data_args(sp, period=False)
    sp.add_argument("--out", default=None,
                    help="write the full report (personal data) to this .csv or .xlsx file; "
                         "without it only the summary is printed")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("indicators", help="write the long indicator table")
    data_args(sp)
    sp.add_argument("--months", type=int, default=13, help="number of month ends (default 13)")
    sp.add_argument("--out", required=True, help="output file, .csv or .xlsx")
    sp.set_defaults(func=cmd_indicators)

    sp = sub.add_parser("list", help="print the indicator catalogue")
    sp.add_argument("--csv", metavar="FILE", help="write the catalogue with definitions to a file")
    sp.add_argument("--markdown", metavar="FILE", help="write the definitions as a Markdown document")
    sp.add_argument("--rules", action="store_true", help="the validation rules instead")
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
    sp.add_argument("--pack", action="store_true",
                    help="also write the board pack: one PDF of every book (LibreOffice)")
    sp.set_defaults(func=cmd_scorecards)

    sp = sub.add_parser("pack", help="write the board pack: one PDF, cover to appendix")
    data_args(sp)
    sp.add_argument("--out", required=True, help="the PDF to write")
    sp.add_argument("--districts", help="only these districts and areas (the authority always)")
    sp.add_argument("--suppress", type=int, default=0, metavar="N",
                    help="show counts from 1 to N as c (for copies that leave the authority)")
    sp.add_argument("--months", type=int, default=13, help="trend length (default 13)")
    sp.add_argument("--xlsx", action="store_true", help="also save the pack's workbook beside it")
    sp.set_defaults(func=cmd_pack)

    sp = sub.add_parser("update-workbook", help="write the indicator table into a sheet of an existing workbook")
    sp.add_argument("book", help="the workbook (.xlsx or .xlsm)")
    sp.add_argument("--sheet", required=True, help="the sheet to (re)write")
    sp.add_argument("--data", required=True, help="a folder of CSV extracts or a workbook")
    sp.add_argument("--config")
    sp.add_argument("--period-end", required=True)
    beyond_data_arg(sp)
    sp.add_argument("--months", type=int, default=13)
    sp.add_argument("--force", action="store_true",
                    help="update even though openpyxl will drop the workbook's charts, images or pivots")
    no_cache(sp)
    sp.set_defaults(func=cmd_update_workbook)

    sp = sub.add_parser("addin", help="build or install the Excel add-in")
    asub = sp.add_subparsers(dest="addin_command", metavar="ACTION", required=True)
    interpreter_help = ("the pythonw.exe Excel starts (default on Windows: this Python's); the "
                        "xlwings DLLs must be beside it or one folder up")
    b = asub.add_parser("build", help="write cpxl.xlam")
    b.add_argument("--out", default="cpxl.xlam")
    b.add_argument("--interpreter", help=interpreter_help)
    b.set_defaults(func=cmd_addin)
    i = asub.add_parser("install", help="build cpxl.xlam into your add-ins folder and register it "
                        "with Excel (Windows, this user only, no admin rights)")
    i.add_argument("--interpreter", help=interpreter_help)
    i.add_argument("--uninstall", action="store_true", help="remove the add-in and its registration")
    i.set_defaults(func=cmd_addin_install)

    sp = sub.add_parser("template", help="copy the analyst's workbook template (cpxl formulas) out")
    sp.add_argument("out", help="the .xlsx to write, or a folder for cpxl_template.xlsx")
    sp.set_defaults(func=cmd_template)

    sp = sub.add_parser("cache", help="the parsed-data cache (see docs/caching.md)")
    csub = sp.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    c = csub.add_parser("clear", help="remove the cached loads of DATA (or, with no DATA, every "
                        "cached load in your profile)")
    c.add_argument("data", nargs="?", help="a data folder or workbook")
    c.set_defaults(func=cmd_cache_clear)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job, ``kill``): handled like Ctrl+C, so every
    ``finally`` runs and no part file or temporary file is left behind."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _console_never_fails() -> None:
    """A console or log that is not UTF-8 (cmd.exe, a scheduled job's log in cp1252) shows a
    character it cannot encode as '?' instead of failing the run."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, OSError):
            pass                     # not a text stream that can be reconfigured (a test's)


def _handle_sigterm():
    """Install the SIGTERM handler (main thread only); returns the previous handler, or None."""
    import signal

    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, AttributeError, OSError):   # not the main thread, or no SIGTERM
        return None


def _os_error_message(e: OSError) -> str:
    """A failure of the file system that no other handler named, said plainly."""
    import errno

    where = f"{e.filename}: " if e.filename else ""
    reason = e.strerror or type(e).__name__
    hints = {errno.ENOSPC: "the disk is full; free some space (or write elsewhere) and run again",
             errno.EDQUOT: "your disk quota is used up; free some space and run again",
             errno.ENAMETOOLONG: "a file name is too long; use a shorter name or folder",
             errno.EACCES: "ask for access to it, or use a folder you can read and write",
             errno.EPERM: "ask for access to it, or use a folder you can read and write",
             errno.EROFS: "the file system is read-only; write somewhere else"}
    hint = hints.get(e.errno, "check the file or folder and run again")
    return f"{where}{reason.lower() if where else reason}; {hint}. No output was left half-written"


def main(argv=None) -> int:
    _console_never_fails()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    fresh = contextlib.nullcontext()
    if getattr(args, "no_cache", False):
        from .parsed_cache import switched_off
        fresh = switched_off()
    previous = _handle_sigterm()
    try:
        with fresh:
            return args.func(args) or 0
    except CpxlError as e:
        print(f"cpxl: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head or similar: not an error
        return 0
    except Terminated:
        print("cpxl: stopped (terminated); no output was left half-written", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("cpxl: interrupted; no output was left half-written", file=sys.stderr)
        return 130
    except RecursionError:
        print("cpxl: an input is nested too deeply to read (a damaged or hostile file); no "
              "output was left half-written", file=sys.stderr)
        return 2
    except OSError as e:
        if args.debug:
            raise
        print(f"cpxl: {_os_error_message(e)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("cpxl: out of memory; try fewer --months or a smaller extract", file=sys.stderr)
        return 3
    except Exception as e:  # the last line of defence: never a traceback for an analyst
        if args.debug:
            raise
        print(f"cpxl: unexpected error ({type(e).__name__}: {e}). No output was left half-written. "
              "Run again with --debug and report it.", file=sys.stderr)
        return 3
    finally:
        if previous is not None:
            import signal
            signal.signal(signal.SIGTERM, previous)


def entry() -> None:
    """The ``cpxl`` program: :func:`main`, then out of the process without the interpreter's
    teardown.

    Arrow's worker threads can still be running when the C++ runtime destroys Arrow's thread pool
    at exit; the runtime then aborts the process ("terminate called without an active exception",
    SIGABRT) after cpxl has done its work and said so, and a scheduled job sees a crash.  Nothing
    is left to the teardown (every output is written and closed before ``main`` returns), so the
    console is flushed and the process ends with ``os._exit``."""
    try:
        code = main()
    except SystemExit as e:                  # argparse: --help, or a usage error (printed)
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):        # a closed pipe (piped into head): nothing to say
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
