"""The cpxl worksheet functions, for Excel through xlwings.

    =CPXL_VALUE("cla_count", $B$3)                        the authority's value on B3's date
    =CPXL_VALUE("cla_rate_10k", EOMONTH($B$3,-1), "North")  an area, the month before
    =CPXL_SERIES("cla_count", EOMONTH($B$3,-12), $B$3)    13 month ends and values (spills)
    =CPXL_SCORECARD($B$3, $B$4)                           the scorecard table (spills)
    =CPXL_RAG("visits_in_time_pct", C8)                   Red / Amber / Green
    =CPXL_COMPARATOR("cla_rate_10k", "England")           published comparator
    =CPXL_INDICATORS()                                    the catalogue (spills)
    =CPXL_WORKDAYS(A2, B2)                                working days between two dates

Argument names are copied into the VBA wrappers, so they must be valid VBA identifiers and not
VBA keywords (``end``, ``date``, ``type`` ... are not allowed; tests/test_xl_udfs.py checks).
    =CPXL_STATUS()                                        what data is loaded (spills)

Each function only converts its arguments (xlwings' conversion layer, as declared with
``@xw.arg``) and calls :mod:`cpxl.xl.service`, where the work and the cache are.  A bad argument
or a data problem returns one line of text in the cell ("cpxl: no indicator 'cla_cont'; did you
mean 'cla_count'?"), never a traceback.

``source`` (a data folder or workbook) is optional everywhere: omitted, the functions use
``DATA_SOURCE`` from the calling workbook's ``cpxl.conf`` sheet (else the add-in's sheet, else the
settings files; see :mod:`cpxl.xl.service`), the workbook being found through xlwings' reserved
``caller`` argument (the calling cell: ``caller.sheet.book``).  Called from Python (tests,
scripts) ``caller`` is None and the ``CPXL_DATA_SOURCE`` environment variable is the fallback.

Tables spill as native dynamic arrays (Excel 365/2021).  They deliberately do not use xlwings'
``@xw.ret(expand="table")``: xlwings' docs say not to use it where Excel has native dynamic
arrays (it writes legacy array formulas and overwrites cells without asking).  In Excel 2019 and
older, select the output range and enter the formula with Ctrl+Shift+Enter.

**Decorators on Linux/macOS.**  ``import xlwings`` binds ``xw.func``/``xw.arg``/``xw.ret`` to
xlwings' real UDF decorators (``xlwings.udfs.xlfunc``/``xlarg``/``xlret``) only on Windows with
pywin32; elsewhere they are no-ops and these functions carry no ``__xlfunc__`` metadata.  The
add-in builder (:mod:`cpxl.addin.udfgen`) and the tests (tests/winharness.py) therefore
import ``xlwings.udfs`` with pywin32 stand-ins, point ``xlwings.func``/``arg``/``ret`` at the real
decorators and import this module afresh - exactly what ``xlwings/__init__.py`` does on Windows.
The decorators must therefore be looked up as ``xw.func`` etc. at import time, as below.
"""
from __future__ import annotations

import datetime as dt
import functools

import xlwings as xw

from . import service

CATEGORY = "cpxl"

_SOURCE_DOC = ("Optional: a data folder or workbook. Omitted: DATA_SOURCE on this workbook's "
               "cpxl.conf sheet.")
_GEO_DOC = "Optional: a district or area name. Omitted: the whole authority."
_IND_DOC = "The indicator id, e.g. \"cla_count\" (CPXL_INDICATORS() lists them)."


def _conf_pairs(book):
    """The rows of a workbook's cpxl.conf sheet (None if it has none)."""
    try:
        return book.sheets[service.CONF_SHEET].range("A1:B100").value
    except Exception:  # no such sheet
        return None


def _settings(caller) -> service.Settings | None:
    """The calling workbook's settings (None when not called from a cell)."""
    if caller is None:
        return None
    try:
        book = caller.sheet.book
    except Exception:  # a caller without a workbook (e.g. called from VBA)
        return None
    try:
        path = book.fullname
    except Exception:  # e.g. a SharePoint address xlwings cannot map to a local path
        path = None
    key = path or book.name

    def read() -> service.Settings:
        try:
            addin = book.app.books[service.ADDIN_BOOK]   # Workbooks("cpxl.xlam") finds add-ins
            addin_pairs = _conf_pairs(addin)
        except Exception:
            addin_pairs = None
        return service.layered_settings(_conf_pairs(book), book_path=path,
                                        addin_pairs=addin_pairs)

    return service.cached_settings(key, read)


def _call(fn, caller, **arguments):
    """Run a service function with the cell's arguments, given by their names in the signature
    (the names the function wizard shows and the messages use); any failure, an Excel error
    value among the arguments included, becomes the cell's one-line message."""
    try:
        service.check_arguments(arguments)
        return fn(*arguments.values(), settings=_settings(caller))
    except Exception as e:  # noqa: BLE001 - the cell shows a message, never a traceback
        return service.error_text(e)


