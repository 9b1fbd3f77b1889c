"""xlwings' Windows UDF machinery, run on Linux: for the tests and the benchmark only.

Excel calls a worksheet function through a VBA wrapper that xlwings generates
(``xlwings.udfs.generate_vba_wrapper``); the wrapper calls ``XLPy.CallUDF`` in xlwings' COM
server, which runs :func:`xlwings.udfs.call_udf`: it converts each argument with
``xlwings.conversion.read`` and the declared ``@xw.arg`` options, calls the function, and
converts the result with ``xlwings.conversion.write`` and the ``@xw.ret`` options, using the
Windows engine's value cleaning (``xlwings._xlwindows.engine``).  All of that is plain Python
over pywin32 objects, so with stand-ins for the pywin32 modules and a small fake of Excel's COM
objects it runs here unchanged:

    with windows_udf_runtime() as rt:
        rt.call("CPXL_VALUE", "cla_count", 46022.0, caller=rt.caller(book))
        rt.vba()                       # the VBA module xlwings would import into the add-in
        rt.module.CPXL_VALUE.__xlfunc__  # the metadata Excel's function wizard gets

How it works (checked against xlwings 0.37.8):

* ``import xlwings`` on Linux binds ``xw.func``/``arg``/``ret`` to no-ops and registers no
  "excel" engine.  :func:`windows_udf_runtime` puts stand-ins for ``pywintypes``,
  ``pythoncom``, ``win32api``, ``win32con``, ``win32event``, ``win32gui``, ``win32process``,
  ``win32timezone``, ``win32com``, ``win32com.client`` and ``win32com.server.*`` in
  ``sys.modules`` (and ``ctypes.windll``/``oledll``/``PyDLL`` while ``xlwings._xlwindows`` is
  imported), imports the real ``xlwings._xlwindows`` and ``xlwings.udfs``, registers the real
  Windows engine as "excel", points ``xlwings.func``/``arg``/``ret``/``script``/``sub`` at
  ``xlwings.udfs.xlfunc``/``xlarg``/``xlret``/``xlsub`` (as ``xlwings/__init__.py`` does on
  Windows) and imports the UDF module afresh, so its functions carry ``__xlfunc__``.
* ``pywintypes.TimeType`` is a ``datetime`` subclass, as in pywin32, so date cells arrive as
  they do from Excel; ``pywintypes.IID`` is the identity, which lets :class:`FakeRange` pass
  ``xlwings._xlwindows.is_range_instance``.
* On leaving, everything is put back: the stand-ins, the modules imported with them, the
  decorators, the engine, and the previously imported UDF module.

Nothing in cpxl's runtime imports this module.
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import importlib
import io
import sys
import types
from pathlib import Path
from typing import Iterator
from unittest import mock

RANGE_IID = "{00020846-0000-0000-C000-000000000046}"   # Excel's Range interface
MISSING = -2147352572   # what VBA passes for an omitted Optional argument (DISP_E_PARAMNOTFOUND)

_STUBBED = ("pywintypes", "pythoncom", "win32api", "win32con", "win32event", "win32gui",
            "win32process", "win32timezone", "win32com", "win32com.client",
            "win32com.client.gencache", "win32com.server", "win32com.server.dispatcher",
            "win32com.server.policy", "win32com.server.util", "win32com.server.exception")
_IMPORTED = ("xlwings._xlwindows", "xlwings._win32patch", "xlwings.udfs", "xlwings.com_server")
_DECORATORS = {"func": "xlfunc", "arg": "xlarg", "ret": "xlret", "script": "xlsub", "sub": "xlsub"}
_ABSENT = object()


# --- pywin32 stand-ins --------------------------------------------------------------------------

class TimeType(dt.datetime):
    """pywintypes.TimeType: pywin32's COM date, a datetime subclass."""


class com_error(Exception):  # noqa: N801 - pywin32's name
    pass


