"""The scorecard rows (cpxl.reports) and the board pack, read as a board member reads it.

The pack is rendered once (a small county, the authority and two books) with LibreOffice; its
text is read back with poppler's ``pdftotext -bbox``: font sizes at the print scale, the page
numbers and the marking on every page, no internal id on a printed page, ties named, and every
RAG cell against the printed value and the threshold in the appendix.
"""
from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import cpxl
from cpxl.catalogue import CATALOGUE
from cpxl.cli import main
from cpxl.comparators import comparators, neighbour_values
from cpxl.config import Config
from cpxl.errors import CpxlError
from cpxl.rag import band, round_half_up
from cpxl.reports import Policy, build_rows, scorecard_rows
from cpxl.reports.plain import first_use, printed_title
from cpxl.reports.rows import direction
from cpxl.scorecard import pdf
from cpxl.scorecard.highlights import largest_moves
from cpxl.scorecard.model import Meta

from test_scorecard_county import PERIOD_END, write_county

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
needs_render = pytest.mark.skipif(pdf.find_soffice() is None or shutil.which("pdftotext") is None,
                                  reason="LibreOffice (soffice) and poppler (pdftotext) needed")
#: pdftotext's word box is 1.3 x the font size for Arial (measured on a 10 pt cell at 100%)
BOX_PER_POINT = 1.3


def meta(id_, unit="%", kind="percent", polarity="higher"):
    return Meta(id_, id_.title(), unit, kind, polarity, "Health", "", False, "")


# --- the row model ------------------------------------------------------------------------------

def test_a_figure_on_too_few_children_is_shown_not_rated():
    ind = [meta("health_assessment_pct")]
    value = np.array([[40.0, 37.5]])
    rows = build_rows(ind, value, np.array([[2.0, 3.0]]), np.array([[5.0, 4.0]]),
                      [cpxl.rag.bands("health_assessment_pct")], [None], Policy())
    r = rows[0]
    assert r.value == 37.5 and r.counts == "3/4"
    assert r.rag == "" and not r.rated and "fewer than 5" in r.not_rated
    assert r.previous_rag == "Red"                        # 2 of 5: on the minimum, rated
    rows = build_rows(ind, value, np.array([[2.0, 3.0]]), np.array([[5.0, 4.0]]),
                      [cpxl.rag.bands("health_assessment_pct")], [None], Policy(min_denominator=3))
    assert rows[0].rag == "Red"


def test_better_or_worse_only_past_the_margin():
    m = meta("visits_in_time_pct")
    p = Policy()
    assert direction(m, 90.4, 90.0, p) == ("up", 0.4)          # under 0.5 points: just "up"
    assert direction(m, 90.5, 90.0, p) == ("better", 0.5)
    assert direction(m, 89.0, 90.0, p) == ("worse", -1.0)
    assert direction(m, 90.04, 90.0, p) == ("same", 0.0)
    days = meta("adoption_days_avg", "days", "mean", "lower")
    assert direction(days, 405, 400, p)[0] == "down" or direction(days, 405, 400, p)[0] == "up"
    assert direction(days, 410, 400, p)[0] == "worse"          # 2.5% of 400
    assert direction(meta("cla_count", "count", "count", "neither"), 12, 10, p)[0] == "up"


def test_policy_from_cpxl_toml_and_clear_errors(tmp_path):
    assert Policy.from_config(Config()) == Policy()
    cfg = Config(raw={"scorecard": {"min_denominator": 10, "neighbours": "median",
                                    "neighbour_set": 2021}}, path=tmp_path / "cpxl.toml")
    p = Policy.from_config(cfg)
    assert (p.min_denominator, p.neighbours, p.neighbour_set) == (10, "median", 2021)
    assert "median" in p.neighbour_words and "2021" in p.neighbour_words
    for bad, words in [({"min_denominator": -1}, "min_denominator"),
                       ({"min_denominator": 2.5}, "whole number"),
                       ({"neighbours": "mode"}, "mean"), ({"neighbour_set": 2019}, "2025"),
                       ({"colour": 1}, "colour")]:
        with pytest.raises(CpxlError, match=words):
            Policy.from_config(Config(raw={"scorecard": bad}, path=tmp_path / "cpxl.toml"))


def test_neighbours_mean_is_the_published_column_and_median_differs_where_it_should():
    published = comparators(888).set_index("indicator")["neighbours"].dropna()
    mean = neighbour_values(888)
    assert all(math.isclose(mean[k], v) for k, v in published.items())
    median_2021 = neighbour_values(888, "median", 2021)
    assert set(median_2021) and median_2021 != mean


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return write_county(tmp_path_factory.mktemp("county") / "data", children=150)


