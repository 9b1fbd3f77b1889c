"""The look of every scorecard workbook: one palette, one font, number formats by unit, and the
page set-up (landscape, one page wide, OFFICIAL-SENSITIVE header and footer)."""
from __future__ import annotations

from ..indicators.registry import CHANGE_FORMATS, NUMBER_FORMATS, UNIT_SHORT  # noqa: F401

from .naming import fit_header_footer

NAVY = "#1F3864"
MID_BLUE = "#2F5597"
PALE_BLUE = "#DDE5F3"
RULE_GREY = "#D0D0D0"
TEXT_GREY = "#595959"
INPUT_YELLOW = "#FFF2CC"
BETTER = "#1E7B34"
WORSE = "#B00020"
FONT = "Arial"
SIZE = 10                  # body text, printed at 100%: board papers are read at 10-12 pt
MARKING = "OFFICIAL-SENSITIVE"

#: fill and text colour of each RAG band (Excel's own good / neutral / bad, legible in grey print)
RAG_COLOURS = {"Green": ("#C6EFCE", "#006100"), "Amber": ("#FFEB9C", "#7F5F00"),
               "Red": ("#FFC7CE", "#9C0006")}
#: the letter a heat-map cell shows beside its value, so RAG never relies on colour alone
RAG_LETTER = {"Green": "G", "Amber": "A", "Red": "R"}

DATE_FORMAT = "dd/mm/yyyy"
MONTH_FORMAT = "mmm yy"


class Styles:
    """Formats created on first use and reused (XlsxWriter wants one object per distinct look)."""

    def __init__(self, workbook):
        self.wb = workbook
        self._cache: dict = {}

    def __call__(self, **props):
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            base = {"font_name": FONT, "font_size": SIZE, "valign": "vcenter"}
            base.update(props)
            fmt = self._cache[key] = self.wb.add_format(base)
        return fmt

    # --- named looks -----------------------------------------------------------------------
    def title(self):
        return self(bold=True, font_size=15, font_color=NAVY)

    def subtitle(self):
        return self(font_size=10, font_color=TEXT_GREY)

    def note(self, **extra):
        return self(**{"font_size": SIZE, "font_color": TEXT_GREY, "italic": True, **extra})

    def banner(self):
        return self(bold=True, font_color="#FFFFFF", bg_color="#9C0006", font_size=10, text_wrap=True)

    def group(self, first: bool = False):
        return self(bold=True, font_color="#FFFFFF", bg_color=MID_BLUE, align="center",
                    left=1 if first else 0, left_color="#FFFFFF")

    def header(self, align: str = "center", wrap: bool = True, rotate: int = 0, **extra):
        props = dict(bold=True, font_color="#FFFFFF", bg_color=NAVY, align=align, text_wrap=wrap,
                     valign="vcenter" if not rotate else "bottom", **extra)
        if rotate:
            props["rotation"] = rotate
        return self(**props)

    def theme(self):
        return self(bold=True, font_color=NAVY, bg_color=PALE_BLUE, font_size=11, top=1,
                    top_color=NAVY)

    def cell(self, **props):
        """A table cell: a hairline rule below."""
        return self(**{"bottom": 7, "bottom_color": RULE_GREY, **props})

    def label(self, indent: int = 1, **props):
        return self.cell(**{"indent": indent, "text_wrap": True, **props})

    def number(self, unit: str, **props):
        return self.cell(**{"num_format": NUMBER_FORMATS.get(unit, "0.0"), "align": "right",
                            **props})

    def change(self, unit: str):
        return self.cell(num_format=CHANGE_FORMATS.get(unit, '+0.0;"−"0.0;0.0'), align="right")

    def muted(self, align: str = "center", **props):
        return self.cell(**{"font_color": TEXT_GREY, "align": align, **props})

    def rag_fill(self, band: str, num_format: str | None = None):
        """A conditional format (dxf): the band's fill and text colour, optionally a number format."""
        bg, fg = RAG_COLOURS[band]
        key = ("rag", band, num_format)
        fmt = self._cache.get(key)
        if fmt is None:
            props = {"bg_color": bg, "font_color": fg}
            if num_format:
                props["num_format"] = num_format
            fmt = self._cache[key] = self.wb.add_format(props)
        return fmt


#: the column-width units that fit across A4 landscape between the margins at 100% (LibreOffice
#: prints one unit as about 7.5 points): widths are chosen so that no sheet is scaled down
PAGE_WIDTH_UNITS = 103


def wrapped_lines(text: str, width: float, size: float = SIZE) -> int:
    """How many lines ``text`` takes in a column ``width`` wide, wrapped at spaces as a
    spreadsheet program wraps it (an average Arial character at 10 pt is 0.74 of a unit)."""
    capacity = max(1.0, width * 1.35 * 10 / size)
    lines = 0
    for para in str(text).split("\n"):
        used, lines = 0.0, lines + 1
        for word in para.split(" "):
            need = len(word) + (1 if used else 0)
            if used and used + need > capacity:
                lines += 1
                used = len(word)
                while used > capacity:              # a word longer than the line breaks
                    lines += 1
                    used -= capacity
            else:
                used += need
    return lines


def row_height(cells, size: float = SIZE, minimum: float = 0) -> float | None:
    """The height (points) a row needs for wrapped text: ``cells`` are (text, column width).

    Spreadsheet programs do not all re-fit wrapped rows when they open a file (LibreOffice does
    not), so rows with long text get an explicit height.  None when one line will do.
    """
    lines = max((wrapped_lines(t, w, size) for t, w in cells), default=1)
    if lines <= 1 and not minimum:
        return None
    return max(minimum, lines * (size + 2.6) + 3)




def page_setup(ws, data, sheet_label: str, *, landscape: bool = True, repeat_rows=None,
               personal: bool = False, page: str = "Page &P of &N") -> None:
    """Print-ready: A4, landscape, at 100%, marked header and footer, gridlines hidden."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    # 100%, never "fit to width": LibreOffice and Excel shrink the whole sheet (fonts included)
    # to fit, so every sheet's columns are chosen to fit A4 landscape at 100% (PAGE_WIDTH_UNITS)
    ws.set_print_scale(100)
    ws.set_margins(left=0.3, right=0.3, top=0.75, bottom=0.6)
    ws.center_horizontally()
    ws.hide_gridlines(2)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
    marking = MARKING + (" - PERSONAL DATA" if personal else "")
    period = f"{data.period_end:%B %Y}"
    font = '&"Arial,Regular"&9'
    bold = '&"Arial,Bold"&9'
    # Only the names are shortened to fit Excel's 255 characters: never the marking.
    ws.set_header(fit_header_footer(f"&L{bold}{marking}&C{font}", f"{data.title} - {sheet_label}",
                                    f" - {period}&R{font}{page}"), {"margin": 0.3})
    ws.set_footer(fit_header_footer(f"&L{bold}{marking}&C{font}", str(data.authority),
                                    f" Corporate Parenting scorecard, position at "
                                    f"{data.period_end:%d %B %Y}&R{font}cpxl {data.version}, "
                                    f"{data.generated:%d/%m/%Y %H:%M}"), {"margin": 0.3})
