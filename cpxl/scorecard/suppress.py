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
