"""The worksheet functions (cpxl.xl.udfs), driven through xlwings' real UDF machinery on Linux.

How: ``import xlwings`` off Windows makes ``xw.func``/``arg``/``ret`` no-ops and registers no
Excel engine, and ``xlwings.udfs`` (the real decorators, ``call_udf``, the VBA generator) imports
pywin32 at module level.  :func:`winharness.windows_udf_runtime` (tests/winharness.py) puts stand-ins for the
pywin32 modules in ``sys.modules``, imports the real ``xlwings._xlwindows`` (whose Windows engine
cleans values exactly as in Excel) and ``xlwings.udfs``, binds ``xlwings.func``/``arg``/``ret`` to
``xlfunc``/``xlarg``/``xlret`` as ``xlwings/__init__.py`` does on Windows, and re-imports
``cpxl.xl.udfs`` so its functions carry ``__xlfunc__``.  Calls go through
``xlwings.udfs.call_udf`` - the function xlwings' COM server runs for every formula - with a fake
of Excel's COM workbook for cell references and the calling cell.  Everything is restored after.
"""
from __future__ import annotations

import ast
import datetime as dt
import inspect
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

import cpxl
import cpxl.dates
from cpxl.xl import service
from cpxl.xl.cache import CACHE
from winharness import MISSING, FakeApplication, FakeWorkbook, TimeType, windows_udf_runtime
from builders import sample_county

ROOT = Path(__file__).resolve().parents[1]
PERIOD_END = dt.date(2025, 12, 31)
SERIAL = (PERIOD_END - dt.date(1899, 12, 30)).days       # 46022: what DATE(2025,12,31) passes

