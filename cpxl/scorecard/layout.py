"""Where things are in a workbook, decided once so sheets can refer to each other's cells.

The Scorecard's sparklines read the Trend sheet's rows, and its RAG formulas and conditional
formats read the Thresholds sheet's cells; both are fixed here before any sheet is written.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from .model import BookData

THEME_TITLES = {"Profile": "Profile of the children looked after"}

# Thresholds sheet: one row per indicator from THRESHOLD_FIRST_ROW, these columns.
THRESHOLD_FIRST_ROW = 5
TH_COL = {"title": 0, "unit": 1, "better": 2, "green": 3, "amber": 4, "target": 5,
          "england": 6, "basis": 7, "id": 8}        # the id is outside the print area

# Trend sheet: title rows, then the charts (CHARTS_PER_ROW a band of CHART_ROWS rows), then the
# table from its header row; the first month's column.
TREND_TITLE_ROWS = 3
TREND_FIRST_MONTH_COL = 2
CHARTS_PER_ROW = 3
CHART_ROWS = 15


def groups(indicators) -> list[tuple[str, list[int]]]:
    """Consecutive indicators of one theme: [(theme, [indices])] in scorecard order."""
    out: list[tuple[str, list[int]]] = []
    for i, m in enumerate(indicators):
        if out and out[-1][0] == m.theme:
            out[-1][1].append(i)
        else:
            out.append((m.theme, [i]))
    return out


def theme_title(theme: str) -> str:
    return THEME_TITLES.get(theme, theme)


@dataclass
class Layout:
    groups: list[tuple[str, list[int]]]
    trend_header_row: int
    trend_row: dict[int, int]           # indicator index -> row of the Trend table
    theme_row: dict[str, int]
    authority_trend_row: dict[int, int]  # headline indicators' authority row (district/area books)
    authority_heading_row: int | None
    chart_col: int                      # first column of the figures charts and sparklines read
    months: int
    charts: list[int]                   # the headline indicators charted (those with a value)
    trend_sheet: str = "Trend"

    @classmethod
    def of(cls, data: BookData, trend_sheet: str = "Trend") -> "Layout":
        g = groups(data.indicators)
        charts = [i for i, m in enumerate(data.indicators)
                  if m.headline and np.isfinite(data.own.value[i]).any()]
        bands = -(-len(charts) // CHARTS_PER_ROW)
        header = TREND_TITLE_ROWS + (bands * CHART_ROWS + 1 if charts else 0)
        row = header + 1
        trend_row, theme_row = {}, {}
        for theme, members in g:
            theme_row[theme] = row
            row += 1
            for i in members:
                trend_row[i] = row
                row += 1
        auth, auth_heading = {}, None
        if data.authority_series is not None:
            auth_heading = row + 1           # a gap, then the comparison block's heading
            row = auth_heading + 1
            for i, m in enumerate(data.indicators):
                if m.headline:
                    auth[i] = row
                    row += 1
        months = len(data.periods)
        # With suppression the table shows "c"; charts read a hidden copy with blanks instead.
        chart_col = TREND_FIRST_MONTH_COL + (months + 1 if data.suppress else 0)
        return cls(g, header, trend_row, theme_row, auth, auth_heading, chart_col, months, charts,
                   trend_sheet)

    def trend_range(self, row: int) -> str:
        """The months of one Trend row as an absolute reference for charts and sparklines."""
        first = xl_rowcol_to_cell(row, self.chart_col, row_abs=True, col_abs=True)
        last = xl_rowcol_to_cell(row, self.chart_col + self.months - 1, row_abs=True, col_abs=True)
        return f"'{self.trend_sheet}'!{first}:{last}"

    def month_range(self) -> str:
        first = xl_rowcol_to_cell(self.trend_header_row, TREND_FIRST_MONTH_COL, True, True)
        last = xl_rowcol_to_cell(self.trend_header_row, TREND_FIRST_MONTH_COL + self.months - 1,
                                 True, True)
        return f"'{self.trend_sheet}'!{first}:{last}"


def threshold_cell(i: int, key: str) -> str:
    """The absolute reference of indicator ``i``'s threshold ``key`` (green, amber, target)."""
    return "Thresholds!" + xl_rowcol_to_cell(THRESHOLD_FIRST_ROW + i, TH_COL[key], True, True)
