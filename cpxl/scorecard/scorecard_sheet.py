"""The Scorecard sheet: one row per indicator, grouped by theme, printed a theme per page break.

Columns (from :class:`cpxl.reports.Row`, the one row model): this month's value, the change since
last month, a direction that reads the change against the indicator's polarity (and only past the
policy's margin), a 13-month sparkline, the RAG status (a formula on the Thresholds sheet's cells,
coloured by conditional formats on the same cells, always written as text), the authority's value
on district and area books, England, the region, the statistical neighbours, the LAIT quartile
band, and the counts as "n/N".  A figure on too few children says "not rated"; a comparator whose
definition differs from cpxl's is marked † and never used to rate.

Body text is 10 pt and the columns fit A4 landscape at 100%, so nothing is scaled down in print;
page breaks fall between themes.
"""
from __future__ import annotations

from itertools import groupby

from xlsxwriter.utility import xl_rowcol_to_cell

from ..reports.plain import first_use
from ..reports.rows import NO_POLARITY, Row
from ..reports.rows import SUPPRESSED as WHY_SUPPRESSED
from .figures import write_value
from .layout import Layout, theme_title
from .model import BookData
from .styles import BETTER, SIZE, TEXT_GREY, WORSE, page_setup, row_height
from .suppress import SUPPRESSED
from .thresholds import add_rag_rules, rag_formula

HEADER_ROW = 5
FIRST_ROW = HEADER_ROW + 1
TONE_COLOUR = {"better": BETTER, "worse": WORSE, "same": TEXT_GREY, "up": TEXT_GREY,
               "down": TEXT_GREY}
NOT_RATED = "not rated"
DAGGER = "†"
#: printable height of an A4 landscape page (points) with the margins of page_setup
PAGE_HEIGHT = 595.3 - (0.75 + 0.6) * 72 - 6
TITLE_HEIGHTS = (24, 16, 30, 16)          # rows 0-3 (first page only)
GROUP_HEIGHT, HEAD_HEIGHT, THEME_HEIGHT, ROW_HEIGHT = 16, 30, 18, 16


def columns(data: BookData) -> list[tuple[str, str, float, str]]:
    """(key, heading, width, group) of each column, left to right (widths fit A4 landscape)."""
    this = data.periods[-1]
    title_width = 22.5 if data.kind != "la" else 30.5
    cols = [("title", "Indicator", title_width, ""),
            ("this", f"{this:%b %Y}", 7, "now"), ("change", "Change", 7.5, "now"),
            ("dir", "Direction", 9, "now"), ("trend", f"{len(data.periods)} months", 9, "now"),
            ("rag", "RAG", 7.5, "now")]
    if data.kind != "la":
        cols.append(("authority", data.authority if len(data.authority) <= 9 else "Authority",
                     8, "cmp"))
    cols += [("england", "England", 6.5, "cmp"), ("region", data.region_name or "Region", 7, "cmp"),
             ("neighbours", "Neigh-bours", 6.5, "cmp"), ("quartile", "Quar-tile", 5, "cmp"),
             ("counts", "n/N", 8.5, "")]
    return cols


GROUP_TITLES = {"now": "This month and the change since last month", "cmp": "Comparators"}


def page_breaks(groups: list[tuple[str, list[int]]], heights: dict[int, float]) -> list[int]:
    """Rows before which a new page starts: between themes, unless one theme needs more than a
    page (then within it)."""
    room = PAGE_HEIGHT - GROUP_HEIGHT - HEAD_HEIGHT
    used = sum(TITLE_HEIGHTS)
    breaks = []
    row = FIRST_ROW
    for _theme, members in groups:
        need = THEME_HEIGHT + sum(heights[i] for i in members)
        if used + need > room and used > sum(TITLE_HEIGHTS) and row > FIRST_ROW:
            breaks.append(row)
            used = 0
        used += THEME_HEIGHT
        row += 1
        for i in members:
            if used + heights[i] > room:
                breaks.append(row)
                used = 0
            used += heights[i]
            row += 1
    return breaks


