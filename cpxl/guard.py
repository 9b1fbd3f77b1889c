"""The input guard: what every reader checks before it reads a file an analyst gave it.

Hostile or damaged input must end in a clear :class:`~cpxl.errors.CpxlError`, never a hang, a
traceback or the machine's memory.  Every reader (the CSV and workbook readers in
:mod:`cpxl.reading`, ``cpxl update-workbook``, and the XML and columnar CSV readers) calls these
simple functions before it opens a file:

``check_file(path)``
    A regular file that can be read, within :data:`MAX_FILE_BYTES`.  FIFOs, devices and sockets
    are refused without being opened (opening a FIFO waits for a writer for ever).
``check_folder(path)``
    The files of a data folder (a folder that cannot be listed is a message, not a traceback).
``check_workbook(path)``
    ``check_file``, then what the file really is, whatever its name says: a password-protected
    (encrypted) workbook, an Excel 97-2003 ``.xls``, an ``.xlsb`` or an OpenDocument ``.ods`` are
    each named with what to do; anything else must be a zip that passes ``check_zip``.
``check_zip(path)``
    A zip (an .xlsx/.xlsm) whose parts inflate to at most :data:`MAX_PART_BYTES` each and
    :data:`MAX_UNZIPPED_BYTES` in all, none by more than :data:`MAX_INFLATION` times, with at
    most :data:`MAX_PARTS` parts (a "zip bomb" of a few KB that inflates to gigabytes).
``check_xml(path)``
    ``check_file``, then no DTD (``<!DOCTYPE`` / ``<!ENTITY``: entity expansion, external
    entities) in the first :data:`XML_PROLOGUE_BYTES`; parse the rest with ``defusedxml``.
``check_cells(rows, columns, file)``
    A table's size as read from the data (rows and columns that hold values, never the sheet's
    declared range: one stray formatted cell at XFD1048576 makes the declared range 17 billion
    cells), within :data:`MAX_CELLS`.

``workbook_format(path)``
    What a workbook file really is ('xlsx', 'encrypted', 'xls', 'xlsb', 'ods', 'zip', 'other').
``check_not_an_input(out, data, files_read)``
    Refuse an output path that is one of the inputs (the run would replace the data it reads).

A new reader calls ``check_file`` (CSV), ``check_workbook`` (xlsx) or ``check_xml`` (XML) on
every file before opening it, and ``check_cells`` once it knows a table's size from its data.

Sizes are generous for a county's SSDA903 extracts (the largest is tens of MB); they stop what
is not an extract.  The limits are documented in docs/reliability.md.
"""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from .errors import CpxlError

MAX_FILE_BYTES = 2 * 1024 ** 3          # one CSV, workbook or XML file
MAX_UNZIPPED_BYTES = 4 * 1024 ** 3      # a workbook's parts, inflated, in all
MAX_PART_BYTES = 2 * 1024 ** 3          # one part (one sheet's XML), inflated
MAX_INFLATION = 200                     # inflated size / compressed size of a large part
INFLATION_FROM_BYTES = 16 * 1024 ** 2   # parts smaller than this may inflate by any ratio
MAX_PARTS = 10_000
MAX_CELLS = 200_000_000                 # rows x columns of one table as read from the data
XML_PROLOGUE_BYTES = 64 * 1024

CFB_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")    # OLE2 compound file: .xls, or an encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"
UNPROTECT = ("open it in Excel with its password, then File > Info > Protect Workbook > Encrypt "
             "with Password, clear the password and save an unprotected copy for cpxl (keep it "
             "where the original is kept)")


def _os_reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


