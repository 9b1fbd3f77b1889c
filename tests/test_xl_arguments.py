"""Worksheet-function arguments as Excel sends them, through xlwings' real UDF machinery.

(:func:`winharness.windows_udf_runtime` (tests/winharness.py), as in tests/test_xl_udfs.py: xlwings'
``call_udf`` with the ``@xw.arg`` conversions and the Windows engine's value cleaning.)

* An Excel error value - in a referenced cell, or from a formula such as ``NA()`` - reaches
  Python as a COM error code; without ``err_to_str`` xlwings turns it into None, the same as a
  blank.  Every argument of every function must say "argument X is #N/A" instead.
* A period end outside the data is an error naming the data's range (cpxl.coverage).
* CPXL_WORKDAYS with the dates reversed is negative, as NETWORKDAYS.
* The argument names in messages are those of the signature and of the function wizard.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import cpxl
from cpxl.xl import cache as cache_mod
from cpxl.xl import service
from cpxl.xl.cache import CACHE
from winharness import FakeWorkbook, TimeType, windows_udf_runtime
from builders import sample_county

PERIOD_END = dt.date(2025, 12, 31)
SERIAL = float((PERIOD_END - dt.date(1899, 12, 30)).days)
NA = -2146826246          # what COM passes for #N/A (0x800A07FA)
REF = -2146826265         # #REF!
SPILL = -2146826243       # #SPILL! (0x800A07FD): xlwings has no text for it


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_county(tmp_path_factory.mktemp("xlargs") / "data")


@pytest.fixture(scope="module")
def rt():
    with windows_udf_runtime() as runtime:
        yield runtime


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    monkeypatch.setenv(cache_mod.ENV_TOKEN, str(tmp_path / "refresh.token"))
    monkeypatch.setattr(CACHE, "check_interval", 0.0)
    service.clear_cache()
    yield
    service.clear_cache()


def book(sample: Path, folder: Path, cells: dict | None = None) -> FakeWorkbook:
    return FakeWorkbook(folder / "Board.xlsx", {
        "Scorecard": {(3, 2): dt.datetime(2025, 12, 31), **(cells or {})},
        "cpxl.conf": {(1, 1): "DATA_SOURCE", (1, 2): str(sample)}})


def scalar(result):
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


# A good value for every argument; each test replaces one of them with an error.
GOOD = {"indicator": "cla_count", "period_end": SERIAL, "first_period_end": SERIAL - 31,
        "last_period_end": SERIAL, "geography": None, "source": None, "value": 50.0,
        "which": "England", "la_code": 888.0, "start_date": SERIAL - 12, "end_date": SERIAL}


def signature(rt, name):
    return [a["name"] for a in getattr(rt.module, name).__xlfunc__["args"] if a["name"] != "caller"]


def cases(rt):
    for name in rt.module.FUNCTIONS:
        for arg in signature(rt, name):
            yield name, arg


@pytest.mark.parametrize("code, text", [(NA, "#N/A"), (REF, "#REF!"), (SPILL, "#SPILL!")])
def test_every_argument_as_an_error_value_is_named(rt, sample, tmp_path, code, text):
    b = book(sample, tmp_path)
    seen = 0
    for name, arg in cases(rt):
        args = [code if a == arg else GOOD[a] for a in signature(rt, name)]
        got = scalar(rt.call(name, *args, caller=rt.caller(b, "Scorecard", "C9")))
        assert got == f"cpxl: argument {arg} is {text}: fix the cell or formula it comes from", \
            (name, arg, got)
        seen += 1
    assert seen == 20


def test_an_error_in_a_referenced_cell(rt, sample, tmp_path):
    """The cell itself is passed (a Range): xlwings reads it, err_to_str keeps the error."""
    b = book(sample, tmp_path, {(5, 2): NA, (6, 2): REF})
    sheet = b.sheets["Scorecard"]
    c = rt.caller(b, "Scorecard", "C9")
    got = scalar(rt.call("CPXL_VALUE", "cla_count", sheet.Range("B5"), caller=c))
    assert got.startswith("cpxl: argument period_end is #N/A")
    got = scalar(rt.call("CPXL_VALUE", "cla_count", sheet.Range("B3"), sheet.Range("B6"), caller=c))
    assert got.startswith("cpxl: argument geography is #REF!")   # not taken as "the authority"
    # A genuinely blank cell is still blank: the authority's value.
    got = scalar(rt.call("CPXL_VALUE", "cla_count", sheet.Range("B3"), sheet.Range("B7"), caller=c))
    assert isinstance(got, float)


def test_error_text_typed_as_text_is_also_refused(rt):
    got = scalar(rt.call("CPXL_WORKDAYS", "#N/A", SERIAL))
    assert got.startswith("cpxl: argument start_date is #N/A")


def test_every_argument_is_declared_with_err_to_str(rt):
    for name, arg in cases(rt):
        options = getattr(rt.module, name).__xlfunc__["argmap"][arg]["options"]
        assert options.get("err_to_str") is True, (name, arg)


# --- period ends outside the data -------------------------------------------------------------

def coverage(sample):
    from cpxl.coverage import data_coverage

    return data_coverage(cpxl.load(sample))


def test_period_end_after_the_data(rt, sample, tmp_path):
    cov = coverage(sample)
    assert cov.latest_period_end == PERIOD_END          # the sample's last event is in Dec 2025
    c = rt.caller(book(sample, tmp_path))
    later = float((dt.date(2026, 1, 31) - dt.date(1899, 12, 30)).days)
    got = scalar(rt.call("CPXL_VALUE", "cla_count", later, caller=c))
    assert got == (f"cpxl: period_end 2026-01-31 is after the data: {cov.describe()}; the latest "
                   "period end it can answer for is 2025-12-31")
    assert "2003-02-08" in got and "--allow" not in got    # the range; no CLI flag in a cell
    got = scalar(rt.call("CPXL_SERIES", "cla_count", SERIAL, later, caller=c))
    assert got.startswith("cpxl: last_period_end 2026-01-31 is after the data")
    got = scalar(rt.call("CPXL_SCORECARD", later, caller=c))
    assert got.startswith("cpxl: period_end 2026-01-31 is after the data")
    # The last month of the data still answers.
    assert isinstance(scalar(rt.call("CPXL_VALUE", "cla_count", SERIAL, caller=c)), float)


def test_period_end_before_the_data(rt, sample, tmp_path):
    cov = coverage(sample)
    c = rt.caller(book(sample, tmp_path))
    got = scalar(rt.call("CPXL_VALUE", "cla_count", TimeType(1999, 3, 31), caller=c))
    assert got == f"cpxl: period_end 1999-03-31 is before the data: {cov.describe()}"
    got = scalar(rt.call("CPXL_SERIES", "cla_count", TimeType(2002, 12, 31), TimeType(2003, 12, 31),
                         caller=c))
    assert got.startswith("cpxl: first_period_end 2002-12-31 is before the data")


def test_nothing_is_computed_for_a_refused_date(rt, sample, tmp_path):
    c = rt.caller(book(sample, tmp_path))
    computes = CACHE.computes
    rt.call("CPXL_VALUE", "cla_count", TimeType(2030, 12, 31), caller=c)
    assert CACHE.computes == computes


# --- CPXL_WORKDAYS: NETWORKDAYS' sign -----------------------------------------------------------

def test_workdays_reversed_is_negative(rt):
    # 19 Dec 2025 (Fri) to 31 Dec 2025 (Wed): 22, 23, 24, 29, 30, 31 = 6 (25, 26 are bank holidays).
    fwd = scalar(rt.call("CPXL_WORKDAYS", TimeType(2025, 12, 19), TimeType(2025, 12, 31)))
    back = scalar(rt.call("CPXL_WORKDAYS", TimeType(2025, 12, 31), TimeType(2025, 12, 19)))
    assert (fwd, back) == (6, -6)
    assert scalar(rt.call("CPXL_WORKDAYS", TimeType(2025, 12, 31), TimeType(2025, 12, 31))) == 0
    # Saturday to the Monday after, and back: one working day either way.
    assert scalar(rt.call("CPXL_WORKDAYS", TimeType(2025, 11, 29), TimeType(2025, 12, 1))) == 1
    assert scalar(rt.call("CPXL_WORKDAYS", TimeType(2025, 12, 1), TimeType(2025, 11, 29))) == -1


def test_workdays_says_so(rt):
    xlf = rt.module.CPXL_WORKDAYS.__xlfunc__
    assert "negative" in xlf["ret"]["doc"] and "NETWORKDAYS" in xlf["ret"]["doc"]


# --- names --------------------------------------------------------------------------------------

DATE_ARGS = {"CPXL_VALUE": ["period_end"], "CPXL_SERIES": ["first_period_end", "last_period_end"],
             "CPXL_SCORECARD": ["period_end"], "CPXL_WORKDAYS": ["start_date", "end_date"]}


def test_messages_use_the_signature_names(rt, sample, tmp_path):
    """A blank or bad date names the argument as the signature and the wizard do."""
    c = rt.caller(book(sample, tmp_path))
    for name, dates in DATE_ARGS.items():
        for arg in dates:
            assert arg in signature(rt, name)
            args = [None if a == arg else GOOD[a] for a in signature(rt, name)]
            got = scalar(rt.call(name, *args, caller=c))
            assert got.startswith(f"cpxl: {arg} is blank"), (name, arg, got)
            args = ["next tuesday" if a == arg else GOOD[a] for a in signature(rt, name)]
            got = scalar(rt.call(name, *args, caller=c))
            assert got.startswith(f"cpxl: {arg}:"), (name, arg, got)


def test_status_reports_the_installation_even_without_data(rt, tmp_path):
    empty = FakeWorkbook(tmp_path / "New.xlsx", {"Sheet1": {}})
    out = rt.call("CPXL_STATUS", caller=rt.caller(empty))
    rows = dict((r[0], r[1]) for r in out)
    assert rows["Data source"].startswith("cpxl: no data source")
    assert rows["cpxl version"] == cpxl.__version__
    import xlwings
    assert rows["xlwings version"] == xlwings.__version__
    assert rows["Add-in check"].startswith("the add-in's build versions are unknown")


def test_status_with_the_addin_sheet(rt, sample, tmp_path):
    import xlwings

    b = book(sample, tmp_path)
    FakeWorkbook(tmp_path / "cpxl.xlam", {"cpxl.conf": {
        (1, 1): "UDF Modules", (1, 2): "cpxl.xl.udfs",
        (2, 1): "ADDIN_CPXL_VERSION", (2, 2): cpxl.__version__,
        (3, 1): "ADDIN_XLWINGS_VERSION", (3, 2): xlwings.__version__}}, b.Application)
    rows = dict((r[0], r[1]) for r in rt.call("CPXL_STATUS", caller=rt.caller(b)))
    assert rows["Data source"] == str(sample) and rows["Add-in check"] == "OK"
    assert rows["Data covers"] == coverage(sample).describe()
