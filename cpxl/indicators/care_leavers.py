"""Care leavers (OC3): in touch, in suitable accommodation, in education, employment or training."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import codes
from .registry import indicator
from ..dates import age_on

AGE_GROUPS = {"17_18": (17, 18), "19_21": (19, 21)}


def _cohort(c, ages) -> pd.DataFrame:
    """Young people in oc3 aged ``ages`` on D, leaving out IN_TOUCH = DIED or RHOM."""
    return c.memo(("care_leavers", ages), lambda: _make_cohort(c, ages))


def _make_cohort(c, ages) -> pd.DataFrame:
    oc3 = c.tables["oc3"]
    keep = ~oc3["IN_TOUCH"].isin(codes.IN_TOUCH_EXCLUDED).to_numpy()
    oc3, cid = oc3.loc[keep], c.table_cid("oc3")[keep]
    dob = oc3["DOB"].to_numpy()
    # The oc3 DOB; where it is blank, the header's.
    header_dob = c.header["DOB"].to_numpy()[cid]
    dob = np.where(pd.isna(dob), header_dob, dob)
    rows = np.repeat(np.arange(len(oc3)), c.P)
    p = np.tile(np.arange(c.P), len(oc3))
    frame = pd.DataFrame({"p": p, "cid": cid[rows], "IN_TOUCH": oc3["IN_TOUCH"].to_numpy()[rows],
                          "ACTIV": oc3["ACTIV"].to_numpy()[rows], "ACCOM": oc3["ACCOM"].to_numpy()[rows]})
    frame["age"] = age_on(dob[rows], c.periods[p])
    return frame.loc[(frame["age"] >= ages[0]) & (frame["age"] <= ages[1])]


# The DfE's codes ending in 1; a code that is not the DfE's (S1: S occurs only as S2) is not
# counted as suitable, as the validation report says of it.
_SUITABLE = frozenset(c for c in codes.ACCOM if c.endswith("1"))

_MEASURES = [
    ("in_touch", "Care leavers in touch", "IN_TOUCH = YES", lambda f: f["IN_TOUCH"] == "YES",
     "Care leavers in touch"),
    ("suitable", "Care leavers in suitable accommodation",
     ("ACCOM ends in 1 (a letter and 1: suitable; 0 not known, and a code that is not the DfE's "
      "such as S1, are not suitable)"),
     lambda f: f["ACCOM"].isin(_SUITABLE), "Care leavers in suitable accommodation"),
    ("eet", "Care leavers in education, employment or training",
     "ACTIV in F1, P1, F2, P2, F3, P3, F4, P4, F5, P5", lambda f: f["ACTIV"].isin(codes.ACTIV_EET),
     "Care leavers in education, employment or training"),
]


def _make(test, ages):
    def compute(c):
        f = _cohort(c, ages)
        return c.percent(f, test(f).fillna(False))
    return compute


for _m, _title, _text, _test, _lait in _MEASURES:
    for _g, _ages in AGE_GROUPS.items():
        indicator(f"care_leavers_{_m}_pct_{_g}", f"{_title} (aged {_ages[0]}-{_ages[1]})", unit="%",
                  polarity="higher", tables=("header", "episodes", "oc3"), theme="Care leavers",
                  lait=f"{_lait} aged {_ages[0]}-{_ages[1]} (%)", headline=_m != "in_touch" and _g == "19_21",
                  definition=f"""Of young people in the oc3 table aged {_ages[0]} to {_ages[1]} on D
                  (age from the oc3 DOB, or the header DOB where that is blank), leaving out IN_TOUCH = DIED or RHOM: those with {_text}.
                  Each counts in the district they belong to at D (their latest episode's home
                  postcode where the districts table has no row).""")(_make(_test, _ages))
