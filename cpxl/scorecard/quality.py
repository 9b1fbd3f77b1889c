"""The Data quality sheet: the validation summary for this geography, and what is not available.

Problems in rows that belong to a child are counted where the child belongs at the period end
(the authority's book counts them all); problems not tied to a child (a file passed over, a table
found twice) concern the whole extract and are shown on every book.  The sheet holds counts only,
never a child's identifier.
"""
from __future__ import annotations

from .model import BookData
from .styles import TEXT_GREY, page_setup, row_height

HEADS = [("Applies to", 20), ("Table", 14), ("Severity", 8), ("Rule", 30), ("Column", 14),
         ("Rows", 7), ("Rows not used", 9)]


def write(wb, st, data: BookData) -> None:
    ws = wb.add_worksheet("Data quality")
    page_setup(ws, data, "Data quality", repeat_rows=(3,))
    for j, (_h, width) in enumerate(HEADS):
        ws.set_column(j, j, width)
    ws.write_string(0, 0, f"{data.title}: data quality", st.title())
    ws.merge_range(1, 0, 1, len(HEADS) - 1, data.quality_note,
                   st(font_color=TEXT_GREY, text_wrap=True, valign="top"))
    ws.set_row(1, row_height([(data.quality_note, sum(w for _h, w in HEADS))]))
    for j, (head, _w) in enumerate(HEADS):
        ws.write_string(3, j, head, st.header(align="left" if j < 5 else "center"))
    row = 4
    count = st.number("count")
    text = st.cell()
    if not data.quality:
        ws.merge_range(row, 0, row, len(HEADS) - 1, "No validation problems found.", text)
        row += 1
    for q in data.quality:
        for j, v in enumerate([q.scope, q.table, q.severity, q.rule, q.column]):
            ws.write_string(row, j, v, text)
        ws.write_number(row, 5, q.rows, count)
        ws.write_number(row, 6, q.rows_not_used, count)
        row += 1
    notes = _not_shown(data)
    if notes:
        row += 1
        ws.write_string(row, 0, "Indicators without a value", st(bold=True, font_size=10))
        row += 1
        ws.write_string(row, 0, "Indicator", st.header(align="left"))
        ws.merge_range(row, 1, row, len(HEADS) - 1, "Why", st.header(align="left"))
        row += 1
        why_width = sum(w for _h, w in HEADS[1:])
        for title, why in notes:
            ws.write_string(row, 0, title, st.label(indent=0))
            ws.merge_range(row, 1, row, len(HEADS) - 1, why, st.cell(text_wrap=True))
            height = row_height([(title, HEADS[0][1]), (why, why_width)])
            if height:
                ws.set_row(row, height)
            row += 1
    ws.freeze_panes(4, 0)
    ws.print_area(0, 0, max(row, 4), len(HEADS) - 1)


def _not_shown(data: BookData) -> list[tuple[str, str]]:
    """Indicators left off the scorecard, then those blank for this geography this month."""
    out = [(title, why) for title, why in data.not_available]
    for i, m in enumerate(data.indicators):
        note = str(data.own.note[i])
        if note and data.own.latest(i) is None and not data.own.value_c[i, -1]:
            out.append((m.title, f"{data.period_end:%B %Y}: {note}"))
    return out