EXPECTED_ARGS = {
    "CPXL_VALUE": ["indicator", "period_end", "geography", "source"],
    "CPXL_SERIES": ["indicator", "first_period_end", "last_period_end", "geography", "source"],
    "CPXL_SCORECARD": ["period_end", "geography", "source"],
    "CPXL_RAG": ["indicator", "value"],
    "CPXL_COMPARATOR": ["indicator", "which", "la_code"],
    "CPXL_INDICATORS": [],
    "CPXL_WORKDAYS": ["start_date", "end_date"],
    "CPXL_STATUS": ["source"],
}
OPTIONAL = {"geography", "source", "la_code"}
LOADS_DATA = {"CPXL_VALUE", "CPXL_SERIES", "CPXL_SCORECARD", "CPXL_STATUS"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return sample_county(tmp_path_factory.mktemp("xl") / "data")


@pytest.fixture(scope="module")
def rt():
    with windows_udf_runtime() as runtime:
        yield runtime


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    monkeypatch.setattr(CACHE, "check_interval", 0.0)
    service.clear_cache()
    yield
    service.clear_cache()


def book_with(sample: Path, folder: Path, data_source: str | None = None, **cells) -> FakeWorkbook:
    """A workbook in ``folder`` whose cpxl.conf sheet names the data."""
    conf = {(1, 1): "DATA_SOURCE", (1, 2): data_source or str(sample)}
    sheets = {"Scorecard": {(3, 2): dt.datetime(2025, 12, 31), (4, 2): None, **cells},
              "cpxl.conf": conf}
    return FakeWorkbook(folder / "Board.xlsx", sheets)


def engine_value(sample: Path, indicator: str, geography: str | None = None, when=PERIOD_END):
    data = cpxl.load(sample)
    table = cpxl.compute(data, when.isoformat(), months=1)
    geo = geography or data.authority_name
    row = table[(table.indicator == indicator) & (table.geography == geo)].iloc[0]
    return row.value


def scalar(result):
    """call_udf returns what COM hands Excel: a 2-D list, [[x]] for one value."""
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


# --- metadata Excel sees ------------------------------------------------------------------------

def test_plain_import_on_linux_has_no_metadata_and_the_runtime_gives_it(rt):
    """Off Windows xw.func is a no-op: the metadata only exists with xlwings' real decorators."""
    assert sorted(rt.functions()) == sorted(EXPECTED_ARGS)
    import cpxl.xl.udfs as plain   # the module outside the runtime (restored on exit)
    if sys.platform != "win32" and plain is not rt.module:
        assert not hasattr(plain.CPXL_VALUE, "__xlfunc__")
    assert rt.module.FUNCTIONS == tuple(EXPECTED_ARGS)


@pytest.mark.parametrize("name", list(EXPECTED_ARGS))
def test_metadata_category_argument_names_docs_and_optionals(rt, name):
    xlf = getattr(rt.module, name).__xlfunc__
    assert xlf["name"] == name and xlf["category"] == "cpxl" and not xlf["sub"]
    visible = [a for a in xlf["args"] if a["name"] != "caller"]
    assert [a["name"] for a in visible] == EXPECTED_ARGS[name]
    for a in visible:
        assert not a["doc"].startswith("Positional argument"), f"{name}.{a['name']} has no doc"
        assert 10 < len(a["doc"]) <= 255
        assert ("optional" in a) == (a["name"] in OPTIONAL)
        if a["name"] in OPTIONAL:
            assert a["optional"] is None and a["doc"].startswith("Optional")
    assert 20 < len(xlf["ret"]["doc"]) <= 255 and "(cpxl)" in xlf["ret"]["doc"]
    # Native dynamic arrays: no legacy expand (xlwings' docs: don't use it with Excel 365).
    assert "expand" not in xlf["ret"]["options"]
    assert xlf["call_in_wizard"] is (name not in LOADS_DATA)
    assert not xlf["volatile"] and xlf["async_mode"] is None
    callers = [a for a in xlf["args"] if a["name"] == "caller"]
    if name in ("CPXL_INDICATORS", "CPXL_WORKDAYS"):
        assert not callers
    else:   # the reserved xlwings argument, last, optional (so Python callers may omit it)
        assert callers and callers[0]["pos"] == len(xlf["args"]) - 1


def test_declared_conversions(rt):
    m = rt.module
    for name, args in (("CPXL_VALUE", ["period_end"]),
                       ("CPXL_SERIES", ["first_period_end", "last_period_end"]),
                       ("CPXL_SCORECARD", ["period_end"]), ("CPXL_WORKDAYS", ["start_date", "end_date"])):
        argmap = getattr(m, name).__xlfunc__["argmap"]
        for a in args:
            assert argmap[a]["options"] == {"dates": dt.date, "err_to_str": True}
    assert m.CPXL_INDICATORS.__xlfunc__["ret"]["options"] == {"index": False}


def test_vba_wrappers_from_xlwings_generator(rt):
    vba = rt.vba("cpxl.xlam")
    for name, args in EXPECTED_ARGS.items():
        sig = ", ".join(("Optional " if a in OPTIONAL else "") + a for a in args)
        assert f"Function {name}({sig})" in vba
        has_caller = name not in ("CPXL_INDICATORS", "CPXL_WORKDAYS")
        array = "Array(" + ", ".join(args + (["Nothing"] if has_caller else [])) + ")"
        assert (f'{name} = XLPy.CallUDF("cpxl.xl.udfs", "{name}", {array}, ActiveWorkbook, '
                "Application.Caller)") in vba
        assert f"{name} = Err.Description" in vba
    assert vba.count("If TypeOf Application.Caller Is Range Then On Error GoTo failed") == 8
    assert vba.count('If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function') == len(LOADS_DATA)
    assert "caller" not in vba.replace("Application.Caller", "")
    # In a workbook (not an add-in) xlwings passes ThisWorkbook instead.
    assert "ThisWorkbook, Application.Caller" in rt.vba("Board.xlsm")


# VBA keywords and built-in type/function names that cannot be argument names (xlwings copies
# them into the wrapper's signature; Excel only notices when it compiles the module).
VBA_KEYWORDS = set("""abs addressof and any array as attribute boolean byref byte byval call case
cbool cbyte ccur cdate cdbl cdec circle cint close clng const csng cstr currency cvar cverr date
debug declare dim do doevents double each else elseif empty end endif enum eqv erase error event
exit false fix for friend function get global gosub goto if imp implements in input int integer
is lbound len let like lock long longlong longptr loop lset me mid mod new next not nothing null
on open option optional or paramarray preserve print private pset public put raiseevent redim
rem resume return rset scale seek select set sgn shared single spc static stop string sub tab
then to true type typeof ubound unlock until variant wend while with withevents write xor""".split())


def test_names_are_valid_vba(rt):
    import re
    for name, f in rt.functions().items():
        for a in [name] + [x["name"] for x in f.__xlfunc__["args"] if x["name"] != "caller"]:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", a) and a.lower() not in VBA_KEYWORDS, (name, a)


def test_the_addin_builder_accepts_the_module():
    from cpxl.addin import udfgen

    vba = udfgen.udf_wrappers("cpxl.xl.udfs")
    assert vba.count("Function CPXL_") == len(EXPECTED_ARGS)


def test_argument_descriptions_as_import_udfs_passes_them_to_macrooptions(rt):
    rt.vba()   # the generator marks 'caller' as a vba argument (Nothing), as in import_udfs
    for name, args in EXPECTED_ARGS.items():
        xlargs = getattr(rt.module, name).__xlfunc__["args"]
        argdocs = [a["doc"][:255] for a in xlargs if not a["vba"]]
        assert len(argdocs) == len(args)


def test_misspelt_argument_name_is_refused_by_xlwings(rt):
    import xlwings as xw

    assert xw.arg is rt.xlwings_udfs.xlarg   # the real decorator inside the runtime
    with pytest.raises(Exception, match="Invalid argument name 'sorce'"):
        @xw.func(category="cpxl")
        @xw.arg("sorce", doc="misspelt")
        def CPXL_BAD(indicator, source=None):   # noqa: N802
            return 1


def test_every_decorator_names_a_real_argument_without_xlwings():
    """The same check on the source, so it also holds where xw.arg is a no-op (Linux, macOS)."""
    tree = ast.parse((ROOT / "cpxl/xl/udfs.py").read_text(encoding="utf-8"))
    checked = 0
    for fn in [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("CPXL_")]:
        params = {a.arg for a in fn.args.args}
        for dec in fn.decorator_list:
            if isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "arg":
                name = dec.args[0].value
                assert name.lstrip("*") in params, f"{fn.name}: @xw.arg('{name}') names no argument"
                checked += 1
        assert any(getattr(getattr(d, "func", None), "attr", "") == "func" for d in fn.decorator_list)
    assert checked >= 17


# --- arguments in ---------------------------------------------------------------------------------

def test_value_dates_as_excel_sends_them(rt, sample, tmp_path):
    book = book_with(sample, tmp_path)
    c = rt.caller(book, "Scorecard", "C8")
    want = engine_value(sample, "cla_count")
    b3 = book.sheets["Scorecard"].Range("B3")      # a date cell, passed as a Range
    for when in (TimeType(2025, 12, 31), float(SERIAL), "2025-12-31", "31/12/2025", b3,
                 TimeType(2025, 12, 31, 13, 45)):
        assert scalar(rt.call("CPXL_VALUE", "cla_count", when, caller=c)) == want, when
    # Optional arguments omitted (VBA's missing value) or given as a blank cell: the authority.
    blank = book.sheets["Scorecard"].Range("B4")
    assert scalar(rt.call("CPXL_VALUE", "cla_count", b3, blank, caller=c)) == want
    assert rt.args("CPXL_VALUE", "cla_count", b3) == ("cla_count", b3, MISSING, MISSING, None)


def test_value_geography_and_source(rt, sample, tmp_path):
    data = cpxl.load(sample)
    table = cpxl.compute(data, PERIOD_END.isoformat(), months=1)
    geos = [g for g in table.geography.unique() if g != data.authority_name]
    book = book_with(sample, tmp_path)
    c = rt.caller(book, "Scorecard", "C8")
    for geo in geos[:3]:
        want = engine_value(sample, "cla_count", geo)
        assert scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), geo, caller=c)) == want
        assert scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), geo.upper() + " ",
                              caller=c)) == want
    # An explicit source wins over the workbook's setting.
    other = FakeWorkbook(tmp_path / "Other.xlsx", {"Sheet1": {}})
    got = rt.call("CPXL_VALUE", "cla_count", float(SERIAL), None, str(sample),
                  caller=rt.caller(other))
    assert scalar(got) == engine_value(sample, "cla_count")


