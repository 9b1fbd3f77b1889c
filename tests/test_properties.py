"""Property tests of the engine on generated datasets (GitHub issue 6, part 3).

A hypothesis strategy (:func:`datasets`) builds small but varied datasets from Python literals:
a few districts in one or two areas (sometimes a district in no area), children with no district
at all (``Unknown``: no ``districts`` row and a blank or unmapped HOME_POST), children who move
district between episodes, random episode chains (X1 continuations, gaps, same-day re-entries,
stray overlapping episodes, V3/V4 short breaks, T0-T4 temporary placements, every RNE, endings by
adoption, SGO and others, open episodes), reviews, missing and away episodes with return home
interviews, oc2/oc3/uasc rows, social worker episodes, population rows (districts' for some
years, some areas and the authority with rows of their own and some without), visits, health
assessments, dental checks, PEPs, referrals, assessments, CP plans, workers and allocations.
Dates are written dd/mm/yyyy, ISO or both in one table.  Every local table is sometimes left out
(its indicators are then "not available").

Properties:

- the districts (``Unknown`` included) add up to the authority, and each area's districts to the
  area, for the numerator and denominator of every additive indicator (counts, percentages,
  ratios, caseloads, rate numerators, the number averaged and the sum behind a mean);
  ``Unknown`` is in no area;
- percentages: numerator <= denominator, value in 0-100 and equal to 100 x num / den;
- rates: value = 10,000 x count / population, the count is the count indicator's, and the
  population follows the spec's rule (computed independently here from the generated rows);
- the result does not depend on the order of rows (and columns) in any table, on file names, or
  on CSV versus workbook input;
- shifting every date (the period end and population years included) by 28 years changes nothing
  but what the bank holidays change (see :func:`test_shift_by_28_years`).

Runs are reproducible (``derandomize=True``: the same examples every run, no example database).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

import cpxl
import cpxl.dates
from cpxl import codes
from cpxl.catalogue import CATALOGUE
from cpxl.engine import Context
from cpxl.dates import add_working_days, period_ends
from builders import COLUMNS, write_dataset


AUTHORITY = "Testshire"
UNKNOWN = "Unknown"
# Every generated date is in [BASE_START, BASE_END]: shifted back 28 years that is 1990-1996, in the
# engine's bank-holiday calendar (1990-2060), and always before "today", so the validation rules
# that compare dates with today (an event "in the future" is dropped) treat both alike.
BASE_START = dt.date(2018, 1, 1)
BASE_END = dt.date(2024, 6, 30)
SPAN = (BASE_END - BASE_START).days
SHIFT_YEARS = -28         # 28 years keep weekdays, leap years and month lengths (1901-2099)

DISTRICTS = ["Ashby", "Brent Vale", "Corfe", "Dunmore"]
AREAS = ["North", "South"]
OUTWARD = {"Ashby": "PX1", "Brent Vale": "PX2", "Corfe": "PX3", "Dunmore": "PX4"}

PLACES = sorted(codes.PLACE)
LS_CODES = sorted(codes.LS)
RNE_LATER = ["L", "P", "T", "B", "U"]
REC_END = ["E11", "E12", "E45", "E46", "E47", "E48", "E8", "E4A", "E13", "E3", "E17", "E41", "E2",
           "X1"]          # X1 on a period's last episode: "X1 but no episode starts on DEC"
SPECIAL_DOBS = [dt.date(2004, 2, 29), dt.date(2012, 2, 29), dt.date(2020, 2, 29),
                dt.date(2008, 3, 1), dt.date(2019, 12, 31)]

# CI runs a fixed, modest set of examples (derandomize: the same every run).  For a deeper hunt,
# CPXL_PROPERTY_SCALE=20 multiplies the example counts and CPXL_PROPERTY_RANDOM=1 draws new ones.
SCALE = float(os.environ.get("CPXL_PROPERTY_SCALE", "1"))
PROFILE = dict(
    deadline=None, derandomize=not os.environ.get("CPXL_PROPERTY_RANDOM"), database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
)


# --- the strategy -------------------------------------------------------------------------------

def rare(draw, n: int) -> bool:
    """True one time in n + 1; False is the simplest value, so shrinking goes to the usual case."""
    return draw(st.integers(0, n)) == n


def _day(offset: int) -> dt.date:
    return BASE_START + dt.timedelta(days=int(min(max(offset, 0), SPAN)))


class Year(int):
    """A population YEAR (shifted with the dates)."""


@st.composite
def datasets(draw):
    """(tables, period_end, months, area_of): tables of rows (dicts) holding dt.date for dates."""
    n_d = draw(st.integers(2, 4))
    districts = DISTRICTS[:n_d]
    n_a = draw(st.integers(1, 2))
    area_of = {}
    for d in districts:
        if rare(draw, 5):
            continue                                   # a district in no area
        area_of[d] = AREAS[draw(st.integers(0, n_a - 1))]
    t: dict[str, list] = {name: [] for name in COLUMNS}
    t["areas"] = [{"DISTRICT": d, "AREA": a} for d, a in area_of.items()]
    t["postcode_districts"] = [{"OUTWARD_CODE": OUTWARD[d], "DISTRICT": d} for d in districts
                               if not rare(draw, 4)]
    posts = [f"{OUTWARD[d]} {k}AB" for k, d in enumerate(districts)] + ["QQ9 9ZZ", "", "PX1"]

    n_children = draw(st.integers(3, 14))
    prefix = draw(st.sampled_from(["C", "0", "A-"]))
    children = [f"{prefix}{i:02d}" for i in range(n_children)]
    for child in children:
        # Header (a child may have none).
        if not rare(draw, 9):
            dob = (draw(st.sampled_from(SPECIAL_DOBS)) if rare(draw, 4)
                   else dt.date(2000, 1, 1) + dt.timedelta(days=draw(st.integers(0, 8500))))
            t["header"].append({"CHILD": child, "SEX": draw(st.sampled_from(["1", "2", "M", "F"])),
                                "DOB": dob, "ETHNIC": draw(st.sampled_from(
                                    ["WBRI", "WIRI", "MWBC", "AIND", "BAFR", "CHNE", "OOTH",
                                     "REFU", "NOBT"]))})
        # Where the child belongs: a districts row, else HOME_POST (maybe moving), else Unknown.
        if draw(st.integers(0, 2)) == 0:
            t["districts"].append({"CHILD": child, "DISTRICT": draw(st.sampled_from(districts))})
        child_posts = [draw(st.sampled_from(posts)) for _ in range(draw(st.integers(1, 2)))]
        _episodes(draw, t, child, child_posts)
        _child_events(draw, t, child)
    _population(draw, t, districts, area_of)
    _workforce(draw, t, children, districts)
    # Leave some tables out altogether (their indicators are then "not available").
    for name in ["reviews", "uasc", "oc2", "oc3", "missing", "sw_episodes", "districts",
                 "postcode_districts", "population", "visits", "health_assessments",
                 "dental_checks", "peps", "referrals", "assessments", "cp_plans", "workers",
                 "allocations", "areas"]:
        if not t[name] or rare(draw, 7):
            t[name] = None
    for name in ["ad1", "placed_for_adoption", "previous_permanence"]:
        t[name] = None
    if t["missing"] is not None and draw(st.booleans()):
        for r in t["missing"]:
            r.pop("RHI_DATE", None)
    if t["areas"] is None:
        area_of = {}
    end = pd.Timestamp(_day(draw(st.integers(3 * 365, SPAN)))) + pd.offsets.MonthEnd(0)
    period_end = min(end, pd.Timestamp(BASE_END)).date()
    months = draw(st.sampled_from([1, 4, 13]))
    return t, period_end, months, area_of


def _episodes(draw, t, child, posts):
    cursor = draw(st.integers(0, SPAN - 30))
    starts = set()
    for k in range(0 if rare(draw, 6) else draw(st.integers(1, 3))):
        n_eps = draw(st.integers(1, 3))
        for j in range(n_eps):
            start, end = cursor, cursor + draw(st.integers(1, 500))
            last_of_period = j == n_eps - 1
            is_open = end > SPAN or (last_of_period and draw(st.integers(0, 3)) == 0)
            rec = "" if is_open else ("X1" if not last_of_period else draw(st.sampled_from(REC_END)))
            t["episodes"].append({
                "CHILD": child, "DECOM": _day(start),
                "RNE": "S" if j == 0 and not rare(draw, 5) else draw(st.sampled_from(RNE_LATER)),
                "LS": "C2" if draw(st.booleans()) else draw(st.sampled_from(LS_CODES)),
                "CIN": draw(st.sampled_from(["N1", "N2", "N4", "N8"])),
                "PLACE": draw(st.sampled_from(PLACES)),
                "DEC": None if is_open else _day(end), "REC": rec,
                "HOME_POST": draw(st.sampled_from(posts))})
            starts.add(start)
            if is_open:
                return _stray(draw, t, child, starts, posts)
            cursor = end
        cursor += draw(st.integers(0, 400))             # 0: a same-day re-entry (no X1)
        if cursor >= SPAN:
            break
    _stray(draw, t, child, starts, posts)


def _stray(draw, t, child, starts, posts):
    """Now and then an episode overlapping the others (bad data the engine must survive)."""
    if not rare(draw, 6):
        return
    start = draw(st.integers(0, SPAN - 1))
    if start in starts:
        return
    length = draw(st.integers(1, 300))
    t["episodes"].append({"CHILD": child, "DECOM": _day(start), "RNE": "P", "LS": "V2", "CIN": "N1",
                          "PLACE": draw(st.sampled_from(PLACES)),
                          "DEC": _day(start + length) if start + length <= SPAN else None,
                          "REC": "E8" if start + length <= SPAN else "",
                          "HOME_POST": draw(st.sampled_from(posts))})


def _dates(draw, n_max, distinct=False):
    out = [draw(st.integers(0, SPAN)) for _ in range(draw(st.integers(0, n_max)))]
    return sorted(set(out)) if distinct else out


def _child_events(draw, t, child):
    for d in _dates(draw, 3, distinct=True):
        t["reviews"].append({"CHILD": child, "REVIEW": _day(d)})
    for d in _dates(draw, 2):
        end = d + draw(st.integers(0, 10))
        row = {"CHILD": child, "MISSING": draw(st.sampled_from(["M", "A"])), "MIS_START": _day(d),
               "MIS_END": _day(end) if end <= SPAN and not rare(draw, 5) else None}
        if draw(st.booleans()):
            row["RHI_DATE"] = _day(end + draw(st.integers(-1, 6)))
        t["missing"].append(row)
    if draw(st.integers(0, 2)) == 0:
        t["oc2"].append({"CHILD": child, "SDQ_SCORE": draw(st.sampled_from(["", "0", "17", "40"])),
                         "HEALTH_CHECK": draw(st.sampled_from(["1", "0", ""])),
                         "IMMUNISATIONS": draw(st.sampled_from(["1", "0"])),
                         "TEETH_CHECK": draw(st.sampled_from(["1", "0", ""]))})
    if draw(st.integers(0, 2)) == 0:
        t["oc3"].append({"CHILD": child, "DOB": dt.date(2000, 1, 1) + dt.timedelta(
                             days=draw(st.integers(0, 3000))),
                         "IN_TOUCH": draw(st.sampled_from(sorted(codes.IN_TOUCH))),
                         "ACTIV": draw(st.sampled_from(["F1", "P2", "G4", "0"])),
                         "ACCOM": draw(st.sampled_from(["B1", "C2", "S2", "0"]))})
    if draw(st.integers(0, 3)) == 0:
        d = draw(st.integers(0, SPAN + 100))
        t["uasc"].append({"CHILD": child, "DUC": _day(d) if d <= SPAN else None})
    for d in _dates(draw, 3):
        end = d + draw(st.integers(0, 400))
        t["sw_episodes"].append({"CHILD": child, "SW_ID": f"SW{draw(st.integers(1, 4))}",
                                 "SW_DECOM": _day(d), "SW_DEC": _day(end) if end <= SPAN else None})
    for d in _dates(draw, 4):
        t["visits"].append({"CHILD": child, "VISIT_DATE": _day(d)})
    for d in _dates(draw, 2):
        t["health_assessments"].append({"CHILD": child, "ASSESSMENT_DATE": _day(d),
                                        "TYPE": draw(st.sampled_from(["IHA", "RHA"]))})
    for d in _dates(draw, 2):
        t["dental_checks"].append({"CHILD": child, "CHECK_DATE": _day(d)})
    for d in _dates(draw, 2):
        t["peps"].append({"CHILD": child, "PEP_DATE": _day(d)})
    for d in _dates(draw, 3, distinct=True):
        t["referrals"].append({"CHILD": child, "REFERRAL_DATE": _day(d)})
    for d in _dates(draw, 2, distinct=True):
        auth = d + draw(st.integers(0, 120))
        t["assessments"].append({"CHILD": child, "ASSESSMENT_START": _day(d),
                                 "ASSESSMENT_AUTHORISED": _day(auth) if auth <= SPAN else None})
    for d in _dates(draw, 2, distinct=True):
        end = d + draw(st.integers(0, 900))
        t["cp_plans"].append({"CHILD": child, "CPP_START": _day(d),
                              "CPP_END": _day(end) if end <= SPAN else None, "CATEGORY": "NEG"})


def _population(draw, t, districts, area_of):
    years = list(range(2018, 2025))
    # "Elsewhere" is no geography of the run (a neighbour's district, a typo): its rows count
    # nowhere (a population naming only such places once crashed the engine).
    geos = list(districts) + sorted(set(area_of.values())) + [AUTHORITY, "Elsewhere"]
    for g in geos:
        if rare(draw, 2):
            continue                               # no rows of its own (an area: sum of districts)
        for y in years:
            if not rare(draw, 2):
                t["population"].append({"GEOGRAPHY": g, "YEAR": Year(y),
                                        "POPULATION_0_17": str(draw(st.integers(1, 50_000)))})


def _workforce(draw, t, children, districts):
    n_w = draw(st.integers(0, 4))
    for w in range(n_w):
        t["workers"].append({"WORKER_ID": f"W{w}", "TEAM": "T",
                             "DISTRICT": draw(st.sampled_from(districts + [""])),
                             "FTE": draw(st.sampled_from(["1", "0.5", "0.8", "0.6", "37"]))})
    if not n_w:
        return
    for child in children:
        for d in _dates(draw, 2, distinct=True):
            end = d + draw(st.integers(0, 600))
            t["allocations"].append({"CHILD": child, "WORKER_ID": f"W{draw(st.integers(0, n_w - 1))}",
                                     "START": _day(d), "END": _day(end) if end <= SPAN else None})


# --- writing and computing ----------------------------------------------------------------------

def _shift(d: dt.date, years: int) -> dt.date:
    return d.replace(year=d.year + years)           # 29 Feb maps to 29 Feb: leap years are kept


def render(tables, shift_years: int = 0, seed: int = 0) -> dict[str, list[dict]]:
    """Rows of text as builders.write_dataset takes them; dates dd/mm/yyyy, ISO or mixed per table."""
    rng = random.Random(seed)
    out = {}
    for name, rows in tables.items():
        if rows is None:
            continue
        mode = rng.choice(["dmy", "iso", "mixed"])
        text_rows = []
        for i, r in enumerate(rows):
            iso = mode == "iso" or (mode == "mixed" and i % 2 == 1)
            row = {}
            for k, v in r.items():
                if isinstance(v, dt.date):
                    v = _shift(v, shift_years)
                    v = v.isoformat() if iso else v.strftime("%d/%m/%Y")
                elif isinstance(v, Year):
                    v = str(v + shift_years)
                row[k] = "" if v is None else v
            text_rows.append(row)
        out[name] = text_rows
    return out


@contextmanager
def folder():
    path = Path(tempfile.mkdtemp(prefix="cpxl_prop_"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def compute(tables, period_end, months, *, shift_years=0, fmt="csv", shuffle=None, rename=None,
            ctx=False):
    """Write the tables, load and compute; ``shuffle``/``rename`` are seeds (None: leave as is)."""
    rows = render(tables, shift_years)
    extra = {"missing": ["RHI_DATE"]} if any("RHI_DATE" in r for r in rows.get("missing", [])) else None
    if shuffle is not None:
        rng = random.Random(shuffle)
        for name in rows:
            rng.shuffle(rows[name])
    with folder() as tmp:
        path = write_dataset(tmp, fmt=fmt, authority=AUTHORITY, extra_columns=extra, **rows)
        if shuffle is not None and fmt == "csv":
            # Columns in another order too: tables are recognised by their header row.
            rng = random.Random(shuffle + 1)
            for f in tmp.glob("*.csv"):
                frame = pd.read_csv(f, dtype=str, keep_default_na=False)
                cols = list(frame.columns)
                rng.shuffle(cols)
                frame[cols].to_csv(f, index=False)
        if rename is not None:
            rng = random.Random(rename)
            for i, f in enumerate(sorted(tmp.glob("*.csv"))):
                f.rename(tmp / f"{rng.choice(['extract', 'Export (1)', 'zz', 'a'])}_{i}"
                               f"{rng.choice(['.csv', '.CSV', '.txt'])}")
        data = cpxl.load(path)
        end = _shift(period_end, shift_years)
        out = cpxl.compute(data, end.isoformat(), months=months)
        if ctx:
            return out, Context(data, period_ends(end.isoformat(), months))
        return out


KEYS = ["indicator", "period_end", "level", "geography"]


def canonical(out: pd.DataFrame) -> pd.DataFrame:
    """Output rows in a fixed order (district order follows the areas table's row order)."""
    return out.sort_values(KEYS, kind="stable").reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame, where: np.ndarray | None = None, what=""):
    a, b = canonical(a), canonical(b)
    pd.testing.assert_frame_equal(a[KEYS], b[KEYS])
    if where is None:
        where = np.ones(len(a), dtype=bool)
    for col in ["numerator", "denominator", "value"]:
        x, y = a[col].to_numpy(dtype=float)[where], b[col].to_numpy(dtype=float)[where]
        same = np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
        if not same.all():
            bad = a.loc[where].loc[~same, KEYS].assign(a=x[~same], b=y[~same])
            raise AssertionError(f"{what}: {col} differs on {len(bad)} row(s):\n{bad.head(20)}")
    notes_a, notes_b = a["note"].to_numpy()[where], b["note"].to_numpy()[where]
    assert (notes_a == notes_b).all(), f"{what}: notes differ"


