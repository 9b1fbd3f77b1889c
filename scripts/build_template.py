"""Build cpxl/templates/cpxl_template.xlsx: an analyst's scorecard made of cpxl formulas.

    python scripts/build_template.py [OUT.xlsx]

The workbook ships inside the package; ``cpxl template OUT`` copies it out (docs/template.md).

The workbook holds no data and no macros; its cells call the cpxl add-in's worksheet functions
(``=CPXL_VALUE(...)``, ``=CPXL_SERIES(...)``, ...) on the period end in Scorecard!B3 and the
geography in Scorecard!B4, with the data folder named on the ``cpxl.conf`` sheet.  Built with
xlsxwriter and a fixed creation date, the same script gives a byte-identical file every time
(tests/test_template.py checks the committed file against a fresh build).
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import xlsxwriter

OUT = Path(__file__).resolve().parents[1] / "cpxl" / "templates" / "cpxl_template.xlsx"
CREATED = dt.datetime(2025, 1, 1)        # fixed, so builds are byte-identical
PERIOD_END = dt.date(2025, 12, 31)       # the sample's last month; the analyst changes it
DATA_SOURCE = "data"                     # a folder "data" beside the workbook (cpxl sample data)

# The scorecard's rows: (theme, indicator id, title, unit).  Titles are copied here so the file
# does not change when the catalogue's wording does; the test checks ids and units against it.
ROWS = [
    ("Demand", "cla_count", "Children looked after", "count"),
    ("Demand", "cla_rate_10k", "Children looked after per 10,000 children", "rate per 10,000"),
    ("Demand", "cla_started_12m", "Children starting to be looked after in the year", "count"),
    ("Demand", "cla_ceased_12m", "Children ceasing to be looked after in the year", "count"),
    ("Placements and stability", "stability_3plus_pct",
     "Children looked after with 3 or more placements in the year", "%"),
    ("Placements and stability", "stability_long_pct", "Long-term placement stability", "%"),
    ("Placements and stability", "placed_foster_pct", "Children looked after in foster care", "%"),
    ("Placements and stability", "placed_residential_pct",
     "Children looked after in residential care", "%"),
    ("Visits and reviews", "visits_in_time_pct", "Statutory visits in time", "%"),
    ("Visits and reviews", "reviews_in_time_pct", "Reviews in time", "%"),
    ("Visits and reviews", "pep_pct", "Personal education plans up to date", "%"),
    ("Health", "health_check_pct", "Annual health assessments", "%"),
    ("Health", "teeth_check_pct", "Dental checks", "%"),
    ("Missing", "missing_pct", "Children looked after who went missing", "%"),
    ("Care leavers", "care_leavers_suitable_pct_19_21",
     "Care leavers aged 19-21 in suitable accommodation", "%"),
    ("Care leavers", "care_leavers_eet_pct_19_21",
     "Care leavers aged 19-21 in education, employment or training", "%"),
    ("Child protection", "cp_rate_10k", "Children on a child protection plan per 10,000", "rate per 10,000"),
]
NUMBER_FORMATS = {"count": "#,##0", "%": "0.0", "rate per 10,000": "0.0"}
TRENDS = [("cla_count", "Children looked after"), ("cla_rate_10k", "Per 10,000 children"),
          ("stability_3plus_pct", "3+ placements (%)")]
SETTINGS = [
    ("DATA_SOURCE", DATA_SOURCE,
     "Folder of CSV extracts, or a workbook, with the SSDA903 and local tables. A relative path "
     "is relative to this workbook's folder."),
    ("CONFIG_FILE", None, "Optional: the cpxl.toml to use (default: cpxl.toml beside the data)."),
    ("PERIOD_END", None, "Optional: the period end for the ribbon's Insert scorecard "
                         "(default: the last month end of the data)."),
    ("GEOGRAPHY", None, "Optional: the district or area for the ribbon's Insert scorecard."),
    ("LA_CODE", None, "Optional: the DfE LA code for comparators (default: la_code in cpxl.toml)."),
]
HEADERS = ["Indicator", "Title", "Value", "Previous month", "A year before", "Change",
           "England", "Region", "Neighbours", "RAG"]
FIRST_ROW = 8     # Excel row under the header (a theme row, then its indicators)


def build(out: Path = OUT) -> Path:
    out = Path(out)
    wb = xlsxwriter.Workbook(str(out), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"title": "Corporate Parenting scorecard (cpxl)", "author": "cpxl",
                       "comments": "Needs the cpxl Excel add-in; see docs/template.md",
                       "created": CREATED})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    note = wb.add_format({"italic": True, "font_color": "#595959"})
    head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79",
                          "text_wrap": True, "valign": "top"})
    theme_fmt = wb.add_format({"bold": True, "bg_color": "#D9E1F2"})
    input_fmt = wb.add_format({"bg_color": "#FFF2CC", "border": 1})
    date_input = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "num_format": "dd/mm/yyyy"})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    small = wb.add_format({"font_color": "#595959"})
    nums = {u: wb.add_format({"num_format": f}) for u, f in NUMBER_FORMATS.items()}
    change = {u: wb.add_format({"num_format": "+" + f + ";-" + f + ";0"}) for u, f in NUMBER_FORMATS.items()}

    # --- Scorecard ----------------------------------------------------------------------------
    ws = wb.add_worksheet("Scorecard")
    ws.write("A1", "Corporate Parenting scorecard", title)
    ws.write("A3", "Period end", bold)
    ws.write_datetime("B3", dt.datetime.combine(PERIOD_END, dt.time()), date_input)
    ws.write("C3", "a date; every formula below follows it", note)
    ws.write("A4", "Geography", bold)
    ws.write_blank("B4", None, input_fmt)
    ws.write("C4", "blank for the whole authority, or a district or area name", note)
    ws.write("A5", "Data", bold)
    ws.write_dynamic_array_formula(4, 1, 4, 1, "=INDEX(CPXL_STATUS(),1,2)", small)
    ws.write("A6", "Cells showing \"cpxl: ...\" say what is wrong; press Refresh on the Corporate "
                   "Parenting tab after the extracts change.", note)
    ws.set_row(FIRST_ROW - 2, 30)
    ws.write_row(FIRST_ROW - 2, 0, HEADERS, head)
    r = FIRST_ROW - 1          # 0-based row of the current line
    theme = None
    for th, ind, text, unit in ROWS:
        if th != theme:
            theme = th
            ws.merge_range(r, 0, r, len(HEADERS) - 1, th, theme_fmt)
            r += 1
        x = r + 1              # the Excel row number
        fmt, chg = nums[unit], change[unit]
        ws.write_string(r, 0, ind)
        ws.write_string(r, 1, text)
        ws.write_formula(r, 2, f"=CPXL_VALUE($A{x},$B$3,$B$4)", fmt)
        ws.write_formula(r, 3, f"=CPXL_VALUE($A{x},EOMONTH($B$3,-1),$B$4)", fmt)
        ws.write_formula(r, 4, f"=CPXL_VALUE($A{x},EOMONTH($B$3,-12),$B$4)", fmt)
        ws.write_formula(r, 5, f'=IF(AND(ISNUMBER(C{x}),ISNUMBER(D{x})),C{x}-D{x},"")', chg)
        ws.write_formula(r, 6, f'=CPXL_COMPARATOR($A{x},"England")', fmt)
        ws.write_formula(r, 7, f'=CPXL_COMPARATOR($A{x},"Region")', fmt)
        ws.write_formula(r, 8, f'=CPXL_COMPARATOR($A{x},"Neighbours")', fmt)
        ws.write_formula(r, 9, f"=CPXL_RAG($A{x},C{x})")
        r += 1
    last = r                   # Excel row of the last indicator
    rag = f"J{FIRST_ROW}:J{last}"
    for word, colour in (("Green", "#C6EFCE"), ("Amber", "#FFEB9C"), ("Red", "#FFC7CE")):
        ws.conditional_format(rag, {"type": "cell", "criteria": "==", "value": f'"{word}"',
                                    "format": wb.add_format({"bg_color": colour})})
    ws.set_column("A:A", 30)
    ws.set_column("B:B", 52)
    ws.set_column("C:I", 11)
    ws.set_column("J:J", 8)
    ws.freeze_panes(FIRST_ROW - 1, 2)
    ws.activate()

    # --- Trends: CPXL_SERIES spills 14 rows (a header and 13 month ends) --------------------
    tr = wb.add_worksheet("Trends")
    tr.write("A1", "Thirteen-month trends for the period end and geography on the Scorecard sheet",
             title)
    for k, (ind, label) in enumerate(TRENDS):
        col = 3 * k
        tr.write_string(2, col, label, bold)
        tr.write_dynamic_array_formula(
            3, col, 3, col,
            f'=CPXL_SERIES("{ind}",EOMONTH(Scorecard!$B$3,-12),Scorecard!$B$3,Scorecard!$B$4)')
        tr.set_column(col, col, 12, date_fmt)
        tr.set_column(col + 1, col + 1, 14)
        chart = wb.add_chart({"type": "line"})
        letter, value_letter = chr(ord("A") + col), chr(ord("A") + col + 1)
        chart.add_series({"name": label,
                          "categories": f"=Trends!${letter}$5:${letter}$17",
                          "values": f"=Trends!${value_letter}$5:${value_letter}$17",
                          "marker": {"type": "circle"}})
        chart.set_title({"name": label})
        chart.set_legend({"none": True})
        chart.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
        chart.set_size({"width": 420, "height": 260})
        tr.insert_chart(19, col, chart)

    # --- The whole scorecard table and the status, as spills -------------------------------
    full = wb.add_worksheet("Scorecard table")
    full.write("A1", "Every indicator: =CPXL_SCORECARD(period end, geography)", title)
    full.write_dynamic_array_formula(2, 0, 2, 0, "=CPXL_SCORECARD(Scorecard!$B$3,Scorecard!$B$4)")
    full.set_column("A:A", 24)
    full.set_column("B:B", 30)
    full.set_column("C:C", 50)
    full.set_column("D:M", 12)

    st = wb.add_worksheet("Status")
    st.write("A1", "What data is loaded: =CPXL_STATUS()", title)
    st.write_dynamic_array_formula(2, 0, 2, 0, "=CPXL_STATUS()")
    st.set_column("A:A", 26)
    st.set_column("B:B", 80)
    st.write("A16", "Working days from the period end to today: ", bold)
    st.write_formula("B16", "=CPXL_WORKDAYS(Scorecard!$B$3,TODAY())")

    # --- cpxl.conf: key in A, value in B, from A1 without gaps (xlwings' .conf layout) ------
    conf = wb.add_worksheet("cpxl.conf")
    for i, (key, value, text) in enumerate(SETTINGS):
        conf.write_string(i, 0, key, bold)
        if value is None:
            conf.write_blank(i, 1, None, input_fmt)
        else:
            conf.write_string(i, 1, value, input_fmt)
        conf.write_string(i, 2, text, note)
    conf.set_column("A:A", 14)
    conf.set_column("B:B", 50)
    conf.set_column("C:C", 90)
    wb.close()
    return out


if __name__ == "__main__":
    path = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"Template written to {path}")
