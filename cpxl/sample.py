"""Synthetic sample data: the fictional county of Northshire.

``write_sample(out_dir, children=2000, seed=1)`` writes every table of the data contract
(``docs/data.md``) as CSV files, plus a ``cpxl.toml``, for a county that does not exist. Nothing in
it is real: no child, worker, postcode or place name. It exists so that the tool can be tried,
demonstrated, tested and benchmarked without personal data.

The model of the county, in plain words
---------------------------------------
*Geography.* Northshire has 12 districts in three areas (North, East, Central). Each district has a
population aged 0-17 (growing slightly year by year) and its own "need": the districts' rates of
children looked after run from about 50 to 130 per 10,000, around a county rate of 80. The total
population is sized so that ``children`` looked after on the period end is a rate of 80 per
10,000. Every district owns three postcode outward codes (``NS1`` ... ``NS36``, a postcode area
that does not exist); placements outside the county get ``QX`` postcodes (no UK postcode starts
with Q).

*Children looked after.* Children enter care at a steady, slowly rising rate over the 24 years
before the period end, so that the children in care on any day of the six-year history are a
realistic mixture of new entrants and long-stayers. At entry each child gets an age (a fifth are
babies, a third are 10-15), a sex, an ethnicity (mostly White British), a district and a home
postcode, and each period of care gets a planned outcome that depends on age:

- adoption (mostly babies and toddlers): care proceedings, a placement order about eight months
  later, a move to adopters (sometimes the same foster carers, RNE T) about six months after
  that, and the adoption order (REC E11/E12) about eight months later;
- special guardianship (E45-E48) or a child arrangements order (E41) at the end of proceedings,
  or later from a long-term foster placement;
- return home (E4A/E4B/E13), often within weeks, sometimes after a spell placed with parents
  (P1) under a care order; many of these children come back into care later, so that about
  one starter in six has been looked after before;
- staying until 18 (E17 staying put, E5/E6 independent living, E8) or leaving at 16-17;
- other endings (E8, E3 transfer to another authority, E16, E9 ...), short police protection
  (L1/L2) and remand (J1/J2/J3) episodes;
- unaccompanied asylum-seeking children (about 6% of those in care): mostly boys of 15-17,
  accommodated under section 20 (V2) until 18.

A few disabled children (1.5% of ``children``) have only agreed series of short breaks (V3 stays
or V4 agreements) and are never otherwise looked after.

Legal status follows the court path: section 20 (V2) or an interim care order (C2) at the start,
then a full care order (C1) or a placement order (E1) at the final hearing. Placements are drawn
by age (foster care for most, residential care for a share of teenagers, supported accommodation
from 16; K3 replaces H5/P2 from April 2024 and Z11-Z14 replace Z1 from April 2025). Most
children have a stable placement; some move often (placement moves follow a Poisson process
whose rate differs between a stable, a middling and an unstable group), a third of new entrants
leave their first, emergency placement within weeks, foster placements that last are
re-designated long-term (RNE T), and short temporary episodes (T0-T4) are inserted now and
then. Every episode but the last of a period ends with REC X1 and the next starts that day.

*Around the episodes.* Reviews (first within 20 working days, then 3 months, then every 6
months; a few late), social worker episodes (a change every year or so on average), missing
and away episodes (about a tenth of children, mostly teenagers, often repeatedly, with return
home interviews), OC2 outcomes for children in care a year or more, OC3 for care leavers aged
17-21, AD1 / placed-for-adoption / previous permanence records, statutory visits (every 4-6
weeks, some overdue), health assessments (initial within 20 working days - often late - then
6- or 12-monthly reviews), dental checks and PEPs.

*Children in need.* Many more children are referred than come into care: referral "chains" (a
referral, sometimes a re-referral months later) with assessments (mostly authorised within 45
working days) and, for some, child protection plans (about 45 per 10,000 open at a time, a
quarter of them repeat plans, a few lasting two years or more). Some of these children later
come into care: a quarter of entrants come straight off a child protection plan.

*Workforce.* Each district has a children-in-care team and a safeguarding team; workers are
sized so that caseloads are about 17 per full-time equivalent.

*What is kept.* The files hold the full episode history of every child looked after at some
time in the six years (so a long-stayer's first episode may be older), local tables about
children looked after and children in need from a year before the six years (so that "in the
last 12 months" works from the first month), and child protection plans from six years before
(so that repeat plans can be seen).

Everything is drawn with numpy from ``seed``: the same seed, size and period end give
byte-identical files. The history never depends on today's date.
"""
from __future__ import annotations

import csv
import pathlib
import zlib

import numpy as np
import pandas as pd

from .dates import bank_holiday_days
from .tables import TABLES

__all__ = ["write_sample", "generate_tables", "AUTHORITY", "LA_CODE", "AREAS", "TABLE_COLUMNS"]

AUTHORITY = "Northshire"
LA_CODE = 888
DEFAULT_PERIOD_END = "2025-12-31"
VISIT_INTERVAL_DAYS = 42

# (district, area, share of the county's 0-17 population, relative rate of children in care)
_DISTRICTS = [
    ("Hollowmere", "North", 0.06, 58),
    ("Cragsby", "North", 0.07, 72),
    ("Upper Wendle", "North", 0.05, 62),
    ("Marrowdale", "North", 0.08, 96),
    ("Saltreach", "East", 0.09, 128),
    ("Eastmarsh", "East", 0.07, 100),
    ("Fennick Wold", "East", 0.06, 76),
    ("Brindlecombe", "East", 0.08, 86),
    ("Kestrelford", "Central", 0.15, 136),
    ("Larkhaven", "Central", 0.10, 80),
    ("Copperwell", "Central", 0.11, 64),
    ("Stavenham", "Central", 0.08, 92),
]
AREAS: dict[str, list[str]] = {}
for _name, _area, _s, _r in _DISTRICTS:
    AREAS.setdefault(_area, []).append(_name)
_DNAMES = np.array([d[0] for d in _DISTRICTS], dtype=object)
_POP_SHARE = np.array([d[2] for d in _DISTRICTS])
_RATE_REL = np.array([d[3] for d in _DISTRICTS], dtype=float)
_ND = len(_DISTRICTS)

# Every table of the data contract with its columns, in the contract's order (RHI_DATE included).
TABLE_COLUMNS: dict[str, list[str]] = {name: list(t.all_columns) for name, t in TABLES.items()}

# --------------------------------------------------------------------------------------------
# small helpers: dates are int64 day numbers (days since 1970-01-01); NA = no date
# --------------------------------------------------------------------------------------------
NA = np.int64(-(10 ** 9))
_YEAR = 365.25
_DATE_BASE = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_DATE_TABLE: np.ndarray | None = None


def _date_table() -> np.ndarray:
    global _DATE_TABLE
    if _DATE_TABLE is None:
        days = np.arange(np.datetime64("1900-01-01"), np.datetime64("2101-01-01"), dtype="M8[D]")
        iso = np.datetime_as_string(days)
        tab = np.array([f"{s[8:10]}/{s[5:7]}/{s[0:4]}" for s in iso.tolist()] + [""], dtype=object)
        _DATE_TABLE = tab
    return _DATE_TABLE


def _fmt(d) -> np.ndarray:
    """int day numbers -> 'dd/mm/yyyy' strings ('' for NA)."""
    tab = _date_table()
    d = np.asarray(d, dtype=np.int64)
    idx = d - _DATE_BASE
    idx = np.where((d == NA) | (idx < 0) | (idx >= len(tab) - 1), len(tab) - 1, idx)
    return tab[idx]


def _day(s) -> int:
    return int(np.datetime64(str(s)[:10], "D").astype(np.int64))


def _add_months(d, n) -> np.ndarray:
    """Calendar months (day clipped to the month's length, like 31 Aug - 6 months = 28 Feb)."""
    d = np.asarray(d, dtype=np.int64)
    dt = d.astype("M8[D]")
    m = dt.astype("M8[M]")
    dom = (dt - m.astype("M8[D]")).astype(np.int64)
    m2 = m + np.asarray(n, dtype=np.int64)
    start = m2.astype("M8[D]").astype(np.int64)
    length = (m2 + 1).astype("M8[D]").astype(np.int64) - start
    return start + np.minimum(dom, length - 1)


def _year_of(d) -> np.ndarray:
    return np.asarray(d, dtype=np.int64).astype("M8[D]").astype("M8[Y]").astype(np.int64) + 1970


def _pick(rng, codes, probs, n) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    p = p / p.sum()
    return np.asarray(codes, dtype=object)[rng.choice(len(p), size=n, p=p)]


def _pick_rows(rng, P) -> np.ndarray:
    """One category index per row of a probability matrix."""
    c = np.cumsum(np.asarray(P, dtype=float), axis=1)
    c /= c[:, -1:]
    u = rng.random(len(c))[:, None]
    return np.minimum((c < u).sum(axis=1), c.shape[1] - 1)


