"""Cohorts several sections count from: the children starting and ceasing care in the year,
the unaccompanied asylum seekers looked after, and the OC2 cohort (looked after 12 months or
more).  Each is worked out once per engine run (``Context.memo``)."""
from __future__ import annotations

import pandas as pd

from .. import codes
from ..dates import minus_months


def started(c) -> pd.DataFrame:
    """(p, cid, first_start, first_cin) for children with a period of care starting in W."""
    return c.memo("started", lambda: _make_started(c))


def _make_started(c) -> pd.DataFrame:
    cp = c.care_periods
    rows, p = c.in_window(cp["start"])
    s = c.per_period(cp, rows, p).sort_values(["p", "cid", "start"], kind="stable")
    return s.drop_duplicates(["p", "cid"], keep="first").reset_index(drop=True)


def ceased(c) -> pd.DataFrame:
    """(p, cid, adopted, sgo) for children with a period of care ending in W."""
    return c.memo("ceased", lambda: _make_ceased(c))


def _make_ceased(c) -> pd.DataFrame:
    cp = c.care_periods
    rows, p = c.in_window(cp["end"])
    e = c.per_period(cp, rows, p)
    e["adopted"] = e["end_rec"].isin(codes.REC_ADOPTED)
    e["sgo"] = e["end_rec"].isin(codes.REC_SGO)
    return e.groupby(["p", "cid"], as_index=False, sort=False)[["adopted", "sgo"]].any()


def uasc_on_d(c) -> pd.DataFrame:
    """(p, cid, D, DUC) for children looked after on D who are unaccompanied asylum seekers."""
    la = c.looked_after[["p", "cid", "D"]]
    u = c.tables["uasc"]
    u = pd.DataFrame({"cid": c.table_cid("uasc"), "DUC": u["DUC"].to_numpy()})
    m = la.merge(u, on="cid")
    m = m.loc[m["DUC"].isna() | (m["DUC"] > m["D"])]
    return m.drop_duplicates(["p", "cid"])


def oc2_cohort_children(c, ages=None) -> pd.DataFrame:
    """The OC2 cohort: children looked after on D continuously for 12 months or more (their
    current period of care began on or before D minus 12 months), optionally aged ``ages`` on D.
    (p, cid, D, age); the local health indicators use it without the oc2 table."""
    def make():
        la = c.looked_after
        cohort = la.loc[la["period_start"] <= minus_months(la["D"], 12), ["p", "cid", "D", "age"]]
        if ages:
            cohort = cohort.loc[(cohort["age"] >= ages[0]) & (cohort["age"] <= ages[1])]
        return cohort.reset_index(drop=True)
    return c.memo(("oc2_cohort_children", ages), make)