# --- properties ---------------------------------------------------------------------------------

def _wide(out, col):
    return out.set_index(["indicator", "period_end", "geography"])[col].unstack("geography")


def check_adds_up(out: pd.DataFrame, area_of: dict):
    districts = list(dict.fromkeys(out.loc[out["level"] == "district", "geography"]))
    areas = list(dict.fromkeys(out.loc[out["level"] == "area", "geography"]))
    assert districts[-1] == UNKNOWN and UNKNOWN not in areas
    assert set(areas) == set(area_of.values())
    kind = out["indicator"].map({i: CATALOGUE[i].kind for i in CATALOGUE})
    additive = {"count": ["numerator"], "percent": ["numerator", "denominator"],
                "ratio": ["numerator", "denominator"], "rate": ["numerator"],
                "mean": ["numerator", "sum"]}
    # A mean's sum (mean x number averaged) adds up too; a mean over no case is blank (sum 0).
    out = out.assign(sum=(out["value"] * out["numerator"]).fillna(0.0))
    for k, cols in additive.items():
        part = out.loc[kind == k]
        for col in cols:
            w = _wide(part, col)
            w = w.loc[w[AUTHORITY].notna()]                      # not "not available"
            total = w[districts].sum(axis=1)
            assert np.allclose(total, w[AUTHORITY], rtol=1e-9, atol=1e-6), \
                f"{k}/{col}: districts do not add up to the authority:\n{w[total != w[AUTHORITY]]}"
            for area in areas:
                members = [d for d in districts if area_of.get(d) == area]
                assert UNKNOWN not in members
                assert np.allclose(w[members].sum(axis=1), w[area], rtol=1e-9, atol=1e-6), \
                    f"{k}/{col}: {area} is not the sum of {members}"


