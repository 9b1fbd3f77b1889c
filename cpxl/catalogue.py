"""The indicator catalogue: every indicator is one small function with its metadata beside it.

::

    @indicator("placed_foster_pct", "Children looked after in foster care", unit="%",
               polarity="higher", tables=("episodes",), theme="Placements and stability",
               lait="...", definition="Of children looked after on D, those whose open episode "
               "has PLACE U1-U6.")
    def placed_foster_pct(c):
        la = c.looked_after
        return c.percent(la, la["PLACE"].isin(codes.PLACE_FOSTER))

The function receives the engine's :class:`~cpxl.engine.Context` (every period end at once) and
returns a *tally*: one row per child (or event, or worker) and period with ``num`` and ``den``
columns, which the engine adds up by district, area and authority.  Adding an indicator touches
only the module that defines it.
"""
from __future__ import annotations

import pandas as pd

from . import indicators  # noqa: F401  (registers every indicator: the catalogue is always whole)
from .indicators.registry import (CATALOGUE, KIND_OF_UNIT, POLARITIES, THEMES, Indicator,
                                  indicator, register, unregister)

__all__ = ["CATALOGUE", "CONVENTIONS", "KIND_OF_UNIT", "POLARITIES", "THEMES", "Indicator",
           "catalogue", "get", "indicator", "markdown", "register", "unregister"]

def catalogue() -> pd.DataFrame:
    """The catalogue as a table, in reporting order."""
    return pd.DataFrame([i.as_dict() for i in CATALOGUE.values()])


# The rules every definition below relies on (docs/indicators.md, "Conventions").  They follow
# the DfE's published definitions where it has one, else the statutory timescales.
CONVENTIONS = [
    "**Period end** D: a date; monthly reporting uses month ends. **The year to D**, W, is the "
    "dates after D minus 12 calendar months up to and including D (D = 2020-12-31 gives "
    "2020-01-01 to 2020-12-31).",
    "An **episode is open on D** when DECOM is on or before D and DEC is blank or after D. A child "
    "who leaves on D is not looked after at the end of D.",
    "A child is **looked after on D** when an episode of theirs that is not V3/V4 (agreed short "
    "breaks) is open on D. V3/V4 episodes are left out of every indicator, and before periods "
    "of care are built: an episode ending X1 whose only successor is a V3/V4 episode ends its "
    "period of care there (a short break is not being looked after).",
    "A **period of care** is a run of a child's episodes in which each episode but the last ends "
    "with REC = X1 and the next starts on that DEC. It starts with its first episode and ends on "
    "the DEC of its last. The **current period of care** on D is the one open on D.",
    "**Placements**: a new placement begins with the first episode of a period of care and with "
    "every later episode whose RNE is P or B (a change of carer); RNE L, T and U continue the same "
    "placement. Temporary episodes (PLACE T0-T4) never begin a placement: a child in one is still "
    "in the placement before it, and the episode after it begins a new placement only if its RNE "
    "is P or B. A period of care that opens with a temporary episode begins its first placement "
    "with its first non-temporary episode.",
    "A child is **looked after at any time in W** when they have a non-V3/V4 episode with DECOM on "
    "or before D and DEC blank or after D minus 12 months.",
    "Local tables with start and end dates (cp_plans, allocations) follow the episode rule: "
    "**open on D** when the start is on or before D and the end is blank or after D.",
    "**Age** on D is in completed years from DOB.",
    "**Working days** are Monday to Friday less the bank holidays of England and Wales; \"within N "
    "working days of S\" means on or before the N-th working day after S (S itself not counted).",
    "\"Within N months\" uses calendar months: D minus 6 months of 2021-08-31 is 2021-02-28.",
    "A percentage is 100 x numerator / denominator; a rate per 10,000 is 10,000 x numerator / "
    "population aged 0-17. Values are kept unrounded; presentation rounds (percentages and rates "
    "to 1 decimal place).",
    "Where the data cannot give a value (a table missing, a zero denominator) the value is blank "
    "with the reason in the note, never 0. The input tables, their codes and the output table are "
    "described in [data.md](data.md).",
]


def markdown() -> str:
    """The catalogue as a Markdown document (docs/indicators.md is this, kept in step by a test)."""
    lines = ["# Indicator definitions", "",
             "Generated from the catalogue in `cpxl/indicators/` by `cpxl list --markdown "
             "docs/indicators.md`; the definitions are the ones the code carries and the scorecards' "
             "Definitions sheet shows. D is the period end; the year to D is the dates after D minus "
             "12 calendar months up to and including D.", "", "## Conventions", ""]
    lines += [f"- {rule}" for rule in CONVENTIONS] + [""]
    by_theme: dict[str, list[Indicator]] = {}
    for ind in CATALOGUE.values():
        by_theme.setdefault(ind.theme, []).append(ind)
    for theme in THEMES:
        if theme not in by_theme:
            continue
        lines += [f"## {theme}", ""]
        for ind in by_theme[theme]:
            lines += [f"### `{ind.id}` — {ind.title}", "",
                      f"Unit: {ind.unit}. Polarity: {ind.polarity}. Tables: {', '.join(ind.tables)}."
                      + _published(ind), "",
                      ind.definition, ""]
    return "\n".join(lines)


def _published(ind: Indicator) -> str:
    """What docs/indicators.md says of the indicator's published counterpart: compared only when
    a comparator ships (cpxl/data/comparators_meta.json, built by scripts/build_comparators.py)."""
    from .comparators import indicator_info

    if not ind.lait:
        return ""
    if indicator_info(ind.id) is not None:
        return f" Compared with LAIT: {ind.lait}."
    return f" Nearest LAIT measure: {ind.lait} (no published comparator ships)."


def get(indicator_id: str) -> Indicator:
    try:
        return CATALOGUE[indicator_id]
    except KeyError:
        import difflib
        close = difflib.get_close_matches(indicator_id, list(CATALOGUE), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise KeyError(f"no indicator '{indicator_id}'{hint}") from None