@pytest.fixture(scope="module")
def table(county):
    return cpxl.compute(cpxl.load(county), PERIOD_END)


def test_scorecard_rows_from_the_long_table(county, table):
    config = cpxl.load(county).config
    rows = scorecard_rows(table, "Testshire", PERIOD_END, config)
    by_id = {r.indicator: r for r in rows}
    la = table.loc[(table["level"] == "la") & (table["period_end"] == PERIOD_END)].set_index(
        "indicator")
    for r in rows:
        expected = la.loc[r.indicator, "value"]
        assert (r.value is None) if math.isnan(expected) else math.isclose(r.value, expected)
        assert len(r.series) == 13
        if r.rated:                 # the colour is the banding of the printed value
            assert r.rag == band(r.shown, r.polarity, r.bands.green, r.bands.amber)
            assert r.bands.green == round_half_up(r.bands.green, r.decimals)
    res = by_id["placed_residential_pct"]
    assert not res.comparable and res.threshold_basis == "" and res.quartile == ""
    assert by_id["visits_in_time_pct"].threshold_basis == "statutory default"
    assert by_id["cla_count"].not_rated.startswith("a count")
    assert [r.indicator for r in rows][:1] == ["cla_count"]        # scorecard order


def test_ties_are_named_together():
    m = meta("cla_count", "count", "count", "neither")
    moves = [(3.0, "Saltreach"), (2.0, "Marrowdale"), (2.0, "Hollowmere"), (2.0, "Kestrelford"),
             (2.0, "Larkhaven"), (1.0, "Cragsby")]
    assert largest_moves(m, moves, True) == (
        "the largest rises were in Saltreach (+3); Hollowmere, Kestrelford, Larkhaven and "
        "Marrowdale (+2)")
    assert largest_moves(m, [(-4.0, "A")], False) == "the largest fall was in A (−4)"


def test_the_row_model_is_pure():
    # the worksheet functions and the ribbon will read these rows: no Excel library in them
    root = Path(cpxl.__file__).parent / "reports"
    for f in root.glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(xlsxwriter|xlwings|openpyxl)", text, re.M), f
        assert "from ..scorecard" not in text and "from ..xl" not in text, f


def test_pack_refuses_child_lists_and_a_non_pdf_name(county, tmp_path, capsys):
    assert main(["scorecards", str(county), "--period-end", PERIOD_END, "--out", str(tmp_path),
                 "--pack", "--with-child-lists"]) == 2
    assert "child lists" in capsys.readouterr().err
    assert main(["pack", str(county), "--period-end", PERIOD_END, "--out",
                 str(tmp_path / "pack.xlsx")]) == 2
    assert ".pdf" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# --- the pack, printed --------------------------------------------------------------------------

def words(pdf_path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, its words as (x0, y0, x1, y1, text)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True,
                         text=True, timeout=120).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            page)])
    return pages


@pytest.fixture(scope="module")
def pack(county, tmp_path_factory):
    if pdf.find_soffice() is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice and poppler needed")
    out = tmp_path_factory.mktemp("pack") / "pack.pdf"
    assert main(["pack", str(county), "--period-end", PERIOD_END, "--out", str(out), "--xlsx",
                 "--districts", "North,Aldermoor"]) == 0
    return out


@needs_render
def test_every_page_numbered_marked_and_a4_landscape(pack):
    from pypdf import PdfReader
    reader = PdfReader(str(pack))
    n = len(reader.pages)
    assert n > 10
    for k, page in enumerate(reader.pages, start=1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(w), round(h)) == (842, 595), k              # A4 landscape
        text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in text and f"Page {k} of {n}" in text, k
    contents = reader.pages[1].extract_text()
    assert "Contents" in contents and "Aldermoor" in contents and "Thresholds" in contents
    # the contents' page numbers are where each part starts
    layout = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-layout", str(pack), "-"],
                            capture_output=True, text=True, timeout=60).stdout
    line = next(x for x in layout.splitlines() if x.strip().startswith("Aldermoor"))
    scorecard, highlights, trend = (int(n) for n in re.findall(r"\b\d+\b", line)[:3])
    top = [p.extract_text() for p in reader.pages]
    assert "Aldermoor - Scorecard - " in top[scorecard - 1]
    assert "Aldermoor - Scorecard - " not in top[scorecard - 2]
    assert "Aldermoor - Highlights - " in top[highlights - 1]
    assert "Aldermoor - Trend - " in top[trend - 1]
    # the appendix is printed once, not per book
    heads = [p.extract_text().split("\n")[0] for p in reader.pages]
    assert sum("Testshire - Thresholds - " in h for h in heads) >= 1
    assert not any(("Aldermoor - Thresholds" in h or "North area - Definitions" in h)
                   for h in heads)


