"""The Definitions sheet: every indicator on the scorecard, from the catalogue, with the source of
its comparators."""
from __future__ import annotations

import re

from ..catalogue import CATALOGUE
from ..reports.plain import ABBREVIATIONS, printed_title
from .layout import theme_title
from .model import BookData
from .styles import page_setup, row_height
from .thresholds import BETTER_WORDS

COLUMNS = [("Theme", 11), ("Indicator", 20), ("Unit", 7), ("Polarity", 9),
           ("Definition", 38), ("Comparators (published)", 20), ("Id", 24)]    # id: not printed


def plain(text: str, titles: dict[str, str]) -> str:
    """A definition for print: an indicator's id ("cla_count") becomes its title in quotes."""
    if not any(i in text for i in titles):
        return text
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(titles, key=len, reverse=True)))
                         + r")\b")
    return pattern.sub(lambda m: f"'{titles[m.group(1)]}'", text)


def write(wb, st, data: BookData) -> None:
    ws = wb.add_worksheet("Definitions")
    page_setup(ws, data, "Definitions", repeat_rows=(3,))
    ws.write_string(0, 0, "Definitions", st.title())
    ws.write_string(1, 0, "How each indicator is counted (cpxl's catalogue, following the DfE's "
                    "published definitions where there is one), and where its comparators come from.",
                    st.subtitle())
    for j, (head, width) in enumerate(COLUMNS):
        ws.set_column(j, j, width)
        ws.write_string(3, j, head, st.header(align="left"))
    top = st.cell(valign="top", text_wrap=True)
    titles = {i: printed_title(i, ind.title) for i, ind in CATALOGUE.items()}
    for k, (m, comp) in enumerate(zip(data.indicators, data.comparators)):
        r = 4 + k
        source = comp.source if comp is not None else "No published comparator."
        texts = [theme_title(m.theme), m.title, m.unit, BETTER_WORDS[m.polarity],
                 plain(m.definition, titles), plain(source, titles), m.id]
        for j, text in enumerate(texts):
            ws.write_string(r, j, text, top)
        height = row_height([(t, w) for t, (_h, w) in zip(texts[:-1], COLUMNS)])
        if height:
            ws.set_row(r, height)
    r = 5 + len(data.indicators)
    ws.write_string(r, 0, "Abbreviations", st(bold=True, font_size=11))
    for k, long in enumerate(ABBREVIATIONS.values(), start=1):
        ws.merge_range(r + k, 0, r + k, 5, long, st.cell())
    ws.freeze_panes(4, 2)
    ws.autofilter(3, 0, 3 + len(data.indicators), len(COLUMNS) - 1)
    ws.print_area(0, 0, r + len(ABBREVIATIONS), len(COLUMNS) - 2)
