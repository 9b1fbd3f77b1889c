"""Safe, sortable file names and sheet names made from geography names and titles.

District names come from the analyst's data ("Eastwick/Holme", "Harrowgate [Old Town]"), so every
name is cleaned before it becomes part of a path or a sheet name:

- files: ``2025-12_Scorecard_Eastwick-Holme.xlsx``; characters that Windows, macOS or Excel
  refuse (``? * [ ] : , < > | "``, control and format characters) become spaces, slashes become
  ``-``, and spaces become ``_``; no leading or trailing dots or spaces (Windows drops them); the
  name's part at most 80 characters and 120 bytes (a whole name stays under the 255 bytes of
  every file system, whatever the script: 80 CJK characters are 240 bytes);
  reserved Windows names (CON, NUL, COM1 ...) get a trailing ``_``; names are unique ignoring case;
- sheets: at most 31 characters, none of ``/ \\ ? * [ ] :``, no leading or trailing apostrophe,
  unique ignoring case (as Excel requires).

Files start with the period (``YYYY-MM``) so a folder of many months sorts by month; within a
month the authority's book comes first (``0_``), then areas (``1_``), then districts.
"""
from __future__ import annotations

import re
import unicodedata

_FILE_SLASH = re.compile(r"\s*[/\\]+\s*")
_FILE_BAD = re.compile(r'[?*\[\]:,<>|"\x00-\x1f\x7f]+')
_SHEET_BAD = re.compile(r"[/\\?*\[\]:\x00-\x1f\x7f]+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
SHEET_MAX = 31
FILE_PART_MAX = 80
FILE_PART_MAX_BYTES = 120


def _visible(text: str) -> str:
    """NFC text with control and format characters (e.g. a right-to-left override, which can
    disguise ``exe.xlsx`` as ``xlsx.exe``) and line or paragraph separators as spaces."""
    text = unicodedata.normalize("NFC", str(text))
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                   else c for c in text)


def cut_to_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8 (the unit of Linux and macOS name
    limits), never inside a character."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


def safe_file_part(name: str) -> str:
    """A geography name as a piece of a file name, safe on Windows, macOS and Linux: at most
    FILE_PART_MAX characters and FILE_PART_MAX_BYTES bytes, so that the whole file name (period,
    kind, suffix, a collision number) stays well within the 255 bytes every file system allows."""
    s = _FILE_BAD.sub(" ", _FILE_SLASH.sub("-", _visible(name)))
    s = re.sub(r"\s+", "_", s.strip())
    s = re.sub(r"-{2,}", "-", s).strip("._- ")[:FILE_PART_MAX]
    s = cut_to_bytes(s, FILE_PART_MAX_BYTES).rstrip("._- ")
    if not s:
        s = "unnamed"
    if s.split(".")[0].upper() in _WINDOWS_RESERVED:
        s += "_"
    return s


def unique(name: str, taken: set[str], limit: int | None = None) -> str:
    """``name``, or ``name`` with ``_2``, ``_3`` ... so that it is not in ``taken`` (ignoring case)."""
    candidate, k = name, 1
    while candidate.casefold() in taken:
        k += 1
        suffix = f"_{k}"
        base = name if limit is None else name[:limit - len(suffix)]
        while limit is not None and base and _utf16(base + suffix) > limit:
            base = base[:-1]
        candidate = base + suffix
    taken.add(candidate.casefold())
    return candidate


def book_file_name(period_end, kind: str, name: str, taken: set[str], suffix: str = "") -> str:
    """``2025-12_Scorecard_0_Northshire.xlsx`` (authority), ``..._1_North_area`` (an area),
    ``2025-12_Scorecard_Aldermoor.xlsx`` (a district)."""
    order = {"la": "0_", "area": "1_", "district": ""}[kind]
    part = safe_file_part(name) + ("_area" if kind == "area" else "")
    stem = unique(f"{period_end:%Y-%m}_Scorecard_{order}{part}{suffix}", taken)
    return stem + ".xlsx"


def safe_sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters) made from ``name``."""
    s = _SHEET_BAD.sub("-", _visible(name)).strip().strip("'").strip()
    s = re.sub(r"\s+", " ", s)[:SHEET_MAX]
    while _utf16(s) > SHEET_MAX:       # Excel counts UTF-16 units: an emoji is two
        s = s[:-1]
    s = s.rstrip().rstrip("'") or "Sheet"
    if s.casefold() == "history":      # reserved by Excel
        s = "History-"
    return unique(s, taken, SHEET_MAX)


HEADER_FOOTER_MAX = 255          # Excel's limit, in UTF-16 units; XlsxWriter drops a longer one


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit_header_footer(before: str, name: str, after: str, limit: int = HEADER_FOOTER_MAX) -> str:
    """``before + name + after`` as an Excel header or footer within ``limit``: only ``name``
    (a geography's or authority's name, escaped here: '&' doubled) is shortened, with '...', so
    the marking in ``before`` (OFFICIAL, PERSONAL DATA) is never the part that is lost."""
    escaped = _visible(name).replace("&", "&&")
    room = limit - _utf16(before) - _utf16(after)
    if _utf16(escaped) <= room:
        return before + escaped + after
    if room < 4:                 # no room for any of the name: the marking still goes in
        return before + after[:max(0, limit - _utf16(before))]
    cut = escaped
    while _utf16(cut) > room - 3:
        cut = cut[:-1]
    if (len(cut) - len(cut.rstrip("&"))) % 2:   # never half of an escaped '&&'
        cut = cut[:-1]
    return before + cut.rstrip() + "..." + after
