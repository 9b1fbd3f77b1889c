"""Batch scorecards: one print-ready workbook per district, per area and for the authority.

    cpxl scorecards DATA --period-end 2025-12-31 --out scorecards/ [--jobs 4] [--pdf]

:func:`run_batch` is the command; :func:`~cpxl.scorecard.book.write_book` writes one workbook from
a :class:`~cpxl.scorecard.model.BookData`; :mod:`cpxl.scorecard.prepare` cuts the long indicator
table into those.  docs/scorecards.md describes every sheet.
"""
from __future__ import annotations

from .batch import run_batch

__all__ = ["run_batch"]