def write(wb, st, data: BookData, lay: Layout, name: str = "Scorecard") -> None:
    ws = wb.add_worksheet(name)
    rows = data.rows(data.own)
    auth_rows = data.rows(data.authority_series) if data.authority_series is not None else None
    cols = columns(data)
    col = {key: j for j, (key, *_rest) in enumerate(cols)}
    last_col = len(cols) - 1
    for j, (_key, _head, width, _g) in enumerate(cols):
        ws.set_column(j, j, width)
    page_setup(ws, data, "Scorecard", repeat_rows=(HEADER_ROW - 1, HEADER_ROW))

    this, last = data.periods[-1], data.periods[-2]
    ws.set_row(0, TITLE_HEIGHTS[0])
    ws.write_string(0, 0, f"{data.title}: Corporate Parenting scorecard", st.title())
    where = {"la": f"{data.authority}, all children",
             "area": f"{data.name} area of {data.authority}",
             "district": f"{data.name} district, {data.authority}"
             + (f" ({data.own.area} area)" if data.own.area else "")}[data.kind]
    ws.write_string(1, 0, f"{where}. Position at {this:%d %B %Y}, compared with "
                    f"{last:%d %B %Y}.", st.subtitle())
    p = data.policy
    ws.merge_range(2, 0, 2, last_col,
                   "RAG is written as text and colour against the thresholds in the appendix. "
                   f"'{NOT_RATED}': fewer than {p.min_denominator} children (or cases), or no "
                   "threshold. ▲▼ show the change; 'better' or 'worse' only for a move of at "
                   f"least {p.change_margin_points:g} points ({p.change_margin_percent:g}% for "
                   f"other units). {DAGGER} the published figure is defined differently: shown, "
                   "not used to rate.", st.note(text_wrap=True, valign="top"))
    ws.set_row(2, TITLE_HEIGHTS[2])
    if data.suppress:
        ws.write_string(3, 0, f"Counts from 1 to {data.suppress}, and values built on them, are "
                        f"shown as {SUPPRESSED} (suppressed).", st.note(bold=True))

    first = 0
    for group, run in groupby(cols, key=lambda c: c[3]):
        last_of_run = first + len(list(run)) - 1
        if not group:
            for k in range(first, last_of_run + 1):
                ws.write_blank(HEADER_ROW - 1, k, None, st.group())
        elif last_of_run > first:
            ws.merge_range(HEADER_ROW - 1, first, HEADER_ROW - 1, last_of_run, GROUP_TITLES[group],
                           st.group(first=True))
        else:
            ws.write_string(HEADER_ROW - 1, first, GROUP_TITLES[group], st.group(first=True))
        first = last_of_run + 1
    ws.set_row(HEADER_ROW - 1, GROUP_HEIGHT)
    ws.set_row(HEADER_ROW, HEAD_HEIGHT)
    for j, (key, head, _w, _g) in enumerate(cols):
        ws.write_string(HEADER_ROW, j, head, st.header(align="left" if key == "title" else "center"))

    order = [i for _theme, members in lay.groups for i in members]
    titles = dict(zip(order, first_use([data.indicators[i].title for i in order])))
    heights = {}
    for i in order:
        heights[i] = row_height([(titles[i], cols[0][2] - 1.5)], minimum=ROW_HEIGHT) or ROW_HEIGHT
    label, text_c = st.label(), st.muted(align="center")
    row = FIRST_ROW
    for theme, members in lay.groups:
        ws.merge_range(row, 0, row, last_col, theme_title(theme), st.theme())
        ws.set_row(row, THEME_HEIGHT)
        row += 1
        for i in members:
            _write_row(ws, st, data, lay, i, rows[i], auth_rows[i] if auth_rows else None, row,
                       col, label, text_c, titles[i])
            ws.set_row(row, heights[i])
            row += 1
    ws.set_h_pagebreaks(page_breaks(lay.groups, heights))
    row += 1
    notes = [f"Comparators: {data.comparator_note}",
             ("n/N: this month's numerator and denominator (for an average, n is the number of "
              "cases). n/a: not available for this geography this month (the appendix says why).")]
    if data.not_available:
        notes.append(f"{len(data.not_available)} indicator(s) cannot be computed from this extract "
                     "and are left off; the appendix lists them.")
    for text in notes:
        ws.merge_range(row, 0, row, last_col, text, st.note(text_wrap=True, valign="top"))
        ws.set_row(row, row_height([(text, sum(c[2] for c in cols))], minimum=16))
        row += 1
    ws.print_area(0, 0, row - 1, last_col)
    ws.freeze_panes(FIRST_ROW, 1)
    ws.set_selection(FIRST_ROW, 1, FIRST_ROW, 1)
    if name == "Scorecard":
        ws.activate()


