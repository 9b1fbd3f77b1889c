"""The profile of the children looked after, which boards ask for every time."""
from __future__ import annotations

import numpy as np

from .. import codes
from .registry import indicator
from .cla import EPISODES
from .cohorts import ceased, started, uasc_on_d


def _share(test, needs_header=True):
    def compute(c):
        la = c.looked_after
        return c.percent(la, test(c, la))
    return compute


def _header_col(c, la, col):
    return c.header[col].to_numpy()[la["cid"].to_numpy()]


_PROFILE = [
    ("cla_male_pct", "Children looked after: boys", "SEX 1 or M (the code changed in 2024-25)",
     lambda c, la: np.isin(_header_col(c, la, "SEX"), list(codes.SEX_MALE))),
    ("cla_female_pct", "Children looked after: girls", "SEX 2 or F",
     lambda c, la: np.isin(_header_col(c, la, "SEX"), list(codes.SEX_FEMALE))),
]
for _lo, _hi, _name in [(0, 0, "under1"), (1, 4, "1_4"), (5, 9, "5_9"), (10, 15, "10_15"), (16, 17, "16_17")]:
    _label = "under 1" if _name == "under1" else f"{_lo} to {_hi}"
    _PROFILE.append((f"cla_age_{_name}_pct", f"Children looked after aged {_label}",
                     f"aged {_label} on D (age in completed years; the DfE's bands)",
                     lambda c, la, lo=_lo, hi=_hi: (la["age"] >= lo).to_numpy() & (la["age"] <= hi).to_numpy()))
_PROFILE.append(("cla_white_british_pct", "Children looked after: White British", "ETHNIC = WBRI",
                 lambda c, la: _header_col(c, la, "ETHNIC") == "WBRI"))
_GROUPS = [("white", "White", "ETHNIC beginning W", lambda e: e.str.startswith("W")),
           ("mixed", "Mixed", "ETHNIC beginning M", lambda e: e.str.startswith("M")),
           ("asian", "Asian", "ETHNIC beginning A", lambda e: e.str.startswith("A")),
           ("black", "Black", "ETHNIC beginning B", lambda e: e.str.startswith("B")),
           ("other", "other ethnic group", "ETHNIC CHNE or OOTH", lambda e: e.isin(["CHNE", "OOTH"])),
           ("not_known", "ethnicity not known", "ETHNIC REFU or NOBT", lambda e: e.isin(["REFU", "NOBT"]))]
for _g, _label, _text, _test in _GROUPS:
    _PROFILE.append((f"cla_ethnicity_{_g}_pct", f"Children looked after: {_label}", _text,
                     lambda c, la, t=_test: t(c.header["ETHNIC"].iloc[la["cid"].to_numpy()]).to_numpy()))

for _id, _title, _text, _test in _PROFILE:
    indicator(_id, _title, unit="%", polarity="neither", tables=EPISODES, theme="Profile",
              definition=f"Of the children looked after on D, those with {_text}. A child with no "
                         "header row counts in the denominator only.")(_share(_test))


@indicator("cla_uasc_pct", "Children looked after who are unaccompanied asylum-seeking children",
           unit="%", polarity="neither", tables=EPISODES + ("uasc",), theme="Profile",
           definition="uasc_count divided by cla_count.")
def cla_uasc_pct(c):
    la = c.looked_after
    u = uasc_on_d(c)
    key = la["p"].to_numpy() * len(c.children) + la["cid"].to_numpy()
    return c.percent(la, np.isin(key, u["p"].to_numpy() * len(c.children) + u["cid"].to_numpy()))


@indicator("started_abuse_neglect_pct", "Children starting care because of abuse or neglect",
           unit="%", polarity="neither", tables=EPISODES, theme="Profile", definition="""
           Of the children counted in cla_started_12m, those whose first episode of their first
           period of care starting in the year to D has CIN = N1 (abuse or neglect).""")
def started_abuse_neglect_pct(c):
    s = started(c)
    return c.percent(s, s["first_cin"] == codes.CIN_ABUSE_NEGLECT)


@indicator("started_to_ceased_ratio", "Children starting care for every child who leaves",
           unit="ratio", polarity="neither", tables=EPISODES, theme="Demand", definition="""
           cla_started_12m divided by cla_ceased_12m (numerator: children starting; denominator:
           children ceasing).""")
def started_to_ceased_ratio(c):
    s = c.count(started(c))
    e = c.count(ceased(c))
    e["den"], e["num"] = 1.0, 0.0
    import pandas as pd
    return pd.concat([s, e], ignore_index=True)
