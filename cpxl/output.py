"""Writing outputs safely: atomically (a temporary file, then rename) and never as formulas.

An analyst may have yesterday's output open in Excel; a failed or interrupted run must leave the
old file whole rather than half a new one, and say clearly when the file is locked.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CpxlError

if TYPE_CHECKING:     # pandas is imported where a frame is written: a kept output is copied without it
    import pandas as pd

# A cell starting with one of these is read by Excel (and by LibreOffice) as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            s = out[col]
            text = s.astype("string")
            risky = text.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
            if risky.any():
                out[col] = s.where(~risky, "'" + text)
    if any(str(c).startswith(FORMULA_STARTS) for c in out.columns):
        out.columns = [neutralise(str(c)) for c in out.columns]
    return out


PART_SUFFIX = ".part"
MAX_NAME_BYTES = 255
PART_STEM_BYTES = 100        # of the output's stem, in its part file's name
PART_EXTRA_BYTES = 0         # a part file's name is cut to fit, so outputs may use all 255
STALE_PART_SECONDS = 2       # a part file younger than this may be a run that is starting


def _os_message(e: OSError) -> str:
    return e.strerror or type(e).__name__


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes (UTF-8), never inside a character."""
    return os.fsencode(text)[:limit].decode("utf-8", errors="ignore") if \
        len(os.fsencode(text)) > limit else text


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:              # Windows: an open file cannot be removed anyway
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass


def _is_locked(path: Path) -> bool:
    try:
        import fcntl
    except ImportError:
        return False
    try:
        with open(path, "rb") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
            return False
    except OSError:
        return True


def part_pattern(path) -> str:
    """The glob of the part files :func:`atomic_path` makes for ``path``."""
    import glob

    path = Path(path)
    return f".{glob.escape(_cut_bytes(path.stem, PART_STEM_BYTES))}.*{glob.escape(path.suffix)}{PART_SUFFIX}"