def check_percentages(out: pd.DataFrame):
    pct = out.loc[out["indicator"].map(lambda i: CATALOGUE[i].kind) == "percent"]
    ok = pct["denominator"].notna()
    pct = pct.loc[ok]
    assert (pct["numerator"] <= pct["denominator"]).all()
    assert (pct["numerator"] >= 0).all()
    has = pct["denominator"] > 0
    v = pct.loc[has, "value"]
    assert ((v >= 0) & (v <= 100)).all()
    assert np.allclose(v, 100 * pct.loc[has, "numerator"] / pct.loc[has, "denominator"])
    assert pct.loc[~has, "value"].isna().all()
    for k in ("ratio", "mean"):
        part = out.loc[out["indicator"].map(lambda i: CATALOGUE[i].kind) == k]
        assert (part["numerator"].fillna(0) >= 0).all()


def expected_population(tables, periods, districts, areas, area_of) -> dict:
    """The spec's population of each geography for each period end, from the generated rows.

    A district: its row for the latest year <= Y.  An area or the authority: its own row for Y;
    else the sum of its districts' (as above) when every one of them has one; else its own row for
    the latest year <= Y.  Unknown has none.
    """
    rows = tables.get("population") or []
    own = {}
    for r in rows:
        own.setdefault(r["GEOGRAPHY"], {})[int(r["YEAR"])] = float(r["POPULATION_0_17"])

    def latest(g, y):
        ys = [k for k in own.get(g, {}) if k <= y]
        return own[g][max(ys)] if ys else np.nan

    out = {}
    for D in periods:
        y = D.year
        dist = {d: latest(d, y) if d != UNKNOWN else np.nan for d in districts}
        for d in districts:
            out[(D, d)] = dist[d]
        members = {AUTHORITY: [d for d in districts if d != UNKNOWN]}
        members.update({a: [d for d in districts if area_of.get(d) == a] for a in areas})
        for g, ds in members.items():
            if y in own.get(g, {}):
                out[(D, g)] = own[g][y]
            elif ds and all(not np.isnan(dist[d]) for d in ds):
                out[(D, g)] = sum(dist[d] for d in ds)
            else:
                out[(D, g)] = latest(g, y)
    return out


