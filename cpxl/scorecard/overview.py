"""The Overview sheet (the authority's book): a heat map, districts down and indicators across.

Each cell is this month's value, coloured by conditional formats that read the Thresholds sheet
(as the Scorecard's RAG column does), and the same rules add the band's letter after the value
(``84.8% G``), so the map never relies on colour alone.  Areas are shown above their districts.
"""
from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell

from .figures import write_value
from .model import BookData
from .styles import NUMBER_FORMATS, PALE_BLUE, RAG_LETTER, TEXT_GREY, page_setup, row_height
from .thresholds import add_rag_rules

HEADER_ROW = 4


def _rows(data: BookData):
    """(series, level word, indent) down the map: the authority, each area and its districts,
    then districts in no area."""
    rows = [(data.own, "Authority", 0)]
    placed = set()
    for area in data.areas:
        rows.append((area, "Area", 0))
        for d in data.districts:
            if d.area == area.name:
                rows.append((d, "District", 1))
                placed.add(d.name)
    rows += [(d, "District", 0) for d in data.districts if d.name not in placed]
    return rows


PER_PAGE = 9                               # indicator columns on one page at 10 pt
NAME_WIDTH, CELL_WIDTH = 22, 9


def write(wb, st, data: BookData, name: str = "Overview") -> None:
    ws = wb.add_worksheet(name)
    page_setup(ws, data, "Overview", repeat_rows=(HEADER_ROW,))
    ws.repeat_columns(0)                   # the geographies on every page of columns
    # RAG-rated indicators with thresholds (configured or England's) and a value somewhere.
    cols = [i for i, m in enumerate(data.indicators)
            if m.rated and data.bands[i] is not None
            and any(s.latest(i) is not None for s in [data.own] + data.districts)]
    ws.set_column(0, 0, NAME_WIDTH)
    ws.set_column(1, len(cols), CELL_WIDTH)
    ws.set_v_pagebreaks(list(range(1 + PER_PAGE, len(cols) + 1, PER_PAGE)))
    ws.write_string(0, 0, f"{data.title}: overview by area and district, {data.period_end:%B %Y}",
                    st.title())
    note = ("Each cell is this month's value with its RAG band as a letter (G green, A amber, "
            "R red) and colour, from the thresholds in the appendix. * Shown, not rated: fewer "
            f"than {data.policy.min_denominator} children (or cases).")
    ws.merge_range(1, 0, 1, min(len(cols), PER_PAGE), note,
                   st(font_color=TEXT_GREY, text_wrap=True, valign="top"))
    ws.set_row(1, row_height([(note, NAME_WIDTH + CELL_WIDTH * min(len(cols), PER_PAGE))]))
    ws.set_row(HEADER_ROW, 160)
    ws.write_string(HEADER_ROW, 0, "Geography", st.header(align="left"))
    for j, i in enumerate(cols, start=1):
        ws.write_string(HEADER_ROW, j, data.indicators[i].title, st.header(rotate=90))
    rows = _rows(data)
    muted = st.muted()
    for k, (series, level, indent) in enumerate(rows):
        r = HEADER_ROW + 1 + k
        strong = level != "District"
        extra = {"bold": True, "bg_color": PALE_BLUE} if strong else {}
        ws.write_string(r, 0, series.name, st.label(indent=indent, **extra))
        srows = data.rows(series)
        for j, i in enumerate(cols, start=1):
            m = data.indicators[i]
            fmt = st.number(m.unit, align="center", **({"bold": True} if strong else {}))
            row = srows[i]
            if not row.rated and row.value is not None and not row.suppressed:
                # shown, not rated: text, so that the RAG rules (ISNUMBER) leave it uncoloured
                ws.write_string(r, j, f"{row.value:,.{row.decimals}f}"
                                f"{'%' if m.unit == '%' else ''}*", muted)
                continue
            write_value(ws, r, j, series.value[i, -1], bool(series.value_c[i, -1]), fmt, muted)
    last = HEADER_ROW + len(rows)
    for j, i in enumerate(cols, start=1):
        m = data.indicators[i]
        base = NUMBER_FORMATS.get(m.unit, "0.0")
        add_rag_rules(ws, st, HEADER_ROW + 1, j, last, j,
                      xl_rowcol_to_cell(HEADER_ROW + 1, j), i, m.polarity, m.decimals,
                      num_format=lambda band, base=base: f'{base}" {RAG_LETTER[band]}"')
    ws.freeze_panes(HEADER_ROW + 1, 1)