def remove_stale_parts(folder, pattern: str = ".*.part") -> list[Path]:
    """Remove part files that a killed run left in ``folder`` (cpxl's own naming,
    ``.<name>.<random><suffix>.part``); those of a run still writing (locked) are left."""
    import time

    folder = Path(folder)
    removed = []
    try:
        candidates = list(folder.glob(pattern))
    except OSError:
        return removed
    now = time.time()
    for p in candidates:
        try:
            if not p.is_file() or now - p.stat().st_mtime < STALE_PART_SECONDS or _is_locked(p):
                continue
            p.unlink()
            removed.append(p)
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    Whatever happens (an error, Ctrl+C, a locked target) the temporary file is removed and the
    old ``path`` is left as it was.  Failures of the file system (a locked or read-only file, a
    folder where the file should be, a full disk) are a :class:`CpxlError` naming the file.
    """
    path = Path(path)
    if path.is_dir():
        raise CpxlError(f"{path}: is a folder, not a file; name the output file (or remove the "
                        "folder) and run again")
    check_name_length(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{_cut_bytes(path.stem, PART_STEM_BYTES)}.",
                                   suffix=path.suffix + PART_SUFFIX, dir=path.parent)
    except OSError as e:
        raise CpxlError(f"{path.parent}: cannot write to this folder ({_os_message(e)})") from None
    # Held while the part file exists: a later run's clean-up (remove_stale_parts) can tell a
    # part file being written from one left by a killed run.
    _lock(fd)
    tmp = Path(tmp)
    # mkstemp makes the file private (0600); an output should get the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        try:
            yield tmp
        except OSError as e:
            if isinstance(e, (FileNotFoundError, IsADirectoryError, PermissionError)) and \
                    e.filename not in (None, str(tmp)):
                raise
            raise CpxlError(f"{path}: could not be written ({_os_message(e)}); the previous "
                            "file, if any, is unchanged") from None
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise CpxlError(f"{path}: cannot be replaced; is it open in Excel or another program? "
                            "Close it and run again") from None
        except OSError as e:
            raise CpxlError(f"{path}: cannot be replaced ({_os_message(e)}); is it open in "
                            "another program? Close it and run again") from None
    finally:
        try:
            if tmp.exists():
                tmp.unlink()
        finally:
            os.close(fd)


def check_name_length(path) -> None:
    """A file name within what every file system takes (255 bytes; 255 UTF-16 units on NTFS)."""
    name = Path(path).name
    if len(os.fsencode(name)) > MAX_NAME_BYTES - PART_EXTRA_BYTES:
        raise CpxlError(f"{name[:60]}...: the output file's name is too long "
                        f"({len(os.fsencode(name))} bytes; at most "
                        f"{MAX_NAME_BYTES - PART_EXTRA_BYTES}); name a shorter file")


def check_writable(path) -> None:
    """Fail early, before any work, when an output file is locked or its folder read-only."""
    path = Path(path)
    check_name_length(path)
    try:
        path.exists()
    except OSError as e:
        raise CpxlError(f"{path}: cannot be written ({_os_message(e)})") from None
    if path.is_dir():
        raise CpxlError(f"{path}: is a folder, not a file; name the output file (or remove the "
                        "folder) and run again")
    if path.exists():
        try:
            with open(path, "r+b"):
                pass
        except PermissionError:
            raise CpxlError(f"{path}: is open in another program or read-only; close it and run "
                            "again") from None
        except OSError as e:
            raise CpxlError(f"{path}: cannot be written ({_os_message(e)})") from None
    elif path.parent.exists() and not path.parent.is_dir():
        raise CpxlError(f"{path.parent}: is a file, not a folder; the output cannot go there")
    elif path.parent.exists() and not os.access(path.parent, os.W_OK):
        raise CpxlError(f"{path.parent}: this folder cannot be written to")


def write_table(frame: pd.DataFrame, path, sheet_name: str = "indicators",
                first_line: str | None = None) -> Path:
    """A table as CSV (UTF-8 with BOM, so Excel reads it right) or XLSX, by the file's extension.

    ``first_line`` (e.g. a personal-data notice) goes above the header.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CpxlError(f"{path.name}: write .csv or .xlsx (got '{path.suffix or 'no extension'}')")
    check_writable(path)
    remove_stale_parts(path.parent, part_pattern(path))
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            # A CSV has no cell types: text that Excel would run as a formula gets an apostrophe.
            with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
                if first_line:
                    f.write(first_line + "\r\n")
                neutralise_frame(frame).to_csv(f, index=False, float_format="%.15g",
                                               lineterminator="\r\n")
        else:
            # In XLSX every string is written as a text cell (never a formula): kept as it is.
            _write_xlsx(frame, tmp, sheet_name, first_line)
    return path


@contextlib.contextmanager
def xlsxwriter_book(path, options: dict):
    """An XlsxWriter workbook built in memory and written to ``path`` when the block ends.

    In memory: XlsxWriter's temporary files (which hold the data, children's ids included) would
    otherwise go to $TMPDIR and stay there when a run is killed.  The bytes are written with an
    ordinary file write, so a full disk is an OSError that :func:`atomic_path` reports (a
    zipfile writing to a full disk raised again from its finaliser, as a traceback).
    """
    import io

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {**options, "in_memory": True})
    try:
        yield wb
    finally:
        wb.close()
    with open(path, "wb") as f:
        f.write(buf.getbuffer())


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str, first_line: str | None) -> None:
    with xlsxwriter_book(path, {"strings_to_formulas": False, "strings_to_urls": False,
                                "strings_to_numbers": False, "nan_inf_to_errors": False}) as wb:
        _fill_xlsx(wb, frame, sheet_name, first_line)


def _fill_xlsx(wb, frame: pd.DataFrame, sheet_name: str, first_line: str | None) -> None:
    ws = wb.add_worksheet(sheet_name[:31])
    bold = wb.add_format({"bold": True})
    row0 = 0
    if first_line:
        ws.write_string(0, 0, first_line, wb.add_format({"bold": True, "font_color": "#C00000"}))
        row0 = 2
    for j, col in enumerate(frame.columns):
        ws.write_string(row0, j, str(col), bold)
    for j, col in enumerate(frame.columns):
        values = frame[col].tolist()
        for i, v in enumerate(values, start=row0 + 1):
            if v is None or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, str):
                ws.write_string(i, j, v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(i, j, v)
            else:
                ws.write(i, j, v)
    if len(frame.columns):
        ws.autofilter(row0, 0, row0 + len(frame), len(frame.columns) - 1)
    ws.freeze_panes(row0 + 1, 0)