def check_file(path, *, max_bytes: int = MAX_FILE_BYTES) -> os.stat_result:
    """Refuse what is not a regular, readable file within ``max_bytes`` (see the module doc)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CpxlError(f"{path}: no such file or folder") from None
    except PermissionError:
        raise CpxlError(f"{path.name}: cannot be read (permission denied); ask for read access to "
                        "it (or to its folder), or copy it somewhere you can read") from None
    except OSError as e:
        raise CpxlError(f"{path.name}: cannot be read ({_os_reason(e)})") from None
    mode = st.st_mode
    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else
                "a folder" if stat.S_ISDIR(mode) else "not a regular file")
        raise CpxlError(f"{path.name}: is {kind}, not a data file; give cpxl the extract files "
                        "themselves (or copy the data into a file first)")
    if st.st_size > max_bytes:
        raise CpxlError(f"{path.name}: is {st.st_size / 1024 ** 3:.1f} GB, more than cpxl reads "
                        f"from one file ({max_bytes / 1024 ** 3:.0f} GB); is it the right file? "
                        "An extract of a whole county is tens of MB")
    if not os.access(path, os.R_OK):
        raise CpxlError(f"{path.name}: cannot be read (permission denied); ask for read access to "
                        "it, or copy it somewhere you can read")
    return st


def check_folder(path) -> list[Path]:
    """The entries of a data folder, sorted; a folder that cannot be listed is a CpxlError."""
    path = Path(path)
    try:
        return sorted(path.iterdir())
    except PermissionError:
        raise CpxlError(f"{path}: the folder cannot be read (permission denied); ask for read "
                        "access to it, or copy the extracts somewhere you can read") from None
    except OSError as e:
        raise CpxlError(f"{path}: the folder cannot be read ({_os_reason(e)})") from None


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except PermissionError:
        raise CpxlError(f"{path.name}: cannot be read (permission denied); is it open in another "
                        "program, or locked? Close it (or copy it) and run again") from None
    except OSError as e:
        raise CpxlError(f"{path.name}: cannot be read ({_os_reason(e)})") from None


def _cfb_is_encrypted(path: Path) -> bool:
    """An OLE2 file holding an EncryptionInfo stream: an .xlsx saved with a password."""
    try:
        import olefile
    except ImportError:                   # not a dependency: find the stream's name in the
        return _has_utf16_name(path, "EncryptionInfo")   # directory, wherever it lies
    try:
        with olefile.OleFileIO(str(path)) as ole:
            return ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage")
    except Exception:                     # a damaged OLE file: not encrypted as far as we know
        return False


def _has_utf16_name(path: Path, name: str, chunk: int = 1 << 20) -> bool:
    needle = name.encode("utf-16-le")
    tail = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                return False
            if needle in tail + block:
                return True
            tail = block[-len(needle):]


def workbook_format(path) -> str:
    """What the file really is: 'xlsx', 'encrypted', 'xls', 'xlsb', 'ods', 'zip' or 'other'."""
    path = Path(path)
    head = _head(path)
    if head.startswith(CFB_MAGIC):
        return "encrypted" if _cfb_is_encrypted(path) else "xls"
    if not head.startswith(ZIP_MAGIC):
        return "other"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and b"opendocument" in z.read("mimetype")[:200]:
                return "ods"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "xl/workbook.xml" in names:
                return "xlsx"
            return "zip"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return "other"


def check_workbook(path) -> None:
    """A workbook cpxl can open: not protected, not .xls/.xlsb/.ods, not a zip bomb."""
    path = Path(path)
    check_file(path)
    refused = _UNREADABLE_FORMATS.get(workbook_format(path))
    if refused:
        raise CpxlError(f"{path.name}: {refused}")
    check_zip(path)


# What a workbook that cpxl cannot read is, and what to do, by workbook_format's answer.
_UNREADABLE_FORMATS = {
    "encrypted": f"is protected with a password (encrypted), so cpxl cannot read it; {UNPROTECT}",
    "xls": "is an Excel 97-2003 (.xls) workbook; open it in Excel and save it as an Excel "
           "Workbook (.xlsx)",
    "xlsb": "is an Excel Binary Workbook (.xlsb), which cpxl cannot read; open it in Excel and "
            "save it as an Excel Workbook (.xlsx)",
    "ods": "is an OpenDocument spreadsheet (.ods); open it in LibreOffice Calc or Excel and save "
           "it as an Excel Workbook (.xlsx)",
    "other": "is not an Excel workbook (.xlsx/.xlsm) or is damaged (it is not a zip file); open "
             "it in Excel and save it again as .xlsx",
}


def check_zip(path) -> None:
    """Refuse a zip whose parts inflate beyond the limits (see the module doc)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise CpxlError(f"{path.name}: is not an Excel workbook (.xlsx/.xlsm) or is damaged "
                        "(it is not a valid zip file)") from None
    except OSError as e:
        raise CpxlError(f"{path.name}: cannot be read ({_os_reason(e)})") from None
    if len(infos) > MAX_PARTS:
        raise CpxlError(f"{path.name}: has {len(infos):,} parts, more than any workbook cpxl reads "
                        f"({MAX_PARTS:,}); it is damaged or not a workbook")
    total = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        bomb = size >= INFLATION_FROM_BYTES and size / packed > MAX_INFLATION
        if size > MAX_PART_BYTES or bomb:
            raise CpxlError(f"{path.name}: its part {info.filename} inflates from {packed:,} bytes "
                            f"to {size:,} bytes ({size / packed:,.0f} times); cpxl does not read a "
                            "workbook that unpacks to more than "
                            f"{MAX_PART_BYTES / 1024 ** 3:.0f} GB a part, or by more than "
                            f"{MAX_INFLATION} times. Is it damaged? Save it again from Excel, or "
                            "export the tables as CSV")
    if total > MAX_UNZIPPED_BYTES:
        raise CpxlError(f"{path.name}: unpacks to {total / 1024 ** 3:.1f} GB, more than cpxl reads "
                        f"from one workbook ({MAX_UNZIPPED_BYTES / 1024 ** 3:.0f} GB); export the "
                        "tables as CSV")


def check_xml(path) -> None:
    """A regular file within the limits, with no DTD or entity declarations near its start."""
    path = Path(path)
    check_file(path)
    with open(path, "rb") as f:
        head = f.read(XML_PROLOGUE_BYTES)
    low = head.lower()
    if b"<!doctype" in low or b"<!entity" in low or \
            b"<\x00!\x00d\x00o\x00c\x00t\x00y\x00p\x00e" in low:
        raise CpxlError(f"{path.name}: declares a DTD or entities (<!DOCTYPE or <!ENTITY), which "
                        "a DfE XML return never has; cpxl does not read it (it could expand to "
                        "gigabytes or read other files)")


def check_cells(rows: int, columns: int, file: str) -> None:
    """A table's size, counted from the data, within :data:`MAX_CELLS`."""
    if rows * columns > MAX_CELLS:
        raise CpxlError(f"{file}: holds {rows:,} rows x {columns:,} columns of data, more than "
                        f"cpxl reads from one table ({MAX_CELLS:,} cells); is it the right "
                        "file?")


def same_file(a, b) -> bool:
    """True when two paths name one file (through links, case-insensitive file systems ...)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_not_an_input(out, data, files_read=(), what: str = "--out") -> None:
    """Refuse an output path that is one of the inputs: the data file itself, or a file of the
    data folder that a table was read from (``files_read``: the names in ``dataset.files``), so
    a run never replaces the data it reads."""
    out = Path(out)
    if data is None or not out.exists():
        return
    data = Path(data)
    names = {str(f).split(" [", 1)[0] for f in files_read}
    inside = data.is_dir() and same_file(out.parent, data) and out.name in names
    if inside or (data.is_file() and same_file(out, data)):
        raise CpxlError(f"{what} {out}: is one of the input files; cpxl will not replace the "
                        "data it reads. Name another output file")
