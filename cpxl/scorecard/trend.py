"""The Trend sheet: every indicator month by month, and line charts of the headline indicators.

On district and area books a block under the table repeats the authority's headline indicators,
and each chart draws both lines.  With ``--suppress`` the table shows ``c``; the charts and the
Scorecard's sparklines then read a hidden copy of the months in which suppressed cells are blank
(so a suppressed month is a gap, never a zero).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from .figures import write_value
from .layout import (CHART_ROWS, CHARTS_PER_ROW, TREND_FIRST_MONTH_COL, TREND_TITLE_ROWS, Layout,
                     theme_title)
from .model import BookData, Series
from .styles import MONTH_FORMAT, NUMBER_FORMATS, PAGE_WIDTH_UNITS, UNIT_SHORT, page_setup

CHART_H = 290                   # pixels; a band of CHART_ROWS rows of 20 px holds a row of charts
AXIS_FORMATS = {"%": '0"%"', "count": "#,##0", "days": "#,##0"}


def _write_months(ws, st, lay: Layout, row: int, series: Series, i: int, unit: str, muted) -> None:
    fmt = st.number(unit)
    values, cs = series.value[i], series.value_c[i]
    for p in range(lay.months):
        write_value(ws, row, TREND_FIRST_MONTH_COL + p, values[p], bool(cs[p]), fmt, muted,
                    blank_text="")
    if lay.chart_col != TREND_FIRST_MONTH_COL:       # the hidden copy the charts read
        hidden = st(num_format=NUMBER_FORMATS.get(unit, "0.0"))
        for p in range(lay.months):
            v = values[p]
            if not np.isnan(v):
                ws.write_number(row, lay.chart_col + p, float(v), hidden)


def write(wb, st, data: BookData, lay: Layout, name: str = "Trend") -> None:
    ws = wb.add_worksheet(name)
    page_setup(ws, data, "Trend", repeat_rows=(lay.trend_header_row,))
    month_width = min(8.0, (PAGE_WIDTH_UNITS - 36) / lay.months)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 6)
    last_col = TREND_FIRST_MONTH_COL + lay.months - 1
    ws.set_column(TREND_FIRST_MONTH_COL, last_col, month_width)
    if lay.chart_col != TREND_FIRST_MONTH_COL:
        # the copy the charts and sparklines read (suppressed cells blank): outside the print
        # area, and not hidden, so that every spreadsheet program draws from it
        ws.set_column(lay.chart_col, lay.chart_col + lay.months - 1, 6)
    ws.write_string(0, 0, f"{data.title}: trend over {lay.months} months", st.title())
    ws.write_string(1, 0, f"Month-end figures, {data.periods[0]:%B %Y} to {data.period_end:%B %Y}: "
                    "the headline indicators charted, then every indicator month by month.",
                    st.subtitle())
    span = _px(30) + _px(6) + lay.months * _px(month_width)
    _charts(wb, ws, data, lay, span)

    h = lay.trend_header_row
    ws.write_string(h, 0, "Indicator", st.header(align="left"))
    ws.write_string(h, 1, "Unit", st.header())
    month_fmt = st.header(num_format=MONTH_FORMAT)
    for p, d in enumerate(data.periods):
        ws.write_datetime(h, TREND_FIRST_MONTH_COL + p, dt.datetime(d.year, d.month, d.day), month_fmt)
    label, muted = st.label(), st.muted()
    for theme, members in lay.groups:
        ws.merge_range(lay.theme_row[theme], 0, lay.theme_row[theme], last_col, theme_title(theme),
                       st.theme())
        for i in members:
            m = data.indicators[i]
            r = lay.trend_row[i]
            ws.write_string(r, 0, m.title, label)
            ws.write_string(r, 1, UNIT_SHORT.get(m.unit, m.unit), muted)
            _write_months(ws, st, lay, r, data.own, i, m.unit, muted)
    auth = data.authority_series
    if auth is not None and lay.authority_trend_row:
        ws.merge_range(lay.authority_heading_row, 0, lay.authority_heading_row, last_col,
                       f"For comparison: {data.authority} (headline indicators)", st.theme())
        for i, r in lay.authority_trend_row.items():
            m = data.indicators[i]
            ws.write_string(r, 0, m.title, label)
            ws.write_string(r, 1, UNIT_SHORT.get(m.unit, m.unit), muted)
            _write_months(ws, st, lay, r, auth, i, m.unit, muted)
    if lay.charts:
        # two bands of charts a page, then the table on pages of its own
        bands = -(-len(lay.charts) // CHARTS_PER_ROW)
        ws.set_h_pagebreaks([TREND_TITLE_ROWS + k * CHART_ROWS for k in range(2, bands, 2)] + [h])
    end = max([h, *lay.trend_row.values(), *lay.authority_trend_row.values()])
    if data.pack and data.kind != "la" and lay.charts:
        end = h - 1          # in the pack an area's or district's trend is its charts (the
                             # scorecard's sparklines carry the months); the table stays on screen
    ws.print_area(0, 0, end, last_col)


def _px(width: float) -> int:
    """XlsxWriter's pixels for a column width (charts are anchored to columns by them)."""
    return int(width * 7 + 5) if width >= 1 else int(width * 12 + 0.5)


