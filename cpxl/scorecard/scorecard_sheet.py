"""The Scorecard sheet: one row per indicator, grouped by theme.

Columns: this month, last month, the change, a direction arrow that reads the change against the
indicator's polarity, a sparkline of the months on the Trend sheet, the target and RAG bands (read
from the Thresholds sheet), the RAG status (a formula on those cells, coloured by conditional
formats on the same cells, and always written as text), the authority's value on district and area
books, the published comparators (England, region, statistical neighbours, year) and this month's
numerator and denominator.
"""
from __future__ import annotations

from itertools import groupby

from xlsxwriter.utility import xl_rowcol_to_cell

from ..rag import DEFAULT_RELATIVE_MARGIN
from .figures import direction, rounded, write_value
from .layout import Layout, theme_title
from .model import BookData
from .styles import BETTER, TEXT_GREY, WORSE, page_setup, row_height
from .suppress import SUPPRESSED
from .thresholds import add_rag_rules, rag_formula, threshold_formula

HEADER_ROW = 5
FIRST_ROW = HEADER_ROW + 1
TONE_COLOUR = {"better": BETTER, "worse": WORSE, "same": TEXT_GREY, "neutral": TEXT_GREY}


def columns(data: BookData) -> list[tuple[str, str, float, str]]:
    """(key, heading, width, group) of each column, left to right."""
    this, last = data.periods[-1], data.periods[-2]
    cols = [("title", "Indicator", 48, ""),
            ("this", f"{this:%b %Y}", 8.5, "now"), ("last", f"{last:%b %Y}", 8.5, "now"),
            ("change", "Change", 9, "now"), ("dir", "Direction", 9.5, "now"),
            ("trend", f"{len(data.periods)} months", 12, "now"),
            ("target", "Target", 7.5, "rag"), ("green", "Green at", 7.5, "rag"),
            ("amber", "Amber at", 7.5, "rag"), ("rag", "RAG", 7.5, "rag")]
    if data.kind != "la":
        cols.append(("authority", data.authority, 9.5, "cmp"))
    cols += [("england", "England", 8.5, "cmp"),
             ("region", data.region_name or "Region", 8.5, "cmp"),
             ("neighbours", "Stat. neighbours", 9.5, "cmp"), ("year", "Year", 5.5, "cmp"),
             ("num", "Numerator", 9.5, "cnt"), ("den", "Denominator", 10.5, "cnt")]
    return cols


GROUP_TITLES = {"now": "This month against last", "rag": "Target and RAG",
                "cmp": "Comparators", "cnt": "This month's counts"}


