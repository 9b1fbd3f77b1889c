"""Rules on the SSDA903 tables: episodes, header, oc2, oc3, missing and social workers."""
from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from .. import codes
from ..care import episode_order, successors
from ..frames import days
from ..tables import TABLES
from .registry import after_each_run, code_rule, not_yet, rule


# --- episodes --------------------------------------------------------------------------------

@rule("episodes", "DEC", "DEC {DEC} is before DECOM {DECOM}", drops=True)
def episodes_dec_before_decom(t, _tables):
    return t["DEC"].notna() & (t["DEC"] < t["DECOM"])


# An episode is a duplicate only when it repeats a whole earlier row: the same CHILD, DECOM, DEC,
# RNE, LS, CIN, PLACE, PLACE_PROVIDER, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST and URN (the
# same episode in two years' extracts).  Two rows with the same CHILD and DECOM that differ are two
# real episodes: on a move day an episode can start and end on D (zero-length) and the next one
# start on D too.
EPISODE_COLUMNS = TABLES["episodes"].columns


def _repeats(t) -> pd.Series:
    # Only rows sharing CHILD and DECOM with another can repeat one: the whole-row comparison
    # (13 text columns) runs on those few, not on every row.
    maybe = t.duplicated(["CHILD", "DECOM"], keep=False)
    out = pd.Series(False, index=t.index)
    if maybe.any():
        cols = [c for c in EPISODE_COLUMNS if c in t.columns]
        out[maybe] = t.loc[maybe].duplicated(cols, keep="first")
    return out


_ORDER_MEMO: list = [None, None]      # (weak reference to the table, its arrays)


def _in_episode_order(t):
    """(index, child, DECOM, DEC, REC) of the episodes that are not repeats, in episode order
    (CHILD, DECOM, DEC blank last, row): plain arrays, not a reordered copy of the table.

    Three rules ask for the same table one after another: it is worked out once (hashing a
    million CHILD ids takes a third of a second each time).
    """
    ref, value = _ORDER_MEMO
    if ref is not None and ref() is t and value[0] == len(t):
        return value[1]
    value = _episode_arrays(t)
    _ORDER_MEMO[:] = [weakref.ref(t), (len(t), value)]
    return value


def _episode_arrays(t):
    keep = ~_repeats(t).to_numpy()
    child, _ = pd.factorize(t["CHILD"].to_numpy()[keep])
    decom, dec = t["DECOM"].to_numpy()[keep], t["DEC"].to_numpy()[keep]
    order = episode_order(child, decom, dec)
    return (t.index.to_numpy()[keep][order], child[order], decom[order], dec[order],
            t["REC"].to_numpy()[keep][order])


def _mask(t, index, flags) -> pd.Series:
    out = pd.Series(False, index=t.index)
    out[index[flags]] = True
    return out


@rule("episodes", "DECOM", "the episode starts (DECOM {DECOM}) before another episode of the "
      "child has ended", used_as="yes: the child is counted once; on a date with two open "
      "episodes, the later-starting one counts")
def episodes_overlap(t, _tables):
    """Starts before the latest end of the child's earlier episodes (in episode order), or while
    one of them is still open: a running maximum, not just the row before (which missed an
    episode inside a long one once a shorter one had ended)."""
    index, child, decom, dec, _rec = _in_episode_order(t)
    end = pd.Series(days(dec))
    latest_end_before = end.groupby(child).cummax().groupby(child).shift().to_numpy()
    overlap = ~np.isnan(latest_end_before) & (days(decom) < latest_end_before)
    return _mask(t, index, overlap)


@rule("episodes", "DECOM", "duplicate episode: every column (CHILD, DECOM, DEC, RNE, LS, CIN, PLACE, "
      "PLACE_PROVIDER, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN) repeats an earlier row "
      "(the same episode in two extracts?); the repeat is not used", drops=True)
def episodes_duplicate(t, _tables):
    return _repeats(t)


@rule("episodes", "DECOM", "another episode of child {CHILD} also starts on {DECOM} and lasts "
      "beyond it, with other values (not a repeat of the whole row); if both are the same episode "
      "from two extracts, keep only the newer one", used_as="yes: both episodes are used")
def episodes_same_start(t, _tables):
    """Two episodes of a child that start on one day and both last beyond it (a zero-length
    episode on a move day is normal and not reported)."""
    index, child, decom, dec, _rec = _in_episode_order(t)
    lasting = pd.isna(dec) | (dec > decom)
    same = np.zeros(len(index), dtype=bool)
    c, d = child[lasting], days(decom[lasting])
    again = np.zeros(len(c), dtype=bool)
    again[1:] = (c[1:] == c[:-1]) & (d[1:] == d[:-1])        # in order: same child, same start
    same[np.flatnonzero(lasting)] = again
    return _mask(t, index, same)