def _lognorm(rng, median, sigma, n) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _uniform_int(rng, lo, hi) -> np.ndarray:
    """Integers uniform in [lo, hi] (arrays or scalars; hi >= lo)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    n = np.broadcast(lo, hi).size
    return lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)


def _next_in_group(group: np.ndarray, values: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """values shifted up by one within consecutive groups; the last of a group gets fill."""
    out = np.empty_like(values)
    out[:-1] = values[1:]
    if len(out):
        out[-1] = 0
    last = np.ones(len(group), dtype=bool)
    last[:-1] = group[1:] != group[:-1]
    out[last] = fill[last]
    return out


def _group_last(group: np.ndarray) -> np.ndarray:
    last = np.ones(len(group), dtype=bool)
    last[:-1] = group[1:] != group[:-1]
    return last


def _renewal(first, stop, interval_fn):
    """Events first, first+i1, ... while < stop, per unit. interval_fn(units, current) -> ints."""
    first = np.asarray(first, dtype=np.int64)
    stop = np.asarray(stop, dtype=np.int64)
    idx = np.nonzero(first < stop)[0]
    cur = first[idx]
    us, ds = [], []
    while idx.size:
        us.append(idx)
        ds.append(cur)
        cur = cur + np.maximum(1, interval_fn(idx, cur)).astype(np.int64)
        keep = cur < stop[idx]
        idx, cur = idx[keep], cur[keep]
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(us), np.concatenate(ds)


_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)


def _postcodes(rng, outward: np.ndarray) -> np.ndarray:
    n = len(outward)
    d = rng.integers(1, 10, n).astype(str).astype(object)
    a = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), n)]
    b = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), n)]
    return outward.astype(object) + " " + d + a + b


def _district_outward(rng, dist: np.ndarray) -> np.ndarray:
    k = 3 * np.asarray(dist, dtype=np.int64) + rng.integers(1, 4, len(dist))
    return np.char.add("NS", k.astype(str)).astype(object)


def _out_of_county_outward(rng, n) -> np.ndarray:
    return np.char.add("QX", rng.integers(1, 41, n).astype(str)).astype(object)


# --------------------------------------------------------------------------------------------
# code lists and probabilities
# --------------------------------------------------------------------------------------------
ADOPT, SGO, CAO, HOME, LONG, OTHER, REMAND, EMERG = range(8)
# planned outcome of a period of care by age band at entry (<1, 1-4, 5-9, 10-15, 16-17)
_OUT_P = np.array([
    # ADOPT  SGO   CAO   HOME  LONG  OTHER REMAND EMERG
    [0.50, 0.21, 0.03, 0.14, 0.03, 0.06, 0.00, 0.03],
    [0.30, 0.27, 0.05, 0.20, 0.08, 0.07, 0.00, 0.03],
    [0.02, 0.20, 0.05, 0.31, 0.29, 0.10, 0.00, 0.03],
    [0.00, 0.05, 0.02, 0.35, 0.35, 0.11, 0.07, 0.05],
    [0.00, 0.01, 0.00, 0.25, 0.46, 0.13, 0.10, 0.05],
])
_ENTRY_BANDS = [(0.0, 1.0), (1.0, 5.0), (5.0, 10.0), (10.0, 16.0), (16.0, 17.95)]
_ENTRY_P = [0.20, 0.15, 0.15, 0.34, 0.16]
P_UASC = 0.10

_ETHNIC = ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
           "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT"]
_ETHNIC_P = [0.74, 0.004, 0.003, 0.04, 0.004, 0.035, 0.012, 0.01, 0.03, 0.008, 0.015, 0.005,
             0.008, 0.012, 0.02, 0.006, 0.002, 0.012, 0.004, 0.006]
_ETHNIC_UASC_P = [0, 0, 0, 0.08, 0, 0, 0, 0, 0.02, 0, 0.02, 0, 0.28, 0, 0.36, 0.06, 0, 0.18, 0, 0]

# placement categories
F_CON, F_OTH, PAR, RES, SUP, ADP, OTH = range(7)
# by age at the start of the placement: <5, 5-9, 10-12, 13-15, 16+
_CAT_P = np.array([
    # F_CON  F_OTH  PAR    RES    SUP    ADP  OTH
    [0.22, 0.715, 0.030, 0.005, 0.00, 0.0, 0.030],
    [0.20, 0.670, 0.070, 0.040, 0.00, 0.0, 0.020],
    [0.15, 0.620, 0.070, 0.140, 0.00, 0.0, 0.020],
    [0.11, 0.510, 0.070, 0.280, 0.00, 0.0, 0.030],
    [0.07, 0.410, 0.030, 0.170, 0.29, 0.0, 0.030],
])
_CAT_NAMES = np.array(["F_CON", "F_OTH", "PAR", "RES", "SUP", "ADP", "OTH"], dtype=object)
_FOSTER_CODES = {"U1", "U2", "U3", "U4", "U5", "U6"}
_REASONS = ["CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ",
            "PLACE", "OTHER"]
_REASONS_P = [0.30, 0.05, 0.04, 0.03, 0.02, 0.15, 0.10, 0.08, 0.08, 0.05, 0.10]
_K3_FROM = _day("2024-04-01")
_Z1X_FROM = _day("2025-04-01")

# placement-move process: share of periods and moves per year in each group
_MOVE_GROUPS_P = [0.70, 0.22, 0.08]
_MOVE_RATES = np.array([0.06, 0.40, 2.2]) / _YEAR
P_REENTRY = 0.62


class _Ctx:
    def __init__(self, children: int, seed: int, period_end: str | None):
        self.children = int(children)
        self.seed = int(seed)
        pe = DEFAULT_PERIOD_END if period_end is None else str(period_end)
        self.E = _day(pe)
        self.H0 = int(_add_months(self.E, -72))      # start of the six-year history
        self.W0 = int(_add_months(self.E, -84))      # local tables start a year earlier
        self.pop_E = self.children / 0.008
        self.cal = np.busdaycalendar(holidays=bank_holiday_days())   # the engine's own calendar

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng([abs(self.seed), zlib.crc32(name.encode())])

    def wd_add(self, d, n) -> np.ndarray:
        """The n-th working day after d (England and Wales bank holidays)."""
        d = np.asarray(d, dtype=np.int64).astype("M8[D]")
        return np.busday_offset(d, np.asarray(n, dtype=np.int64), roll="backward",
                                busdaycal=self.cal).astype(np.int64)


# --------------------------------------------------------------------------------------------
# periods of care
# --------------------------------------------------------------------------------------------
def _entry_age(rng, uasc: np.ndarray) -> np.ndarray:
    n = len(uasc)
    band = rng.choice(len(_ENTRY_P), size=n, p=np.array(_ENTRY_P) / sum(_ENTRY_P))
    lo = np.array([b[0] for b in _ENTRY_BANDS])[band]
    hi = np.array([b[1] for b in _ENTRY_BANDS])[band]
    age = lo + rng.random(n) * (hi - lo)
    newborn = (band == 0) & (rng.random(n) < 0.45)
    age[newborn] = rng.random(newborn.sum()) * 0.06
    k = int(uasc.sum())
    age[uasc] = np.where(rng.random(k) < 0.12, 13.0 + rng.random(k) * 2.0,
                         15.0 + rng.random(k) * 2.9)
    return age


def _period_block(rng, cid, S, dob, uasc):
    """One period of care for each (cid, S): outcome, legal milestones and duration."""
    n = len(cid)
    r = lambda: rng.random(n)  # noqa: E731
    none = lambda: np.full(n, -1, dtype=np.int64)  # noqa: E731
    age0 = (S - dob) / _YEAR
    band = np.digitize(age0, [1, 5, 10, 16])
    out = _pick_rows(rng, _OUT_P[band])
    iu = np.nonzero(uasc)[0]
    out[iu] = np.where(rng.random(iu.size) < 0.8, LONG, OTHER)

    short = (out == HOME) & (r() < 0.27)
    pc = np.array([1.0, 0.85, 0.85, 0.40, 0.0, 0.35, 0.0, 0.0])[out]
    pc = np.where(out == LONG, np.where(age0 < 12, 0.97, 0.88), pc)
    court = (r() < pc) & ~short & ~uasc
    consent = (out == ADOPT) & (r() < 0.10)
    court &= ~consent
    emerg_pre = (~uasc & ~short & ~consent & (out <= OTHER) & (r() < 0.05))

    ls0 = np.full(n, "V2", dtype=object)
    t_em, t_c, t_f = none(), none(), none()
    ls_em = np.where(court, "C2", "V2").astype(object)
    direct = court & ~emerg_pre & (r() < 0.55)
    ls0[direct] = "C2"
    t_c[direct] = 0
    via = court & ~emerg_pre & ~direct
    t_c[via] = np.clip(_lognorm(rng, 70, 0.7, via.sum()), 7, 300).astype(np.int64)
    k = int(emerg_pre.sum())
    t_em[emerg_pre] = rng.integers(1, 9, k)
    ls0[emerg_pre] = np.where(rng.random(k) < 0.7, "L1", "L2")
    both = emerg_pre & court
    t_c[both] = t_em[both]
    em = out == EMERG
    ls0[em] = np.where(rng.random(em.sum()) < 0.7, "L1", "L2")
    rm = out == REMAND
    rk = rng.random(rm.sum())
    ls0[rm] = np.where(rk < 0.55, "J1", np.where(rk < 0.95, "J2", "J3"))
    t_f[court] = t_c[court] + _lognorm(rng, 245, 0.3, court.sum()).astype(np.int64)
    t_f[consent] = _lognorm(rng, 200, 0.4, consent.sum()).astype(np.int64)
    ls_f = np.where(out == ADOPT, "E1", "C1").astype(object)

    D = np.zeros(n)
    t_pa, t_home, t_sup = none(), none(), none()
    m = out == ADOPT
    t_pa[m] = t_f[m] + np.maximum(14, _lognorm(rng, 190, 0.6, m.sum())).astype(np.int64)
    D[m] = t_pa[m] + np.maximum(70, _lognorm(rng, 240, 0.35, m.sum()))
    pa_same = m & (r() < 0.25)

    m = out == SGO
    late = r() < 0.35
    mc = m & court
    D[mc] = t_f[mc] + np.where(late[mc], _lognorm(rng, 700, 0.5, mc.sum()), 0)
    mn = m & ~court
    D[mn] = _lognorm(rng, 450, 0.5, mn.sum())
    sgo_rec = _pick(rng, ["E45", "E46", "E47", "E48"], [0.45, 0.15, 0.33, 0.07], n)
    sgo_rec[~m] = ""

    m = out == CAO
    D[m & court] = t_f[m & court]
    D[m & ~court] = _lognorm(rng, 300, 0.6, (m & ~court).sum())

    m = out == HOME
    D[m & short] = rng.integers(1, 43, (m & short).sum())
    mc = m & court
    D[mc] = t_f[mc] + _lognorm(rng, 220, 0.7, mc.sum())
    home_trial = mc & (r() < 0.7)
    t_home[home_trial] = (D[home_trial] - np.maximum(30, _lognorm(rng, 200, 0.5, home_trial.sum()))
                          ).astype(np.int64)
    mn = m & ~court & ~short
    D[mn] = _lognorm(rng, 220, 1.0, mn.sum())

    bday18 = _add_months(dob, 216)
    D18 = (bday18 - S).astype(float)
    m = out == LONG
    to18 = np.where(uasc, r() < 0.9, r() < 0.65)
    leave_age = 16.0 + rng.random(n) * 1.9
    d_leave = dob + leave_age * _YEAR - S
    D[m] = np.where(to18[m] | (d_leave[m] < 60), D18[m], d_leave[m])

    m = (out == OTHER) & ~uasc
    D[m] = _lognorm(rng, 300, 1.1, m.sum())
    uasc_kind = _pick(rng, ["E3", "E15", "E8"], [0.5, 0.3, 0.2], n)
    m = (out == OTHER) & uasc
    D[m] = np.select([uasc_kind[m] == "E3", uasc_kind[m] == "E15"],
                     [rng.integers(5, 61, m.sum()), _lognorm(rng, 90, 0.6, m.sum())],
                     _lognorm(rng, 150, 0.8, m.sum()))
    m = out == REMAND
    D[m] = np.select([ls0[m] == "J1", ls0[m] == "J2"],
                     [_lognorm(rng, 45, 0.8, m.sum()), rng.integers(1, 4, m.sum())],
                     _lognorm(rng, 90, 0.5, m.sum()))
    m = out == EMERG
    D[m] = rng.integers(1, 9, m.sum())

    D = np.maximum(1, np.round(D)).astype(np.int64)
    capped = D >= D18
    D = np.where(capped, np.maximum(1, D18), D).astype(np.int64)
    for t in (t_em, t_c, t_f, t_pa, t_home):
        t[t >= D] = -1
    t_f[(t_f >= 0) & (t_f <= t_c)] = -1
    t_home[(t_home >= 0) & (t_home <= np.maximum(t_c, 0) + 14)] = -1
    pa_same &= t_pa > 0

    cand = np.isin(out, [LONG, OTHER]) & (t_home < 0)
    sup_age = 16.0 + rng.random(n) * 1.3
    ts = (dob + sup_age * _YEAR - S).astype(np.int64)
    ok = cand & (ts > 30) & (ts < D - 30) & (r() < 0.45)
    t_sup[ok] = ts[ok]

    cin = _pick(rng, ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"],
                [0.72, 0.03, 0.03, 0.06, 0.09, 0.03, 0.003, 0.037], n)
    cin[uasc] = "N8"
    cin[rm] = np.where(rng.random(rm.sum()) < 0.6, "N6", "N5")
    return dict(cid=cid, S=S, D=D, out=out, short=short, court=court, consent=consent,
                ls0=ls0, t_em=t_em, ls_em=ls_em, t_c=t_c, t_f=t_f, ls_f=ls_f, t_pa=t_pa,
                pa_same=pa_same, t_home=t_home, t_sup=t_sup, capped=capped, sgo_rec=sgo_rec,
                uasc_kind=uasc_kind, cin=cin, uasc=uasc, age0=age0)


def _gen_periods(ctx: _Ctx, n_children: int, rng):
    E = ctx.E
    T0 = E - int(24 * _YEAR)
    span = E - T0
    g = 0.01 / _YEAR
    u = rng.random(n_children)
    S1 = T0 + (np.log1p(u * np.expm1(g * span)) / g).astype(np.int64)
    uasc = rng.random(n_children) < P_UASC
    age = _entry_age(rng, uasc)
    dob = S1 - np.round(age * _YEAR).astype(np.int64)
    cid = np.arange(n_children, dtype=np.int64)
    S = S1
    parts = []
    for _ in range(6):
        per = _period_block(rng, cid, S, dob[cid], uasc[cid])
        parts.append(per)
        end = per["S"] + per["D"]
        age_end = (end - dob[cid]) / _YEAR
        elig = (np.isin(per["out"], [HOME, OTHER, EMERG, REMAND]) & ~per["capped"]
                & ~per["uasc"] & (age_end < 17.0) & (end < E)
                & (rng.random(len(cid)) < P_REENTRY))
        gap = np.maximum(7, _lognorm(rng, 240, 1.0, len(cid))).astype(np.int64)
        newS = end + gap
        elig &= (newS <= E) & ((newS - dob[cid]) / _YEAR < 17.5)
        if not elig.any():
            break
        cid = cid[elig]
        S = newS[elig]
    per = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    o = np.lexsort((per["S"], per["cid"]))
    per = {k: v[o] for k, v in per.items()}
    return per, dob, uasc


def _select_children(ctx: _Ctx):
    """Simulate enough children and thin them so that exactly ctx.children are in care at E."""
    rng = ctx.rng("periods")
    target = max(1, ctx.children)
    n0 = int(target * 13) + 200
    for _ in range(6):
        per, dob, uasc = _gen_periods(ctx, n0, rng)
        end = per["S"] + per["D"]
        open_e = (per["S"] <= ctx.E) & (end > ctx.E)
        cla_e = np.zeros(n0, dtype=bool)
        cla_e[per["cid"][open_e]] = True
        count = int(cla_e.sum())
        if count >= target:
            break
        n0 = int(n0 * 1.3 * target / max(count, 1)) + 100
    rs = ctx.rng("thin")
    in_e = np.nonzero(cla_e)[0]
    keep = np.zeros(n0, dtype=bool)
    keep[rs.choice(in_e, size=target, replace=False)] = True
    f = target / count
    others = np.nonzero(~cla_e)[0]
    keep[others[rs.random(others.size) < f]] = True
    overlaps = np.zeros(n0, dtype=bool)
    overlaps[per["cid"][end > ctx.H0]] = True
    keep &= overlaps
    sel = keep[per["cid"]]
    per = {k: v[sel] for k, v in per.items()}
    kept = np.nonzero(keep)[0]
    remap = np.full(n0, -1, dtype=np.int64)
    remap[kept] = np.arange(kept.size)
    per["cid"] = remap[per["cid"]]
    return per, dob[kept], uasc[kept]


# --------------------------------------------------------------------------------------------
# placements and episodes
# --------------------------------------------------------------------------------------------
def _place_codes(rng, cat, age, date, consent):
    n = len(cat)
    place = np.full(n, "", dtype=object)
    prov = np.full(n, "", dtype=object)
    u = rng.random(n)
    m = cat == F_CON
    place[m] = np.where(u[m] < 0.90, "U3", np.where((u[m] < 0.97) | (age[m] >= 2), "U1", "U2"))
    prov[m] = "PR1"
    m = cat == F_OTH
    place[m] = np.where(u[m] < 0.92, "U6", np.where((u[m] < 0.97) | (age[m] >= 2), "U4", "U5"))
    prov[m] = _pick(rng, ["PR1", "PR4", "PR5"], [0.64, 0.31, 0.05], m.sum())
    m = cat == PAR
    place[m] = "P1"
    prov[m] = "PR0"
    m = cat == RES
    res = _pick(rng, ["K2", "R1", "S1", "K1", "R2", "R5"], [0.80, 0.05, 0.06, 0.03, 0.03, 0.03],
                m.sum())
    res[(res == "R5") & (age[m] < 15)] = "K2"
    place[m] = res
    prov[m] = np.where(np.isin(res, ["R2", "R5"]), "PR3",
                       _pick(rng, ["PR4", "PR1", "PR5", "PR2"], [0.75, 0.15, 0.06, 0.04], m.sum()))
    m = cat == SUP
    place[m] = np.where(date[m] >= _K3_FROM, "K3", np.where(u[m] < 0.45, "H5", "P2"))
    prov[m] = _pick(rng, ["PR4", "PR1", "PR5"], [0.60, 0.25, 0.15], m.sum())
    m = cat == ADP
    place[m] = np.where(consent[m], "A5", "A6")
    prov[m] = _pick(rng, ["PR1", "PR5", "PR2"], [0.72, 0.24, 0.04], m.sum())
    m = cat == OTH
    z = np.where(date[m] >= _Z1X_FROM,
                 _pick(rng, ["Z11", "Z12", "Z13", "Z14"], [0.3, 0.2, 0.2, 0.3], m.sum()), "Z1")
    place[m] = np.where(age[m] < 2, np.where(u[m] < 0.6, "R3", z),
                        np.where((age[m] >= 16) & (u[m] < 0.08), "P3", z))
    prov[m] = np.where(place[m] == "R3", "PR1", _pick(rng, ["PR4", "PR1"], [0.6, 0.4], m.sum()))
    return place, prov


def _urn(rng, place) -> np.ndarray:
    n = len(place)
    urn = np.full(n, "", dtype=object)
    m = np.isin(place, ["K1", "K2", "R1", "S1", "K3"])
    urn[m] = np.char.add("SC", rng.integers(100000, 1000000, m.sum()).astype(str)).astype(object)
    return urn


def _build_episodes(ctx: _Ctx, per, dob, home_dist, home_post):
    rng = ctx.rng("episodes")
    P = len(per["cid"])
    pid_all = np.arange(P, dtype=np.int64)
    D, S, out, age0 = per["D"], per["S"], per["out"], per["age0"]
    uasc = per["uasc"]

    # ---- placement boundaries ----
    cut = D.copy()
    cut = np.where(per["t_pa"] > 0, np.minimum(cut, per["t_pa"]), cut)
    cut = np.where(per["t_home"] > 0, np.minimum(cut, per["t_home"]), cut)
    fc = np.isin(per["sgo_rec"], ["E45", "E46"])
    cut = np.where(fc, np.maximum(0, np.minimum(cut, D - 270)), cut)
    grp = rng.choice(3, size=P, p=_MOVE_GROUPS_P)
    rate = _MOVE_RATES[grp] * np.where(age0 >= 12, 1.5, 1.0) * np.where(uasc, 0.8, 1.0)
    rate = np.where(np.isin(out, [EMERG, REMAND]) | per["short"], 0.0, rate)
    span = np.maximum(cut - 1, 0).astype(float)
    k = rng.poisson(rate * span)
    r_pid = np.repeat(pid_all, k)
    r_t = 1 + np.floor(rng.random(r_pid.size) * span[r_pid]).astype(np.int64)

    em = ((D > 45) & ~per["short"] & ~np.isin(out, [EMERG, REMAND]) & (rng.random(P) < 0.33)
          & (cut > 3))
    e_pid = pid_all[em]
    e_t = _uniform_int(rng, 2, np.minimum(60, cut[em] - 1))
    bc = (per["t_c"] > 0) & (per["t_c"] < cut) & (rng.random(P) < 0.2)
    pa_new = (per["t_pa"] > 0) & ~per["pa_same"]
    pieces = [
        (pid_all, np.zeros(P, np.int64), 0),
        (r_pid, r_t, 1),
        (e_pid, e_t, 2),
        (pid_all[bc], per["t_c"][bc], 6),
        (pid_all[pa_new], per["t_pa"][pa_new], 3),
        (pid_all[per["t_home"] > 0], per["t_home"][per["t_home"] > 0], 4),
        (pid_all[per["t_sup"] > 0], per["t_sup"][per["t_sup"] > 0], 5),
    ]
    pl_pid = np.concatenate([p[0] for p in pieces])
    pl_t = np.concatenate([p[1] for p in pieces]).astype(np.int64)
    pl_kind = np.concatenate([np.full(len(p[0]), p[2]) for p in pieces])
    prio = np.array([9, 1, 2, 5, 8, 7, 6])[pl_kind]
    o = np.lexsort((-prio, pl_t, pl_pid))
    pl_pid, pl_t, pl_kind = pl_pid[o], pl_t[o], pl_kind[o]
    keep = np.ones(len(pl_pid), dtype=bool)
    keep[1:] = (pl_pid[1:] != pl_pid[:-1]) | (pl_t[1:] != pl_t[:-1])
    pl_pid, pl_t, pl_kind = pl_pid[keep], pl_t[keep], pl_kind[keep]
    pl_end = _next_in_group(pl_pid, pl_t, D[pl_pid])
    pl_last = _group_last(pl_pid)
    n_pl = len(pl_pid)

    age_at = age0[pl_pid] + pl_t / _YEAR
    cat = _pick_rows(rng, _CAT_P[np.digitize(age_at, [5, 10, 13, 16])])
    po = out[pl_pid]
    first = pl_kind == 0
    u = rng.random(n_pl)
    # special first placements
    m = first & (po == REMAND)
    cat[m] = np.where(u[m] < 0.5, RES, F_OTH)
    m = first & (po == EMERG)
    cat[m] = np.where(u[m] < 0.8, F_OTH, np.where(u[m] < 0.9, RES, OTH))
    m = first & per["short"][pl_pid]
    cat[m] = np.where(u[m] < 0.7, F_OTH, np.where(u[m] < 0.85, F_CON, RES))
    m = first & uasc[pl_pid]
    cat[m] = np.where(age_at[m] < 16, np.where(u[m] < 0.85, F_OTH, np.where(u[m] < 0.95, SUP, RES)),
                      np.where(u[m] < 0.45, F_OTH, np.where(u[m] < 0.95, SUP, RES)))
    cat[(cat == SUP) & (age_at < 16)] = F_OTH
    cat[(cat == PAR) & np.isin(po, [ADOPT, SGO, CAO])] = F_OTH
    cat[(cat == PAR) & uasc[pl_pid]] = F_OTH
    cat[pl_kind == 3] = ADP
    cat[pl_kind == 4] = PAR
    cat[pl_kind == 5] = SUP
    sgo = per["sgo_rec"][pl_pid]
    cat[pl_last & (sgo == "E45")] = F_CON
    cat[pl_last & (sgo == "E46")] = F_OTH
    same = pl_last & per["pa_same"][pl_pid]
    cat[same] = F_OTH
    date_at = S[pl_pid] + pl_t
    consent = per["consent"][pl_pid]
    place, prov = _place_codes(rng, cat, age_at, date_at, consent)
    place[same] = np.where(rng.random(same.sum()) < 0.6, "U5", "U6")
    urn = _urn(rng, place)
    # placement postcodes
    cdist = home_dist[per["cid"][pl_pid]]
    p_in = np.select([np.isin(cat, [F_CON, F_OTH]), cat == RES, cat == SUP, cat == ADP],
                     [0.80, 0.40, 0.70, 0.55], 0.5)
    in_county = rng.random(n_pl) < p_in
    same_d = rng.random(n_pl) < 0.6
    d_alt = rng.integers(0, _ND, n_pl)
    dist_pl = np.where(same_d, cdist, d_alt)
    outward = np.where(in_county, _district_outward(rng, dist_pl), _out_of_county_outward(rng, n_pl))
    pl_post = _postcodes(rng, outward)
    pl_post[cat == PAR] = home_post[per["cid"][pl_pid]][cat == PAR]
    pl_post[rng.random(n_pl) < 0.01] = ""
    reason = np.full(n_pl, "", dtype=object)
    reason[pl_kind == 1] = _pick(rng, _REASONS, _REASONS_P, (pl_kind == 1).sum())
    reason[pl_kind == 2] = _pick(rng, ["CARPL", "OTHER", "LAREQ", "CREQO"], [0.5, 0.2, 0.15, 0.15],
                                 (pl_kind == 2).sum())
    reason[np.isin(pl_kind, [3, 4, 5, 6])] = "CARPL"

    # ---- same-carer re-designations (RNE T): long-term fostering, adoption by the carers ----
    plen = pl_end - pl_t
    lt = np.isin(place, ["U3", "U6"]) & (plen >= 450) & ~same & (rng.random(n_pl) < 0.65)
    lt_t = pl_t[lt] + _uniform_int(rng, 240, np.minimum(540, plen[lt] - 60))
    lt_place = np.where(place[lt] == "U3", "U1", "U4").astype(object)
    sp_pid = pl_pid[same]
    sp_t = per["t_pa"][sp_pid]
    sp_place = np.where(consent[same], "A3", "A4").astype(object)
    seg_pid = np.concatenate([pl_pid, pl_pid[lt], sp_pid])
    seg_t = np.concatenate([pl_t, lt_t, sp_t])
    seg_new = np.concatenate([np.ones(n_pl, bool), np.zeros(lt.sum() + same.sum(), bool)])
    src = np.concatenate([np.arange(n_pl), np.nonzero(lt)[0], np.nonzero(same)[0]])
    seg_place = np.concatenate([place, lt_place, sp_place])
    o = np.lexsort((seg_t, seg_pid))
    seg_pid, seg_t, seg_new, src, seg_place = seg_pid[o], seg_t[o], seg_new[o], src[o], seg_place[o]
    seg_cat = cat[src]
    seg_cat = np.where(np.isin(seg_place, ["A3", "A4"]), ADP, seg_cat)

    # ---- legal status boundaries ----
    t_em, t_c, t_f = per["t_em"], per["t_c"], per["t_f"]
    m_em = t_em > 0
    m_c = (t_c > 0) & (t_c != t_em)
    m_f = per["court"] & (t_f > 0)
    lg_pid = np.concatenate([pid_all, pid_all[m_em], pid_all[m_c], pid_all[m_f]])
    lg_t = np.concatenate([np.zeros(P, np.int64), t_em[m_em], t_c[m_c], t_f[m_f]])
    lg_ls = np.concatenate([per["ls0"], per["ls_em"][m_em], np.full(m_c.sum(), "C2", object),
                            per["ls_f"][m_f]])
    o = np.lexsort((lg_t, lg_pid))
    lg_pid, lg_t, lg_ls = lg_pid[o], lg_t[o], lg_ls[o]

    # ---- episodes: the union of both sets of boundaries ----
    K = np.int64(100000)
    seg_key = seg_pid * K + seg_t
    lg_key = lg_pid * K + lg_t
    keys = np.unique(np.concatenate([seg_key, lg_key]))
    si = np.searchsorted(seg_key, keys, side="right") - 1
    li = np.searchsorted(lg_key, keys, side="right") - 1
    ep_pid = keys // K
    ep_t = keys % K
    s_start = seg_key[si] == keys
    l_start = lg_key[li] == keys
    newc = s_start & seg_new[si]
    rne = np.select([ep_t == 0, newc & l_start, newc, s_start & l_start, s_start],
                    ["S", "B", "P", "U", "T"], "L").astype(object)
    ep_place = seg_place[si]
    ep_cat = seg_cat[si]
    ep_prov = prov[src[si]]
    ep_post = pl_post[src[si]]
    ep_urn = urn[src[si]]
    ep_reason = np.where(np.isin(rne, ["P", "B"]), reason[src[si]], "").astype(object)
    ep_ls = lg_ls[li]
    ep_end = _next_in_group(ep_pid, ep_t, D[ep_pid])

    # ---- temporary episodes (T0-T4) inside longer foster/residential episodes ----
    elen = ep_end - ep_t
    tmp_ok = (np.isin(ep_place, ["U1", "U2", "U3", "U4", "U5", "U6", "K2", "R1"]) & (elen >= 60)
              & ~np.isin(out[ep_pid], [EMERG, REMAND]))
    tmp = tmp_ok & (rng.random(len(ep_t)) < np.minimum(0.5, 0.12 * elen / _YEAR))
    ti = np.nonzero(tmp)[0]
    tl = np.minimum(rng.geometric(0.25, ti.size), 21)
    ts = ep_t[ti] + _uniform_int(rng, 7, elen[ti] - tl - 10)
    nt = ti.size
    tcode = _pick(rng, ["T0", "T1", "T2", "T3", "T4"], [0.05, 0.25, 0.15, 0.25, 0.30], nt)
    tprov = np.select([tcode == "T1", tcode == "T2"], ["PR3", "PR1"],
                      _pick(rng, ["PR1", "PR4"], [0.7, 0.3], nt)).astype(object)

    def _cat(*arrs):
        return np.concatenate(arrs)

    base_end = ep_end.copy()
    base_end[ti] = ts
    ep = dict(
        pid=_cat(ep_pid, ep_pid[ti], ep_pid[ti]),
        t=_cat(ep_t, ts, ts + tl),
        end=_cat(base_end, ts + tl, ep_end[ti]),
        rne=_cat(rne, np.full(nt, "P", object), np.full(nt, "T", object)),
        ls=_cat(ep_ls, ep_ls[ti], ep_ls[ti]),
        place=_cat(ep_place, tcode, ep_place[ti]),
        cat=_cat(ep_cat, np.full(nt, -1), ep_cat[ti]),
        prov=_cat(ep_prov, tprov, ep_prov[ti]),
        post=_cat(ep_post, np.full(nt, "", object), ep_post[ti]),
        urn=_cat(ep_urn, np.full(nt, "", object), ep_urn[ti]),
        reason=_cat(ep_reason, _pick(rng, ["OTHER", "CARPL"], [0.6, 0.4], nt),
                    np.full(nt, "", object)),
    )
    o = np.lexsort((ep["t"], ep["pid"]))
    ep = {k: v[o] for k, v in ep.items()}

    # ---- reason each period ended ----
    last = _group_last(ep["pid"])
    fin_cat = np.full(P, -1)
    fin_cat[ep["pid"][last]] = ep["cat"][last]
    rec = _period_rec(rng, per, fin_cat, dob)
    ep_rec = np.where(last, rec[ep["pid"]], "X1").astype(object)
    decom = S[ep["pid"]] + ep["t"]
    dec = S[ep["pid"]] + ep["end"]
    keep = decom <= ctx.E
    openE = dec > ctx.E
    dec = np.where(openE, NA, dec)
    ep_rec = np.where(openE, "", ep_rec).astype(object)
    ep = {k: v[keep] for k, v in ep.items()}
    ep.update(decom=decom[keep], dec=dec[keep], rec=ep_rec[keep])
    # periods that exist by E get their observed end (NA while open)
    pend = S + D
    per["end_obs"] = np.where(pend > ctx.E, NA, pend)
    per["rec"] = np.where(pend > ctx.E, "", rec).astype(object)
    per["fin_cat"] = fin_cat
    return ep


def _period_rec(rng, per, fin_cat, dob):
    P = len(per["cid"])
    out = per["out"]
    rec = np.full(P, "E8", dtype=object)
    u = rng.random(P)
    rec[out == ADOPT] = np.where(u[out == ADOPT] < 0.6, "E11", "E12")
    m = out == SGO
    rec[m] = per["sgo_rec"][m]
    rec[out == CAO] = "E41"
    m = out == HOME
    rec[m] = np.where(per["short"][m],
                      np.where(u[m] < 0.55, "E4A", np.where(u[m] < 0.80, "E4B", "E13")),
                      np.where(u[m] < 0.70, "E4A", np.where(u[m] < 0.82, "E4B", "E13")))
    m = (out == LONG) & ~per["capped"]
    rec[m] = _pick(rng, ["E5", "E6", "E8", "E4B", "E13"], [0.30, 0.15, 0.30, 0.20, 0.05], m.sum())
    m = (out == OTHER) & ~per["uasc"]
    age_end = (per["S"] + per["D"] - dob[per["cid"]]) / _YEAR
    o = _pick(rng, ["E8", "E3", "E13", "E4B", "E16", "E2", "E9"],
              [0.36, 0.16, 0.18, 0.22, 0.04, 0.01, 0.03], m.sum())
    o[(o == "E9") & (age_end[m] < 12)] = "E8"
    rec[m] = o
    m = (out == OTHER) & per["uasc"]
    rec[m] = per["uasc_kind"][m]
    m = out == REMAND
    ls0 = per["ls0"]
    rec[m] = np.where(ls0[m] == "J1", np.where(u[m] < 0.7, "E14", "E9"),
                      np.where(u[m] < 0.5, "E8", "E4B"))
    m = out == EMERG
    rec[m] = np.where(u[m] < 0.5, "E4A", np.where(u[m] < 0.8, "E13", "E8"))
    # reaching 18
    m = per["capped"]
    n = int(m.sum())
    fc = fin_cat[m]
    r18 = np.select(
        [np.isin(fc, [F_CON, F_OTH]), fc == SUP, fc == RES, fc == PAR],
        [_pick(rng, ["E17", "E8", "E5", "E6"], [0.55, 0.25, 0.15, 0.05], n),
         _pick(rng, ["E5", "E6", "E8"], [0.55, 0.20, 0.25], n),
         _pick(rng, ["E8", "E5", "E7", "E17"], [0.40, 0.35, 0.10, 0.15], n),
         _pick(rng, ["E4A", "E13"], [0.6, 0.4], n)],
        _pick(rng, ["E8", "E5", "E6"], [0.5, 0.3, 0.2], n))
    rec[m] = r18
    return rec


# --------------------------------------------------------------------------------------------
# the whole county
# --------------------------------------------------------------------------------------------
def _frame(name: str, cols: dict) -> pd.DataFrame:
    # object columns: every value is already the text written to the CSV file
    return pd.DataFrame({c: np.asarray(cols[c], dtype=object) for c in TABLE_COLUMNS[name]},
                        dtype=object)


def _ids(rng, n: int):
    """n distinct 7-digit child identifiers: (numbers, strings with leading zeros kept)."""
    step = max(1, 9_999_000 // max(n, 1))
    perm = rng.permutation(n).astype(np.int64)
    v = 1000 + perm * step + rng.integers(0, step, n)
    return v, np.array([f"{x:07d}" for x in v.tolist()], dtype=object)


def _upn(rng, n: int) -> np.ndarray:
    digits = rng.integers(0, 10, (n, 12))
    digits[:, 0:3] = [8, 8, 8]
    chk = (digits * np.arange(2, 14)).sum(axis=1) % 23
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
    vals = (digits * (10 ** np.arange(11, -1, -1, dtype=np.int64))).sum(axis=1)
    return np.array([f"{a}{v:012d}" for a, v in zip(letters[chk].tolist(), vals.tolist())],
                    dtype=object)


def generate_tables(children: int = 2000, seed: int = 1,
                    period_end: str | None = None) -> dict[str, pd.DataFrame]:
    """All tables of the sample as DataFrames of strings (the CSV files' content)."""
    ctx = _Ctx(children, seed, period_end)
    E = ctx.E
    T: dict[str, pd.DataFrame] = {}

    # ---- district weights ----
    rate = _RATE_REL * 80.0 / float((_POP_SHARE * _RATE_REL).sum())
    p_cla = _POP_SHARE * rate
    p_cla /= p_cla.sum()
    p_cin = _POP_SHARE * rate ** 0.7
    p_cin /= p_cin.sum()

    # ---- children looked after ----
    per, dob, uasc = _select_children(ctx)
    nC = len(dob)
    rc = ctx.rng("children")
    sex = np.where(uasc, np.where(rc.random(nC) < 0.94, 1, 2), np.where(rc.random(nC) < 0.54, 1, 2))
    eth = np.where(uasc, _pick(rc, _ETHNIC, _ETHNIC_UASC_P, nC), _pick(rc, _ETHNIC, _ETHNIC_P, nC))
    # districts: exact shares among the children in care on E, random for the others
    cdist = rc.choice(_ND, size=nC, p=p_cla)
    in_e = np.zeros(nC, dtype=bool)
    in_e[per["cid"][(per["S"] <= E) & (per["S"] + per["D"] > E)]] = True
    ie = np.nonzero(in_e)[0]
    quota = np.floor(p_cla * ie.size).astype(np.int64)
    rest = ie.size - quota.sum()
    quota[np.argsort(-(p_cla * ie.size - quota), kind="stable")[:rest]] += 1
    cdist[ie] = rc.permutation(np.repeat(np.arange(_ND), quota))
    home_post = _postcodes(rc, _district_outward(rc, cdist))
    has_drow = rc.random(nC) < 0.90
    blank_hp = np.where(has_drow, rc.random(nC) < 0.025, rc.random(nC) < 0.01)
    home_post_ep = np.where(blank_hp, "", home_post).astype(object)

    # ---- short-break children (V3/V4 only) ----
    rb = ctx.rng("shortbreaks")
    nB = max(1, int(round(0.015 * ctx.children)))
    b_dob = (E - (rb.random(nB) * 12 + 5.5) * _YEAR).astype(np.int64)
    b_sex = np.where(rb.random(nB) < 0.65, 1, 2)
    b_eth = _pick(rb, _ETHNIC, _ETHNIC_P, nB)
    b_dist = rb.choice(_ND, size=nB, p=p_cla)
    b_post = _postcodes(rb, _district_outward(rb, b_dist))

    # ---- ids ----
    ep = _build_episodes(ctx, per, dob, cdist, home_post_ep)
    ri = ctx.rng("ids")
    # children in need / protection chains are generated below; ids are drawn at the end
    cin = _gen_cin(ctx, per, dob, cdist, uasc, p_cin)
    n_cin = cin["n_children"]
    all_num, all_ids = _ids(ri, nC + nB + n_cin)
    cla_id, b_id, cin_id = all_ids[:nC], all_ids[nC:nC + nB], all_ids[nC + nB:]
    # internal order = identifier order, so tables sorted internally are sorted by CHILD
    cla_num, b_num, cin_num = all_num[:nC], all_num[nC:nC + nB], all_num[nC + nB:]
    o = np.argsort(cla_num, kind="stable")
    cla_num, cla_id = cla_num[o], cla_id[o]
    o = np.argsort(cin_num, kind="stable")
    cin_num, cin_id = cin_num[o], cin_id[o]

    # ---- episodes table ----
    ecid = per["cid"][ep["pid"]]
    epi = {
        "CHILD": cla_id[ecid], "DECOM": _fmt(ep["decom"]), "RNE": ep["rne"], "LS": ep["ls"],
        "CIN": per["cin"][ep["pid"]], "PLACE": ep["place"], "PLACE_PROVIDER": ep["prov"],
        "DEC": _fmt(ep["dec"]), "REC": ep["rec"], "REASON_PLACE_CHANGE": ep["reason"],
        "HOME_POST": home_post_ep[ecid], "PL_POST": ep["post"], "URN": ep["urn"],
    }
    sb = _short_breaks(ctx, rb, b_dob, b_post)
    sbe = {
        "CHILD": b_id[sb["child"]], "DECOM": _fmt(sb["decom"]), "RNE": np.full(sb["n"], "S", object),
        "LS": sb["ls"], "CIN": np.full(sb["n"], "N2", object), "PLACE": sb["place"],
        "PLACE_PROVIDER": sb["prov"], "DEC": _fmt(sb["dec"]), "REC": sb["rec"],
        "REASON_PLACE_CHANGE": np.full(sb["n"], "", object), "HOME_POST": b_post[sb["child"]],
        "PL_POST": sb["post"], "URN": sb["urn"],
    }
    episodes = pd.concat([_frame("episodes", epi), _frame("episodes", sbe)], ignore_index=True)
    order = np.lexsort((np.concatenate([ep["decom"], sb["decom"]]),
                        np.concatenate([cla_num[ecid], b_num[sb["child"]]])))
    T["episodes"] = episodes.iloc[order].reset_index(drop=True)

    # ---- header ----
    age_E = (E - dob) / _YEAR
    upn = _upn(rc, nC)
    un = np.where(uasc & (rc.random(nC) < 0.35), "UN5",
                  np.where(age_E < 4.5, "UN1", np.where(rc.random(nC) < 0.02, "UN2", "")))
    upn = np.where(un != "", un, upn).astype(object)
    fem12 = (sex == 2) & (age_E >= 13)
    mu = rc.random(nC)
    mother = np.where(fem12 & (mu < 0.025), "1", np.where(fem12 & (mu < 0.35), "0", "")).astype(object)
    mc_dob = np.where(mother == "1", E - rc.integers(30, 900, nC), NA)
    mc_dob = np.where(mc_dob < dob + int(13 * _YEAR), NA, mc_dob)
    mother = np.where((mother == "1") & (mc_dob == NA), "0", mother).astype(object)
    b_upn = _upn(rb, nB)
    hdr = pd.concat([
        _frame("header", {"CHILD": cla_id, "SEX": sex.astype(str).astype(object), "DOB": _fmt(dob),
                          "ETHNIC": eth, "UPN": upn, "MOTHER": mother, "MC_DOB": _fmt(mc_dob)}),
        _frame("header", {"CHILD": b_id, "SEX": b_sex.astype(str).astype(object),
                          "DOB": _fmt(b_dob), "ETHNIC": b_eth, "UPN": b_upn,
                          "MOTHER": np.full(nB, "", object), "MC_DOB": np.full(nB, "", object)}),
    ], ignore_index=True)
    T["header"] = hdr.sort_values("CHILD", kind="stable").reset_index(drop=True)

    dob_s = _fmt(dob)
    T.update(_cla_extras(ctx, per, dob, uasc, sex, cla_id, dob_s))
    sw = _sw_episodes(ctx, per, dob)

    # ---- local tables ----
    T.update(_local_cla(ctx, per, dob, cla_id))

    # ---- children in need, protection, workers ----
    def cin_child(is_cla, idx):
        idx = np.maximum(idx, 0)
        return (np.where(is_cla, cla_id[idx % max(nC, 1)], cin_id[idx % max(n_cin, 1)]),
                np.where(is_cla, cla_num[idx % max(nC, 1)], cin_num[idx % max(n_cin, 1)]))

    c, k = cin_child(cin["ref_cla"], cin["ref_child"])
    o = np.lexsort((cin["ref_date"], k))
    T["referrals"] = _frame("referrals", {"CHILD": c[o], "REFERRAL_DATE": _fmt(cin["ref_date"][o])})
    c, k = cin_child(cin["as_cla"], cin["as_child"])
    o = np.lexsort((cin["as_start"], k))
    T["assessments"] = _frame("assessments", {
        "CHILD": c[o], "ASSESSMENT_START": _fmt(cin["as_start"][o]),
        "ASSESSMENT_AUTHORISED": _fmt(cin["as_auth"][o])})
    c, k = cin_child(cin["cp_cla"], cin["cp_child"])
    o = np.lexsort((cin["cp_start"], k))
    T["cp_plans"] = _frame("cp_plans", {
        "CHILD": c[o], "CPP_START": _fmt(cin["cp_start"][o]), "CPP_END": _fmt(cin["cp_end"][o]),
        "CATEGORY": cin["cp_cat"][o]})

    workers, alloc = _workforce(ctx, per, sw, cin, cdist, cla_id, cin_id, cla_num, cin_num)
    T["workers"] = workers
    T["allocations"] = alloc
    T["sw_episodes"] = _frame("sw_episodes", {
        "CHILD": cla_id[sw["child"]], "DOB": dob_s[sw["child"]], "SW_ID": sw["sw_id"],
        "SW_DECOM": _fmt(sw["start"]), "SW_DEC": _fmt(sw["end"]), "SW_REASON": sw["reason"]})

    # ---- geography ----
    dist_rows_cla = np.nonzero(has_drow)[0]
    b_has = rb.random(nB) < 0.9
    T["districts"] = pd.concat([
        _frame("districts", {"CHILD": cla_id[dist_rows_cla], "DISTRICT": _DNAMES[cdist[dist_rows_cla]]}),
        _frame("districts", {"CHILD": b_id[b_has], "DISTRICT": _DNAMES[b_dist[b_has]]}),
        _frame("districts", {"CHILD": cin_id, "DISTRICT": _DNAMES[cin["child_dist"]]}),
    ], ignore_index=True).sort_values("CHILD", kind="stable").reset_index(drop=True)
    oc = np.arange(1, 3 * _ND + 1)
    T["postcode_districts"] = _frame("postcode_districts", {
        "OUTWARD_CODE": np.char.add("NS", oc.astype(str)).astype(object),
        "DISTRICT": _DNAMES[(oc - 1) // 3]})
    T["areas"] = _frame("areas", {"DISTRICT": _DNAMES,
                                  "AREA": np.array([d[1] for d in _DISTRICTS], dtype=object)})
    T["population"] = _population(ctx)

    return {name: T[name] for name in TABLE_COLUMNS}


def _population(ctx: _Ctx) -> pd.DataFrame:
    r = ctx.rng("population")
    yE = int(_year_of(ctx.E))
    years = np.arange(yE - 7, yE + 1)
    growth = 0.002 + r.random(_ND) * 0.006
    base = ctx.pop_E * _POP_SHARE
    rows_g, rows_y, rows_p = [], [], []
    for i in range(_ND):
        p = base[i] * (1 + growth[i]) ** (years - yE)
        p = np.round(p * (1 + r.normal(0, 0.001, len(years)))).astype(np.int64)
        rows_g += [_DNAMES[i]] * len(years)
        rows_y += years.tolist()
        rows_p += p.tolist()
    return _frame("population", {"GEOGRAPHY": np.array(rows_g, dtype=object),
                                 "YEAR": np.array(rows_y).astype(str).astype(object),
                                 "POPULATION_0_17": np.array(rows_p).astype(str).astype(object)})


def _short_breaks(ctx: _Ctx, rng, b_dob, b_post):
    """Series of short breaks (V3 stays, V4 yearly agreements) for children not otherwise in care."""
    nB = len(b_dob)
    v4 = rng.random(nB) < 0.5
    start = np.maximum(ctx.W0, b_dob + int(5 * _YEAR)) + rng.integers(0, 900, nB)
    stop = np.minimum(ctx.E + 1, _add_months(b_dob, 216))
    # V4: agreements of about a year
    c4, d4 = _renewal(np.where(v4, start, stop), stop,
                      lambda i, c: _add_months(c, 12) - c + rng.integers(0, 15, i.size))
    e4 = np.minimum(_add_months(d4, 12) - 1, stop[c4] - 1)  # next agreement starts later
    # V3: individual stays of 1-4 nights every few weeks
    c3, d3 = _renewal(np.where(~v4, start, stop), stop,
                      lambda i, c: rng.integers(14, 50, i.size))
    e3 = d3 + rng.integers(1, 5, d3.size)
    child = np.concatenate([c4, c3])
    decom = np.concatenate([d4, d3])
    dec = np.concatenate([e4, e3])
    ls = np.concatenate([np.full(c4.size, "V4", object), np.full(c3.size, "V3", object)])
    keep = (decom <= ctx.E) & (dec > decom)
    child, decom, dec, ls = child[keep], decom[keep], dec[keep], ls[keep]
    n = child.size
    rec = _pick(rng, ["E13", "E4A", "E8"], [0.5, 0.3, 0.2], n)
    openE = dec > ctx.E
    dec = np.where(openE, NA, dec)
    rec = np.where(openE, "", rec).astype(object)
    kind = rng.random(nB)
    place_child = np.where(kind < 0.5, "K2", np.where(kind < 0.8, "U6", "R1")).astype(object)
    place = place_child[child]
    prov = np.where(place == "U6", "PR1", "PR4").astype(object)
    urn_child = np.char.add("SC", rng.integers(100000, 1000000, nB).astype(str)).astype(object)
    urn = np.where(place == "U6", "", urn_child[child]).astype(object)
    post_child = _postcodes(rng, _district_outward(rng, rng.integers(0, _ND, nB)))
    return dict(n=n, child=child, decom=decom, dec=dec, ls=ls, rec=rec, place=place, prov=prov,
                urn=urn, post=post_child[child])


# --------------------------------------------------------------------------------------------
# SSDA903 extras: reviews, uasc, oc2, oc3, adoption, previous permanence, missing
# --------------------------------------------------------------------------------------------
def _cla_extras(ctx: _Ctx, per, dob, uasc, sex, cla_id, dob_s):
    r = ctx.rng("extras")
    E, H0 = ctx.E, ctx.H0
    T = {}
    P = len(per["cid"])
    S, D = per["S"], per["D"]
    endc = np.minimum(S + D, E + 1)           # exclusive end, clipped after E
    cid = per["cid"]

    # ---- reviews ----
    late1 = r.random(P) < 0.06
    k = np.where(late1, r.integers(21, 40, P), r.integers(8, 21, P))
    rv_d = [ctx.wd_add(S, k)]
    rv_p = [np.arange(P)]
    cur_p = np.arange(P)
    cur = rv_d[0]
    step = 0
    while True:
        ok = cur < endc[cur_p]
        if step == 0:
            rv_d[0] = cur[ok]
            rv_p[0] = cur_p[ok]
        cur_p, cur = cur_p[ok], cur[ok]
        if cur_p.size == 0:
            break
        due = _add_months(cur, 3 if step == 0 else 6)
        late = r.random(cur_p.size) < 0.035
        nxt = np.where(late, due + r.integers(1, 40, cur_p.size),
                       due - np.minimum(r.integers(0, 25, cur_p.size), due - cur - 1))
        ok = nxt < endc[cur_p]
        cur_p, cur = cur_p[ok], nxt[ok]
        rv_d.append(cur)
        rv_p.append(cur_p)
        step += 1
    rp = np.concatenate(rv_p)
    rd = np.concatenate(rv_d)
    rch = cid[rp]
    age_r = (rd - dob[rch]) / _YEAR
    code = _pick(r, ["PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"],
                 [0.50, 0.05, 0.10, 0.08, 0.13, 0.09, 0.05], rd.size)
    code[age_r < 4] = "PN0"
    o = np.lexsort((rd, rch))
    T["reviews"] = _frame("reviews", {"CHILD": cla_id[rch[o]], "DOB": dob_s[rch[o]],
                                      "REVIEW": _fmt(rd[o]), "REVIEW_CODE": code[o]})

    # ---- uasc ----
    ui = np.nonzero(uasc)[0]
    T["uasc"] = _frame("uasc", {"CHILD": cla_id[ui], "SEX": sex[ui].astype(str).astype(object),
                                "DOB": dob_s[ui], "DUC": _fmt(_add_months(dob[ui], 216))})

    # ---- oc2: children with a period of 12 months or more (to E) ----
    long12 = (np.minimum(S + D, E) - S) >= 365
    oc = np.unique(cid[long12 & (np.minimum(S + D, E) > H0)])
    n = oc.size
    ref = np.zeros(len(dob), dtype=np.int64)   # the end of the child's last period (or E)
    np.maximum.at(ref, cid, np.minimum(S + D, E))
    age = (ref[oc] - dob[oc]) / _YEAR
    sdq_age = (age >= 4) & (age < 17)
    has_sdq = sdq_age & (r.random(n) < 0.76)
    score = np.clip(np.round(r.gamma(4.0, 14.5 / 4.0, n)), 0, 40).astype(np.int64)
    sdq = np.where(has_sdq, score.astype(str), "").astype(object)
    sdq_reason = np.where(has_sdq, "", np.where(~sdq_age, "SDQ1",
                          _pick(r, ["SDQ2", "SDQ3", "SDQ4", "SDQ5"], [0.2, 0.25, 0.3, 0.25], n)))
    b = lambda p: np.where(r.random(n) < p, "1", "0").astype(object)  # noqa: E731
    conv = np.where(age >= 10, b(0.03), "0").astype(object)
    subst = np.where(age >= 10, b(0.045), "0").astype(object)
    recv = np.where(subst == "1", b(0.45), "").astype(object)
    offr = np.where(subst == "1", b(0.8), "").astype(object)
    T["oc2"] = _frame("oc2", {
        "CHILD": cla_id[oc], "DOB": dob_s[oc], "SDQ_SCORE": sdq, "SDQ_REASON": sdq_reason,
        "CONVICTED": conv, "HEALTH_CHECK": b(0.90), "IMMUNISATIONS": b(0.85),
        "TEETH_CHECK": np.where(age >= 1, b(0.80), b(0.5)), "HEALTH_ASSESSMENT": b(0.88),
        "SUBSTANCE_MISUSE": subst, "INTERVENTION_RECEIVED": recv, "INTERVENTION_OFFERED": offr})

    # ---- oc3: care leavers aged 17-21 on E ----
    nC = len(dob)
    b14 = _add_months(dob, 168)
    b16 = _add_months(dob, 192)
    after14 = np.maximum(0, np.minimum(S + D, E) - np.maximum(S, b14[cid]))
    t14 = np.zeros(nC, dtype=np.int64)
    np.add.at(t14, cid, after14)
    at16 = np.zeros(nC, dtype=bool)
    at16[cid[(S + D) > b16[cid]]] = True
    in_care_E = np.zeros(nC, dtype=bool)
    in_care_E[cid[(S <= E) & (S + D > E)]] = True
    last_rec = np.full(nC, "", dtype=object)
    lst = _group_last(cid)
    last_rec[cid[lst]] = per["rec"][lst]
    perm = np.isin(last_rec, ["E11", "E12", "E41", "E45", "E46", "E47", "E48"])
    ageE = (E - dob) / _YEAR
    leaver = (t14 >= 91) & at16 & ~in_care_E & ~perm & (ageE >= 17) & (ageE < 22)
    li = np.nonzero(leaver)[0]
    n = li.size
    intouch = _pick(r, ["YES", "NO", "REFU", "NREQ", "DIED", "RHOM"],
                    [0.905, 0.035, 0.015, 0.035, 0.003, 0.007], n)
    young = ageE[li] < 19
    eet_p = np.where(young, 0.68, 0.58)
    eet = r.random(n) < eet_p
    activ = np.where(eet, _pick(r, ["F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5"],
                                [0.10, 0.02, 0.40, 0.05, 0.22, 0.08, 0.05, 0.02, 0.04, 0.02], n),
                     _pick(r, ["G4", "G5", "G6"], [0.2, 0.65, 0.15], n)).astype(object)
    letter = _pick(r, list("BCDEKTUVWYZGSX"),
                   [16, 3, 15, 8, 5, 3, 30, 1, 1, 4, 12, 0.5, 1, 1], n)
    digit = np.where(r.random(n) < 0.965, "1", "2").astype(object)
    digit[np.isin(letter, ["S", "X"])] = "2"
    digit[np.isin(letter, ["V", "W"]) & (r.random(n) < 0.7)] = "2"
    accom = (letter + digit).astype(object)
    # not known (0) only when the authority is not in touch (DfE rule 345: never with YES);
    # blank when the young person has died or returned home (DfE rule 344)
    nk = np.isin(intouch, ["NO", "REFU"]) | ((intouch == "NREQ") & (r.random(n) < 0.5))
    activ[nk] = "0"
    accom[nk] = "0"
    gone = np.isin(intouch, ["DIED", "RHOM"])
    activ[gone] = ""
    accom[gone] = ""
    T["oc3"] = _frame("oc3", {"CHILD": cla_id[li], "DOB": dob_s[li], "IN_TOUCH": intouch,
                              "ACTIV": activ, "ACCOM": accom})

    # ---- adoption tables ----
    out = per["out"]
    adp = (out == ADOPT) & (per["t_pa"] > 0) & (S + per["t_pa"] <= E)
    ai = np.nonzero(adp)[0]
    n = ai.size
    t_f = np.where(per["t_f"][ai] > 0, per["t_f"][ai], per["t_pa"][ai] - 100)
    date_int = S[ai] + np.maximum(1, t_f - r.integers(20, 120, n))
    date_match = np.maximum(date_int + 1, S[ai] + per["t_pa"][ai] - r.integers(7, 60, n))
    couple = r.random(n) < 0.84
    sexa = np.where(couple, _pick(r, ["MF", "MM", "FF"], [0.86, 0.07, 0.07], n),
                    _pick(r, ["F1", "M1"], [0.85, 0.15], n)).astype(object)
    lsa = np.where(couple, _pick(r, ["L11", "L12", "L2"], [0.72, 0.06, 0.22], n), "L0").astype(object)
    ac = cid[ai]
    T["ad1"] = _frame("ad1", {"CHILD": cla_id[ac], "DOB": dob_s[ac], "DATE_INT": _fmt(date_int),
                              "DATE_MATCH": _fmt(date_match),
                              "FOSTER_CARE": np.where(per["pa_same"][ai], "1", "0").astype(object),
                              "NB_ADOPTR": np.where(couple, "2", "1").astype(object),
                              "SEX_ADOPTR": sexa, "LS_ADOPTR": lsa})
    # decisions that the child should be placed for adoption, some later reversed
    rev = (np.isin(out, [SGO, LONG]) & (per["age0"] < 5) & per["court"] & (per["t_f"] > 0)
           & (r.random(P) < 0.2))
    rev_dec = S + np.maximum(1, per["t_f"] - r.integers(20, 120, P))
    rev_end = rev_dec + r.integers(90, 400, P)
    rev &= (rev_end < np.minimum(S + D, E)) & (rev_dec <= E)
    ri = np.nonzero(rev)[0]
    pc = np.concatenate([ac, cid[ri]])
    T["placed_for_adoption"] = _frame("placed_for_adoption", {
        "CHILD": cla_id[pc], "DOB": dob_s[pc],
        "DATE_PLACED": _fmt(np.concatenate([date_int, rev_dec[ri]])),
        "DATE_PLACED_CEASED": _fmt(np.concatenate([np.full(n, NA), rev_end[ri]])),
        "REASON_PLACED_CEASED": np.concatenate([np.full(n, "", object),
                                                _pick(r, ["RD1", "RD2", "RD3", "RD4"],
                                                      [0.3, 0.25, 0.25, 0.2], ri.size)])})
    o = np.lexsort((np.concatenate([date_int, rev_dec[ri]]), pc))
    T["placed_for_adoption"] = T["placed_for_adoption"].iloc[o].reset_index(drop=True)

    # ---- previous permanence: one row per child ----
    pp = _pick(r, ["Z1", "P1", "P2", "P3", "P4"], [0.90, 0.01, 0.045, 0.02, 0.025], nC)
    pp[uasc] = "Z1"
    has = np.isin(pp, ["P1", "P2", "P3"])
    first_S = np.full(nC, E, dtype=np.int64)
    np.minimum.at(first_S, cid, S)
    dperm = first_S - (r.random(nC) * np.maximum(30, first_S - dob - 60)).astype(np.int64) - 1
    dperm = np.maximum(dperm, dob + 30)
    ds = _fmt(np.where(has, dperm, NA))
    partial = has & (r.random(nC) < 0.15)
    ds = np.where(partial, np.char.add("zz", np.array([x[2:] for x in ds.tolist()], dtype=str)),
                  ds).astype(object)
    la = np.where(has, np.where(r.random(nC) < 0.7, str(LA_CODE),
                                r.integers(201, 940, nC).astype(str)), "").astype(object)
    T["previous_permanence"] = _frame("previous_permanence", {
        "CHILD": cla_id, "DOB": dob_s, "PREV_PERM": pp, "LA_PERM": la, "DATE_PERM": ds})

    # ---- missing and away from placement ----
    lo = np.maximum(S, np.maximum(ctx.W0, _add_months(dob[cid], 120)))
    hi = np.minimum(S + D, E + 1)
    span = np.maximum(hi - lo, 0)
    age_mid = ((lo + hi) / 2 - dob[cid]) / _YEAR
    prone_p = np.where(age_mid >= 12, 0.30, 0.08)
    prone = (r.random(P) < prone_p) & (span > 0)
    lam = np.where(prone, r.gamma(0.8, 5.0 / 0.8, P), 0.0) / _YEAR
    k = r.poisson(lam * span)
    mp = np.repeat(np.arange(P), k)
    ms = lo[mp] + np.floor(r.random(mp.size) * span[mp]).astype(np.int64)
    o = np.lexsort((ms, mp))
    mp, ms = mp[o], ms[o]
    keep = np.ones(mp.size, dtype=bool)
    keep[1:] = (mp[1:] != mp[:-1]) | (ms[1:] != ms[:-1])
    mp, ms = mp[keep], ms[keep]
    n = mp.size
    mtype = np.where(r.random(n) < 0.8, "M", "A").astype(object)
    u = r.random(n)
    dur = np.where(u < 0.55, r.integers(0, 2, n), np.where(u < 0.88, r.integers(2, 4, n),
                                                             r.integers(4, 31, n)))
    mend = ms + dur
    nxt = _next_in_group(mp, ms, np.full(n, 10 ** 9, dtype=np.int64))
    mend = np.minimum(mend, nxt)
    mend = np.minimum(mend, (S + D)[mp])
    mend = np.where(mend > E, NA, mend)
    v = r.random(n)
    rhi = np.where(v < 0.72, mend + r.integers(0, 4, n),
                   np.where(v < 0.86, mend + r.integers(4, 21, n), NA))
    rhi = np.where((mend == NA) | (rhi > E), NA, rhi)
    mc = cid[mp]
    T["missing"] = _frame("missing", {"CHILD": cla_id[mc], "DOB": dob_s[mc], "MISSING": mtype,
                                      "MIS_START": _fmt(ms), "MIS_END": _fmt(mend),
                                      "RHI_DATE": _fmt(rhi)})
    return T


# --------------------------------------------------------------------------------------------
# social workers of children looked after (also their allocations)
# --------------------------------------------------------------------------------------------
def _sw_episodes(ctx: _Ctx, per, dob):
    r = ctx.rng("social_workers")
    E = ctx.E
    S, D, cid = per["S"], per["D"], per["cid"]
    P = len(S)
    end = S + D
    hi = np.minimum(end, E + 1)
    early = (r.random(P) < 0.5)
    et = S + r.integers(14, 121, P)
    early &= et < hi
    rate = r.gamma(2.0, 0.5, P) / _YEAR
    span = np.maximum(hi - S - 1, 0)
    k = r.poisson(rate * span)
    rp = np.repeat(np.arange(P), k)
    rt = S[rp] + 1 + np.floor(r.random(rp.size) * span[rp]).astype(np.int64)
    p = np.concatenate([np.arange(P), np.nonzero(early)[0], rp])
    t = np.concatenate([S, et[early], rt])
    kind = np.concatenate([np.zeros(P, int), np.ones(early.sum(), int), np.full(rp.size, 2)])
    o = np.lexsort((t, p))
    p, t, kind = p[o], t[o], kind[o]
    keep = np.ones(p.size, dtype=bool)
    keep[1:] = (p[1:] != p[:-1]) | (t[1:] != t[:-1])
    p, t, kind = p[keep], t[keep], kind[keep]
    e = _next_in_group(p, t, end[p])
    e = np.where(e > E, NA, e)
    reason = np.where(kind == 0, "OTHERS", np.where(kind == 1, "TSPROC", _pick(
        r, ["MANAGE", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "FCONTA", "OTHERS"],
        [0.25, 0.27, 0.10, 0.10, 0.09, 0.03, 0.03, 0.03, 0.10], p.size))).astype(object)
    return dict(period=p, child=cid[p], start=t, end=e, reason=reason, team="cla")


# --------------------------------------------------------------------------------------------
# children in need: referrals, assessments, child protection plans
# --------------------------------------------------------------------------------------------
def _gen_cin(ctx: _Ctx, per, dob, cdist, uasc, p_cin):
    r = ctx.rng("children_in_need")
    E, H0 = ctx.E, ctx.H0
    pop = ctx.pop_E
    ref_from = ctx.W0
    S, cid = per["S"], per["cid"]

    # ---- CLA-linked: referrals and protection plans before coming into care ----
    win = (S >= ref_from) & ~per["uasc"] & (per["S"] <= E)
    u = r.random(len(S))
    cp_link = win & (u < 0.25)
    ref_link = win & (u >= 0.25) & (u < 0.65)
    lp = np.nonzero(cp_link)[0]
    l_cp_end = S[lp]
    l_cp_start = l_cp_end - np.maximum(30, _lognorm(r, 170, 0.6, lp.size)).astype(np.int64)
    l_cp_start = np.maximum(l_cp_start, dob[cid[lp]] - 90)
    # never before the end of the child's previous period of care (plans do not overlap)
    prev_end = np.full(len(S), NA, dtype=np.int64)
    same = np.zeros(len(S), dtype=bool)
    same[1:] = cid[1:] == cid[:-1]
    prev_end[1:] = np.where(same[1:], (S + per["D"])[:-1], NA)
    floor = np.where(prev_end[lp] == NA, NA, prev_end[lp] + 30)
    l_cp_start = np.maximum(l_cp_start, floor)
    ok = l_cp_start < l_cp_end - 14
    lp, l_cp_start, l_cp_end = lp[ok], l_cp_start[ok], l_cp_end[ok]
    l_ref_cp = l_cp_start - r.integers(15, 50, lp.size)
    rp = np.nonzero(ref_link)[0]
    l_ref = S[rp] - r.integers(0, 40, rp.size)

    # ---- independent protection chains (thinned to ~45 per 10,000 open on E) ----
    cp_from = H0 - int(6 * _YEAR)
    linked_open = 0
    target = max(0, int(round(0.0045 * pop)) - linked_open)
    n_try = int(0.0055 * pop * (E - cp_from) / _YEAR * 0.8) + 20
    c_child, c_start, c_end = _chains(r, n_try, cp_from, E, q=0.30,
                                      dur=lambda n: np.maximum(21, _lognorm(r, 220, 0.65, n)),
                                      gap=lambda n: np.maximum(60, _lognorm(r, 650, 0.8, n)))
    open_e = (c_start <= E) & (c_end > E)
    n_open = int(np.unique(c_child[open_e]).size)
    f = min(1.0, target / max(n_open, 1))
    nch = int(c_child.max()) + 1 if c_child.size else 0
    keep_child = r.random(nch) < f
    k = keep_child[c_child]
    c_child, c_start, c_end = c_child[k], c_start[k], c_end[k]
    _, c_child = np.unique(c_child, return_inverse=True)
    n_cp_children = int(c_child.max()) + 1 if c_child.size else 0
    c_ref = c_start - r.integers(15, 50, c_child.size)

    # ---- children-in-need referral chains ----
    refs_per_year = 0.052 * pop
    cla_refs = (lp.size + rp.size) / max(1.0, (E - ref_from) / _YEAR)
    cp_refs = c_child.size / max(1.0, (E - cp_from) / _YEAR)
    q = 0.40
    chains_per_year = max(0.0, refs_per_year - cla_refs - cp_refs) * (1 - q)
    ch_from = ref_from - int(2 * _YEAR)
    n_chain = int(chains_per_year * (E - ch_from) / _YEAR)
    first = ch_from + np.floor(r.random(n_chain) * (E - ch_from + 1)).astype(np.int64)
    ch = [np.arange(n_chain)]
    dt = [first]
    cur_c, cur_d = np.arange(n_chain), first
    while cur_c.size:
        go = r.random(cur_c.size) < q
        gap = np.where(r.random(cur_c.size) < 0.62, r.integers(20, 366, cur_c.size),
                       r.integers(366, 1500, cur_c.size))
        nd = cur_d + gap
        go &= nd <= E
        cur_c, cur_d = cur_c[go], nd[go]
        ch.append(cur_c)
        dt.append(cur_d)
    n_ref_child = np.concatenate(ch)
    n_ref_date = np.concatenate(dt)
    o = np.lexsort((n_ref_date, n_ref_child))
    n_ref_child, n_ref_date = n_ref_child[o], n_ref_date[o]

    # ids: CIN-only children are numbered 0..n_chain-1 (referral chains), then CP chains
    cp_child_id = n_chain + c_child
    n_children = n_chain + n_cp_children
    child_dist = r.choice(_ND, size=n_children, p=p_cin)

    # ---- assessments ----
    # chain referrals: 88% assessed; assessments of CLA and CP referrals too
    def assess(ref, pre_auth=None):
        n = ref.size
        st = ref + r.integers(0, 4, n)
        wd = np.where(r.random(n) < 0.86, r.integers(6, 46, n), r.integers(46, 100, n))
        au = ctx.wd_add(st, wd)
        if pre_auth is not None:
            au = np.minimum(au, pre_auth)
            au = np.maximum(au, st + 1)
        return st, au

    assessed = r.random(n_ref_date.size) < 0.88
    a1s, a1a = assess(n_ref_date[assessed])
    a2s, a2a = assess(c_ref, c_start - 1)
    a3s, a3a = assess(l_ref_cp, l_cp_start - 1)
    a4s, a4a = assess(l_ref)

    ref_child = np.concatenate([n_ref_child, cp_child_id, cid[lp], cid[rp]])
    ref_cla = np.concatenate([np.zeros(n_ref_child.size + cp_child_id.size, bool),
                              np.ones(lp.size + rp.size, bool)])
    ref_date = np.concatenate([n_ref_date, c_ref, l_ref_cp, l_ref])
    as_child = np.concatenate([n_ref_child[assessed], cp_child_id, cid[lp], cid[rp]])
    as_cla = np.concatenate([np.zeros(assessed.sum() + cp_child_id.size, bool),
                             np.ones(lp.size + rp.size, bool)])
    as_start = np.concatenate([a1s, a2s, a3s, a4s])
    as_auth = np.concatenate([a1a, a2a, a3a, a4a])
    cp_child = np.concatenate([cp_child_id, cid[lp]])
    cp_cla = np.concatenate([np.zeros(cp_child_id.size, bool), np.ones(lp.size, bool)])
    cp_start = np.concatenate([c_start, l_cp_start])
    cp_end = np.concatenate([c_end, l_cp_end])
    cp_cat = _pick(r, ["NEG", "EMO", "PHY", "SAB", "MUL"], [0.50, 0.36, 0.07, 0.03, 0.04],
                   cp_start.size)

    # keep what happened by E, inside the local history
    k = (ref_date <= E) & (ref_date >= ref_from)
    ref_child, ref_cla, ref_date = ref_child[k], ref_cla[k], ref_date[k]
    k = (as_start <= E) & (as_start >= ref_from)
    as_child, as_cla, as_start, as_auth = as_child[k], as_cla[k], as_start[k], as_auth[k]
    as_auth = np.where(as_auth > E, NA, as_auth)
    k = cp_start <= E
    cp_child, cp_cla, cp_start, cp_end, cp_cat = (cp_child[k], cp_cla[k], cp_start[k], cp_end[k],
                                                  cp_cat[k])
    cp_end = np.where(cp_end > E, NA, cp_end)

    # CIN allocations: from referral to assessment (plus a spell of CIN support for some);
    # protection: from referral to the end of the plan (plus step-down for some)
    cin_end = np.where(r.random(a1a.size) < 0.35, a1a + np.maximum(30, _lognorm(r, 150, 0.6, a1a.size)
                                                                    ).astype(np.int64), a1a)
    chain_child_assessed = n_ref_child[assessed]
    nxt = _next_in_group(chain_child_assessed, a1s, np.full(a1s.size, 10 ** 9, dtype=np.int64))
    cin_end = np.minimum(cin_end, nxt - 1)
    cin_start = n_ref_date[assessed]
    cpa_end = np.where(r.random(c_end.size) < 0.5,
                       c_end + np.maximum(30, _lognorm(r, 120, 0.6, c_end.size)).astype(np.int64),
                       c_end)
    nxt = _next_in_group(c_child, c_ref, np.full(c_ref.size, 10 ** 9, dtype=np.int64))
    cpa_end = np.minimum(cpa_end, nxt - 1)
    al_child = np.concatenate([chain_child_assessed, cp_child_id])
    al_start = np.concatenate([cin_start, c_ref])
    al_end = np.concatenate([cin_end, cpa_end])
    k = (al_start <= E) & (al_end > ref_from) & (al_end > al_start)
    return dict(n_children=n_children, child_dist=child_dist,
                ref_child=ref_child, ref_cla=ref_cla, ref_date=ref_date,
                as_child=as_child, as_cla=as_cla, as_start=as_start, as_auth=as_auth,
                cp_child=cp_child, cp_cla=cp_cla, cp_start=cp_start, cp_end=cp_end, cp_cat=cp_cat,
                al_child=al_child[k], al_start=al_start[k], al_end=al_end[k])


def _chains(r, n, t0, E, q, dur, gap):
    """Chains of spells (start, end) per child: a first spell, then repeats with probability q."""
    first = t0 + np.floor(r.random(n) * (E - t0 + 1)).astype(np.int64)
    cc, ss, ee = [], [], []
    cur_c, cur_s = np.arange(n), first
    while cur_c.size:
        e = cur_s + dur(cur_c.size).astype(np.int64)
        cc.append(cur_c)
        ss.append(cur_s)
        ee.append(e)
        go = r.random(cur_c.size) < q
        ns = e + gap(cur_c.size).astype(np.int64)
        go &= ns <= E
        cur_c, cur_s = cur_c[go], ns[go]
    c, s, e = np.concatenate(cc), np.concatenate(ss), np.concatenate(ee)
    o = np.lexsort((s, c))
    return c[o], s[o], e[o]


# --------------------------------------------------------------------------------------------
# workers and allocations
# --------------------------------------------------------------------------------------------
def _workforce(ctx: _Ctx, per, sw, cin, cdist, cla_id, cin_id, cla_num, cin_num):
    r = ctx.rng("workforce")
    E = ctx.E
    # allocations: children looked after (= social worker episodes) and children in need
    cla_d = cdist[sw["child"]]
    cin_d = cin["child_dist"][cin["al_child"]]
    rows_id, rows_team, rows_dist, rows_fte = [], [], [], []
    pools = {}
    wid = 0
    for kind, dist, st, en in (("Children in Care", cla_d, sw["start"], sw["end"]),
                               ("Safeguarding", cin_d, cin["al_start"],
                                np.where(cin["al_end"] > E, NA, cin["al_end"]))):
        open_e = (st <= E) & ((en == NA) | (en > E))
        counts = np.bincount(dist[open_e], minlength=_ND)
        for d in range(_ND):
            n_w = max(2, int(np.ceil(counts[d] / (17.0 * 0.93))))
            fte = np.where(r.random(n_w) < 0.80, 1.0, np.where(r.random(n_w) < 0.6, 0.8, 0.5))
            ids = [f"SW{wid + i + 1:05d}" for i in range(n_w)]
            wid += n_w
            pools[(kind, d)] = np.array(ids, dtype=object)
            rows_id += ids
            rows_team += [f"{_DNAMES[d]} {kind}"] * n_w
            rows_dist += [_DNAMES[d]] * n_w
            rows_fte += [f"{x:.1f}" for x in fte.tolist()]
    workers = _frame("workers", {"WORKER_ID": np.array(rows_id, dtype=object),
                                 "TEAM": np.array(rows_team, dtype=object),
                                 "DISTRICT": np.array(rows_dist, dtype=object),
                                 "FTE": np.array(rows_fte, dtype=object)})

    def assign(kind, dist, child):
        n = dist.size
        out = np.empty(n, dtype=object)
        draw = r.random(n)
        for d in range(_ND):
            m = dist == d
            pool = pools[(kind, d)]
            idx = np.minimum((draw[m] * len(pool)).astype(np.int64), len(pool) - 1)
            # a child's next worker is never the same as the one before
            if m.sum() > 1:
                cm = child[m]
                prev_same = np.zeros(idx.size, dtype=bool)
                prev_same[1:] = (cm[1:] == cm[:-1]) & (idx[1:] == idx[:-1])
                idx = np.where(prev_same, (idx + 1) % len(pool), idx)
            out[m] = pool[idx]
        return out

    sw["sw_id"] = assign("Children in Care", cla_d, sw["child"])
    cin_w = assign("Safeguarding", cin_d, cin["al_child"])
    alloc = pd.concat([
        _frame("allocations", {"CHILD": cla_id[sw["child"]], "WORKER_ID": sw["sw_id"],
                               "START": _fmt(sw["start"]), "END": _fmt(sw["end"])}),
        _frame("allocations", {"CHILD": cin_id[cin["al_child"]], "WORKER_ID": cin_w,
                               "START": _fmt(cin["al_start"]),
                               "END": _fmt(np.where(cin["al_end"] > E, NA, cin["al_end"]))}),
    ], ignore_index=True)
    st = np.concatenate([sw["start"], cin["al_start"]])
    o = np.lexsort((st, np.concatenate([cla_num[sw["child"]], cin_num[cin["al_child"]]])))
    return workers, alloc.iloc[o].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# local tables about children looked after: visits, health, dental, PEPs
# --------------------------------------------------------------------------------------------
def _local_cla(ctx: _Ctx, per, dob, cla_id):
    r = ctx.rng("local")
    E, W0 = ctx.E, ctx.W0
    S, D, cid = per["S"], per["D"], per["cid"]
    P = len(S)
    stop = np.minimum(S + D, E + 1)
    inwin = S >= W0
    T = {}

    # visits: within a week of the start, then every 4-6 weeks, some overdue
    p_od = r.beta(1.5, 8.0, P)
    first = np.where(inwin, S + r.integers(1, 8, P), W0 + r.integers(0, 42, P))
    vp, vd = _renewal(first, stop, lambda i, c: np.where(
        r.random(i.size) < p_od[i], r.integers(43, 100, i.size), r.integers(18, 43, i.size)))
    o = np.lexsort((vd, cid[vp]))
    T["visits"] = _frame("visits", {"CHILD": cla_id[cid[vp][o]], "VISIT_DATE": _fmt(vd[o])})

    # health assessments: IHA within 20 working days (often late), then reviews
    u = r.random(P)
    wd = np.where(u < 0.55, r.integers(3, 21, P), r.integers(21, 70, P))
    iha = ctx.wd_add(S, wd)
    has_iha = inwin & (u < 0.95) & (iha < stop)
    dobc = dob[cid]

    def rha_interval(i, c):
        under5 = (c - dobc[i]) < 5 * _YEAR
        late = r.random(i.size) < 0.28
        return np.where(under5, np.where(late, r.integers(183, 330, i.size), r.integers(140, 183, i.size)),
                        np.where(late, r.integers(366, 620, i.size), r.integers(270, 366, i.size)))

    base = np.where(has_iha, iha, np.where(inwin, S + r.integers(20, 90, P), W0 - r.integers(0, 300, P)))
    f_rha = base + rha_interval(np.arange(P), base)
    f_rha = np.maximum(f_rha, W0)
    f_rha = np.where(r.random(P) < 0.04, stop, f_rha)  # a few never have a review assessment
    hp, hd = _renewal(f_rha, stop, rha_interval)
    ch = np.concatenate([cid[has_iha], cid[hp]])
    cd = np.concatenate([iha[has_iha], hd])
    ty = np.concatenate([np.full(has_iha.sum(), "IHA", object), np.full(hp.size, "RHA", object)])
    o = np.lexsort((cd, ch))
    T["health_assessments"] = _frame("health_assessments", {
        "CHILD": cla_id[ch[o]], "ASSESSMENT_DATE": _fmt(cd[o]), "TYPE": ty[o]})

    # dental checks: from the first birthday, roughly yearly, often late
    never = r.random(P) < 0.05
    b1 = dobc + 366
    f_d = np.maximum(np.where(inwin, S + r.integers(20, 200, P), W0 + r.integers(0, 365, P)), b1)
    f_d = np.where(never, stop, f_d)
    dp, dd = _renewal(f_d, stop, lambda i, c: np.where(
        r.random(i.size) < 0.4, r.integers(366, 700, i.size), r.integers(150, 366, i.size)))
    o = np.lexsort((dd, cid[dp]))
    T["dental_checks"] = _frame("dental_checks", {"CHILD": cla_id[cid[dp][o]],
                                                  "CHECK_DATE": _fmt(dd[o])})

    # PEPs: termly for children of school age (3 to 17)
    never = r.random(P) < 0.03
    b3 = dobc + int(3.5 * _YEAR)
    b18 = dobc + int(18 * _YEAR)
    f_p = np.maximum(np.where(inwin, S + r.integers(10, 60, P), W0 + r.integers(0, 120, P)), b3)
    f_p = np.where(never, stop, f_p)
    pstop = np.minimum(stop, b18)
    pp, pd_ = _renewal(f_p, pstop, lambda i, c: np.where(
        r.random(i.size) < 0.12, r.integers(151, 400, i.size), r.integers(60, 151, i.size)))
    o = np.lexsort((pd_, cid[pp]))
    T["peps"] = _frame("peps", {"CHILD": cla_id[cid[pp][o]], "PEP_DATE": _fmt(pd_[o])})
    return T


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------
def _toml() -> str:
    lines = ["# Sample configuration for the fictional county of Northshire (cpxl sample).",
             "[authority]", f'name = "{AUTHORITY}"', f"la_code = {LA_CODE}", "", "[areas]"]
    for area, names in AREAS.items():
        lines.append(f"{area} = [" + ", ".join(f'"{d}"' for d in names) + "]")
    lines += ["", "[indicators]", f"visit_interval_days = {VISIT_INTERVAL_DAYS}", ""]
    return "\n".join(lines)


def _write_csv(df: pd.DataFrame, path: pathlib.Path) -> None:
    """UTF-8, no BOM, \\n line ends; the csv module is about twice as fast as DataFrame.to_csv."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(df.columns))
        w.writerows(zip(*[df[c].to_numpy().tolist() for c in df.columns]))


def write_sample(out_dir, children: int = 2000, seed: int = 1,
                 period_end: str | None = None, xml: bool = False) -> pathlib.Path:
    """Write the Northshire sample (one CSV per table and a cpxl.toml) into out_dir.

    children: about how many children are looked after on any day (exactly this many on
    period_end). seed: the same seed gives byte-identical files. period_end: ISO date the
    six-year history ends on (default 2025-12-31).  xml: the SSDA903 tables as one file in the
    DfE's XML form (ssda903.xml) instead of their CSVs; the local tables stay CSVs.
    """
    if int(children) < 1:
        raise ValueError("children must be at least 1")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate_tables(children=children, seed=seed, period_end=period_end)
    if xml:
        from .tables import TABLES
        from .xml903 import write_xml
        write_xml(tables, out / "ssda903.xml")
        tables = {n: df for n, df in tables.items() if TABLES[n].source != "SSDA903"}
    for name, df in tables.items():
        _write_csv(df, out / f"{name}.csv")
    with open(out / "cpxl.toml", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_toml())
    return out
