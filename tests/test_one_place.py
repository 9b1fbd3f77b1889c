"""Adding an indicator touches one place: an indicator defined in a module of its own, registered
at run time through the public registry, appears in every product of cpxl without another edit:
``cpxl list``, the long table, the scorecard rows and a batch workbook (read back with openpyxl),
docs/indicators.md and ``=CPXL_VALUE`` through xlwings' real UDF machinery."""
from __future__ import annotations

import datetime as dt
import importlib.util
import sys

import openpyxl
import pytest

import cpxl
from cpxl.catalogue import CATALOGUE, markdown, unregister
from cpxl.cli import main
from cpxl.reports import scorecard_rows
from cpxl.xl import service
from cpxl.xl.cache import CACHE
from winharness import FakeWorkbook, windows_udf_runtime
from builders import sample_county

PERIOD_END = dt.date(2025, 12, 31)
SERIAL = (PERIOD_END - dt.date(1899, 12, 30)).days
TOY = "toy_looked_after_count"
TITLE = "Toy: children looked after, counted again"

TOY_MODULE = f'''
from cpxl.catalogue import indicator


@indicator("{TOY}", "{TITLE}", unit="count", polarity="neither", tables=("episodes",),
           theme="Demand", definition="""The children looked after on D, counted as cla_count
           counts them (a toy for the test that adding an indicator touches one module).""")
def toy(c):
    return c.count(c.looked_after)
'''


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy") / "toy_indicator.py"
    path.write_text(TOY_MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("toy_indicator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert TOY in CATALOGUE
    yield CATALOGUE[TOY]
    unregister(TOY)
    sys.modules.pop("toy_indicator", None)
    assert TOY not in CATALOGUE


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return sample_county(tmp_path_factory.mktemp("one_place") / "data", children=200)


@pytest.fixture(scope="module")
def table(toy, county):
    return cpxl.compute(cpxl.load(county), PERIOD_END.isoformat(), months=13)


def _value(table, indicator, geography):
    t = table[(table.indicator == indicator) & (table.geography == geography)
              & (table.period_end.astype(str) == PERIOD_END.isoformat())]
    assert len(t) == 1
    return t.iloc[0]["value"]


def test_in_the_list_and_the_docs(toy, capsys, tmp_path):
    assert main(["list"]) == 0
    assert TOY in capsys.readouterr().out
    assert main(["list", "--csv", str(tmp_path / "cat.csv")]) == 0
    assert TITLE in (tmp_path / "cat.csv").read_text(encoding="utf-8")
    doc = markdown()
    assert f"### `{TOY}` — {TITLE}" in doc
    # In its theme's section, after the theme's other indicators.
    assert doc.index("## Demand") < doc.index(TOY) < doc.index("## Placements and stability")


def test_in_the_long_table_with_the_value_it_defines(table, county):
    name = cpxl.load(county).authority_name
    want = _value(table, "cla_count", name)
    assert want > 0
    assert _value(table, TOY, name) == want
    assert set(table.loc[table.indicator == TOY, "level"]) == {"la", "area", "district"}


def test_in_the_scorecard_rows(table, county):
    data = cpxl.load(county)
    rows = scorecard_rows(table, data.authority_name, PERIOD_END, data.config)
    [row] = [r for r in rows if r.indicator == TOY]
    assert row.title == TITLE and row.theme == "Demand"
    assert row.value == _value(table, "cla_count", data.authority_name)
    assert row.england is None                     # nothing published: no comparator


def test_in_a_batch_workbook(toy, county, tmp_path):
    out = tmp_path / "books"
    assert main(["scorecards", str(county), "--period-end", PERIOD_END.isoformat(),
                 "--out", str(out), "--jobs", "1"]) == 0
    [book] = sorted(out.glob("*_Scorecard_0_*.xlsx"))
    ws = openpyxl.load_workbook(book, data_only=True)["Scorecard"]
    titles = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert any(isinstance(t, str) and t.startswith("Toy: children looked after") for t in titles)


def test_cpxl_value_through_the_udf_machinery(toy, table, county, tmp_path, monkeypatch):
    monkeypatch.delenv(service.ENV_SOURCE, raising=False)
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    monkeypatch.setattr(CACHE, "check_interval", 0.0)
    service.clear_cache()
    book = FakeWorkbook(tmp_path / "Board.xlsx", {
        "Scorecard": {}, "cpxl.conf": {(1, 1): "DATA_SOURCE", (1, 2): str(county)}})
    want = _value(table, "cla_count", cpxl.load(county).authority_name)
    try:
        with windows_udf_runtime() as rt:
            c = rt.caller(book, "Scorecard", "C8")
            got = rt.call("CPXL_VALUE", TOY, float(SERIAL), caller=c)
    finally:
        service.clear_cache()
    assert got == [[want]]


def _build_script():
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "scripts" / "build_comparators.py"
    spec = importlib.util.spec_from_file_location("build_comparators_for_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_published_mapping_is_held_against_the_catalogue():
    """Every indicator naming a LAIT measure is either mapped or says why not; every mapping row
    is a catalogue indicator with the catalogue's unit and polarity; the shipped metadata is the
    script's."""
    from cpxl.comparators import _meta

    script = _build_script()
    mapped = {m["indicator"]: m for m in script.MAPPING}
    assert not set(mapped) & set(script.NOT_MAPPED)
    for ind in CATALOGUE.values():
        if ind.lait and not ind.id.startswith("toy_"):
            assert ind.id in mapped or ind.id in script.NOT_MAPPED, ind.id
    for i, m in mapped.items():
        assert i in CATALOGUE, i
        assert (m["unit"], m["cpxl_polarity"]) == (CATALOGUE[i].unit, CATALOGUE[i].polarity), i
    meta = _meta()
    assert set(meta["indicators"]) == set(mapped)
    assert meta["not_mapped"] == script.NOT_MAPPED


def test_the_docs_say_compared_only_where_a_comparator_ships():
    doc = markdown()
    for i in ("adopted_pct", "sgo_pct", "health_assessment_pct", "dental_check_pct"):
        section = doc[doc.index(f"### `{i}`"):]
        section = section[:section.index("\n### ", 1)] if "\n### " in section[1:] else section
        assert "Compared with LAIT" not in section and "no published comparator" in section, i
    section = doc[doc.index("### `cla_count`"):]
    assert "Compared with LAIT: CLA (number)." in section[:section.index("\n### ", 1)]
