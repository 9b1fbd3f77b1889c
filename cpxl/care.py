"""Periods of care and placements, derived once from the episodes (indicators.md, Conventions).

- V3/V4 episodes (agreed series of short breaks) are dropped first: they never count.
- **Order.** A child's episodes are taken in the order (DECOM, DEC with a blank DEC last, file
  order: the files by name, then their rows).  So on a move day D the episode ending on D comes
  first, then a zero-length episode (DECOM = DEC = D), then the episode that carries on from D.
- A **period of care** is a chain of a child's episodes in which each but the last ends with
  REC = X1 and continues into the next.  An X1 episode continues into the child's not-yet-used
  episode that starts on its DEC and comes after it in that order, wherever that row sits (when
  episodes overlap, the successor need not be the next row by start); the X1 episodes ending on
  one date take the episodes starting that day first come, first served, in that order.  When
  there is none left, the period ends on that DEC.  A zero-length episode is a real episode.
- A **placement** begins with the first episode of a period and every later episode whose RNE is
  P or B; temporary episodes (T0-T4) never begin one, so a child in a temporary episode is still
  in the placement before it, and RNE L, T and U continue the placement (a move to placed for
  adoption with the same foster carers is no new placement, with or without a temporary episode
  in between).  A period that opens with temporary episodes begins its first placement with its
  first non-temporary episode, whatever that episode's RNE: "the episode after a temporary one
  begins a *new* placement only if its RNE is P or B" presupposes a placement before the
  temporary one to continue; with none, the child would be in no placement at all (the DfE's
  stability measures likewise just leave temporary placements out).

Within a period, the chain runs forward in the order above, so every "in the period, in order"
question (the first non-temporary episode, the placement an episode belongs to, the period's
last episode) is a group operation on the episodes in that order: no period need be contiguous.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import codes
from .frames import CHILD_SHIFT, days


def episode_order(cid, decom, dec) -> np.ndarray:
    """The positions of episodes sorted by (child, DECOM, DEC with blank last, given order)."""
    # One int64 key (child, then the two day numbers in 18 bits each; a blank DEC gets the
    # largest, so sorts last) and a stable sort for the given order: a third of a 4-key lexsort.
    top = CHILD_SHIFT - 1
    key = (np.asarray(cid, dtype=np.int64) << 36) | (np.minimum(days(decom), top) << 18) \
        | np.minimum(days(dec), top)
    return np.argsort(key, kind="stable")


def successors(cid, decom, dec, rec) -> np.ndarray:
    """Each episode's successor in its period of care (a position), or -1.

    The episodes must be in :func:`episode_order`.  The X1 episodes ending on a date D take the
    child's episodes starting on D (a block, contiguous in that order) first come, first served:
    the k-th X1 episode (in order) takes the first not-yet-taken episode of the block that comes
    after it.  Episodes that end on D with DECOM < D come before the block; a zero-length X1
    episode (DECOM = DEC = D) is inside it and can only take a later one, never itself.  So the
    k-th one takes block position t_k = max(t_(k-1) + 1, q_k + 1) (q_k: its own position in
    the block, -1 when outside), i.e. t_k = k + max over i <= k of (q_i + 1 - i): a running max.
    """
    cid = np.asarray(cid, dtype=np.int64)
    n = len(cid)
    start = cid * CHILD_SHIFT + np.minimum(days(decom), CHILD_SHIFT - 1)
    end_day = days(dec)
    x1 = (np.asarray(rec, dtype=object) == codes.REC_CONTINUES) & ~pd.isna(np.asarray(dec))
    pred = np.flatnonzero(x1)
    key = cid[pred] * CHILD_SHIFT + np.minimum(end_day[pred], CHILD_SHIFT - 1)
    lo = np.searchsorted(start, key, side="left")
    size = np.searchsorted(start, key, side="right") - lo
    # Group the X1 episodes by the date they end on, in episode order within each group.
    by = np.lexsort((pred, key))
    pred, key, lo, size = pred[by], key[by], lo[by], size[by]
    inside = (pred >= lo) & (pred < lo + size)          # zero-length: starts on its own DEC
    q = np.where(inside, pred - lo, -1)
    new_group = np.ones(len(pred), dtype=bool)
    new_group[1:] = key[1:] != key[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(pred)), 0))
    k = np.arange(len(pred)) - group_start
    best = pd.Series(q + 1 - k).groupby(group_start).cummax().to_numpy()
    t = k + best
    succ = np.full(n, -1, dtype=np.int64)
    ok = t < size
    succ[pred[ok]] = lo[ok] + t[ok]
    return succ


def chain_roots(succ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(root, depth) of every episode: the first episode of its period and its place in the chain.

    Pointer jumping: each step doubles the distance looked back, so the number of steps is the
    base-2 logarithm of the longest chain (a loop over steps, not over children).
    """
    n = len(succ)
    up = np.arange(n)
    has = succ >= 0
    up[succ[has]] = np.flatnonzero(has)                 # each episode's predecessor (or itself)
    dist = (up != np.arange(n)).astype(np.int64)
    while True:
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up, dist
        dist = dist + dist[up]
        up = nxt


