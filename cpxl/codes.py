"""DfE SSDA903 code lists used by the indicators and checked by validation.

Codes of every collection year are accepted (K3 replaces H5 and P2 from 2024-25; Z1 is split into
Z11-Z14 from 2025-26; SEX moved from 1/2 to M/F in 2024-25), and the outward code of a postcode.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import UNKNOWN_DISTRICT  # noqa: F401  (named in the contract; used from here)

RNE = {"S", "L", "P", "T", "B", "U"}
RNE_NEW_CARER = {"P", "B"}                      # change of placement and carer(s)

LS = {"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"}
LS_SHORT_BREAKS = {"V3", "V4"}                  # agreed series of short breaks: never looked after

CIN = {"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"}
CIN_ABUSE_NEGLECT = "N1"

PLACE_FOSTER = {"U1", "U2", "U3", "U4", "U5", "U6"}
PLACE_CONNECTED = {"U1", "U2", "U3"}
PLACE_PARENTS = {"P1"}
PLACE_ADOPTION = {"A3", "A4", "A5", "A6"}
PLACE_RESIDENTIAL = {"K1", "K2", "R1", "R2", "R5", "S1"}
PLACE_SUPPORTED = {"H5", "P2", "K3"}
PLACE_TEMPORARY = {"T0", "T1", "T2", "T3", "T4"}
PLACE_OTHER = {"P3", "R3", "Z1", "Z11", "Z12", "Z13", "Z14"}
PLACE = (PLACE_FOSTER | PLACE_PARENTS | PLACE_ADOPTION | PLACE_RESIDENTIAL | PLACE_SUPPORTED
         | PLACE_TEMPORARY | PLACE_OTHER)

REC_CONTINUES = "X1"                            # a new episode follows on the same day
REC_ADOPTED = {"E11", "E12"}
REC_SGO = {"E45", "E46", "E47", "E48"}
REC = {"X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E15", "E16", "E17", "E41",
       "E45", "E46", "E47", "E48", "E5", "E6", "E7", "E8", "E9", "E14"}

IN_TOUCH = {"YES", "NO", "DIED", "REFU", "NREQ", "RHOM"}
IN_TOUCH_EXCLUDED = {"DIED", "RHOM"}
ACTIV_EET = {"F1", "P1", "F2", "P2", "F3", "P3", "F4", "P4", "F5", "P5"}
ACTIV = ACTIV_EET | {"G4", "G5", "G6", "0"}
# ACCOM: a letter and 1 (suitable) or 2 (unsuitable); S and X occur only unsuitable; 0 not known.
ACCOM = {f"{letter}{digit}" for letter in "BCDEGHKRTUVWYZ" for digit in "12"} | {"S2", "X2", "0"}

SEX_MALE = {"1", "M"}
SEX_FEMALE = {"2", "F"}

MISSING = {"M", "A"}
HEALTH_ASSESSMENT_TYPES = {"IHA", "RHA"}


def outward_code(postcodes: pd.Series) -> pd.Series:
    """The first half of a postcode: before the space, or all but the last three characters."""
    # Worked out once per distinct postcode (an episodes table repeats each many times).
    codes, uniques = pd.factorize(postcodes)
    out = _outward(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    out = pd.concat([out, pd.Series([""], dtype=out.dtype)], ignore_index=True)   # missing: ""
    return pd.Series(out.to_numpy()[np.where(codes < 0, len(out) - 1, codes)],
                     index=postcodes.index, dtype=out.dtype)


def _outward(postcodes: pd.Series) -> pd.Series:
    s = postcodes.astype(str).str.upper().str.strip()
    spaced = s.str.split().str[0]
    compact = s.str.replace(" ", "", regex=False)
    unspaced = compact.where(compact.str.len() < 5, compact.str[:-3])
    return spaced.where(s.str.contains(" ", regex=False), unspaced).fillna("")