def write(wb, st, data: BookData, lay: Layout) -> None:
    ws = wb.add_worksheet("Scorecard")
    cols = columns(data)
    col = {key: j for j, (key, *_rest) in enumerate(cols)}
    last_col = len(cols) - 1
    for j, (_key, _head, width, _g) in enumerate(cols):
        ws.set_column(j, j, width)
    page_setup(ws, data, "Scorecard", repeat_rows=(HEADER_ROW - 1, HEADER_ROW))

    this, last = data.periods[-1], data.periods[-2]
    ws.set_row(0, 24)
    ws.write_string(0, 0, f"{data.title}: Corporate Parenting scorecard", st.title())
    where = {"la": f"{data.authority}, all children",
             "area": f"{data.name} area of {data.authority}",
             "district": f"{data.name} district, {data.authority}"
             + (f" ({data.own.area} area)" if data.own.area else "")}[data.kind]
    ws.write_string(1, 0, f"{where}. Position at {this:%d %B %Y}, compared with "
                    f"{last:%d %B %Y}.", st.subtitle())
    ws.write_string(2, 0, "RAG is shown as text and colour: Green at or better than the green "
                    "threshold, Amber at or better than amber, Red worse (thresholds on the "
                    "Thresholds sheet; default against England, Amber within "
                    f"{DEFAULT_RELATIVE_MARGIN:.0%}). ▲▼ show the change; 'better' or 'worse' reads "
                    "it against the indicator's polarity.", st.note())
    if data.suppress:
        ws.write_string(3, 0, f"Counts from 1 to {data.suppress}, and values built on them, are "
                        f"shown as {SUPPRESSED} (suppressed).", st.note(bold=True))

    # Column group band, then headings.
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
    ws.set_row(HEADER_ROW, 26)
    for j, (key, head, _w, _g) in enumerate(cols):
        ws.write_string(HEADER_ROW, j, head, st.header(align="left" if key == "title" else "center"))

    own, auth = data.own, data.authority_series
    label, text_c = st.label(), st.muted(align="center")
    row = FIRST_ROW
    for theme, members in lay.groups:
        ws.merge_range(row, 0, row, last_col, theme_title(theme), st.theme())
        ws.set_row(row, 16)
        row += 1
        for i in members:
            m = data.indicators[i]
            num_fmt = st.number(m.unit)
            ws.write_string(row, col["title"], m.title, label)
            height = row_height([(m.title, cols[0][2] - 2)])
            if height:
                ws.set_row(row, height)
            v_now, v_before = own.value[i, -1], own.value[i, -2]
            c_now, c_before = own.value_c[i, -1], own.value_c[i, -2]
            write_value(ws, row, col["this"], v_now, c_now, st.number(m.unit, bold=True), text_c)
            write_value(ws, row, col["last"], v_before, c_before, num_fmt, text_c)
            now, before = own.latest(i), own.latest(i, 1)
            if now is not None and before is not None:
                # The change between the figures as shown, so the arithmetic adds up on paper.
                change = rounded(now, m.decimals) - rounded(before, m.decimals)
                ws.write_number(row, col["change"], rounded(change, m.decimals), st.change(m.unit))
            elif c_now or c_before:
                ws.write_string(row, col["change"], SUPPRESSED, text_c)
            else:
                ws.write_blank(row, col["change"], None, text_c)
            words, tone = direction(m, now, before)
            if words:
                ws.write_string(row, col["dir"], words,
                                st.cell(font_color=TONE_COLOUR[tone], align="left", bold=tone in
                                        ("better", "worse")))
            else:
                ws.write_blank(row, col["dir"], None, text_c)
            ws.write_blank(row, col["trend"], None, st.cell())
            if (~own.value_c[i] & (own.value[i] == own.value[i])).sum() >= 2:
                ws.add_sparkline(row, col["trend"], {
                    "range": lay.trend_range(lay.trend_row[i]), "type": "column",
                    "series_color": "#A9BCE0", "last_point": True, "last_color": "#2F5597"})
            _rag_cells(ws, st, data, i, row, col, num_fmt, text_c)
            if auth is not None:
                write_value(ws, row, col["authority"], auth.value[i, -1], auth.value_c[i, -1],
                            num_fmt, text_c)
            comp = data.comparators[i]
            for key in ("england", "region", "neighbours"):
                value = getattr(comp, key) if comp is not None else None
                write_value(ws, row, col[key], value, False, num_fmt, text_c, blank_text="")
            if comp is not None and comp.year:
                ws.write_number(row, col["year"], comp.year, st.muted(num_format="0"))
            else:
                ws.write_blank(row, col["year"], None, text_c)
            count_fmt = st.number("count")
            write_value(ws, row, col["num"], own.numerator[i, -1], own.numerator_c[i, -1], count_fmt,
                        text_c, blank_text="")
            write_value(ws, row, col["den"], own.denominator[i, -1], own.denominator_c[i, -1],
                        count_fmt, text_c, blank_text="")
            row += 1
    row += 1
    notes = [f"Comparators: {data.comparator_note}",
             "n/a: not available for this geography this month (the Data quality sheet says why). "
             "Numerator and denominator are this month's; for a rate the denominator is the "
             "population aged 0-17, for an average the numerator is the number of cases."]
    if data.not_available:
        notes.append(f"{len(data.not_available)} indicator(s) cannot be computed from this extract "
                     "and are left off; the Data quality sheet lists them.")
    for text in notes:
        ws.merge_range(row, 0, row, last_col, text, st.note(text_wrap=True, valign="top"))
        ws.set_row(row, 24)
        row += 1
    ws.print_area(0, 0, row - 1, last_col)
    ws.freeze_panes(FIRST_ROW, 1)
    ws.set_selection(FIRST_ROW, 1, FIRST_ROW, 1)
    ws.activate()


def _rag_cells(ws, st, data: BookData, i: int, row: int, col: dict, num_fmt, text_c) -> None:
    """Target, green, amber: formulas on the Thresholds sheet; RAG: formula + conditional formats."""
    m = data.indicators[i]
    if not m.rated:
        for key in ("target", "green", "amber", "rag"):
            ws.write_blank(row, col[key], None, text_c)
        return
    b = data.bands[i]
    for key in ("target", "green", "amber"):
        cached = getattr(b, key) if b is not None else ""
        ws.write_formula(row, col[key], threshold_formula(i, key), num_fmt, cached)
    value_ref = xl_rowcol_to_cell(row, col["this"], col_abs=True)
    status = b.band(data.own.latest(i)) if b is not None else ""
    ws.write_formula(row, col["rag"], rag_formula(value_ref, i, m.polarity, m.decimals),
                     st.cell(bold=True, align="center"), status)
    add_rag_rules(ws, st, row, col["rag"], row, col["rag"], value_ref, i, m.polarity, m.decimals)