def _module(name: str, **attrs) -> types.ModuleType:
    m = types.ModuleType(name)
    m.__doc__ = f"cpxl test stand-in for pywin32's {name}"
    m.__file__ = f"<stub {name}>"
    m.__getattr__ = lambda attr: mock.MagicMock(name=f"{name}.{attr}")   # PEP 562
    for k, v in attrs.items():
        setattr(m, k, v)
    return m


def _stub_modules() -> dict[str, types.ModuleType]:
    class _TZ:
        @staticmethod
        def utc():
            return dt.timezone.utc

    class _Dispatchable:   # distinct classes for isinstance() checks in _xlwindows
        pass

    iid_dispatch = "IID_IDispatch"
    mods = {
        "pywintypes": _module("pywintypes", TimeType=TimeType, datetime=TimeType,
                              IID=lambda s: s, com_error=com_error),
        "pythoncom": _module("pythoncom", CoInitialize=lambda *a: None,
                             CoUninitialize=lambda *a: None,
                             CoMarshalInterThreadInterfaceInStream=lambda iid, obj: ("stream", obj),
                             CoGetInterfaceAndReleaseStream=lambda stream, iid: stream[1],
                             IID_IDispatch=iid_dispatch, IID_IEnumVARIANT="IID_IEnumVARIANT",
                             TypeIIDs={iid_dispatch: type("PyIDispatch", (), {})},
                             com_error=com_error),
        "win32timezone": _module("win32timezone", TimeZoneInfo=_TZ),
        "win32com": _module("win32com"),
        "win32com.client": _module("win32com.client", Dispatch=lambda obj, *a, **k: obj,
                                   DispatchEx=lambda *a, **k: None,
                                   CDispatch=type("CDispatch", (_Dispatchable,), {}),
                                   CoClassBaseClass=type("CoClassBaseClass", (_Dispatchable,), {}),
                                   DispatchBaseClass=type("DispatchBaseClass", (_Dispatchable,), {})),
        "win32com.server": _module("win32com.server"),
    }
    for name in _STUBBED:
        mods.setdefault(name, _module(name))
    mods["win32com"].client = mods["win32com.client"]
    mods["win32com"].server = mods["win32com.server"]
    mods["win32com.client"].gencache = mods["win32com.client.gencache"]
    for sub in ("dispatcher", "policy", "util", "exception"):
        setattr(mods["win32com.server"], sub, mods[f"win32com.server.{sub}"])
    return mods


# --- a fake of Excel's COM objects --------------------------------------------------------------

def _com_value(v):
    """A Python cell value as COM hands it to pywin32 (dates as TimeType)."""
    if isinstance(v, dt.datetime) and not isinstance(v, TimeType):
        return TimeType(v.year, v.month, v.day, v.hour, v.minute, v.second)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return TimeType(v.year, v.month, v.day)
    return v


class _Count:
    def __init__(self, n):
        self.Count = n


class FakeRange:
    """An Excel.Range: a rectangle of a FakeSheet."""
    CLSID = RANGE_IID

    def __init__(self, sheet: "FakeSheet", row: int, col: int, nrows: int = 1, ncols: int = 1):
        self.Worksheet = sheet
        self.Parent = sheet
        self.Row, self.Column = row, col
        self.Rows, self.Columns = _Count(nrows), _Count(ncols)
        self.Count = nrows * ncols
        attr = types.SimpleNamespace(iid=RANGE_IID)
        info = types.SimpleNamespace(GetTypeAttr=lambda: attr)
        self._oleobj_ = types.SimpleNamespace(GetTypeInfo=lambda: info)

    @property
    def Value(self):
        cells = self.Worksheet.cells
        rows = tuple(tuple(_com_value(cells.get((r, c))) for c in range(self.Column, self.Column + self.Columns.Count))
                     for r in range(self.Row, self.Row + self.Rows.Count))
        return rows[0][0] if self.Count == 1 else rows

    @property
    def Address(self):
        from openpyxl.utils import get_column_letter as L
        a = f"${L(self.Column)}${self.Row}"
        if self.Count > 1:
            a += f":${L(self.Column + self.Columns.Count - 1)}${self.Row + self.Rows.Count - 1}"
        return a

    def GetAddress(self, *args, **kwargs):
        return self.Address


