"""The slice of xlwings' Book/Sheet/Range API the ribbon actions use, and an openpyxl twin of it.

The ribbon actions (:mod:`cpxl.xl.ribbon`) are written against xlwings objects: in Excel they get
``xw.Book.caller()`` itself.  :class:`OpenpyxlBook` implements the same slice on a real .xlsx file
so the actions run in tests on Linux.  The slice, and nothing more:

=======================  =====================================================================
book                     ``.name``, ``.fullname``, ``.sheets``, ``.app``
book.sheets              iterate, ``len()``, ``[name or index]``, ``.add(name, after=sheet)``,
                         ``.active``
sheet                    ``.name``, ``.book``, ``.range("A1" / "A1:C3" / (row, col))``,
                         ``["A1"]``, ``.clear()``, ``.activate()``, ``.autofit()``
range                    ``.value`` (get: scalar, 1-D list for one row or column, else rows;
                         set: a scalar fills the range, a list of rows is written from the
                         top-left), ``.number_format``, ``.font.bold/.italic/.size/.color``,
                         ``.color`` (fill: ``(r, g, b)`` or ``"#RRGGBB"``), ``.column_width``,
                         ``.wrap_text``, ``.row``, ``.column``, ``.shape``
book.app                 ``.calculate()``, ``.status_bar``
=======================  =====================================================================

Sheet names are matched without regard to case, as Excel does.  A string starting with "="
written as a value becomes a formula, as it does through COM: callers neutralise data text.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl.utils import get_column_letter, range_boundaries


def address(row: int, col: int, row2: int | None = None, col2: int | None = None) -> str:
    a = f"{get_column_letter(col)}{row}"
    if row2 is not None and (row2, col2) != (row, col):
        a += f":{get_column_letter(col2)}{row2}"
    return a


def find_sheet(book, name: str):
    """The sheet called ``name`` (any case), or None - for xlwings and openpyxl books alike."""
    for sheet in book.sheets:
        if sheet.name.lower() == name.lower():
            return sheet
    return None


def _hex(color) -> str | None:
    if color is None:
        return None
    if isinstance(color, str):
        return color.lstrip("#").upper()
    r, g, b = color
    return f"{r:02X}{g:02X}{b:02X}"


class _App:
    """Stands in for xw.App: recalculation and the status bar are recorded, not done."""

    def __init__(self):
        self.calculations = 0
        self.status_bar = None

    def calculate(self):
        self.calculations += 1


class OpenpyxlBook:
    """A workbook file opened with openpyxl, behind the xlwings API slice above."""

    def __init__(self, path):
        import openpyxl

        self.path = Path(path).absolute()
        self._keep_vba = self.path.suffix.lower() == ".xlsm"
        self.wb = openpyxl.load_workbook(self.path, keep_vba=self._keep_vba)
        self.app = _App()
        self.sheets = _Sheets(self)
        self._active = self.wb.active.title if self.wb.worksheets else None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fullname(self) -> str:
        return str(self.path)

    def save(self, path=None) -> None:
        if self._active:
            for i, ws in enumerate(self.wb.worksheets):
                ws.sheet_view.tabSelected = ws.title == self._active
                if ws.title == self._active:
                    self.wb.active = i
        self.wb.save(path or self.path)


class _Sheets:
    def __init__(self, book: OpenpyxlBook):
        self.book = book

    def __iter__(self):
        return iter([_Sheet(self.book, ws) for ws in self.book.wb.worksheets])

    def __len__(self):
        return len(self.book.wb.worksheets)

    def __getitem__(self, key):
        if isinstance(key, int):
            return _Sheet(self.book, self.book.wb.worksheets[key])
        for ws in self.book.wb.worksheets:
            if ws.title.lower() == str(key).lower():
                return _Sheet(self.book, ws)
        raise KeyError(f"no sheet '{key}'")

    def __call__(self, key):
        return self[key - 1 if isinstance(key, int) else key]

    def add(self, name=None, before=None, after=None):
        wb = self.book.wb
        if name is not None and any(ws.title.lower() == name.lower() for ws in wb.worksheets):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        if after is not None:
            index = wb.worksheets.index(after.ws) + 1
        elif before is not None:
            index = wb.worksheets.index(before.ws)
        else:
            index = wb.worksheets.index(wb.active) if wb.worksheets else 0   # Excel: before active
        ws = wb.create_sheet(title=name, index=index)
        self.book._active = ws.title
        return _Sheet(self.book, ws)

    @property
    def active(self):
        return self[self.book._active] if self.book._active else None


class _Sheet:
    def __init__(self, book: OpenpyxlBook, ws):
        self.book = book
        self.ws = ws

    def __eq__(self, other):
        return isinstance(other, _Sheet) and other.ws is self.ws

    @property
    def name(self) -> str:
        return self.ws.title

    def range(self, cell1, cell2=None) -> "_Range":
        if isinstance(cell1, tuple):
            r1, c1 = cell1
            r2, c2 = cell2 if cell2 else cell1
        else:
            ref = str(cell1).replace("$", "")
            if cell2 is not None:
                ref += ":" + str(cell2).replace("$", "")
            c1, r1, c2, r2 = range_boundaries(ref)
        return _Range(self, r1, c1, r2, c2)

    def __getitem__(self, ref):
        return self.range(ref)

    def clear(self) -> None:
        """Contents and formats, as xlwings' Sheet.clear."""
        ws = self.ws
        for merged in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(merged))
        ws._cells.clear()
        ws.column_dimensions.clear()
        ws.row_dimensions.clear()
        ws.conditional_formatting = type(ws.conditional_formatting)()
        ws.freeze_panes = None

    def activate(self) -> None:
        self.book._active = self.ws.title

    def autofit(self, axis=None) -> None:
        """Column widths from the longest text in each column (Excel measures; we estimate)."""
        widths: dict[int, int] = {}
        for row in self.ws.iter_rows():
            for c in row:
                if c.value is not None:
                    n = len(c.value.strftime("%d/%m/%Y")) if isinstance(c.value, dt.date) else len(str(c.value))
                    widths[c.column] = max(widths.get(c.column, 0), min(n, 60))
        for col, n in widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = n + 2