def prepare_episodes(episodes: pd.DataFrame, cid: np.ndarray) -> pd.DataFrame:
    """Non-V3/V4 episodes in episode order, with their period of care and placement."""
    e = episodes.assign(cid=cid)
    e = e.loc[~e["LS"].isin(codes.LS_SHORT_BREAKS)].reset_index(drop=True)
    e = e.iloc[episode_order(e["cid"].to_numpy(), e["DECOM"], e["DEC"])].reset_index(drop=True)
    n = len(e)
    succ = successors(e["cid"].to_numpy(), e["DECOM"], e["DEC"], e["REC"].to_numpy())
    root, depth = chain_roots(succ)
    first = depth == 0
    # Periods numbered in the order of their first episodes (by child, then start).
    number = np.cumsum(first, dtype=np.int64) - 1
    period_no = number[root]
    e["period_no"] = period_no
    e["first_in_period"] = first
    e["last_in_period"] = succ < 0
    e["chain_step"] = depth
    e["period_start"] = e["DECOM"].to_numpy()[root]
    last_of = np.zeros(int(first.sum()), dtype=np.int64)
    last_of[period_no[succ < 0]] = np.flatnonzero(succ < 0)
    e["period_end"] = e["DEC"].to_numpy()[last_of[period_no]] if n else e["DEC"]

    temporary = e["PLACE"].isin(codes.PLACE_TEMPORARY).to_numpy()
    # The first non-temporary episode of its period (earlier ones in the period all temporary):
    # it begins the period's first placement even when the period opened with a temporary
    # episode (see the module docstring).
    real = pd.Series((~temporary).astype(np.int64))
    non_temp_before = real.groupby(period_no).cumsum().to_numpy() - (~temporary)
    first_real = ~temporary & (non_temp_before == 0)
    begins = (first_real | e["RNE"].isin(codes.RNE_NEW_CARER).to_numpy()) & ~temporary
    e["begins_placement"] = begins
    # Placement number (the position of the episode that began it) carried forward within the
    # period of care: temporary episodes, and RNE L, T and U, inherit it.
    began_at = pd.Series(np.where(begins, np.arange(n), np.nan))
    latest_begun = began_at.groupby(period_no).ffill()
    e["placement_no"] = latest_begun.to_numpy()
    has = ~np.isnan(e["placement_no"].to_numpy())
    pno = e["placement_no"].to_numpy()[has].astype(np.int64)
    pstart = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    pstart[has] = e["DECOM"].to_numpy()[pno]
    e["placement_start"] = pstart
    # The start of the placement before the current one in the same period (the adoption
    # exception of stability_long_pct): on the episode that begins a placement, the one before
    # is the latest placement begun on an earlier episode of the period.
    before = latest_begun.groupby(period_no).shift().to_numpy()
    prev_pl = np.full(n, np.nan)
    prev_pl[has] = before[pno]
    ok = ~np.isnan(prev_pl)
    prev_start = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prev_start[ok] = e["DECOM"].to_numpy()[prev_pl[ok].astype(np.int64)]
    e["previous_placement_start"] = prev_start
    return e


def care_periods(e: pd.DataFrame) -> pd.DataFrame:
    """One row per period of care: child, start, end (NaT while open), how it ended, first CIN."""
    first = e.loc[e["first_in_period"]]
    last = e.loc[e["last_in_period"]].sort_values("period_no", kind="stable")
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
    # The placement's end is the DEC of its last episode (blank while that one is open); the
    # episodes of a placement are in chain order, so its last row is its last episode.
    out["end"] = p.drop_duplicates("placement_no", keep="last").set_index("placement_no")["DEC"]
    return out.reset_index()
