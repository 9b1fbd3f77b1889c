"""An independent reference for the SSDA903 indicators: a slow, plain test oracle.

Written from the indicator definitions alone (the "Children looked after", "Profile" and "Care
leavers (OC3)" tables, the conventions and the geography rule), child by child with loops and
``datetime.date``, and deliberately sharing nothing with cpxl's engine, periods of care,
placements or geography.  Only the reading and typing of the files is cpxl's (``cpxl.load``); the
episodes are re-read before cpxl's validation drops any of them, so that the reference applies
its own duplicate rule (only a row that repeats the whole episode is a duplicate).

Where the definitions leave a choice, the reference takes the reading cpxl documents in
docs/indicators.md (temporary episodes; "within N months" as calendar months clamped to the
month's end; an area's population; "on a date with two open episodes, the later one counts").
For the three situations of issue 10 it implements the corrected behaviour: a zero-length episode
is a real episode, ordered by (DECOM, DEC, file order); an X1 episode continues into the child's
not-yet-used episode that starts on its DEC, wherever that row sits; the long-term stability
measure credits a child placed for adoption whose previous placement began 24 months before D.

``reference_table(dataset_path, period_ends)`` returns the long table (indicator, period_end,
level, geography, numerator, denominator, value) for the authority, each area and each district.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

UNKNOWN = "Unknown"
SHORT_BREAKS = {"V3", "V4"}
TEMPORARY = {"T0", "T1", "T2", "T3", "T4"}
NEW_CARER = {"P", "B"}
FOSTER = {"U1", "U2", "U3", "U4", "U5", "U6"}
CONNECTED = {"U1", "U2", "U3"}
PARENTS = {"P1"}
ADOPTION = {"A3", "A4", "A5", "A6"}
RESIDENTIAL = {"K1", "K2", "R1", "R2", "R5", "S1"}
SUPPORTED = {"H5", "P2", "K3"}
ADOPTED = {"E11", "E12"}
SGO = {"E45", "E46", "E47", "E48"}
EET = {"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5"}
LEAVER_EXCLUDED = {"DIED", "RHOM"}
# The DfE's ACCOM letters (B with parents … Z with former foster carers); S and X occur only with 2.
SUITABLE_LETTERS = set("BCDEGHKRTUVWYZ")


# ---- dates ----------------------------------------------------------------------------------
def minus_months(d: dt.date, n: int) -> dt.date:
    """D minus n calendar months; a day past the month's end is the month's last day."""
    k = d.year * 12 + (d.month - 1) - n
    y, m = divmod(k, 12)
    m += 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def plus_months(d: dt.date, n: int) -> dt.date:
    return minus_months(d, -n)


def age(dob: dt.date | None, on: dt.date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


@lru_cache(maxsize=None)
def _holidays() -> frozenset:
    import holidays
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=range(1990, 2061)))


@lru_cache(maxsize=None)
def nth_working_day_after(start: dt.date, n: int) -> dt.date:
    d, count = start, 0
    hol = _holidays()
    while count < n:
        d += dt.timedelta(days=1)
        if d.weekday() < 5 and d not in hol:
            count += 1
    return d


def _date(v) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return None
    return pd.Timestamp(v).date()


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


# ---- the child's care history ----------------------------------------------------------------
@dataclass
class Episode:
    order: int             # file order
    decom: dt.date
    dec: dt.date | None
    rne: str
    ls: str
    cin: str
    place: str
    rec: str
    home_post: str

    def open_on(self, d: dt.date) -> bool:
        return self.decom <= d and (self.dec is None or self.dec > d)


@dataclass
class Placement:
    begin: dt.date
    end: dt.date | None     # the next placement's begin, or the period's end (None: open)
    first: Episode


@dataclass
class Period:
    episodes: list
    placements: list = field(default_factory=list)

    @property
    def start(self) -> dt.date:
        return self.episodes[0].decom

    @property
    def end(self) -> dt.date | None:
        return self.episodes[-1].dec

    @property
    def end_rec(self) -> str:
        return self.episodes[-1].rec

    def open_on(self, d: dt.date) -> bool:
        return self.start <= d and (self.end is None or self.end > d)


def _sort_key(e: Episode):
    return (e.decom, e.dec or dt.date.max, e.order)


def periods_of_care(episodes: list[Episode]) -> list[Period]:
    """Chains of episodes: an X1 episode continues into the not-yet-used episode starting on its
    DEC (the first such in (DECOM, DEC, file order)); otherwise the period ends."""
    eps = sorted(episodes, key=_sort_key)
    used = [False] * len(eps)
    periods = []
    for i, e in enumerate(eps):
        if used[i]:
            continue
        used[i] = True
        chain = [e]
        cur = e
        while cur.rec == "X1" and cur.dec is not None:
            nxt = next((j for j, f in enumerate(eps) if not used[j] and f.decom == cur.dec), None)
            if nxt is None:
                break
            used[nxt] = True
            cur = eps[nxt]
            chain.append(cur)
        periods.append(Period(chain))
    for p in periods:
        p.placements = placements_of(p)
    periods.sort(key=lambda p: (p.start, _sort_key(p.episodes[0])))
    return periods


def placements_of(period: Period) -> list[Placement]:
    """A placement begins with the period's first non-temporary episode and with every later
    non-temporary episode whose RNE is P or B."""
    starts = []
    for e in period.episodes:
        if e.place in TEMPORARY:
            continue
        if not starts or e.rne in NEW_CARER:
            starts.append(e)
    out = []
    for k, e in enumerate(starts):
        end = starts[k + 1].decom if k + 1 < len(starts) else period.end
        out.append(Placement(e.decom, end, e))
    return out


def placement_containing(period: Period, ep: Episode) -> Placement | None:
    """The placement an episode belongs to (None for a temporary episode before the first)."""
    current = None
    for e in period.episodes:
        for pl in period.placements:
            if pl.first is e:
                current = pl
        if e is ep:
            return current
    return None


@dataclass
class Child:
    cid: str
    episodes: list = field(default_factory=list)     # not V3/V4
    periods: list = field(default_factory=list)
    dob: dt.date | None = None
    sex: str = ""
    ethnic: str = ""
    in_header: bool = False

    def open_episode(self, d: dt.date) -> Episode | None:
        """The open episode on D; of two open, the later one (DECOM, then file order)."""
        best = None
        for e in self.episodes:
            if e.open_on(d) and (best is None or (e.decom, e.order) > (best.decom, best.order)):
                best = e
        return best

    def current_period(self, d: dt.date) -> Period | None:
        ep = self.open_episode(d)
        if ep is None:
            return None
        for p in self.periods:
            if any(e is ep for e in p.episodes):
                return p
        return None


# ---- the data -------------------------------------------------------------------------------
def _episodes_before_validation(path) -> pd.DataFrame:
    """The episodes table read and typed by cpxl, before any validation rule drops a row."""
    from cpxl.dataset import _combine, _type_table
    from cpxl.reading import read_source

    raws, _ = read_source(path)
    combined = _combine(raws, [], {})
    return _type_table("episodes", combined["episodes"][0], [])


@dataclass
class Data:
    children: dict
    tables: dict
    authority: str
    districts: list            # canonical names, Unknown last
    area_of: dict              # district -> area
    areas: list
    canon: dict                # casefolded name -> canonical name
    has_rhi: bool
    lookups: dict = field(default_factory=dict)


def _lookups(tables) -> dict:
    """The other tables by child (the validated rows cpxl kept)."""
    uasc = {}
    if "uasc" in tables:
        for r in tables["uasc"].itertuples(index=False):
            uasc.setdefault(_text(r.CHILD), []).append(_date(r.DUC))
    oc2 = {}
    if "oc2" in tables:
        for r in tables["oc2"].itertuples(index=False):
            oc2[_text(r.CHILD)] = r                   # validation keeps the last row
    reviews: dict[str, list] = {}
    if "reviews" in tables:
        for r in tables["reviews"].itertuples(index=False):
            if _date(r.REVIEW):
                reviews.setdefault(_text(r.CHILD), []).append(_date(r.REVIEW))
    sw: dict[str, list] = {}
    if "sw_episodes" in tables:
        for r in tables["sw_episodes"].itertuples(index=False):
            sw.setdefault(_text(r.CHILD), []).append((_text(r.SW_ID), _date(r.SW_DECOM), _date(r.SW_DEC)))
    missing: dict[str, list] = {}
    if "missing" in tables:
        for r in tables["missing"].itertuples(index=False):
            missing.setdefault(_text(r.CHILD), []).append(
                (_text(r.MISSING).upper(), _date(r.MIS_START), _date(r.MIS_END),
                 _date(getattr(r, "RHI_DATE", None))))

    return dict(uasc=uasc, oc2=oc2, reviews=reviews, sw=sw, missing=missing)


def prepare(path) -> Data:
    import cpxl

    ds = cpxl.load(path)
    tables = ds.tables
    raw = _episodes_before_validation(path)
    rows = []
    for i, r in enumerate(raw.itertuples(index=False)):
        rows.append((i, r))
    # Duplicates: only a row repeating the whole episode; an episode ending before it starts means
    # nothing and is left out (as cpxl's report says).
    seen = set()
    children: dict[str, Child] = {}
    cols = [c for c in raw.columns if not c.startswith("_")]
    for i, r in rows:
        rec = r._asdict()
        key = tuple(_text(rec[c]) if not isinstance(rec[c], pd.Timestamp) else rec[c] for c in cols)
        if key in seen:
            continue
        seen.add(key)
        decom, dec = _date(rec["DECOM"]), _date(rec["DEC"])
        if decom is None or (dec is not None and dec < decom):
            continue
        cid = _text(rec["CHILD"])
        if not cid:
            continue
        ch = children.setdefault(cid, Child(cid))
        if _text(rec["LS"]).upper() in SHORT_BREAKS:
            continue
        ch.episodes.append(Episode(i, decom, dec, _text(rec["RNE"]).upper(), _text(rec["LS"]).upper(),
                                   _text(rec["CIN"]).upper(), _text(rec["PLACE"]).upper(),
                                   _text(rec["REC"]).upper(), _text(rec.get("HOME_POST", ""))))
    for ch in children.values():
        ch.periods = periods_of_care(ch.episodes)
    header = tables["header"]
    for r in header.itertuples(index=False):
        cid = _text(r.CHILD)
        ch = children.setdefault(cid, Child(cid))
        if ch.in_header:
            continue                               # the first header row of a child
        ch.in_header = True
        ch.dob, ch.sex, ch.ethnic = _date(r.DOB), _text(r.SEX).upper(), _text(r.ETHNIC).upper()

    # Geography names: matched without regard to case or surrounding spaces.
    canon: dict[str, str] = {}

    def name(n) -> str:
        n = _text(n)
        return canon.setdefault(n.casefold(), n) if n else ""

    area_of: dict[str, str] = {}
    if "areas" in tables:
        for r in tables["areas"].itertuples(index=False):
            area_of[name(r.DISTRICT)] = _text(r.AREA)
    else:
        for area, ds_ in ds.config.areas.items():
            for d in ds_:
                area_of[name(d)] = area
    districts = list(area_of)
    for t in ("districts", "postcode_districts", "workers"):
        if t in tables:
            for d in sorted({name(x) for x in tables[t]["DISTRICT"]}):
                if d and d not in districts:
                    districts.append(d)
    for d in getattr(ds.config, "districts", []) or []:
        if name(d) not in districts:
            districts.append(name(d))
    districts = [d for d in districts if d and d.casefold() != UNKNOWN.casefold()] + [UNKNOWN]
    canon[UNKNOWN.casefold()] = UNKNOWN
    areas = list(dict.fromkeys(a for a in area_of.values() if a))
    has_rhi = "RHI_DATE" in ds.columns_present.get("missing", set())
    return Data(children, tables, ds.authority_name, districts, area_of, areas, canon, has_rhi,
                _lookups(tables))


def restrict(data: Data, only: set) -> Data:
    """The same data with only some children (tables without CHILD kept whole)."""
    tables = {n: (t[t["CHILD"].astype(str).str.strip().isin(only)]
                  if "CHILD" in t.columns and n != "districts" else t)
              for n, t in data.tables.items()}
    children = {c: ch for c, ch in data.children.items() if c in only}
    lookups = {k: {c: v for c, v in d.items() if c in only} for k, d in data.lookups.items()}
    return Data(children, tables, data.authority, data.districts, data.area_of, data.areas,
                data.canon, data.has_rhi, lookups)


def outward(postcode: str) -> str:
    s = postcode.upper().strip()
    if " " in s:
        return s.split()[0]
    return s if len(s) < 5 else s[:-3]


class Where:
    """Where a child belongs at D (the spec's geography rule)."""

    def __init__(self, data: Data):
        self.data = data
        self.by_child = {}
        if "districts" in data.tables:
            for r in data.tables["districts"].itertuples(index=False):
                self.by_child[_text(r.CHILD)] = self._district(r.DISTRICT)   # the last row wins
        self.by_outward = {}
        if "postcode_districts" in data.tables:
            for r in data.tables["postcode_districts"].itertuples(index=False):
                self.by_outward[outward(_text(r.OUTWARD_CODE))] = self._district(r.DISTRICT)

    def _district(self, n) -> str:
        c = self.data.canon.get(_text(n).casefold())
        return c if c in self.data.districts else UNKNOWN

    def __call__(self, cid: str, d: dt.date) -> str:
        if cid in self.by_child:
            return self.by_child[cid]
        ch = self.data.children.get(cid)
        if ch is None:
            return UNKNOWN
        latest = None
        for e in ch.episodes:
            if e.decom <= d and (latest is None or _sort_key(e) > _sort_key(latest)):
                latest = e
        if latest is None or not latest.home_post.strip():
            return UNKNOWN
        return self.by_outward.get(outward(latest.home_post), UNKNOWN)


# ---- the indicators -------------------------------------------------------------------------
PCT, COUNT, RATE, AVG, RATIO = "pct", "count", "rate", "avg", "ratio"


class Tally:
    """Per indicator and district: numerator, denominator (and a sum for averages).  Only the
    indicators whose tables are there are kept (the others are not available)."""

    def __init__(self, active: dict):
        self.kind = dict(active)
        self.t: dict = {ind: {} for ind in active}

    def add(self, ind, kind, district, num=0.0, den=0.0, total=0.0):
        if ind not in self.kind:
            return
        s = self.t[ind].setdefault(district, [0.0, 0.0, 0.0])
        s[0] += num
        s[1] += den
        s[2] += total


def indicators_for(tables: dict, has_rhi: bool) -> dict:
    """The reference's indicators (id -> kind) that the tables allow."""
    ind = {"cla_count": COUNT, "cla_rate_10k": RATE, "cla_started_12m": COUNT,
           "cla_ceased_12m": COUNT, "repeat_cla_pct": PCT, "stability_3plus_pct": PCT,
           "stability_long_pct": PCT, "adoption_days_avg": AVG, "adopted_pct": PCT, "sgo_pct": PCT,
           "started_abuse_neglect_pct": PCT, "cla_male_pct": PCT, "cla_female_pct": PCT,
           "cla_white_british_pct": PCT}
    for k in ("foster", "parents", "adoption", "residential", "supported", "connected"):
        ind[f"placed_{k}_pct"] = PCT
    for k in ("under1", "1_4", "5_9", "10_15", "16_17"):
        ind[f"cla_age_{k}_pct"] = PCT
    for k in ("white", "mixed", "asian", "black", "other", "not_known"):
        ind[f"cla_ethnicity_{k}_pct"] = PCT
    if "population" not in tables:
        del ind["cla_rate_10k"]
    if "uasc" in tables:
        ind.update(uasc_count=COUNT, cla_uasc_pct=PCT)
    if "reviews" in tables:
        ind["reviews_in_time_pct"] = PCT
    if "missing" in tables:
        ind["missing_pct"] = PCT
        if has_rhi:
            ind["missing_rhi_3days_pct"] = PCT
    if "oc2" in tables:
        ind.update(health_check_pct=PCT, teeth_check_pct=PCT, immunisations_pct=PCT,
                   sdq_completed_pct=PCT, sdq_avg_score=AVG)
    if "sw_episodes" in tables:
        ind["sw_changes_3plus_pct"] = PCT
    if "oc3" in tables:
        for grp in ("17_18", "19_21"):
            for what in ("in_touch", "suitable", "eet"):
                ind[f"care_leavers_{what}_pct_{grp}"] = PCT
    return ind


def _in(d: dt.date | None, start: dt.date, end: dt.date) -> bool:
    """start < d <= end"""
    return d is not None and start < d <= end


def tally_period_end(data: Data, where: Where, D: dt.date, indicators=None) -> Tally:
    tables = data.tables
    active = indicators_for(tables, data.has_rhi)
    if indicators is not None:
        active = {k: v for k, v in active.items() if k in indicators}
    T = Tally(active)
    W0 = minus_months(D, 12)
    uasc, oc2, reviews, sw, missing = (data.lookups[k] for k in
                                       ("uasc", "oc2", "reviews", "sw", "missing"))

    for cid, ch in data.children.items():
        g = where(cid, D)
        ep = ch.open_episode(D)
        a = age(ch.dob, D)
        started = [p for p in ch.periods if _in(p.start, W0, D)]
        ceased = [p for p in ch.periods if _in(p.end, W0, D)]
        if started:
            T.add("cla_started_12m", COUNT, g, 1)
            first = min(started, key=lambda p: p.start)
            earlier = any(p.end is not None and p.end < first.start for p in ch.periods)
            T.add("repeat_cla_pct", PCT, g, int(earlier), 1)
            T.add("started_abuse_neglect_pct", PCT, g, int(first.episodes[0].cin == "N1"), 1)
        if ceased:
            T.add("cla_ceased_12m", COUNT, g, 1)
            T.add("adopted_pct", PCT, g, int(any(p.end_rec in ADOPTED for p in ceased)), 1)
            T.add("sgo_pct", PCT, g, int(any(p.end_rec in SGO for p in ceased)), 1)
        # adoption_days_avg: periods ending in the 36 months to D with E11/E12
        for p in ch.periods:
            if p.end_rec in ADOPTED and _in(p.end, minus_months(D, 36), D):
                first_a = next((e for e in p.episodes if e.place in ADOPTION), None)
                if first_a is None:
                    continue
                pl = placement_containing(p, first_a)
                begin = pl.begin if pl is not None else first_a.decom
                T.add("adoption_days_avg", AVG, g, 1, 0, (begin - p.start).days)
        # missing_pct: looked after at any time in W
        if any(e.decom <= D and (e.dec is None or e.dec > W0) for e in ch.episodes):
            went = any(m == "M" and _in(s, W0, D) for m, s, _e, _r in missing.get(cid, []))
            T.add("missing_pct", PCT, g, int(went), 1)
        if ep is None:
            continue
        # ---- looked after on D ----
        per = ch.current_period(D)
        T.add("cla_count", COUNT, g, 1)
        T.add("cla_rate_10k", RATE, g, 1)
        for ind, codes in [("placed_foster_pct", FOSTER), ("placed_parents_pct", PARENTS),
                           ("placed_adoption_pct", ADOPTION), ("placed_residential_pct", RESIDENTIAL),
                           ("placed_supported_pct", SUPPORTED), ("placed_connected_pct", CONNECTED)]:
            T.add(ind, PCT, g, int(ep.place in codes), 1)
        is_uasc = any(duc is None or duc > D for duc in uasc.get(cid, []))
        T.add("uasc_count", COUNT, g, int(is_uasc))
        T.add("cla_uasc_pct", PCT, g, int(is_uasc), 1)
        T.add("cla_male_pct", PCT, g, int(ch.sex in ("1", "M")), 1)
        T.add("cla_female_pct", PCT, g, int(ch.sex in ("2", "F")), 1)
        for ind, lo, hi in [("cla_age_under1_pct", 0, 0), ("cla_age_1_4_pct", 1, 4),
                            ("cla_age_5_9_pct", 5, 9), ("cla_age_10_15_pct", 10, 15),
                            ("cla_age_16_17_pct", 16, 17)]:
            T.add(ind, PCT, g, int(a is not None and lo <= a <= hi), 1)
        eth = ch.ethnic
        T.add("cla_white_british_pct", PCT, g, int(eth == "WBRI"), 1)
        for grp, test in [("white", eth.startswith("W")), ("mixed", eth.startswith("M")),
                          ("asian", eth.startswith("A")), ("black", eth.startswith("B")),
                          ("other", eth in ("CHNE", "OOTH")), ("not_known", eth in ("REFU", "NOBT"))]:
            T.add(f"cla_ethnicity_{grp}_pct", PCT, g, int(bool(eth) and test), 1)
        # stability_3plus_pct
        # "The placement current at the start of W counts as one": one, even where overlapping
        # episodes leave two placements open then.
        current_at_start = any(pl.begin <= W0 and (pl.end is None or pl.end > W0)
                               for p in ch.periods for pl in p.placements)
        n = int(current_at_start) + sum(_in(pl.begin, W0, D) for p in ch.periods for pl in p.placements)
        T.add("stability_3plus_pct", PCT, g, int(n >= 3), 1)
        # stability_long_pct
        if per is not None and a is not None and a < 16 and per.start <= minus_months(D, 30):
            cut = minus_months(D, 24)
            cur = placement_containing(per, ep)
            stable = cur is not None and cur.begin <= cut
            if not stable and ep.place in ADOPTION and cur is not None:
                k = per.placements.index(cur)
                stable = k > 0 and per.placements[k - 1].begin <= cut
            T.add("stability_long_pct", PCT, g, int(stable), 1)
        # reviews_in_time_pct
        if per is not None:
            first_due = nth_working_day_after(per.start, 20)
            if first_due < D:
                due, late = first_due, False
                held = sorted(r for r in reviews.get(cid, []) if per.start <= r <= D)
                for k, r in enumerate(held):
                    if r > due and _in(r, W0, D):
                        late = True
                    due = plus_months(r, 3 if k == 0 else 6)
                if due < D:
                    late = True
                T.add("reviews_in_time_pct", PCT, g, int(not late), 1)
        # OC2 cohort
        if per is not None and per.start <= W0:
            row = oc2.get(cid)
            for ind, col in [("health_check_pct", "HEALTH_CHECK"), ("teeth_check_pct", "TEETH_CHECK"),
                             ("immunisations_pct", "IMMUNISATIONS")]:
                T.add(ind, PCT, g, int(row is not None and _text(getattr(row, col)) == "1"), 1)
            if a is not None and 5 <= a <= 16:
                s = None
                if row is not None and not pd.isna(row.SDQ_SCORE):
                    v = float(row.SDQ_SCORE)
                    s = v if 0 <= v <= 40 and v == int(v) else None
                T.add("sdq_completed_pct", PCT, g, int(s is not None), 1)
                if s is not None:
                    T.add("sdq_avg_score", AVG, g, 1, 0, s)
        # sw_changes_3plus_pct
        ids = {i for i, s, e in sw.get(cid, []) if s is not None and s <= D and (e is None or e > W0)}
        T.add("sw_changes_3plus_pct", PCT, g, int(len(ids) >= 3), 1)

    # missing_rhi_3days_pct: by missing or away episode ending in W (the child's district at D)
    if data.has_rhi:
        for cid, eps in missing.items():
            g = where(cid, D)
            for m, _s, e, rhi in eps:
                if m in ("M", "A") and _in(e, W0, D):
                    ok = rhi is not None and e <= rhi <= e + dt.timedelta(days=3)
                    T.add("missing_rhi_3days_pct", PCT, g, int(ok), 1)

    # Care leavers (OC3)
    if "oc3" in tables:
        for r in tables["oc3"].itertuples(index=False):
            cid = _text(r.CHILD)
            # cpxl's reading (in its definition text): the oc3 DOB, else the header's.
            dob = _date(r.DOB)
            if dob is None and cid in data.children:
                dob = data.children[cid].dob
            a = age(dob, D)
            touch = _text(r.IN_TOUCH).upper()
            if a is None or touch in LEAVER_EXCLUDED:
                continue
            grp = "17_18" if 17 <= a <= 18 else "19_21" if 19 <= a <= 21 else None
            if grp is None:
                continue
            g = where(cid, D)
            accom, activ = _text(r.ACCOM).upper(), _text(r.ACTIV).upper()
            suitable = len(accom) == 2 and accom[1] == "1" and accom[0] in SUITABLE_LETTERS
            T.add(f"care_leavers_in_touch_pct_{grp}", PCT, g, int(touch == "YES"), 1)
            T.add(f"care_leavers_suitable_pct_{grp}", PCT, g, int(suitable), 1)
            T.add(f"care_leavers_eet_pct_{grp}", PCT, g, int(activ in EET), 1)
    return T


# ---- population and the long table ------------------------------------------------------------
def _population(data: Data, year: int) -> dict:
    pop = data.tables.get("population")
    rows: dict[str, dict[int, float]] = {}
    if pop is not None:
        for r in pop.itertuples(index=False):
            if pd.isna(r.YEAR) or pd.isna(r.POPULATION_0_17):
                continue
            g = data.canon.get(_text(r.GEOGRAPHY).casefold(), _text(r.GEOGRAPHY))
            rows.setdefault(g, {})[int(r.YEAR)] = float(r.POPULATION_0_17)

    def latest(g):
        years = [y for y in rows.get(g, {}) if y <= year]
        return rows[g][max(years)] if years else None

    out = {}
    for d in data.districts:
        out[("district", d)] = None if d == UNKNOWN else latest(d)

    def group(g, members):
        own = rows.get(g, {}).get(year)
        if own is not None:
            return own
        vals = [out[("district", d)] for d in members]
        if members and all(v is not None for v in vals):
            return sum(vals)
        return latest(g)

    for area in data.areas:
        out[("area", area)] = group(area, [d for d in data.districts if data.area_of.get(d) == area])
    out[("la", data.authority)] = group(data.authority, [d for d in data.districts if d != UNKNOWN])
    return out


def reference_table(path, period_ends, only: set | None = None, data: Data | None = None,
                    indicators=None) -> pd.DataFrame:
    """The long table; ``only``: just these children (to find the child behind a difference);
    ``indicators``: just these."""
    data = data or prepare(path)
    if only is not None:
        data = restrict(data, only)
    where = Where(data)
    out = []
    for pe in period_ends:
        D = pd.Timestamp(pe).date()
        T = tally_period_end(data, where, D, indicators)
        pop = _population(data, D.year)
        geos = [("la", data.authority, set(data.districts))]
        geos += [("area", a, {d for d in data.districts if data.area_of.get(d) == a}) for a in data.areas]
        geos += [("district", d, {d}) for d in data.districts]
        for ind, by_d in T.t.items():
            if ind == "started_to_ceased_ratio":
                continue
            kind = T.kind[ind]
            for level, name, members in geos:
                num = sum(v[0] for d, v in by_d.items() if d in members)
                den = sum(v[1] for d, v in by_d.items() if d in members)
                tot = sum(v[2] for d, v in by_d.items() if d in members)
                if kind == COUNT:
                    row = (num, math.nan, num)
                elif kind == PCT:
                    row = (num, den, 100.0 * num / den if den else math.nan)
                elif kind == AVG:
                    row = (num, math.nan, tot / num if num else math.nan)
                elif kind == RATE:
                    p = pop.get((level, name))
                    row = (num, p if p is not None else math.nan,
                           1e4 * num / p if p else math.nan)
                else:
                    raise AssertionError(kind)
                out.append((ind, D.isoformat(), level, name) + row)
        # the ratio from the two counts
        if indicators is not None and "started_to_ceased_ratio" not in indicators:
            continue
        st, ce = T.t.get("cla_started_12m", {}), T.t.get("cla_ceased_12m", {})
        for level, name, members in geos:
            s = sum(v[0] for d, v in st.items() if d in members)
            c = sum(v[0] for d, v in ce.items() if d in members)
            out.append(("started_to_ceased_ratio", D.isoformat(), level, name, s, c,
                        s / c if c else math.nan))
    return pd.DataFrame(out, columns=["indicator", "period_end", "level", "geography",
                                      "numerator", "denominator", "value"])
