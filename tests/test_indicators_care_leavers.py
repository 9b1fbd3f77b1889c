"""Care leavers (OC3): hand-computed cases for the six indicators.

The cohort is the young people in oc3 with the given age on D (17-18 or 19-21), leaving out
IN_TOUCH = DIED or RHOM.  In touch: IN_TOUCH = YES; suitable: ACCOM a letter and 1; EET: ACTIV in
F1..P5.
"""
from __future__ import annotations

import pytest

from builders import blank, ep, kid, nd, pick, run, write_dataset

D = "2021-03-31"

OC3 = [  # CHILD, DOB, IN_TOUCH, ACTIV, ACCOM
    ("CL1", "01/04/2003", "YES", "F1", "B1"),    # 17: in touch, EET, suitable
    ("CL2", "31/03/2003", "NO", "G4", "B2"),     # 18 (birthday on D): none
    ("CL3", "01/04/2002", "REFU", "P5", "Z1"),   # 18 (19 the day after D): EET, suitable
    ("CL4", "31/03/2002", "YES", "F5", "S2"),    # 19 (birthday on D): in touch, EET
    ("CL5", "01/04/2000", "DIED", "F1", "B1"),   # 20, died: left out
    ("CL6", "01/04/1999", "RHOM", "F1", "B1"),   # 21, returned home: left out
    ("CL7", "01/04/1999", "yes", "0", "0"),      # 21 (lower case YES): in touch only
    ("CL8", "31/03/1999", "YES", "F1", "B1"),    # 22: too old
    ("CL9", "01/04/2004", "YES", "F1", "B1"),    # 16: too young
    ("CL10", "01/04/2001", "NREQ", "P2", "T1"),  # 19: EET, suitable
    ("CL12", "", "YES", "F2", "C1"),             # no oc3 DOB: the header's (01/04/2003, 17)
]


@pytest.fixture(scope="module")
def leavers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leavers")
    kids = [r[0] for r in OC3]
    header = [kid(r[0], r[1] or "01/04/2003") for r in OC3]
    write_dataset(folder, header=header, episodes=[ep(k, "01/01/2015", dec="01/01/2020") for k in kids],
                  oc3=OC3)
    return folder


def test_care_leavers_17_18(leavers):
    # Cohort 17-18: CL1, CL2, CL3, CL12 = 4.
    out = run(leavers, D)
    # In touch (YES): CL1, CL12 = 2 (CL3's REFU is not in touch).
    assert tuple(nd(out, "care_leavers_in_touch_pct_17_18")) == (2, 4)
    assert pick(out, "care_leavers_in_touch_pct_17_18")["value"] == pytest.approx(50.0)
    # Suitable (B1, Z1, C1): CL1, CL3, CL12 = 3.
    assert tuple(nd(out, "care_leavers_suitable_pct_17_18")) == (3, 4)
    assert pick(out, "care_leavers_suitable_pct_17_18")["value"] == pytest.approx(75.0)
    # EET (F1, P5, F2): CL1, CL3, CL12 = 3.
    assert tuple(nd(out, "care_leavers_eet_pct_17_18")) == (3, 4)


def test_care_leavers_19_21(leavers):
    # Cohort 19-21: CL4 (19), CL7 (21), CL10 (19) = 3 (CL5 DIED, CL6 RHOM left out; CL8 is 22).
    out = run(leavers, D)
    assert tuple(nd(out, "care_leavers_in_touch_pct_19_21")) == (2, 3)      # CL4, CL7
    assert pick(out, "care_leavers_in_touch_pct_19_21")["value"] == pytest.approx(200 / 3)
    assert tuple(nd(out, "care_leavers_suitable_pct_19_21")) == (1, 3)      # CL10 (T1); S2 no
    assert tuple(nd(out, "care_leavers_eet_pct_19_21")) == (2, 3)           # CL4 F5, CL10 P2


def test_care_leavers_a_year_earlier(leavers):
    # D = 2020-03-31: ages one less.  17-18: CL2 (17), CL3 (17), CL4 (18), CL10 (18) = 4 (CL1
    # and CL12 are 16).  19-21: CL7 (20), CL8 (21) = 2 (CL5 DIED, CL6 RHOM left out).
    out = run(leavers, "2020-03-31")
    assert tuple(nd(out, "care_leavers_in_touch_pct_17_18")) == (1, 4)      # CL4 (NREQ is not)
    assert tuple(nd(out, "care_leavers_eet_pct_17_18")) == (3, 4)           # CL3, CL4, CL10
    assert tuple(nd(out, "care_leavers_suitable_pct_17_18")) == (2, 4)      # CL3 Z1, CL10 T1
    assert tuple(nd(out, "care_leavers_in_touch_pct_19_21")) == (2, 2)      # CL7, CL8
    assert tuple(nd(out, "care_leavers_suitable_pct_19_21")) == (1, 2)      # CL8 (B1)


def test_care_leavers_born_29_february(tmp_path):
    # Born 29/02/2004: 18 on 2023-02-28 (19 on 1 March 2023), 19 on 2023-03-31.
    # Born 01/03/2006: 16 on 2023-02-28, 17 on 2023-03-31.
    write_dataset(tmp_path, header=[kid("A", "29/02/2004"), kid("B", "01/03/2006")],
                  episodes=[ep("A", "01/01/2015", dec="01/01/2022"),
                            ep("B", "01/01/2015", dec="01/01/2022")],
                  oc3=[("A", "29/02/2004", "YES", "F1", "B1"), ("B", "01/03/2006", "NO", "G4", "B2")])
    out = run(tmp_path, "2023-03-31", months=2)
    feb, mar = "2023-02-28", "2023-03-31"
    assert tuple(nd(out, "care_leavers_in_touch_pct_17_18", period_end=feb)) == (1, 1)   # A
    assert tuple(nd(out, "care_leavers_in_touch_pct_19_21", period_end=feb)) == (0, 0)
    assert blank(pick(out, "care_leavers_in_touch_pct_19_21", period_end=feb)["value"])
    assert tuple(nd(out, "care_leavers_in_touch_pct_17_18", period_end=mar)) == (0, 1)   # B
    assert tuple(nd(out, "care_leavers_in_touch_pct_19_21", period_end=mar)) == (1, 1)   # A


def test_accom_codes_that_are_not_a_letter_and_1(tmp_path):
    # "ACCOM ends in 1" is read with data.md's code list: a letter and a digit.  '01' (not a DfE
    # code; the validation report flags it) and a bare '0' (not known) are not suitable; 'b1 '
    # (lower case, a space) is B1.
    oc3 = [("A", "01/04/2003", "YES", "F1", "01"), ("B", "01/04/2003", "YES", "F1", "0"),
           ("C", "01/04/2003", "YES", "F1", "b1 ")]
    write_dataset(tmp_path, header=[kid(r[0], r[1]) for r in oc3],
                  episodes=[ep(r[0], "01/01/2015", dec="01/01/2020") for r in oc3], oc3=oc3)
    out = run(tmp_path, D)
    assert tuple(nd(out, "care_leavers_suitable_pct_17_18")) == (1, 3)


def test_care_leavers_not_available_without_oc3(tmp_path):
    write_dataset(tmp_path, header=[kid("A", "01/04/2003")], episodes=[ep("A", "01/01/2015")])
    out = run(tmp_path, D)
    for m in ["in_touch", "suitable", "eet"]:
        for g in ["17_18", "19_21"]:
            r = pick(out, f"care_leavers_{m}_pct_{g}")
            assert blank(r["value"]) and blank(r["numerator"])
            assert r["note"].startswith("not available") and "oc3" in r["note"]