def test_relative_data_source_is_relative_to_the_workbook(rt, sample, tmp_path):
    book = book_with(sample, sample.parent, data_source=sample.name)
    got = rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=rt.caller(book, "Scorecard"))
    assert scalar(got) == engine_value(sample, "cla_count")


def test_settings_from_the_addin_sheet_and_the_settings_files(rt, sample, tmp_path):
    """Workbook sheet, then the add-in's sheet, then cpxl.conf beside the book, then the user's."""
    app = FakeApplication()
    book = FakeWorkbook(tmp_path / "B.xlsx", {"S": {}}, app)
    c = rt.caller(book)
    want = engine_value(sample, "cla_count")
    user = service.USER_CONF
    user.parent.mkdir(parents=True)
    user.write_text(f'"DATA_SOURCE","{sample}"\n', encoding="utf-8")
    assert scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)) == want
    user.write_text('"DATA_SOURCE","/no/such/user/data"\n', encoding="utf-8")
    (tmp_path / "cpxl.conf").write_text(f'"DATA_SOURCE","{sample}"\n', encoding="utf-8")
    service.clear_cache()
    assert scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)) == want
    (tmp_path / "cpxl.conf").unlink()
    FakeWorkbook(tmp_path / "cpxl.xlam", {"cpxl.conf": {(1, 1): "INTERPRETER_WIN", (1, 2): "python",
                                                       (2, 1): "DATA_SOURCE", (2, 2): str(sample)}}, app)
    service.clear_cache()
    assert scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)) == want
    book.add_sheet("cpxl.conf", {(1, 1): "DATA_SOURCE", (1, 2): "/no/such/book/data"})
    service.clear_cache()
    assert "/no/such/book/data" in scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c))


