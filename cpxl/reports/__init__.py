"""The scorecard's rows, worked out once, for every place that shows them.

A pure layer (pandas and numpy only: no XlsxWriter, no xlwings) between the long indicator table
and anything that prints or displays a scorecard: the batch workbooks and the board pack, and the
worksheet function and the ribbon.  One :class:`~cpxl.reports.rows.Row` per indicator carries
everything a reader sees on a scorecard line: the value and its counts, the change and whether it
is better or worse, the 13-month series, the RAG status (or why there is none), the published
comparators with the LAIT quartile band and whether they are comparable at all::

    from cpxl.reports import scorecard_rows
    rows = scorecard_rows(table, "Saltreach", "2025-12-31", config)
    [(r.title, r.shown, r.rag or r.not_rated) for r in rows]
"""
from __future__ import annotations

from ..rag import STATUTORY_THRESHOLDS
from .policy import Policy
from .published import Comparator, comparator_table
from .rows import Row, build_rows, scorecard_rows, thresholds

__all__ = [
           "STATUTORY_THRESHOLDS",
           "Comparator",
           "Policy",
           "Row",
           "build_rows",
           "comparator_table",
           "scorecard_rows",
           "thresholds",
]
