"""Periods of care and placements, derived once from the episodes (indicators.md, Conventions).

- V3/V4 episodes (agreed series of short breaks) are dropped first: they never count.
- A **period of care** is a run of a child's episodes in which each but the last ends with
  REC = X1 and the next starts on that DEC.
- A **placement** begins with the first episode of a period and every later episode whose RNE is
  P or B; temporary episodes (T0-T4) never begin one, so a child in a temporary episode is still
  in the placement before it.  A period that opens with temporary episodes begins its first
  placement with its first non-temporary episode, whatever that episode's RNE: "the episode after
  a temporary one begins a *new* placement only if its RNE is P or B" presupposes a placement
  before the temporary one to continue; with none, the child would be in no placement at all (the
  DfE's stability measures likewise just leave temporary placements out).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import codes


def prepare_episodes(episodes: pd.DataFrame, cid: np.ndarray) -> pd.DataFrame:
    """Non-V3/V4 episodes sorted by child and start, with their period of care and placement."""
    e = episodes.assign(cid=cid)
    e = e.loc[~e["LS"].isin(codes.LS_SHORT_BREAKS)]
    e = e.sort_values(["cid", "DECOM", "_row"], kind="stable").reset_index(drop=True)
    c = e["cid"].to_numpy()
    n = len(e)
    # Built with explicit lengths: np.r_[False, ...] gave one element too many when no episode is
    # left (a dataset of short breaks only), which crashed every indicator.
    same_child = np.zeros(n, dtype=bool)
    same_child[1:] = c[1:] == c[:-1]
    prev_x1 = np.zeros(n, dtype=bool)
    prev_x1[1:] = e["REC"].to_numpy()[:-1] == codes.REC_CONTINUES
    prev_dec = e["DEC"].shift()
    chained = same_child & prev_x1 & (prev_dec == e["DECOM"]).to_numpy()
    new_period = ~chained
    e["period_no"] = np.cumsum(new_period, dtype=np.int64) - 1
    e["first_in_period"] = new_period
    last_in_period = np.ones(n, dtype=bool)
    last_in_period[:-1] = new_period[1:]
    e["last_in_period"] = last_in_period
    starts = e["DECOM"].to_numpy()[new_period]
    e["period_start"] = starts[e["period_no"].to_numpy()]
    last = e.loc[e["last_in_period"]]
    e["period_end"] = last["DEC"].to_numpy()[e["period_no"].to_numpy()]

    temporary = e["PLACE"].isin(codes.PLACE_TEMPORARY).to_numpy()
    # The first non-temporary episode of its period (earlier ones in the period all temporary):
    # it begins the period's first placement even when the period opened with a temporary
    # episode (see the module docstring; before, such a period had no placement at all).
    non_temp_before = pd.Series(~temporary).groupby(e["period_no"].to_numpy()).cumsum().to_numpy() \
        - (~temporary)
    first_real = ~temporary & (non_temp_before == 0)
    begins = (first_real | e["RNE"].isin(codes.RNE_NEW_CARER).to_numpy()) & ~temporary
    e["begins_placement"] = begins
    # Placement number carried forward within the period of care (temporary episodes inherit).
    placement = pd.Series(np.where(begins, np.arange(len(e)), np.nan))
    placement = placement.groupby(e["period_no"].to_numpy()).ffill()
    e["placement_no"] = placement.to_numpy()
    has = ~np.isnan(e["placement_no"].to_numpy())
    pstart = np.full(len(e), np.datetime64("NaT"), dtype="datetime64[ns]")
    pstart[has] = e["DECOM"].to_numpy()[e["placement_no"].to_numpy()[has].astype(int)]
    e["placement_start"] = pstart
    return e


def care_periods(e: pd.DataFrame) -> pd.DataFrame:
    """One row per period of care: child, start, end (NaT while open), how it ended, first CIN."""
    first = e.loc[e["first_in_period"]]
    last = e.loc[e["last_in_period"]]
    return pd.DataFrame({
        "period_no": first["period_no"].to_numpy(),
        "cid": first["cid"].to_numpy(),
        "start": first["DECOM"].to_numpy(),
        "end": last["DEC"].to_numpy(),
        "end_rec": last["REC"].to_numpy(),
        "first_cin": first["CIN"].to_numpy(),
    })


def placements(e: pd.DataFrame) -> pd.DataFrame:
    """One row per placement: child, start, end (the DEC of its last episode; NaT while open)."""
    p = e.loc[e["placement_no"].notna(), ["cid", "placement_no", "placement_start", "DEC"]]
    grouped = p.groupby("placement_no", sort=True)
    out = grouped.agg(cid=("cid", "first"), start=("placement_start", "first"))
    # The placement's end is the DEC of its last episode (blank while that one is open).
    out["end"] = p.drop_duplicates("placement_no", keep="last").set_index("placement_no")["DEC"]
    return out.reset_index()