def test_relative_source_in_an_unsaved_workbook(rt, sample):
    book = FakeWorkbook("Book1", {"S": {}, "cpxl.conf": {(1, 1): "DATA_SOURCE", (1, 2): "data"}})
    got = scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=rt.caller(book)))
    assert got.startswith("cpxl: the data source 'data' is a relative path") and "save it" in got


def test_refresh_from_another_process_reaches_the_cache(rt, sample, tmp_path, monkeypatch):
    """The ribbon's RunPython process touches the token; the UDF server's cache notices."""
    from cpxl.xl import cache as cache_mod

    book = book_with(sample, tmp_path)
    c = rt.caller(book)
    monkeypatch.setattr(CACHE, "check_interval", 3600.0)
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    loads = CACHE.loads
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    assert CACHE.loads == loads
    cache_mod.signal_refresh()          # what clear_cache() does in the other process
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    assert CACHE.loads == loads + 1


def test_settings_end_at_the_first_blank_row_like_xlwings_conf_sheets(rt, sample, tmp_path):
    conf = {(1, 1): "CONFIG_FILE", (1, 2): None, (3, 1): "DATA_SOURCE", (3, 2): str(sample)}
    book = FakeWorkbook(tmp_path / "B.xlsx", {"S": {}, "cpxl.conf": conf})
    got = scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=rt.caller(book)))
    assert got.startswith("cpxl: no data source")


# --- values out ----------------------------------------------------------------------------------

def test_series_spills_month_ends_with_a_header(rt, sample, tmp_path):
    book = book_with(sample, tmp_path)
    first = TimeType(2024, 12, 31)
    out = rt.call("CPXL_SERIES", "cla_count", first, float(SERIAL), caller=rt.caller(book))
    assert len(out) == 14 and all(len(r) == 2 for r in out)
    assert out[0][0] == "Period end" and "Children looked after" in out[0][1]
    dates = [r[0] for r in out[1:]]
    # Dates leave as COM dates: datetimes with a timezone (xlwings' _datetime_to_com_time).
    assert all(isinstance(d, dt.datetime) and d.tzinfo is not None for d in dates)
    assert [d.date() for d in dates][0] == dt.date(2024, 12, 31)
    assert [d.date() for d in dates][-1] == PERIOD_END
    assert all((d + dt.timedelta(days=1)).day == 1 for d in dates)   # month ends
    assert out[-1][1] == engine_value(sample, "cla_count")
    data = cpxl.load(sample)
    table = cpxl.compute(data, PERIOD_END.isoformat(), months=13)
    la = table[(table.indicator == "cla_count") & (table.level == "la")]
    assert [r[1] for r in out[1:]] == la.value.tolist()


def test_blank_values_leave_as_empty_cells(rt):
    from xlwings import conversion

    written = conversion.write([["a", float("nan"), None, 1.5]], None, {})
    assert written == [["a", "", "", 1.5]]


