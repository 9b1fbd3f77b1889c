"""``--suppress N``: small numbers in copies that leave the authority, shown as ``c`` as the DfE does.

A count from 1 to N is suppressed (0 is shown: it discloses no child).  A value built on a
suppressed count goes with it:

- a count (children looked after, UASC): the value, which is the count;
- a percentage or ratio: the value, numerator and denominator when either count is 1 to N;
- a rate per 10,000: the value and numerator when the numerator is 1 to N (the population is
  public);
- an average (days, SDQ score): the value and the number of cases when that is 1 to N.

Suppressed cells are removed from the figures themselves (they are never in the file, not merely
hidden), so trend lines, changes, highlights and RAG colours leave them out too.
"""
from __future__ import annotations

import numpy as np

SUPPRESSED = "c"


def masks(kind: str, numerator: np.ndarray, denominator: np.ndarray, n: int):
    """(value, numerator, denominator) boolean masks of the cells to show as ``c``."""
    none = np.zeros(np.shape(numerator), dtype=bool)
    if n <= 0:
        return none, none, none
    with np.errstate(invalid="ignore"):
        small_num = (numerator >= 1) & (numerator <= n)
        small_den = (denominator >= 1) & (denominator <= n)
    if kind in ("percent", "ratio"):
        c = small_num | small_den
        return c, c, c
    return small_num, small_num, none


def apply(kinds: list[str], value: np.ndarray, numerator: np.ndarray, denominator: np.ndarray,
          n: int):
    """Suppress arrays shaped (indicators, months); returns the blanked arrays and the masks."""
    value, numerator, denominator = value.copy(), numerator.copy(), denominator.copy()
    shape = value.shape
    value_c, num_c, den_c = (np.zeros(shape, dtype=bool) for _ in range(3))
    if n > 0:
        for i, kind in enumerate(kinds):
            value_c[i], num_c[i], den_c[i] = masks(kind, numerator[i], denominator[i], n)
        value[value_c] = np.nan
        numerator[num_c] = np.nan
        denominator[den_c] = np.nan
    return value, numerator, denominator, value_c, num_c, den_c


# --- secondary suppression ------------------------------------------------------------------------
#
# A count hidden on its own can come back by subtraction: boys shown and girls "c" out of a known
# total; an area's figure minus its other districts.  So, after the primary rule above:
#
# - complementary groups: the shares of one total (boys and girls; the DfE's five age bands; the
#   six ethnic groups) -- where exactly one of a group is suppressed, the smallest other one that
#   is shown (not 0) is suppressed too;
# - areas and their districts, the authority and its areas: where exactly one district of an area
#   (or one area of the authority) is suppressed and the whole is shown, the smallest other
#   district (area) that is shown (not 0) is suppressed too -- or, when every other one is 0 or
#   blank, the whole.
#
# Repeated until nothing changes; averages are left alone (an average cannot be subtracted).

#: indicator groups whose numerators add up to one shared denominator
COMPLEMENTARY = [
    ["cla_male_pct", "cla_female_pct"],
    ["cla_age_under1_pct", "cla_age_1_4_pct", "cla_age_5_9_pct", "cla_age_10_15_pct",
     "cla_age_16_17_pct"],
    ["cla_ethnicity_white_pct", "cla_ethnicity_mixed_pct", "cla_ethnicity_asian_pct",
     "cla_ethnicity_black_pct", "cla_ethnicity_other_pct", "cla_ethnicity_not_known_pct"],
]
ADDITIVE = ("count", "percent", "ratio", "rate")


def _one_more(mask: np.ndarray, numerator: np.ndarray, members: np.ndarray,
              months_ok: np.ndarray | None = None) -> bool:
    """Among ``members`` (indices along axis 0 of mask and numerator, each (months,)), at each
    month where exactly one is suppressed (and ``months_ok``), suppress the smallest other one
    shown and not 0.  True if any cell was added."""
    sub = mask[members]                                    # (k, months)
    lonely = sub.sum(axis=0) == 1
    if months_ok is not None:
        lonely &= months_ok
    if not lonely.any():
        return False
    with np.errstate(invalid="ignore"):
        num = np.where(sub | ~(numerator[members] > 0), np.inf, numerator[members])
    pick = np.argmin(num, axis=0)
    months = np.nonzero(lonely & np.isfinite(num.min(axis=0)))[0]
    if not len(months):
        return False
    mask[members[pick[months]], months] = True
    return True


def secondary(ids: list[str], kinds: list[str], value_c: np.ndarray, numerator: np.ndarray,
              parents: list[tuple[int, list[int]]]) -> np.ndarray:
    """Secondary suppression: ``value_c`` (geographies, indicators, months) with the cells added
    that would give a suppressed one away by subtraction (changed in place and returned).

    ``parents``: (whole, [parts]) geography indices whose counts add up (an area and its
    districts; the authority and its areas).  ``numerator`` holds the unsuppressed counts.
    """
    where = {k: i for i, k in enumerate(ids)}
    groups = [np.array([where[k] for k in g if k in where]) for g in COMPLEMENTARY]
    groups = [g for g in groups if len(g) > 1]
    additive = [i for i, k in enumerate(kinds) if k in ADDITIVE]
    for _round in range(100):
        moved = False
        for g in range(value_c.shape[0]):
            for members in groups:
                moved |= _one_more(value_c[g], numerator[g], members)
        for whole, parts in parents:
            if len(parts) < 2:
                continue
            parts_a = np.array(parts)
            for i in additive:
                m = value_c[:, i, :]
                moved |= _one_more(m, numerator[:, i, :], parts_a, months_ok=~m[whole])
                # no other part to hide (the rest are 0 or blank): the whole goes instead
                still = (m[parts_a].sum(axis=0) == 1) & ~m[whole]
                if still.any():
                    m[whole, still] = True
                    moved = True
        if not moved:
            break
    return value_c