class FakeSheet:
    def __init__(self, book: "FakeWorkbook", name: str, cells: dict | None = None):
        self.Parent = book
        self.Name = name
        self.cells: dict[tuple[int, int], object] = dict(cells or {})

    def Range(self, address, address2=None):
        from openpyxl.utils import range_boundaries
        if isinstance(address, FakeRange):
            r2 = address2 or address
            return FakeRange(self, address.Row, address.Column, r2.Row - address.Row + 1,
                             r2.Column - address.Column + 1)
        min_col, min_row, max_col, max_row = range_boundaries(str(address).replace("$", ""))
        return FakeRange(self, min_row, min_col, max_row - min_row + 1, max_col - min_col + 1)

    def Cells(self, row, col):
        return FakeRange(self, row, col)

    def set(self, address: str, value) -> None:
        rng = self.Range(address)
        self.cells[(rng.Row, rng.Column)] = value


class FakeWorksheets:
    def __init__(self, book: "FakeWorkbook"):
        self._book = book

    def __call__(self, key):
        sheets = self._book.sheets
        if isinstance(key, int):
            return list(sheets.values())[key - 1]
        for name, sheet in sheets.items():
            if name.lower() == str(key).lower():
                return sheet
        raise com_error(-2147352565, "Invalid index.", None, None)

    @property
    def Count(self):
        return len(self._book.sheets)


class FakeApplication:
    """Excel.Application: its open workbooks (add-ins included, found by name as in Excel)."""

    def __init__(self):
        self.Hwnd = 1
        self.Version = "16.0"
        self.Name = "Microsoft Excel"
        self.books: dict[str, "FakeWorkbook"] = {}

    def Workbooks(self, key):
        for name, book in self.books.items():
            if name.lower() == str(key).lower():
                return book
        raise com_error(-2147352565, "Subscript out of range.", None, None)


class FakeWorkbook:
    """An Excel.Workbook with sheets of cell values (and the Application it belongs to)."""

    def __init__(self, fullname: str | Path, sheets: dict[str, dict] | None = None,
                 app: FakeApplication | None = None):
        self.FullName = str(fullname)
        self.Name = Path(str(fullname)).name
        self.Path = str(Path(str(fullname)).parent)
        self.sheets: dict[str, FakeSheet] = {}
        for name, cells in (sheets or {"Sheet1": {}}).items():
            self.add_sheet(name, cells)
        self.Worksheets = FakeWorksheets(self)
        self.Sheets = self.Worksheets
        self.Application = app or FakeApplication()
        self.Application.books[self.Name] = self

    def add_sheet(self, name: str, cells: dict | None = None) -> FakeSheet:
        self.sheets[name] = FakeSheet(self, name, cells)
        return self.sheets[name]

    @classmethod
    def from_xlsx(cls, path: str | Path, app: FakeApplication | None = None) -> "FakeWorkbook":
        """The cell values of a real workbook (read with openpyxl)."""
        import openpyxl
        wb = openpyxl.load_workbook(path, data_only=True)
        book = cls(Path(path).absolute(), {}, app)
        for ws in wb.worksheets:
            book.add_sheet(ws.title, {(c.row, c.column): c.value for row in ws.iter_rows()
                                      for c in row if c.value is not None})
        return book


# --- the runtime --------------------------------------------------------------------------------

