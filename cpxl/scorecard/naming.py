"""Safe, sortable file names and sheet names made from geography names and titles.

District names come from the analyst's data ("Eastwick/Holme", "Harrowgate [Old Town]"), so every
name is cleaned before it becomes part of a path or a sheet name:

- files: ``2025-12_Scorecard_Eastwick-Holme.xlsx``; characters that Windows, macOS or Excel
  refuse (``? * [ ] : , < > | "`` and control characters) become spaces, slashes become ``-``,
  and spaces become ``_``;
  reserved Windows names (CON, NUL, COM1 ...) get a trailing ``_``; names are unique ignoring case;
- sheets: at most 31 characters, none of ``/ \\ ? * [ ] :``, no leading or trailing apostrophe,
  unique ignoring case (as Excel requires).

Files start with the period (``YYYY-MM``) so a folder of many months sorts by month; within a
month the authority's book comes first (``0_``), then areas (``1_``), then districts.
"""
from __future__ import annotations

import re

_FILE_SLASH = re.compile(r"\s*[/\\]+\s*")
_FILE_BAD = re.compile(r'[?*\[\]:,<>|"\x00-\x1f\x7f]+')
_SHEET_BAD = re.compile(r"[/\\?*\[\]:\x00-\x1f\x7f]+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
SHEET_MAX = 31
FILE_PART_MAX = 80


def safe_file_part(name: str) -> str:
    """A geography name as a piece of a file name, safe on Windows, macOS and Linux."""
    s = _FILE_BAD.sub(" ", _FILE_SLASH.sub("-", str(name)))
    s = re.sub(r"\s+", "_", s.strip())
    s = re.sub(r"-{2,}", "-", s).strip("._- ")[:FILE_PART_MAX].rstrip("._- ")
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
    s = _SHEET_BAD.sub("-", str(name)).strip().strip("'").strip()
    s = re.sub(r"\s+", " ", s)[:SHEET_MAX].rstrip().rstrip("'") or "Sheet"
    if s.casefold() == "history":      # reserved by Excel
        s = "History-"
    return unique(s, taken, SHEET_MAX)