def test_scorecard_table(rt, sample, tmp_path):
    from cpxl.rag import rag

    book = book_with(sample, tmp_path)
    out = rt.call("CPXL_SCORECARD", float(SERIAL), caller=rt.caller(book))
    assert out[0] == service.SCORECARD_HEADER
    assert len(out) == len(cpxl.catalogue()) + 1
    assert len({len(r) for r in out}) == 1
    rows = {r[1]: dict(zip(out[0], r)) for r in out[1:]}
    assert rows["cla_count"]["Value"] == engine_value(sample, "cla_count")
    assert rows["cla_count"]["Previous period"] == engine_value(sample, "cla_count", when=dt.date(2025, 11, 30))
    assert rows["cla_count"]["A year before"] == engine_value(sample, "cla_count", when=dt.date(2024, 12, 31))
    assert {r["RAG"] for r in rows.values()} <= {"Green", "Amber", "Red", ""}
    config = cpxl.load(sample).config
    if config.la_code:
        from cpxl.comparators import comparator
        ind = "stability_3plus_pct"
        eng = comparator(ind, "England", config.la_code)
        assert rows[ind]["England"] == (eng if eng is not None else "")
        v = rows[ind]["Value"]
        assert rows[ind]["RAG"] == rag(ind, v, thresholds=config.thresholds.get(ind),
                                       comparators={"England": eng})


def test_indicators_through_the_pandas_converter(rt):
    out = rt.call("CPXL_INDICATORS")
    cat = cpxl.catalogue()
    assert out[0] == list(cat.columns)                # header, and no index column (index=False)
    assert len(out) == len(cat) + 1 and out[1][0] == cat.iloc[0]["id"]
    assert all(isinstance(r[-1], bool) for r in out[1:])


def test_status(rt, sample, tmp_path):
    book = book_with(sample, tmp_path)
    out = rt.call("CPXL_STATUS", caller=rt.caller(book))
    table = dict((r[0], r[1]) for r in out)
    assert table["Data source"] == str(sample)
    assert table["Validation problems"] == len(cpxl.load(sample).problems)
    assert isinstance(table["Loaded at"], dt.datetime)
    assert table["cpxl version"] == cpxl.__version__


def test_workdays_rag_comparator(rt, sample, tmp_path):
    # Christmas 2025: 25 and 26 December are bank holidays.
    assert scalar(rt.call("CPXL_WORKDAYS", TimeType(2025, 12, 19), TimeType(2025, 12, 31))) == 6
    assert scalar(rt.call("CPXL_WORKDAYS", 46010.0, "2025-12-31")) == 6
    book = book_with(sample, tmp_path)
    c = rt.caller(book)
    from cpxl.comparators import comparator
    assert scalar(rt.call("CPXL_COMPARATOR", "cla_rate_10k", "England", 888.0, caller=c)) == \
        comparator("cla_rate_10k", "England", 888)
    assert scalar(rt.call("CPXL_COMPARATOR", "cla_rate_10k", "neighbours", "888", caller=c)) == \
        comparator("cla_rate_10k", "Neighbours", 888)
    from cpxl.rag import rag
    assert scalar(rt.call("CPXL_RAG", "cla_count", 300.0, caller=c)) == ""     # polarity neither
    want = rag("stability_3plus_pct", 50.0, comparators={"England": comparator("stability_3plus_pct", "England", 888)})
    if cpxl.load(sample).config.la_code == 888 and not cpxl.load(sample).config.thresholds.get("stability_3plus_pct"):
        assert scalar(rt.call("CPXL_RAG", "stability_3plus_pct", 50.0, caller=c)) == want == "Red"


# --- errors are one line of text ----------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (("cla_cont", float(SERIAL)), "cpxl: no indicator 'cla_cont'; did you mean 'cla_count'?"),
    (("cla_count", 2025.0), "looks like a year, not a date"),
    (("cla_count", "next tuesday"), "is not a date"),
    (("cla_count", None), "period_end is blank"),
    ((42.0, float(SERIAL)), "indicator must be an indicator id"),
    (("cla_count", float(SERIAL), None, "/no/such/folder"), "/no/such/folder: no such file or folder"),
])
def test_bad_arguments_give_a_readable_message(rt, sample, tmp_path, args, message):
    book = book_with(sample, tmp_path)
    got = scalar(rt.call("CPXL_VALUE", *args, caller=rt.caller(book)))
    assert isinstance(got, str) and got.startswith("cpxl: ") and message in got
    assert "Traceback" not in got and "\n" not in got


def test_misspelt_geography_gets_a_suggestion(rt, sample, tmp_path):
    data = cpxl.load(sample)
    table = cpxl.compute(data, PERIOD_END.isoformat(), months=1)
    geo = [g for g in table.geography.unique() if len(g) > 5][-1]
    book = book_with(sample, tmp_path)
    got = scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), geo[:-1] + "x", caller=rt.caller(book)))
    assert got.startswith("cpxl: no geography") and f"did you mean '{geo}'" in got