class WindowsUdfRuntime:
    def __init__(self, module_name: str, xlwings_udfs, module):
        self.module_name = module_name
        self.xlwings_udfs = xlwings_udfs
        self.module = module

    def functions(self) -> dict:
        """The module's worksheet functions by name (those with xlwings metadata)."""
        return {name: obj for name in dir(self.module)
                if hasattr(obj := getattr(self.module, name), "__xlfunc__")}

    @staticmethod
    def caller(book: FakeWorkbook, sheet: str | None = None, address: str = "A1") -> FakeRange:
        """The cell a formula is in (Excel's Application.Caller)."""
        ws = book.sheets[sheet] if sheet else next(iter(book.sheets.values()))
        return ws.Range(address)

    def args(self, name: str, *given) -> tuple:
        """The argument array the VBA wrapper builds: omitted optionals as VBA's 'missing'
        and ``Nothing`` (None) in the reserved caller argument's place."""
        out = []
        for info in getattr(self.module, name).__xlfunc__["args"]:
            if info["name"] == "caller":
                out.append(None)
            elif info["pos"] < len(given):
                out.append(given[info["pos"]])
            else:
                out.append(MISSING)
        return tuple(out)

    def call(self, name: str, *given, caller: FakeRange | None = None, this_workbook=None):
        """Call a worksheet function as Excel does: through ``xlwings.udfs.call_udf``."""
        return self.xlwings_udfs.call_udf(self.module_name, name, self.args(name, *given),
                                          this_workbook, caller)

    def vba(self, workbook_name: str = "cpxl.xlam") -> str:
        """The VBA wrappers xlwings' own generator writes for the module."""
        out = io.StringIO()
        self.xlwings_udfs.generate_vba_wrapper(self.module_name, self.module, out,
                                               types.SimpleNamespace(Name=workbook_name))
        return out.getvalue()


@contextlib.contextmanager
def windows_udf_runtime(module_name: str = "cpxl.xl.udfs") -> Iterator[WindowsUdfRuntime]:
    """xlwings' Windows UDF machinery with pywin32 stand-ins; everything restored on exit."""
    import xlwings
    from xlwings.main import Engine

    names = _STUBBED + _IMPORTED + (module_name,)
    saved_modules = {n: sys.modules.get(n, _ABSENT) for n in names}
    saved_attrs = {n: getattr(xlwings, n, _ABSENT) for n in (*_DECORATORS, "_xlwindows", "udfs",
                                                               "com_server", "_win32patch")}
    engine_added = False
    try:
        for name, module in _stub_modules().items():
            if sys.modules.get(name) is None:
                sys.modules[name] = module
        for name in _IMPORTED:
            sys.modules.pop(name, None)
        with mock.patch.object(ctypes, "windll", mock.MagicMock(), create=True), \
                mock.patch.object(ctypes, "oledll", mock.MagicMock(), create=True), \
                mock.patch.object(ctypes, "PyDLL", mock.MagicMock()):
            xlwindows = importlib.import_module("xlwings._xlwindows")
        xlwings_udfs = importlib.import_module("xlwings.udfs")
        importlib.import_module("xlwings.com_server")
        if "excel" not in [e.name for e in xlwings.engines]:
            xlwings.engines.add(Engine(impl=xlwindows.engine))
            engine_added = True
        for name, real in _DECORATORS.items():
            setattr(xlwings, name, getattr(xlwings_udfs, real))
        sys.modules.pop(module_name, None)
        xlwings_udfs.udf_modules.pop(module_name, None)
        module = importlib.import_module(module_name)
        yield WindowsUdfRuntime(module_name, xlwings_udfs, module)
    finally:
        com_server = sys.modules.get("xlwings.com_server")
        if com_server is not None and hasattr(com_server, "loop"):
            com_server.loop.close()
        if engine_added:
            engines = xlwings.engines
            engines.engines = [e for e in engines.engines if e.name != "excel"]
            engines.engines_by_name.pop("excel", None)
        for name, value in saved_attrs.items():
            if value is _ABSENT:
                if hasattr(xlwings, name):
                    delattr(xlwings, name)
            else:
                setattr(xlwings, name, value)
        for name, module in saved_modules.items():
            if module is _ABSENT:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        parent = sys.modules.get(module_name.rpartition(".")[0])
        if parent is not None and saved_modules[module_name] is not _ABSENT:
            setattr(parent, module_name.rpartition(".")[2], saved_modules[module_name])


__all__ = ["windows_udf_runtime", "WindowsUdfRuntime", "FakeApplication", "FakeWorkbook", "FakeSheet", "FakeRange",
           "TimeType", "com_error", "MISSING", "RANGE_IID"]