def _plain(fn, **arguments):
    """:func:`_call` for the functions that read no settings."""
    try:
        service.check_arguments(arguments)
        return fn(*arguments.values())
    except Exception as e:  # noqa: BLE001
        return service.error_text(e)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("indicator", err_to_str=True, doc=_IND_DOC)
@xw.arg("period_end", err_to_str=True, dates=dt.date, doc="The period end: a date, e.g. DATE(2025,12,31) or a date cell.")
@xw.arg("geography", err_to_str=True, doc=_GEO_DOC)
@xw.arg("source", err_to_str=True, doc=_SOURCE_DOC)
def CPXL_VALUE(indicator, period_end, geography=None, source=None, caller=None):
    """The value of a Corporate Parenting indicator for a period end and geography (cpxl)."""
    return _call(service.value, caller, indicator=indicator, period_end=period_end,
                 geography=geography, source=source)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("indicator", err_to_str=True, doc=_IND_DOC)
@xw.arg("first_period_end", err_to_str=True, dates=dt.date, doc="The first period end of the series (a date).")
@xw.arg("last_period_end", err_to_str=True, dates=dt.date, doc="The last period end of the series (a date).")
@xw.arg("geography", err_to_str=True, doc=_GEO_DOC)
@xw.arg("source", err_to_str=True, doc=_SOURCE_DOC)
def CPXL_SERIES(indicator, first_period_end, last_period_end, geography=None, source=None,
                caller=None):
    """Month ends and values of an indicator from the first to the last period end, with a
    header row; spills down (cpxl)."""
    return _call(service.series, caller, indicator=indicator, first_period_end=first_period_end,
                 last_period_end=last_period_end, geography=geography, source=source)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("period_end", err_to_str=True, dates=dt.date, doc="The period end: a date, e.g. DATE(2025,12,31) or a date cell.")
@xw.arg("geography", err_to_str=True, doc=_GEO_DOC)
@xw.arg("source", err_to_str=True, doc=_SOURCE_DOC)
def CPXL_SCORECARD(period_end, geography=None, source=None, caller=None):
    """The scorecard: every indicator's value, previous period, a year before, comparators and
    RAG, with a header row; spills (cpxl)."""
    return _call(service.scorecard, caller, period_end=period_end, geography=geography,
                 source=source)


@xw.func(category=CATEGORY)
@xw.arg("indicator", err_to_str=True, doc=_IND_DOC)
@xw.arg("value", err_to_str=True, doc="The indicator's value, e.g. a cell with CPXL_VALUE(...).")
def CPXL_RAG(indicator, value, caller=None):
    """Red, Amber or Green for a value of an indicator, by the thresholds in cpxl.toml (cpxl)."""
    return _call(service.rag, caller, indicator=indicator, value=value)


@xw.func(category=CATEGORY)
@xw.arg("indicator", err_to_str=True, doc=_IND_DOC)
@xw.arg("which", err_to_str=True, doc="\"England\", \"Region\" or \"Neighbours\" (statistical neighbours' mean).")
@xw.arg("la_code", err_to_str=True, doc="Optional: the DfE LA code, e.g. 888. Omitted: la_code in cpxl.toml or "
                       "LA_CODE on the cpxl.conf sheet.")
def CPXL_COMPARATOR(indicator, which, la_code=None, caller=None):
    """The published England, region or statistical-neighbour figure for an indicator (cpxl)."""
    return _call(service.comparator, caller, indicator=indicator, which=which, la_code=la_code)


@xw.func(category=CATEGORY)
@xw.ret(index=False)  # a DataFrame: its header row, no index column
def CPXL_INDICATORS():
    """The indicator catalogue: id, title, unit, polarity, theme and definition; spills (cpxl)."""
    try:
        return service.indicators_frame()
    except Exception as e:  # noqa: BLE001
        return service.error_text(e)


@xw.func(category=CATEGORY)
@xw.arg("start_date", err_to_str=True, dates=dt.date,
        doc="The start date (not counted). After end_date: the result is negative.")
@xw.arg("end_date", err_to_str=True, dates=dt.date, doc="The end date (counted if a working day).")
def CPXL_WORKDAYS(start_date, end_date):
    """Working days after start_date up to and including end_date, less England and Wales bank
    holidays; negative if end_date is before start_date, as NETWORKDAYS (cpxl)."""
    # (not 'start'/'end': End is a reserved word in VBA, where xlwings copies argument names)
    return _plain(service.workdays, start_date=start_date, end_date=end_date)


@xw.func(category=CATEGORY, call_in_wizard=False)
@xw.arg("source", err_to_str=True, doc=_SOURCE_DOC)
def CPXL_STATUS(source=None, caller=None):
    """What data is loaded, from where, when, how many validation problems, and whether the
    add-in matches this Python's cpxl and xlwings; spills (cpxl)."""
    return _call(functools.partial(service.status, xlwings_version=xw.__version__), caller,
                 source=source)


#: The worksheet functions, for the add-in builder and the tests.
FUNCTIONS = ("CPXL_VALUE", "CPXL_SERIES", "CPXL_SCORECARD", "CPXL_RAG", "CPXL_COMPARATOR",
             "CPXL_INDICATORS", "CPXL_WORKDAYS", "CPXL_STATUS")
