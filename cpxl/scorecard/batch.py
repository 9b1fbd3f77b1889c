"""``cpxl scorecards``: the batch.

1. Check the arguments (and, with ``--pdf``, that LibreOffice is there) before any work.
2. Load and validate the data; compute the long indicator table ONCE for every geography and month.
3. Cut it into one :class:`~cpxl.scorecard.model.BookData` per workbook (the authority, each area,
   each district), with the comparators, thresholds and data-quality counts each needs.
4. Write the workbooks, in a pool of ``--jobs`` processes, each handed only its slices, with a
   progress bar; each file is written atomically.
5. ``--pdf``: convert them with LibreOffice headless.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import engine
from ..engine import MAX_MONTHS
from ..coverage import check_for_command
from ..dataset import load
from ..dates import to_date
from ..errors import CpxlError
from ..output import check_writable, remove_stale_parts
from . import child_lists, pdf
from .book import write_book
from .model import BookData
from .naming import book_file_name
from .prepare import check_config_thresholds, check_names, plan_books

CHILD_LISTS_SUFFIX = "_CHILD_LISTS"


@dataclass(frozen=True)
class BatchOptions:
    """The choices of ``cpxl scorecards`` beyond the data, period end and folder (the CLI's
    options of the same names; checked by the batch, whoever calls it)."""
    config: str | None = None
    districts: str | None = None        # comma-separated; None: every district
    jobs: int = 1
    pdf: bool = False
    suppress: int = 0
    with_child_lists: bool = False
    months: int = 13
    pack: bool = False
    allow_beyond_data: bool = False


def run_scorecards(data, period_end, out, options: BatchOptions | None = None) -> int:
    """The batch for a caller other than the command line (the ribbon): same checks, same files."""
    options = options or BatchOptions()
    return run_batch(SimpleNamespace(data=data, period_end=period_end, out=out, **asdict(options)))


def _arguments(args):
    try:
        period_end = to_date(args.period_end).date()
    except ValueError as e:
        raise CpxlError(f"--period-end: {e}") from None
    months = getattr(args, "months", 13)
    months = 13 if months is None else months      # 0 is an error below, not the default
    if not 2 <= months <= MAX_MONTHS:
        raise CpxlError(f"--months must be from 2 (the scorecard compares this month with last) "
                        f"to {MAX_MONTHS}; got {months}")
    jobs = getattr(args, "jobs", 1)
    jobs = 1 if jobs is None else jobs
    if jobs < 1:
        raise CpxlError("--jobs must be 1 or more")
    n = getattr(args, "suppress", 0) or 0
    if n < 0:
        raise CpxlError("--suppress N: N is the largest count shown as c (e.g. 5); it cannot be "
                        "negative")
    if n and getattr(args, "with_child_lists", False):
        raise CpxlError("--with-child-lists cannot be used with --suppress: suppressed copies are "
                        "for sharing outside the authority, and child lists must never leave it")
    names = [d for d in (getattr(args, "districts", None) or "").split(",") if d.strip()]
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CpxlError(f"--out {out}: is a file; name a folder for the workbooks")
    return period_end, months, jobs, n, names, out


def plan(args, timings: dict | None = None):
    """Everything before writing: (books, paths); the indicators are computed here, once.

    ``timings``, if given, receives the seconds each stage took (load, compute, books).
    """
    period_end, months, _jobs, n, names, out = _arguments(args)
    clock = time.perf_counter()
    stages = timings if timings is not None else {}

    def lap(stage):
        nonlocal clock
        now = time.perf_counter()
        stages[stage] = now - clock
        clock = now
    dataset = load(args.data, config=getattr(args, "config", None))
    check_config_thresholds(dataset.config)
    allow_beyond_data = bool(getattr(args, "allow_beyond_data", False))
    check_for_command(dataset, period_end, allow_beyond_data)
    lap("load")
    ctx = child_lists.context(dataset, period_end)
    geo = ctx.geography
    check_names(names, geo)                     # before the indicators, which take the time
    table = engine.compute(dataset, period_end, months=months, allow_beyond_data=allow_beyond_data)
    lap("compute")
    districts = np.asarray(geo.districts, dtype=object)[geo.matrix[:, 0]]
    child_district = dict(zip(ctx.children.astype(str), districts))
    books = plan_books(dataset, table, geo, suppress=n, only=names, child_district=child_district)
    with_lists = bool(getattr(args, "with_child_lists", False))
    if with_lists:
        _add_child_lists(ctx, books)
    taken: set[str] = set()
    suffix = CHILD_LISTS_SUFFIX if with_lists else ""
    paths = [out / book_file_name(period_end, b.kind, b.name, taken, suffix) for b in books]
    lap("books")
    return books, paths


def _add_child_lists(ctx, books: list[BookData]) -> None:
    from ..catalogue import CATALOGUE

    first = books[0]
    red = [m.id for i, m in enumerate(first.indicators)
           if m.kind in ("percent", "mean") and first.bands[i] is not None
           and any(b.rows(b.own)[i].rag in child_lists.BELOW_GREEN for b in books)]
    bands = {m.id: b for m, b in zip(first.indicators, first.bands)}
    lists = child_lists.failing_children(ctx, [CATALOGUE[i] for i in red], bands)
    for b in books:
        b.child_lists = child_lists.for_book(lists, b)


def write_all(books: list[BookData], paths: list[Path], jobs: int = 1, progress: bool = True
              ) -> list[Path]:
    """Write every book (in ``jobs`` processes), with a progress bar."""
    bar = tqdm(total=len(books), desc="Scorecards", unit="workbook", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    written = []
    try:
        if jobs <= 1 or len(books) <= 1:
            for data, path in zip(books, paths):
                written.append(write_book(data, path))
                bar.update()
            return written
        with ProcessPoolExecutor(max_workers=min(jobs, len(books)), initializer=_worker_start,
                                 initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_write_in_worker, data, path) for data, path in zip(books, paths)]
            try:
                for f in as_completed(futures):
                    written.append(f.result())
                    bar.update()
            except BaseException:
                _stop_workers(pool, futures)
                raise
        done = set(written)
        return [p for p in paths if p in done]
    finally:
        bar.close()


_writing = False                            # in a worker: a book is being written


_parent = None                              # in a worker: the batch's process id


def _write_in_worker(data: BookData, path: Path) -> Path:
    global _writing
    _writing = True
    try:
        return write_book(data, path)
    except KeyboardInterrupt:
        if os.getppid() != _parent:         # the batch has gone: the part file is removed
            os._exit(143)                   # (atomic_path), and nobody waits for a result
        raise
    finally:
        _writing = False


def _worker_start(parent: int) -> None:
    """In each worker: SIGTERM ends the book being written as Ctrl+C does (its part file
    removed), and the worker stops when the parent does, however the parent ended."""
    import signal
    import threading

    global _parent
    _parent = parent

    def stop(signum, frame):
        if _writing:
            raise KeyboardInterrupt()       # atomic_path removes the book's part file
        os._exit(143)                       # idle: nothing to clean up, and no traceback

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:                                    # Linux: SIGTERM to this worker when the parent dies
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:              # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)

    def watch():                            # elsewhere (and as a backstop): poll the parent
        import _thread
        interrupted = False
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                if not _writing:
                    os._exit(143)
                if not interrupted:
                    _thread.interrupt_main()
                    interrupted = True

    threading.Thread(target=watch, daemon=True).start()


def _stop_workers(pool, futures) -> None:
    """On an error, Ctrl+C or SIGTERM: cancel what has not started and stop the workers now
    (each removes the part file of the book it was writing), rather than let them finish."""
    for f in futures:
        f.cancel()
    for proc in list(getattr(pool, "_processes", {}).values()):
        try:
            proc.terminate()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=True, cancel_futures=True)


def to_pdf(paths: list[Path], out: Path, jobs: int = 1, soffice: str | None = None,
           progress: bool = True) -> list[Path]:
    """Each workbook as PDF beside it; ``jobs`` LibreOffice processes, each with its own profile."""
    chunks = [paths[k::jobs] for k in range(max(1, min(jobs, len(paths))))]
    bar = tqdm(total=len(paths), desc="PDF", unit="file", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    made = []
    try:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            for result in pool.map(lambda c: pdf.convert(c, out, soffice=soffice), chunks):
                made += result
                bar.update(len(result))
    finally:
        bar.close()
    return sorted(made)


def run_batch(args) -> int:
    started = time.perf_counter()
    _period_end, _months, jobs, _n, _names, out = _arguments(args)
    pack = bool(getattr(args, "pack", False))
    if pack and getattr(args, "with_child_lists", False):
        raise CpxlError("--pack cannot be used with --with-child-lists: the board pack holds no "
                        "child lists")
    soffice = pdf.require_soffice() if getattr(args, "pdf", False) or pack else None
    print("Reading the data and computing the indicators (once for every geography)...",
          file=sys.stderr)
    books, paths = plan(args)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out, ".*.xlsx.part")       # left by a run that was killed
    for p in paths:
        check_writable(p)
        if soffice:
            check_writable(p.with_suffix(".pdf"))
    write_all(books, paths, jobs=jobs)
    made = to_pdf(paths, out, jobs=jobs, soffice=soffice) if getattr(args, "pdf", False) else []
    if pack:
        from .pack import pack_name, write_pack
        packed = write_pack(books, out / pack_name(books), soffice=soffice)
        print(f"Board pack written to {packed}")
    took = time.perf_counter() - started
    what = f"{len(paths)} workbook(s)" + (f" and {len(made)} PDF(s)" if made else "")
    print(f"{what} written to {out} in {took:.1f} s")
    if getattr(args, "with_child_lists", False):
        print("These files hold child lists (personal data, OFFICIAL-SENSITIVE): keep them within "
              "the authority.")
    if getattr(args, "suppress", 0):
        print(f"Counts from 1 to {args.suppress} (and values built on them) are shown as c.")
    return 0
