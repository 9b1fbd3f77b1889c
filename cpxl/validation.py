"""Validation rules: one rule, one small function, its metadata beside it.

A rule looks at a typed table (and, where it must, the others) and returns a boolean mask of the
rows with the problem.  Its metadata say which column, what is wrong, and whether a row with the
problem is still used (``drops=False``) or left out of every indicator (``drops=True``).
Rules on codes never drop a row: an unknown PLACE is "other", an unknown REC ends the period of
care, and the report says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from . import codes


@dataclass(frozen=True)
class Rule:
    id: str
    table: str
    column: str
    message: str          # what is wrong, with {COLUMN} placeholders filled from the row
    drops: bool
    check: Callable       # (table, tables) -> boolean mask
    used_as: str = ""     # for a kept row, what cpxl does with it


RULES: list[Rule] = []


def rule(table: str, column: str, message: str, drops: bool = False, used_as: str = ""):
    def register(func):
        RULES.append(Rule(func.__name__, table, column, message, drops, func, used_as))
        return func
    return register


def _code_rule(table, column, allowed, used_as, blank_ok=True):
    def check(t, _tables):
        v = t[column]
        bad = ~v.isin(allowed)
        return bad & (v != "") if blank_ok else bad
    check.__name__ = f"{table}_{column.lower()}_code"
    text = "'{%s}' is not a DfE %s code" % (column, column)
    return rule(table, column, text, drops=False, used_as=used_as)(check)


# --- episodes --------------------------------------------------------------------------------

@rule("episodes", "DEC", "DEC {DEC} is before DECOM {DECOM}", drops=True)
def episodes_dec_before_decom(t, _tables):
    return t["DEC"].notna() & (t["DEC"] < t["DECOM"])


@rule("episodes", "DECOM", "the episode starts (DECOM {DECOM}) before the child's previous episode "
      "ended", used_as="yes: on a date with two open episodes, the later one counts")
def episodes_overlap(t, _tables):
    order = t.sort_values(["CHILD", "DECOM"], kind="stable")
    same = order["CHILD"].eq(order["CHILD"].shift())
    prev_end = order["DEC"].shift()
    overlap = same & (prev_end.isna() | (order["DECOM"] < prev_end))
    return overlap.reindex(t.index, fill_value=False)


@rule("episodes", "DECOM", "duplicate episode: the same CHILD and DECOM appear on an earlier row",
      drops=True)
def episodes_duplicate(t, _tables):
    return t.duplicated(["CHILD", "DECOM"], keep="first")


@rule("episodes", "CHILD", "child {CHILD} has episodes but no row in the header table",
      used_as="yes: sex, ethnicity and age are unknown")
def episodes_child_not_in_header(t, tables):
    header = tables.get("header")
    if header is None:
        return pd.Series(False, index=t.index)
    return ~t["CHILD"].isin(header["CHILD"])


@rule("episodes", "REC", "REC is X1 but no episode starts on DEC {DEC}",
      used_as="yes: the period of care ends on DEC")
def episodes_x1_without_next(t, _tables):
    nxt = t[["CHILD", "DECOM"]].drop_duplicates()
    key = pd.MultiIndex.from_frame(nxt)
    has_next = pd.MultiIndex.from_arrays([t["CHILD"], t["DEC"]]).isin(key)
    return (t["REC"] == codes.REC_CONTINUES) & t["DEC"].notna() & ~has_next


@rule("episodes", "REC", "DEC {DEC} is filled but REC is blank", used_as="yes: the period of care ends on DEC")
def episodes_dec_without_rec(t, _tables):
    return t["DEC"].notna() & (t["REC"] == "")


_code_rule("episodes", "RNE", codes.RNE, "yes: treated as no change of carer", blank_ok=False)
_code_rule("episodes", "LS", codes.LS, "yes: counted as looked after", blank_ok=False)
_code_rule("episodes", "PLACE", codes.PLACE, "yes: counted as 'other' placement type", blank_ok=False)
_code_rule("episodes", "REC", codes.REC, "yes: ends the period of care")
_code_rule("episodes", "CIN", codes.CIN, "yes: not counted as abuse or neglect")

# --- header ----------------------------------------------------------------------------------


@rule("header", "CHILD", "child {CHILD} appears more than once in the header table",
      drops=True)
def header_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="first")


@rule("header", "DOB", "DOB is blank or not a date", used_as="yes: age unknown")
def header_dob_missing(t, _tables):
    return t["DOB"].isna()


_code_rule("header", "SEX", codes.SEX_MALE | codes.SEX_FEMALE, "yes: sex not known")

# --- oc3 -------------------------------------------------------------------------------------

_code_rule("oc3", "IN_TOUCH", codes.IN_TOUCH, "yes: counted as not in touch", blank_ok=False)
_code_rule("oc3", "ACTIV", codes.ACTIV, "yes: counted as not in education, employment or training",
           blank_ok=False)
_code_rule("oc3", "ACCOM", codes.ACCOM, "yes: counted as not known to be suitable", blank_ok=False)


@rule("oc3", "CHILD", "young person {CHILD} appears more than once in the oc3 table", drops=True)
def oc3_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="last")


@rule("oc2", "CHILD", "child {CHILD} appears more than once in the oc2 table",
      drops=True, used_as="no: the last row is used")
def oc2_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="last")


@rule("oc2", "SDQ_SCORE", "SDQ_SCORE '{SDQ_SCORE}' is not a whole number from 0 to 40",
      used_as="yes: SDQ score treated as not present")
def oc2_sdq_out_of_range(t, _tables):
    s = t["SDQ_SCORE"]
    return s.notna() & ((s < 0) | (s > 40) | (s != np.floor(s)))


# --- missing ---------------------------------------------------------------------------------

_code_rule("missing", "MISSING", codes.MISSING, "yes: not counted as missing (M)", blank_ok=False)


@rule("missing", "MIS_END", "MIS_END {MIS_END} is before MIS_START {MIS_START}", drops=True)
def missing_end_before_start(t, _tables):
    return t["MIS_END"].notna() & (t["MIS_END"] < t["MIS_START"])


# --- sw_episodes / uasc ----------------------------------------------------------------------

@rule("sw_episodes", "SW_DEC", "SW_DEC {SW_DEC} is before SW_DECOM {SW_DECOM}", drops=True)
def sw_dec_before_decom(t, _tables):
    return t["SW_DEC"].notna() & (t["SW_DEC"] < t["SW_DECOM"])


def run_rules(tables: dict[str, pd.DataFrame], table: str) -> list[tuple[Rule, pd.Series]]:
    """Every rule of ``table`` with the mask of the rows it finds (only rules that find some)."""
    t = tables[table]
    found = []
    for r in RULES:
        if r.table != table or r.column not in t.columns:
            continue
        mask = r.check(t, tables)
        if mask.any():
            found.append((r, mask))
    return found


def format_message(r: Rule, rows: pd.DataFrame) -> list[str]:
    """The rule's message for each row, its {COLUMN} placeholders filled with the row's values."""
    import re

    fields = re.findall(r"{(\w+)}", r.message)
    if not fields:
        return [r.message] * len(rows)
    values = {}
    for f in fields:
        col = rows[f] if f in rows.columns else pd.Series("", index=rows.index)
        if pd.api.types.is_datetime64_any_dtype(col):
            col = col.dt.strftime("%d/%m/%Y").fillna("blank")
        values[f] = col.astype(str).tolist()
    return [r.message.format(**{f: values[f][i] for f in fields}) for i in range(len(rows))]