def check_rates(out: pd.DataFrame, tables, area_of):
    districts = list(dict.fromkeys(out.loc[out["level"] == "district", "geography"]))
    areas = list(dict.fromkeys(out.loc[out["level"] == "area", "geography"]))
    periods = [pd.Timestamp(p) for p in sorted(out["period_end"].unique())]
    pop = expected_population(tables, periods, districts, areas, area_of)
    for rate, count in (("cla_rate_10k", "cla_count"), ("cp_rate_10k", "cp_count")):
        r = out.loc[out["indicator"] == rate].set_index(["period_end", "geography"])
        c = out.loc[out["indicator"] == count].set_index(["period_end", "geography"])
        if r["note"].str.startswith("not available").all():
            continue
        assert np.allclose(r["numerator"], c.loc[r.index, "value"], equal_nan=True)
        want = np.array([pop[(pd.Timestamp(p), g)] for p, g in r.index])
        assert np.allclose(r["denominator"].to_numpy(dtype=float), want, equal_nan=True), \
            f"{rate}: population {r['denominator'].to_numpy()} != {want}"
        has = r["denominator"] > 0
        assert np.allclose(r.loc[has, "value"], 1e4 * r.loc[has, "numerator"] / r.loc[has, "denominator"])
        assert r.loc[~has, "value"].isna().all()


