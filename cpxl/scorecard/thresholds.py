"""The Thresholds sheet, and the RAG formulas and conditional formats that read it.

Each indicator has a row with its green and amber thresholds and its target.  The Scorecard's
RAG column is a formula on those cells, and its colours (and the Overview heat map's) are
conditional formats whose rules refer to the same cells: an analyst who edits a threshold here
sees the RAG text and colours change everywhere.  The banding is :mod:`cpxl.rag`'s (values rounded
as shown, polarity-aware); the cached results the workbook opens with come from it too.
"""
from __future__ import annotations

from ..rag import BASIS_STATUTORY, DEFAULT_RELATIVE_MARGIN, STATUTORY_THRESHOLDS
from .layout import TH_COL, THRESHOLD_FIRST_ROW, threshold_cell
from .model import BookData
from .styles import INPUT_YELLOW, page_setup, row_height

BETTER_WORDS = {"higher": "higher is better", "lower": "lower is better", "neither": "no RAG"}


def _thresholds(i: int):
    g, a = threshold_cell(i, "green"), threshold_cell(i, "amber")
    return g, f"IF(ISNUMBER({a}),{a},{g})"


def _compare(polarity: str) -> str:
    return ">=" if polarity == "higher" else "<="


def rag_formula(value_ref: str, i: int, polarity: str, decimals: int) -> str:
    """``=IF(...)`` giving "Green", "Amber", "Red" or "" for the value in ``value_ref``."""
    g, a = _thresholds(i)
    v = f"ROUND({value_ref},{decimals})"
    op = _compare(polarity)
    return (f'=IF(AND(ISNUMBER({value_ref}),ISNUMBER({g})),IF({v}{op}{g},"Green",'
            f'IF({v}{op}{a},"Amber","Red")),"")')


def add_rag_rules(ws, styles, first_row: int, first_col: int, last_row: int, last_col: int,
                  value_ref: str, i: int, polarity: str, decimals: int, num_format=None) -> None:
    """Green, amber and red conditional formats on a range, by the value at ``value_ref``
    (relative to the range's top-left cell) against indicator ``i``'s threshold cells."""
    g, a = _thresholds(i)
    v = f"ROUND({value_ref},{decimals})"
    op = _compare(polarity)
    known = f"ISNUMBER({value_ref}),ISNUMBER({g})"
    rules = [("Green", f"=AND({known},{v}{op}{g})"),
             ("Amber", f"=AND({known},{v}{op}{a})"),
             ("Red", f"=AND({known})")]
    for band, criteria in rules:
        fmt = styles.rag_fill(band, None if num_format is None else num_format(band))
        ws.conditional_format(first_row, first_col, last_row, last_col,
                              {"type": "formula", "criteria": criteria, "format": fmt,
                               "stop_if_true": True})


def write(wb, st, data: BookData) -> None:
    ws = wb.add_worksheet("Thresholds")
    page_setup(ws, data, "Thresholds", repeat_rows=(THRESHOLD_FIRST_ROW - 1,))
    widths = {"title": 30, "id": 26, "unit": 9, "better": 10, "green": 6.5, "amber": 6.5,
              "target": 6.5, "basis": 30, "england": 6.5}
    for key, col in TH_COL.items():
        ws.set_column(col, col, widths[key])
    ws.write_string(0, 0, "RAG thresholds", st.title())
    ws.write_string(1, 0, "Edit the yellow cells: the Scorecard's RAG column and colours, and the "
                    "Overview heat map, follow these cells.", st.subtitle())
    note = ("Green: at or better than the green threshold. Amber: at or better than the "
                    "amber threshold. Red: worse. 'Better' is higher or lower as the indicator's "
                    "polarity says; values are banded as shown (rounded). Without a configured "
                    "threshold the default is England's published value: Green at least as good "
                    f"as England, Amber within {DEFAULT_RELATIVE_MARGIN:.0%} of it, Red beyond, "
                    "and only where cpxl's definition is the published one; the statutory local "
                    "indicators have defaults of their own (below). A figure on fewer than "
                    f"{data.policy.min_denominator} children (or cases) is shown but not rated.")
    ws.merge_range(2, 0, 2, TH_COL["basis"], note, st.note(text_wrap=True, valign="top"))
    ws.set_row(2, row_height([(note, sum(widths.values()) - widths["id"])]))
    heads = {"title": "Indicator", "id": "Id", "unit": "Unit", "better": "Polarity",
             "green": "Green at", "amber": "Amber at", "target": "Target", "basis": "Basis",
             "england": "England"}
    hdr = THRESHOLD_FIRST_ROW - 1
    for key, col in TH_COL.items():
        ws.write_string(hdr, col, heads[key], st.header(align="left" if key in ("title", "id", "basis")
                                                          else "center"))
    label, text, muted = st.label(indent=0), st.cell(), st.muted()
    for i, m in enumerate(data.indicators):
        r = THRESHOLD_FIRST_ROW + i
        b = data.bands[i]
        comp = data.comparators[i]
        ws.write_string(r, TH_COL["title"], m.title, label)
        ws.write_string(r, TH_COL["id"], m.id, text)
        ws.write_string(r, TH_COL["unit"], m.unit, muted)
        ws.write_string(r, TH_COL["better"], BETTER_WORDS[m.polarity], muted)
        if m.rated:
            fmt = st.number(m.unit, bg_color=INPUT_YELLOW, locked=False)
            for key in ("green", "amber", "target"):
                value = getattr(b, key) if b is not None else None
                if value is None:
                    ws.write_blank(r, TH_COL[key], None, fmt)
                else:
                    ws.write_number(r, TH_COL[key], value, fmt)
            if b is None:
                basis = "no threshold configured and no England figure published: no RAG"
            elif b.basis == "configured":
                basis = "configured in cpxl.toml"
            elif b.basis == BASIS_STATUTORY:
                basis = f"default for a statutory duty: {STATUTORY_THRESHOLDS[m.id][2]}"
            else:
                year = f" ({comp.year})" if comp is not None and comp.year else ""
                basis = (f"default: England{year}; Amber within {DEFAULT_RELATIVE_MARGIN:.0%} "
                         "worse than England")
        else:
            for key in ("green", "amber", "target"):
                ws.write_blank(r, TH_COL[key], None, muted)
            basis = "a count or profile: not RAG-rated"
        if comp is not None and not comp.comparable:
            basis += f". † Published figure defined differently: {comp.caveat}"
        ws.write_string(r, TH_COL["basis"], basis, st.cell(text_wrap=True))
        height = row_height([(m.title, widths["title"]), (basis, widths["basis"])])
        if height:
            ws.set_row(r, height)
        england = comp.england if comp is not None else None
        if england is None:
            ws.write_blank(r, TH_COL["england"], None, st.number(m.unit))
        else:
            ws.write_number(r, TH_COL["england"], england, st.number(m.unit))
    ws.freeze_panes(THRESHOLD_FIRST_ROW, 1)
    last = THRESHOLD_FIRST_ROW + len(data.indicators) - 1
    ws.autofilter(hdr, 0, last, len(TH_COL) - 1)
    ws.print_area(0, 0, last, TH_COL["basis"])