def printed_text(page) -> list[tuple[float, float, str]]:
    """(font size in points as printed, height on the page, text) of every run of text: the
    font size times the scale of the text and the current transformation matrices, so a sheet
    scaled down to fit shows its true, smaller size."""
    out = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((size * scale, y, text.strip()))
    page.extract_text(visitor_text=visit)
    return out


@needs_render
def test_body_text_is_at_least_10_pt_and_chart_labels_8_pt_at_print_scale(pack):
    from pypdf import PdfReader
    small, seen = [], 0
    for k, page in enumerate(PdfReader(str(pack)).pages, start=1):
        runs = printed_text(page)
        head = " ".join(t for _s, y, t in runs if y > 555)
        for size, y, text in runs:
            seen += 1
            if y > 555 or y < 40:               # header and footer: the marking, 9 pt
                assert size >= 8.95, (k, text, size)
                continue
            floor = 8.0 if " - Trend - " in head else 10.0
            if size < floor - 0.05:
                small.append((k, text[:30], round(size, 1)))
    assert seen > 3000
    assert not small, small[:20]


@needs_render
def test_no_internal_id_on_a_printed_page(pack):
    text = subprocess.run(["pdftotext", str(pack), "-"], capture_output=True, text=True,
                          timeout=120).stdout
    ids = [i for i in CATALOGUE if "_" in i]
    assert not [i for i in ids if i in text]
    assert "Children looked after with 3 or more placements" in text


@needs_render
def test_rag_cells_agree_with_the_printed_value_and_threshold(pack):
    wb = openpyxl.load_workbook(pack.with_suffix(".xlsx"), data_only=True)
    th = wb["Thresholds"]
    by_title = {th.cell(r, 1).value: r for r in range(6, th.max_row + 1)}
    checked = 0
    plain_titles = {first_use([t])[0]: t for t in by_title}
    for ws in wb.worksheets:
        if not ws.title.endswith("Scorecard"):
            continue
        heads = {ws.cell(6, c).value: c for c in range(1, ws.max_column + 1)}
        value_col, rag_col = heads["Dec 2025"], heads["RAG"]
        for r in range(7, ws.max_row + 1):
            title, status = ws.cell(r, 1).value, ws.cell(r, rag_col).value
            title = plain_titles.get(title, title)
            if title not in by_title or status not in ("Green", "Amber", "Red"):
                continue
            ind = next(i for i in CATALOGUE.values() if printed_title(i.id, i.title) == title)
            t = by_title[title]
            green, amber = th.cell(t, 4).value, th.cell(t, 5).value
            shown = round_half_up(ws.cell(r, value_col).value, 1 if ind.unit != "count" else 0)
            assert status == band(shown, ind.polarity, green, amber), (ws.title, title)
            checked += 1
    assert checked > 30
    text = subprocess.run(["pdftotext", str(pack), "-"], capture_output=True, text=True,
                          timeout=120).stdout
    assert "not rated" in text and "†" in text


# --- secondary suppression -------------------------------------------------------------------------

def test_no_suppressed_count_comes_back_by_subtraction(county, tmp_path):
    import argparse

    from cpxl.scorecard import batch
    from cpxl.scorecard.suppress import ADDITIVE, COMPLEMENTARY
    args = argparse.Namespace(data=str(county), config=None, period_end=PERIOD_END, months=13,
                              jobs=1, suppress=5, with_child_lists=False, districts=None,
                              out=str(tmp_path))
    books, _paths = batch.plan(args)
    la = books[0]
    ids = [m.id for m in la.indicators]
    primary = 0
    for s in [la.own, *la.areas, *la.districts]:
        for group in COMPLEMENTARY:
            idx = [ids.index(g) for g in group if g in ids]
            hidden = s.value_c[idx, :].sum(axis=0)
            assert not (hidden == 1).any(), (s.name, group)   # boys shown, girls c: never
        primary += int(s.value_c.sum())
    assert primary > 0
    for area in la.areas:
        members = [d for d in la.districts if d.area == area.name]
        for i, m in enumerate(la.indicators):
            if m.kind not in ADDITIVE:
                continue
            hidden = sum(d.value_c[i, :].astype(int) for d in members)
            shown = ~area.value_c[i, :]
            assert not ((hidden == 1) & shown).any(), (area.name, m.id)
            # and nothing suppressed is in the figures
            for d in members:
                assert np.isnan(d.value[i][d.value_c[i]]).all()
                assert np.isnan(d.numerator[i][d.numerator_c[i]]).all()