def _write_row(ws, st, data: BookData, lay: Layout, i: int, r: Row, auth: Row | None, row: int,
               col: dict, label, text_c, title: str) -> None:
    m = data.indicators[i]
    own = data.own
    num_fmt = st.number(m.unit)
    ws.write_string(row, col["title"], title, label)
    write_value(ws, row, col["this"], own.value[i, -1], own.value_c[i, -1],
                st.number(m.unit, bold=True), text_c)
    if r.change is not None:
        ws.write_number(row, col["change"], r.change, st.change(m.unit))
    elif own.value_c[i, -1] or own.value_c[i, -2]:
        ws.write_string(row, col["change"], SUPPRESSED, text_c)
    else:
        ws.write_blank(row, col["change"], None, text_c)
    if r.arrow:
        ws.write_string(row, col["dir"], r.arrow,
                        st.cell(font_color=TONE_COLOUR[r.direction], align="left",
                                bold=r.direction in ("better", "worse")))
    else:
        ws.write_blank(row, col["dir"], None, text_c)
    ws.write_blank(row, col["trend"], None, st.cell())
    shown = [v for v in r.series if v is not None]
    if len(shown) >= 2:
        # a fixed axis: from 0 for counts, rates and days; the indicator's range (the same on
        # every book) for a percentage
        spark = {"range": lay.trend_range(lay.trend_row[i]), "type": "column",
                 "series_color": "#A9BCE0", "last_point": True, "last_color": "#2F5597",
                 "min": 0.0, "show_hidden": True}
        axis = data.axis[i] if data.axis else None
        if axis is not None:
            spark["min"], spark["max"] = axis
        ws.add_sparkline(row, col["trend"], spark)
    _rag_cell(ws, st, data, i, r, row, col, text_c)
    if auth is not None:
        write_value(ws, row, col["authority"], auth.value, auth.suppressed, num_fmt, text_c)
    for key in ("england", "region", "neighbours"):
        value = getattr(r, key)
        if value is not None and not r.comparable:
            ws.write_string(row, col[key], f"{value:,.{r.decimals}f}{'%' if m.unit == '%' else ''}"
                            f"{DAGGER}", st.muted(align="right", italic=True))
        else:
            write_value(ws, row, col[key], value, False,
                        st.number(m.unit, font_color=TEXT_GREY), text_c, blank_text="")
    ws.write_string(row, col["quartile"], r.quartile, st.muted()) if r.quartile else \
        ws.write_blank(row, col["quartile"], None, text_c)
    if own.numerator_c[i, -1] or own.denominator_c[i, -1]:
        ws.write_string(row, col["counts"], SUPPRESSED, text_c)
    elif r.counts and m.id in data.__dict__.get("child_sheets", {}):
        # the children behind a figure below green, one click away
        sheet = data.__dict__["child_sheets"][m.id].replace("'", "''")
        ws.write_url(row, col["counts"], f"internal:'{sheet}'!A1",
                     st.cell(align="right", font_color="#2F5597", underline=1), r.counts,
                     tip="The children behind this figure (personal data)")
    elif r.counts:
        ws.write_string(row, col["counts"], r.counts, st.muted(align="right"))
    else:
        ws.write_blank(row, col["counts"], None, text_c)


def _rag_cell(ws, st, data: BookData, i: int, r: Row, row: int, col: dict, text_c) -> None:
    """Rated: a formula on the Thresholds sheet, coloured by conditional formats; else words."""
    m = data.indicators[i]
    if r.rated:
        value_ref = xl_rowcol_to_cell(row, col["this"], col_abs=True)
        ws.write_formula(row, col["rag"], rag_formula(value_ref, i, m.polarity, m.decimals),
                         st.cell(bold=True, align="center"), r.rag)
        add_rag_rules(ws, st, row, col["rag"], row, col["rag"], value_ref, i, m.polarity,
                      m.decimals)
    elif r.not_rated in (NO_POLARITY, WHY_SUPPRESSED) or r.value is None:
        ws.write_blank(row, col["rag"], None, text_c)
    else:
        ws.write_string(row, col["rag"], NOT_RATED, st.muted(italic=True, font_size=SIZE))