@rule("episodes", "CHILD", "child {CHILD} has episodes but no row in the header table",
      used_as="yes: sex, ethnicity and age are unknown")
def episodes_child_not_in_header(t, tables):
    header = tables.get("header")
    if header is None:
        return pd.Series(False, index=t.index)
    return ~t["CHILD"].isin(header["CHILD"])


@rule("episodes", "REC", "REC is X1 but no episode of the child starts on DEC {DEC} (or each one that "
      "does already continues another X1 episode)",
      used_as="yes: the period of care ends on DEC")
def episodes_x1_without_next(t, _tables):
    """No episode of the child starts on DEC that another X1 episode has not continued into
    already (the rule of cpxl.care.successors, on every episode, short breaks included)."""
    index, child, decom, dec, rec = _in_episode_order(t)
    succ = successors(child, decom, dec, rec)
    alone = (rec == codes.REC_CONTINUES) & ~pd.isna(dec) & (succ < 0)
    return _mask(t, index, alone)


@rule("episodes", "REC", "DEC {DEC} is filled but REC is blank", used_as="yes: the period of care ends on DEC")
def episodes_dec_without_rec(t, _tables):
    return t["DEC"].notna() & (t["REC"] == "")


code_rule("episodes", "RNE", codes.RNE, "yes: treated as no change of carer", blank_ok=False)
code_rule("episodes", "LS", codes.LS, "yes: counted as looked after", blank_ok=False)
code_rule("episodes", "PLACE", codes.PLACE, "yes: counted as 'other' placement type", blank_ok=False)
code_rule("episodes", "REC", codes.REC, "yes: ends the period of care")
code_rule("episodes", "CIN", codes.CIN, "yes: not counted as abuse or neglect")

# --- header ----------------------------------------------------------------------------------


@rule("header", "CHILD", "child {CHILD} appears more than once in the header table",
      drops=True)
def header_duplicate(t, _tables):
    return t.duplicated("CHILD", keep="first")


@rule("header", "DOB", "DOB is blank or not a date", used_as="yes: age unknown")
def header_dob_missing(t, _tables):
    return t["DOB"].isna()


@rule("header", "DOB", "DOB {DOB} is after the latest date in the data (today or the latest "
      "DECOM/DEC, plus a month): a mistyped year?", used_as="yes: age unknown")
def header_dob_in_future(t, tables):
    """Reported, not dropped: the child is still looked after; only their age is unknown."""
    return t["DOB"].notna() & (t["DOB"] > not_yet(tables))


code_rule("header", "SEX", codes.SEX_MALE | codes.SEX_FEMALE, "yes: sex not known")

# --- oc3 -------------------------------------------------------------------------------------

code_rule("oc3", "IN_TOUCH", codes.IN_TOUCH, "yes: counted as not in touch", blank_ok=False)


def _oc3_code(column, allowed, used_as):
    """ACTIV and ACCOM are left blank, as the DfE requires, for IN_TOUCH = DIED or RHOM."""
    def check(t, _tables):
        v = t[column]
        blank_allowed = (v == "") & t["IN_TOUCH"].isin(codes.IN_TOUCH_EXCLUDED)
        return ~v.isin(allowed) & ~blank_allowed
    check.__name__ = f"oc3_{column.lower()}_code"
    return rule("oc3", column, "'{%s}' is not a DfE %s code" % (column, column), used_as=used_as)(check)


_oc3_code("ACTIV", codes.ACTIV, "yes: counted as not in education, employment or training")
_oc3_code("ACCOM", codes.ACCOM, "yes: counted as not known to be suitable")


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

code_rule("missing", "MISSING", codes.MISSING, "yes: not counted as missing (M)", blank_ok=False)


@rule("missing", "MIS_END", "MIS_END {MIS_END} is before MIS_START {MIS_START}", drops=True)
def missing_end_before_start(t, _tables):
    return t["MIS_END"].notna() & (t["MIS_END"] < t["MIS_START"])


# --- sw_episodes / uasc ----------------------------------------------------------------------

@rule("sw_episodes", "SW_DEC", "SW_DEC {SW_DEC} is before SW_DECOM {SW_DECOM}", drops=True)
def sw_dec_before_decom(t, _tables):
    return t["SW_DEC"].notna() & (t["SW_DEC"] < t["SW_DECOM"])


@after_each_run
def _forget_episode_order() -> None:
    _ORDER_MEMO[:] = [None, None]
