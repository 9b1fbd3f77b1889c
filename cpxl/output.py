"""Writing outputs safely: atomically (a temporary file, then rename) and never as formulas.

An analyst may have yesterday's output open in Excel; a failed or interrupted run must leave the
old file whole rather than half a new one, and say clearly when the file is locked.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd

from .errors import CpxlError

# A cell starting with one of these is read by Excel (and by LibreOffice) as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
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


def _os_message(e: OSError) -> str:
    return e.strerror or type(e).__name__


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".part",
                                   dir=path.parent)
    except OSError as e:
        raise CpxlError(f"{path.parent}: cannot write to this folder ({_os_message(e)})") from None
    os.close(fd)
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
        if tmp.exists():
            tmp.unlink()


def check_writable(path) -> None:
    """Fail early, before any work, when an output file is locked or its folder read-only."""
    path = Path(path)
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


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str, first_line: str | None) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "nan_inf_to_errors": False})
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
    wb.close()