def test_no_data_source_anywhere(rt, tmp_path):
    book = FakeWorkbook(tmp_path / "New.xlsx", {"Sheet1": {}})
    got = scalar(rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=rt.caller(book)))
    assert got.startswith("cpxl: no data source") and "DATA_SOURCE" in got
    got = rt.call("CPXL_SERIES", "cla_count", 46022.0, 45930.0, None, "x", caller=rt.caller(book))
    assert "is after" in scalar(got)


def test_env_fallback_without_a_caller(sample, monkeypatch):
    """Called from Python (no calling cell): CPXL_DATA_SOURCE."""
    from cpxl.xl import udfs
    monkeypatch.setenv(service.ENV_SOURCE, str(sample))
    assert udfs.CPXL_VALUE("cla_count", PERIOD_END) == engine_value(sample, "cla_count")


def test_garbage_never_raises(rt, sample, tmp_path):
    from hypothesis import given, settings, strategies as st

    book = book_with(sample, tmp_path)
    c = rt.caller(book)
    junk = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.integers(-10**6, 10**6),
                     st.text(max_size=20), st.datetimes(min_value=dt.datetime(1900, 1, 1)))

    @settings(max_examples=60, deadline=None)
    @given(junk, junk, junk)
    def check(a, b, g):
        for name, args in (("CPXL_VALUE", (a, b, g)), ("CPXL_WORKDAYS", (a, b)),
                           ("CPXL_COMPARATOR", (a, b, g)), ("CPXL_RAG", (a, b))):
            out = rt.call(name, *args, caller=c)
            assert isinstance(out, list)
            v = out[0][0]
            assert not isinstance(v, str) or v == "" or v.startswith(("cpxl: ", "n/a", "not available", "Green", "Amber", "Red"))

    check()


# --- the cache ---------------------------------------------------------------------------------

def test_one_load_one_compute_for_hundreds_of_cells(rt, sample, tmp_path):
    book = book_with(sample, tmp_path)
    c = rt.caller(book)
    loads, computes = CACHE.loads, CACHE.computes
    inds = [i for i in cpxl.catalogue().id][:20]
    month_ends = [float((d.date() - dt.date(1899, 12, 30)).days)
                  for d in cpxl.dates.period_ends(PERIOD_END.isoformat(), 13)]
    for k in range(300):
        rt.call("CPXL_VALUE", inds[k % 20], month_ends[k % 13], caller=c)
    assert CACHE.loads - loads == 1
    assert CACHE.computes - computes == 1          # 13 months prefetched in one engine run
    started = time.perf_counter()
    for k in range(300):
        rt.call("CPXL_VALUE", inds[k % 20], float(SERIAL), caller=c)
    assert time.perf_counter() - started < 1.0


def test_changed_file_or_config_reloads(rt, sample, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample, data)
    book = book_with(data, tmp_path)
    c = rt.caller(book)
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    loads = CACHE.loads
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    assert CACHE.loads == loads
    episodes = data / "episodes.csv"
    st = episodes.stat()
    os.utime(episodes, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    assert CACHE.loads == loads + 1
    config = data / "cpxl.toml"
    if config.exists():
        config.write_text(config.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    else:
        config.write_text('[authority]\nname = "Testshire"\n', encoding="utf-8")
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    assert CACHE.loads == loads + 2
    service.clear_cache()                               # the ribbon's Refresh
    rt.call("CPXL_VALUE", "cla_count", float(SERIAL), caller=c)
    assert CACHE.loads == loads + 3


def test_check_interval_spares_the_file_system(sample, monkeypatch):
    from cpxl.xl import cache as cache_mod

    spec = cache_mod.SourceSpec(sample)
    cache = cache_mod.DataCache(check_interval=60)
    cache.entry(spec)
    calls = []
    monkeypatch.setattr(cache_mod, "fingerprint", lambda s: calls.append(s) or ())
    for _ in range(100):
        cache.entry(spec)
    assert calls == []


def test_service_layer_does_not_import_xlwings():
    src = (ROOT / "cpxl/xl/service.py").read_text(encoding="utf-8") + \
        (ROOT / "cpxl/xl/cache.py").read_text(encoding="utf-8")
    assert "xlwings" not in "".join(line for line in src.splitlines() if "import" in line)
    assert inspect.getsource(service).count("import xlwings") == 0