def _charts(wb, ws, data: BookData, lay: Layout, span: int) -> None:
    # Charts are anchored to cells: a spreadsheet program that draws columns wider than
    # XlsxWriter assumes (LibreOffice) widens the charts with them, so they are sized to fit
    # the printed columns as XlsxWriter counts them, and stay within the page in both.
    gap = 8
    width = (span - gap * (CHARTS_PER_ROW + 1)) // CHARTS_PER_ROW
    # Series names come from cells holding the names as text: a name given as a string is parsed
    # by XlsxWriter as a reference when it looks like one (a district called "+cmd|' /C calc'!A0"
    # would become a formula in the chart), so it is never passed as a string.
    name_col = lay.chart_col + lay.months
    ws.set_column(name_col, name_col, 8, None, {"hidden": True})
    ws.write_string(0, name_col, data.title)
    ws.write_string(1, name_col, data.authority or "")
    ws.write_string(2, name_col, "England")
    ws.write_string(3, name_col, "Green line")
    own_name = [lay.trend_sheet, 0, name_col]
    authority_name = [lay.trend_sheet, 1, name_col]
    england_name, green_name = [lay.trend_sheet, 2, name_col], [lay.trend_sheet, 3, name_col]
    # Reference lines: England's published figure and the green threshold, each a row of the
    # same value for every month, right of the names (outside the print area).
    ref_col = name_col + 1
    sheet = lay.trend_sheet.replace("'", "''")

    def constant_row(row: int, value: float) -> str:
        for p in range(lay.months):
            ws.write_number(row, ref_col + p, float(value))
        first = xl_rowcol_to_cell(row, ref_col, True, True)
        last = xl_rowcol_to_cell(row, ref_col + lay.months - 1, True, True)
        return f"'{sheet}'!{first}:{last}"
    for k, i in enumerate(lay.charts):
        m = data.indicators[i]
        comp, b = data.comparators[i], data.bands[i]
        chart = wb.add_chart({"type": "line"})
        chart.add_series({"name": own_name, "categories": lay.month_range(),
                          "values": lay.trend_range(lay.trend_row[i]),
                          "line": {"color": "#1F3864", "width": 2.0},
                          "marker": {"type": "circle", "size": 4, "border": {"color": "#1F3864"},
                                     "fill": {"color": "#1F3864"}}})
        lines = 1
        # a count is never drawn against a bigger geography's count on one axis: the authority's
        # line is for rates, percentages and averages only
        if i in lay.authority_trend_row and m.unit != "count":
            chart.add_series({"name": authority_name, "categories": lay.month_range(),
                              "values": lay.trend_range(lay.authority_trend_row[i]),
                              "line": {"color": "#8C8C8C", "width": 1.5, "dash_type": "dash"},
                              "marker": {"type": "none"}})
            lines += 1
        if (comp is not None and comp.comparable and comp.england is not None
                and m.unit != "count"):
            chart.add_series({"name": england_name, "categories": lay.month_range(),
                              "values": constant_row(2 * k, comp.england),
                              "line": {"color": "#C55A11", "width": 1.25, "dash_type": "dash"},
                              "marker": {"type": "none"}})
            lines += 1
        if b is not None:
            chart.add_series({"name": green_name, "categories": lay.month_range(),
                              "values": constant_row(2 * k + 1, b.green),
                              "line": {"color": "#1E7B34", "width": 1.0,
                                       "dash_type": "round_dot"},
                              "marker": {"type": "none"}})
            lines += 1
        if lines > 1:
            chart.set_legend({"position": "bottom", "font": {"size": 9}})
        else:
            chart.set_legend({"none": True})
        chart.set_title({"name": m.title, "name_font": {"size": 11, "bold": True,
                                                        "color": "#1F3864"}, "overlay": False})
        chart.set_x_axis({"num_format": MONTH_FORMAT, "num_font": {"size": 9, "rotation": -45},
                          "line": {"color": "#BFBFBF"}})
        # one rule on every chart and book: counts, rates and days from 0, percentages 0-100
        y_axis = {"num_format": AXIS_FORMATS.get(m.unit, "General"), "num_font": {"size": 9},
                  "major_gridlines": {"visible": True, "line": {"color": "#E3E3E3"}},
                  "line": {"none": True}, "min": 0}
        if m.unit == "%":
            y_axis.update(max=100, major_unit=20)          # the ticks say "%"
        else:
            y_axis.update(name=UNIT_SHORT.get(m.unit, m.unit),
                          name_font={"size": 9, "bold": False})
        chart.set_y_axis(y_axis)
        chart.set_chartarea({"border": {"color": "#D0D0D0"}})
        chart.show_hidden_data()
        chart.set_size({"width": width, "height": CHART_H})
        r = TREND_TITLE_ROWS + (k // CHARTS_PER_ROW) * CHART_ROWS
        c = k % CHARTS_PER_ROW
        ws.insert_chart(r, 0, chart, {"x_offset": gap + c * (width + gap), "y_offset": 6,
                                      "object_position": 3})