class _Font:
    def __init__(self, rng: "_Range"):
        self._rng = rng

    def _set(self, **kw):
        from copy import copy
        for c in self._rng.cells():
            f = copy(c.font)
            for k, v in kw.items():
                setattr(f, k, v)
            c.font = f

    def _get(self, attr):
        return getattr(self._rng.first().font, attr)

    bold = property(lambda s: s._get("b"), lambda s, v: s._set(b=bool(v)))
    italic = property(lambda s: s._get("i"), lambda s, v: s._set(i=bool(v)))
    size = property(lambda s: s._get("sz"), lambda s, v: s._set(sz=v))
    color = property(lambda s: s._get("color"), lambda s, v: s._set(color=_hex(v)))


class _Range:
    def __init__(self, sheet: _Sheet, r1, c1, r2, c2):
        self.sheet = sheet
        self.ws = sheet.ws
        self.row, self.column = r1, c1
        self.last_row, self.last_column = r2, c2

    @property
    def shape(self):
        return self.last_row - self.row + 1, self.last_column - self.column + 1

    @property
    def address(self) -> str:
        return "$" + address(self.row, self.column, self.last_row, self.last_column).replace(
            ":", ":$")

    def first(self):
        return self.ws.cell(self.row, self.column)

    def cells(self):
        for r in range(self.row, self.last_row + 1):
            for c in range(self.column, self.last_column + 1):
                yield self.ws.cell(r, c)

    # values ----------------------------------------------------------------------------------
    @property
    def value(self):
        cells = self.ws._cells   # reading must not create cells (ws.cell() would)
        rows = [[getattr(cells.get((r, c)), "value", None)
                 for c in range(self.column, self.last_column + 1)]
                for r in range(self.row, self.last_row + 1)]
        rows = [[None if v == "" else v for v in r] for r in rows]
        if len(rows) == 1:
            return rows[0][0] if len(rows[0]) == 1 else rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data):
        if isinstance(data, (list, tuple)):
            rows = data if data and isinstance(data[0], (list, tuple)) else [data]
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    self._put(self.row + i, self.column + j, v)
        else:
            for c in list(self.cells()):
                self._put(c.row, c.column, data)

    def _put(self, r, c, v):
        cell = self.ws.cell(r, c)
        if isinstance(v, float) and v != v:
            v = None
        cell.value = v
        if isinstance(v, (dt.datetime, dt.date)) and cell.number_format == "General":
            cell.number_format = "dd/mm/yyyy"

    @property
    def formula(self):
        v = self.first().value
        return v if isinstance(v, str) and v.startswith("=") else None

    # formats ---------------------------------------------------------------------------------
    @property
    def number_format(self):
        return self.first().number_format

    @number_format.setter
    def number_format(self, fmt):
        for c in self.cells():
            c.number_format = fmt

    @property
    def font(self) -> _Font:
        return _Font(self)

    @property
    def color(self):
        fill = self.first().fill
        return fill.fgColor.rgb if fill and fill.fill_type == "solid" else None

    @color.setter
    def color(self, value):
        from openpyxl.styles import PatternFill
        fill = PatternFill() if value is None else PatternFill("solid", fgColor=_hex(value))
        for c in self.cells():
            c.fill = fill

    @property
    def wrap_text(self):
        return bool(self.first().alignment.wrap_text)

    @wrap_text.setter
    def wrap_text(self, value):
        from copy import copy
        for c in self.cells():
            a = copy(c.alignment)
            a.wrap_text = bool(value)
            c.alignment = a

    @property
    def column_width(self):
        return self.ws.column_dimensions[get_column_letter(self.column)].width

    @column_width.setter
    def column_width(self, width):
        for col in range(self.column, self.last_column + 1):
            self.ws.column_dimensions[get_column_letter(col)].width = width
