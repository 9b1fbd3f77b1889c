"""The input tables of the data contract (docs/data.md): their columns and what they need.

A table is recognised by its header row, not its file name.  ``identify`` columns are the ones that
say "this is that table"; ``required`` ones must be there for the table to be usable; the rest are
read when present.  ``dates`` are parsed; ``key`` names the column that links rows to a child.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The district of a child with no district from either source (reported like any other district,
# in no area).
UNKNOWN_DISTRICT = "Unknown"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    identify: tuple[str, ...]
    required: tuple[str, ...]
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    source: str = "SSDA903"
    description: str = ""
    optional: tuple[str, ...] = field(default=())

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + tuple(c for c in self.optional if c not in self.columns)


TABLES: dict[str, Table] = {t.name: t for t in [
    Table("header", ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
          identify=("CHILD", "SEX", "DOB", "ETHNIC"), required=("CHILD", "SEX", "DOB", "ETHNIC"),
          dates=("DOB", "MC_DOB"), description="one row per child"),
    Table("episodes", ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                       "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"),
          identify=("CHILD", "DECOM", "RNE"),
          required=("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC"),
          dates=("DECOM", "DEC"), description="episodes of care"),
    Table("reviews", ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
          identify=("CHILD", "REVIEW"), required=("CHILD", "REVIEW"), dates=("DOB", "REVIEW")),
    Table("uasc", ("CHILD", "SEX", "DOB", "DUC"), identify=("CHILD", "DUC"),
          required=("CHILD", "DUC"), dates=("DOB", "DUC")),
    Table("oc2", ("CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK",
                  "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
                  "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
          identify=("CHILD", "HEALTH_CHECK"),
          required=("CHILD", "SDQ_SCORE", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK"),
          dates=("DOB",), numbers=("SDQ_SCORE",)),
    Table("oc3", ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"), identify=("CHILD", "IN_TOUCH"),
          required=("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"), dates=("DOB",)),
    Table("ad1", ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
                  "LS_ADOPTR"), identify=("CHILD", "DATE_INT"), required=("CHILD",),
          dates=("DOB", "DATE_INT", "DATE_MATCH")),
    Table("placed_for_adoption", ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED",
                                  "REASON_PLACED_CEASED"),
          identify=("CHILD", "DATE_PLACED"), required=("CHILD", "DATE_PLACED"),
          dates=("DOB", "DATE_PLACED", "DATE_PLACED_CEASED")),
    Table("previous_permanence", ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
          identify=("CHILD", "PREV_PERM"), required=("CHILD",), dates=("DOB",)),
    Table("missing", ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
          identify=("CHILD", "MIS_START"), required=("CHILD", "MISSING", "MIS_START", "MIS_END"),
          dates=("DOB", "MIS_START", "MIS_END", "RHI_DATE"), optional=("RHI_DATE",)),
    Table("sw_episodes", ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
          identify=("CHILD", "SW_ID", "SW_DECOM"), required=("CHILD", "SW_ID", "SW_DECOM", "SW_DEC"),
          dates=("DOB", "SW_DECOM", "SW_DEC")),
    # Local tables (data.md section 2)
    Table("districts", ("CHILD", "DISTRICT"), identify=("CHILD", "DISTRICT"),
          required=("CHILD", "DISTRICT"), source="local"),
    Table("postcode_districts", ("OUTWARD_CODE", "DISTRICT"), identify=("OUTWARD_CODE", "DISTRICT"),
          required=("OUTWARD_CODE", "DISTRICT"), source="local"),
    Table("areas", ("DISTRICT", "AREA"), identify=("DISTRICT", "AREA"),
          required=("DISTRICT", "AREA"), source="local"),
    Table("population", ("GEOGRAPHY", "YEAR", "POPULATION_0_17"),
          identify=("GEOGRAPHY", "POPULATION_0_17"), required=("GEOGRAPHY", "YEAR", "POPULATION_0_17"),
          numbers=("YEAR", "POPULATION_0_17"), source="local"),
    Table("visits", ("CHILD", "VISIT_DATE"), identify=("CHILD", "VISIT_DATE"),
          required=("CHILD", "VISIT_DATE"), dates=("VISIT_DATE",), source="local"),
    Table("health_assessments", ("CHILD", "ASSESSMENT_DATE", "TYPE"),
          identify=("CHILD", "ASSESSMENT_DATE"), required=("CHILD", "ASSESSMENT_DATE", "TYPE"),
          dates=("ASSESSMENT_DATE",), source="local"),
    Table("dental_checks", ("CHILD", "CHECK_DATE"), identify=("CHILD", "CHECK_DATE"),
          required=("CHILD", "CHECK_DATE"), dates=("CHECK_DATE",), source="local"),
    Table("peps", ("CHILD", "PEP_DATE"), identify=("CHILD", "PEP_DATE"),
          required=("CHILD", "PEP_DATE"), dates=("PEP_DATE",), source="local"),
    Table("referrals", ("CHILD", "REFERRAL_DATE"), identify=("CHILD", "REFERRAL_DATE"),
          required=("CHILD", "REFERRAL_DATE"), dates=("REFERRAL_DATE",), source="local"),
    Table("assessments", ("CHILD", "ASSESSMENT_START", "ASSESSMENT_AUTHORISED"),
          identify=("CHILD", "ASSESSMENT_START"), required=("CHILD", "ASSESSMENT_START",
                                                            "ASSESSMENT_AUTHORISED"),
          dates=("ASSESSMENT_START", "ASSESSMENT_AUTHORISED"), source="local"),
    Table("cp_plans", ("CHILD", "CPP_START", "CPP_END", "CATEGORY"), identify=("CHILD", "CPP_START"),
          required=("CHILD", "CPP_START", "CPP_END"), dates=("CPP_START", "CPP_END"), source="local"),
    Table("workers", ("WORKER_ID", "TEAM", "DISTRICT", "FTE"), identify=("WORKER_ID", "FTE"),
          required=("WORKER_ID", "DISTRICT", "FTE"), numbers=("FTE",), source="local"),
    Table("allocations", ("CHILD", "WORKER_ID", "START", "END"), identify=("CHILD", "WORKER_ID", "START"),
          required=("CHILD", "WORKER_ID", "START", "END"), dates=("START", "END"), source="local"),
]}


def identify_table(columns: list[str]) -> tuple[str | None, list[tuple[str, int]]]:
    """The table a header row belongs to, and the candidates ranked (for a helpful message).

    The winner is the table all of whose identifying columns are present and that matches the
    most of its own columns; ties go to the table with fewer columns left unmatched (so
    ``CHILD, SEX, DOB, DUC`` is uasc, not header).
    """
    cols = set(columns)
    ranked = []
    for t in TABLES.values():
        matched = len(cols & set(t.all_columns))
        ranked.append((t.name, matched, all(c in cols for c in t.identify),
                       len(set(t.all_columns) - cols)))
    candidates = [r for r in ranked if r[2]]
    candidates.sort(key=lambda r: (-r[1], r[3]))
    ranked.sort(key=lambda r: (-r[1], r[3]))
    best = candidates[0][0] if candidates else None
    return best, [(r[0], r[1]) for r in ranked]


# A case-holding worker's full-time equivalent: more than 0, at most this (a typed number of
# hours such as 37 is the usual mistake).
MAX_FTE = 1.5