@settings(max_examples=int(40 * SCALE), **PROFILE)
@given(datasets())
def test_adds_up_and_bounds(ds):
    tables, period_end, months, area_of = ds
    out = compute(tables, period_end, months)
    check_adds_up(out, area_of)
    check_percentages(out)
    check_rates(out, tables, area_of)


@settings(max_examples=int(15 * SCALE), **PROFILE)
@given(datasets(), st.integers(0, 10_000))
def test_row_order_and_file_names_do_not_matter(ds, seed):
    tables, period_end, months, _ = ds
    a = compute(tables, period_end, months)
    b = compute(tables, period_end, months, shuffle=seed, rename=seed)
    assert_same(a, b, what="shuffled rows and columns, renamed files")


@settings(max_examples=int(8 * SCALE), **PROFILE)
@given(datasets())
def test_csv_and_workbook_agree(ds):
    tables, period_end, months, _ = ds
    a = compute(tables, period_end, months)
    b = compute(tables, period_end, months, fmt="xlsx")
    assert_same(a, b, what="CSV folder against workbook")


# --- the 28-year shift --------------------------------------------------------------------------

WORKING_DAY_INDICATORS = {"reviews_in_time_pct": 20, "iha_20wd_pct": 20, "assessments_45wd_pct": 45}


def _engine_holidays() -> np.ndarray:
    return cpxl.dates._bank_holidays()


def _shifted_calendar(years: int) -> np.ndarray:
    """The engine's bank holidays moved by ``years`` (so the shifted data sees the original's)."""
    days = pd.DatetimeIndex(_engine_holidays().astype("datetime64[ns]"))
    moved = [d.replace(year=d.year + years) for d in days if 1900 <= d.year + years <= 2100]
    return np.array(sorted(moved), dtype="datetime64[D]")


def _differing_dates(years: int) -> np.ndarray:
    """Dates (in the shifted frame) whose bank-holiday status differs from 28 years on."""
    real = set(_engine_holidays().tolist())
    moved = set(_shifted_calendar(years).tolist())
    return np.array(sorted(real ^ moved), dtype="datetime64[D]")


def _touches(starts, n: int, diff: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Whether the working-day interval from each start (to its N-th working day under either
    calendar) holds a date whose bank-holiday status differs between the two years."""
    s = pd.DatetimeIndex(starts)
    due_real = add_working_days(s, n)
    with mock.patch.object(cpxl.dates, "_bank_holidays", lambda: moved):
        due_moved = add_working_days(s, n)
    lo = s.values.astype("datetime64[D]")
    hi = np.maximum(due_real.values.astype("datetime64[D]"), due_moved.values.astype("datetime64[D]"))
    first = np.searchsorted(diff, lo, side="left")
    last = np.searchsorted(diff, hi, side="right")
    return ~s.isna() & (last > first)


def affected_periods(ctx: Context, diff: np.ndarray, moved: np.ndarray) -> dict[str, set]:
    """(indicator -> period indices) whose working-day computations touch a differing date.

    Each working-day indicator uses one due date per case, and only through it:
    - reviews_in_time_pct: the first review is due 20 working days after the start of the current
      period of care; it decides who is in the cohort on D and whether the first review was late or
      is overdue, for every D the child is looked after in that period of care;
    - iha_20wd_pct: 20 working days after the start of a period of care starting in the year to D;
    - assessments_45wd_pct: 45 working days after ASSESSMENT_START, for an assessment authorised in
      the year to D.
    """
    out = {k: set() for k in WORKING_DAY_INDICATORS}
    if "reviews" in ctx.tables:
        la = ctx.looked_after
        hit = _touches(la["period_start"], 20, diff, moved)
        out["reviews_in_time_pct"] = set(la["p"].to_numpy()[hit].tolist())
    if "health_assessments" in ctx.tables:
        cp = ctx.care_periods
        hit = _touches(cp["start"], 20, diff, moved)
        rows, p = ctx.in_window(cp["start"])
        out["iha_20wd_pct"] = set(p[hit[rows]].tolist())
    if "assessments" in ctx.tables:
        a = ctx.tables["assessments"]
        hit = _touches(a["ASSESSMENT_START"], 45, diff, moved)
        rows, p = ctx.in_window(a["ASSESSMENT_AUTHORISED"])
        out["assessments_45wd_pct"] = set(p[hit[rows]].tolist())
    return out


@settings(max_examples=int(12 * SCALE), **PROFILE)
@given(datasets())
def test_shift_by_28_years(ds):
    """Shifting every date by 28 years (back, to 1990-1996) changes no value but through bank
    holidays.

    28 years keep the weekday of every date, leap years and month lengths, so "year to D",
    "D minus N months", ages, day counts and weekdays are all the same; only bank holidays differ
    (Easter moves every year; one-off holidays such as 8 May 2020 or 19 September 2022 have no
    counterpart).  Two runs of the shifted data check it:

    1. with the engine's bank holidays replaced by the original years' moved back 28 years, every
       value of every indicator, period and geography is the same as the original's;
    2. with the real calendar, every value is the same except for the working-day indicators in
       the periods whose working-day computations touch a date that is a bank holiday in one year
       and not the other (:func:`affected_periods`); exactly those are excluded.
    """
    tables, period_end, months, _ = ds
    original = canonical(compute(tables, period_end, months))
    moved = _shifted_calendar(SHIFT_YEARS)
    with mock.patch.object(cpxl.dates, "_bank_holidays", lambda: moved):
        same_calendar = canonical(compute(tables, period_end, months, shift_years=SHIFT_YEARS))
    real, ctx = compute(tables, period_end, months, shift_years=SHIFT_YEARS, ctx=True)
    real = canonical(real)
    for frame in (same_calendar, real):
        back = pd.to_datetime(frame["period_end"]).map(lambda d: _shift(d.date(), -SHIFT_YEARS))
        frame["period_end"] = back.map(lambda d: d.isoformat())
    assert_same(original, same_calendar, what="shifted 28 years, same bank holidays")

    affected = affected_periods(ctx, _differing_dates(SHIFT_YEARS), moved)
    iso = [_shift(d.date(), -SHIFT_YEARS).isoformat() for d in ctx.periods]
    excluded = np.zeros(len(real), dtype=bool)
    for ind, ps in affected.items():
        excluded |= ((real["indicator"] == ind) & real["period_end"].isin([iso[p] for p in ps])).to_numpy()
    assert_same(original, canonical(real), where=~excluded, what="shifted 28 years, real bank holidays")


def test_shift_exclusion_is_needed_and_found():
    """A worked case for the exclusion above.  An assessment started on Wednesday 6 February 2019
    is due on its 45th working day, 10 April 2019; shifted to 6 February 1991 it is due on
    12 April 1991, two working days later, because Good Friday and Easter Monday 1991 (29 March,
    1 April) fall inside the 45 working days and Easter 2019 (19, 22 April) does not.  Authorised
    on 11 April, it is late in 2019 and in time in 1991: the value changes, only through bank
    holidays, and :func:`affected_periods` flags exactly that indicator and period."""
    tables = {name: None for name in COLUMNS}
    tables["header"] = [{"CHILD": "C1", "SEX": "1", "DOB": dt.date(2010, 1, 1), "ETHNIC": "WBRI"}]
    tables["episodes"] = [{"CHILD": "C1", "DECOM": dt.date(2018, 6, 1), "RNE": "S", "LS": "C2",
                           "CIN": "N1", "PLACE": "U4", "DEC": None, "REC": ""}]
    tables["assessments"] = [{"CHILD": "C1", "ASSESSMENT_START": dt.date(2019, 2, 6),
                              "ASSESSMENT_AUTHORISED": dt.date(2019, 4, 11)}]
    period_end = dt.date(2019, 4, 30)

    def value(out):
        row = out.loc[(out["indicator"] == "assessments_45wd_pct") & (out["level"] == "la")]
        return float(row["value"].iloc[0])

    original = compute(tables, period_end, 1)
    moved = _shifted_calendar(SHIFT_YEARS)
    with mock.patch.object(cpxl.dates, "_bank_holidays", lambda: moved):
        same_calendar = compute(tables, period_end, 1, shift_years=SHIFT_YEARS)
    real, ctx = compute(tables, period_end, 1, shift_years=SHIFT_YEARS, ctx=True)
    assert (value(original), value(same_calendar), value(real)) == (0.0, 0.0, 100.0)
    affected = affected_periods(ctx, _differing_dates(SHIFT_YEARS), moved)
    assert affected == {"reviews_in_time_pct": set(), "iha_20wd_pct": set(),
                        "assessments_45wd_pct": {0}}
