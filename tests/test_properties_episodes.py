"""Property tests of the periods of care on the synthetic county (issue 10).

A small county from the ``cpxl.sample`` generator is given real extracts' awkward shapes, drawn by
hypothesis: zero-length episodes on move days (an X1 episode, then one starting and ending that
day, then the next), overlapping episodes (a stray episode inside another, some ending X1 on the
day another episode of the child starts, so two X1 episodes compete for one successor), and whole
rows repeated (the same episode in two extracts).  Then:

- shuffling the episode rows and splitting the episodes of those children across several files
  (read in another order) changes no number of any indicator, geography or month;
- a zero-length RNE L episode (a change of legal status only) slipped into a move day changes
  no number at all: the chain runs through it, it is never open, and it begins no placement.

Bounded: a few examples on a county of a few dozen children (``derandomize``: the same examples
every run).
"""
from __future__ import annotations

import functools
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

import cpxl
from cpxl.sample import generate_tables

PERIOD_END = "2025-12-31"
MONTHS = 13
SETTINGS = {"deadline": None, "derandomize": True, "database": None, "print_blob": True,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
KEYS = ["indicator", "period_end", "level", "geography"]


@functools.lru_cache(maxsize=4)
def county(seed: int) -> dict[str, pd.DataFrame]:
    return generate_tables(children=25, seed=seed)


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != ""), format="%d/%m/%Y")


def _fmt(d) -> str:
    return "" if pd.isna(d) else pd.Timestamp(d).strftime("%d/%m/%Y")


@st.composite
def awkward(draw):
    """(seed, episodes with awkward rows added, the children given them, the row order seed)."""
    seed = draw(st.sampled_from([1, 2, 3]))
    e = county(seed)["episodes"].copy()
    decom, dec = _dates(e["DECOM"]), _dates(e["DEC"])
    x1 = np.flatnonzero((e["REC"] == "X1").to_numpy() & dec.notna().to_numpy())
    added, touched = [], set()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["move_day", "stray", "stray_x1", "repeat"]))
        i = int(x1[draw(st.integers(0, len(x1) - 1))]) if kind != "repeat" else \
            draw(st.integers(0, len(e) - 1))
        row = e.iloc[i].to_dict()
        child = row["CHILD"]
        if kind == "move_day":                    # B: starts and ends on A's DEC, then C
            new = dict(row, DECOM=row["DEC"], DEC=row["DEC"], REC="X1",
                       RNE=draw(st.sampled_from(["P", "B", "L", "T", "U"])),
                       PLACE=draw(st.sampled_from(["U4", "U5", "K2", "T1", "A4"])))
        elif kind in ("stray", "stray_x1"):       # starts inside A
            length = (dec.iloc[i] - decom.iloc[i]).days
            if length < 3:
                continue
            start = decom.iloc[i] + pd.Timedelta(days=draw(st.integers(1, length - 1)))
            if kind == "stray_x1":                # ends X1 on A's DEC: competes for A's successor
                end, rec = dec.iloc[i], "X1"
            else:
                end = None if draw(st.booleans()) else start + pd.Timedelta(days=draw(st.integers(1, 400)))
                rec = "" if end is None else "E8"
            new = dict(row, DECOM=_fmt(start), DEC=_fmt(end), REC=rec, RNE="P", LS="V2",
                       PLACE=draw(st.sampled_from(["U4", "R1", "P1"])))
        else:
            new = dict(row)
        added.append(new)
        touched.add(child)
    e = pd.concat([e, pd.DataFrame(added, columns=e.columns)], ignore_index=True)
    # Episodes alike in CHILD, DECOM and DEC but not in everything else are ordered by file
    # order, which a shuffle changes; the generator never makes them, so neither may this.
    whole = e.duplicated(keep="first")
    tie = e.loc[~whole].duplicated(["CHILD", "DECOM", "DEC"], keep="first")
    e = e.drop(index=tie[tie].index).reset_index(drop=True)
    return seed, e, sorted(touched), draw(st.integers(0, 10_000))


def compute(seed: int, episodes: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The county with its episodes table replaced by ``episodes`` (file name -> rows)."""
    tmp = Path(tempfile.mkdtemp(prefix="cpxl_eps_"))
    try:
        for name, frame in county(seed).items():
            if name != "episodes":
                frame.to_csv(tmp / f"{name}.csv", index=False)
        for name, frame in episodes.items():
            frame.to_csv(tmp / name, index=False)
        (tmp / "cpxl.toml").write_text('[authority]\nname = "Northshire"\n', encoding="utf-8")
        out = cpxl.compute(cpxl.load(tmp), PERIOD_END, months=MONTHS)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out.sort_values(KEYS, kind="stable").reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(a[KEYS], b[KEYS])
    for col in ["numerator", "denominator", "value"]:
        x, y = a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float)
        same = np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
        assert same.all(), (f"{what}: {col} differs:\n"
                            f"{a.loc[~same, KEYS].assign(a=x[~same], b=y[~same]).head(20)}")
    assert (a["note"].to_numpy() == b["note"].to_numpy()).all(), f"{what}: notes differ"


@settings(max_examples=6, **SETTINGS)
@given(awkward())
def test_shuffled_and_split_episodes_change_no_number(case):
    seed, e, touched, order = case
    rng = random.Random(order)
    shuffled = e.sample(frac=1.0, random_state=order).reset_index(drop=True)
    # The awkward children's episodes go to three files at random (read z, then m, then a by
    # name, against the one file's order), everyone else's to one of them.
    files = ["z_extract.csv", "m_extract.csv", "a_extract.csv"]
    where = np.array([rng.choice(files) if c in touched else files[1] for c in shuffled["CHILD"]])
    split = {f: shuffled.loc[where == f] for f in files}
    split = {f: part for f, part in split.items() if len(part)}
    a = compute(seed, {"episodes.csv": e})
    b = compute(seed, split)
    assert_same(a, b, "episodes shuffled and split across files")


@settings(max_examples=4, **SETTINGS)
@given(st.sampled_from([1, 2, 3]), st.integers(0, 10_000), st.integers(1, 5))
def test_zero_length_legal_status_change_changes_nothing(seed, pick, n):
    """Every number is the same with a zero-length RNE L episode B slipped between A (ending
    X1 on a move day) and C (starting that day)."""
    e = county(seed)["episodes"]
    dec, decom = _dates(e["DEC"]), _dates(e["DECOM"])
    # Move days A -> C where C lasts beyond the day (so B sorts between them) and is not a short
    # break (an X1 into a V3/V4 episode ends the period; B would then be the period's end).
    long_next = e.loc[(dec.isna() | (dec > decom)) & ~e["LS"].isin(["V3", "V4"])]
    ok_next = pd.MultiIndex.from_arrays([long_next["CHILD"], _dates(long_next["DECOM"])])
    at = pd.MultiIndex.from_arrays([e["CHILD"], dec])
    movable = np.flatnonzero((e["REC"] == "X1").to_numpy() & at.isin(ok_next)
                             & ~e["LS"].isin(["V3", "V4"]).to_numpy())
    assert len(movable) > 0
    rng = random.Random(pick)
    chosen = rng.sample(list(movable), min(n, len(movable)))
    # B is A moved to the move day (same PLACE: a temporary A gives a temporary B, which begins
    # no placement either), ending X1 that day.
    extra = [dict(e.iloc[i].to_dict(), DECOM=e.iloc[i]["DEC"], REC="X1", RNE="L") for i in chosen]
    # Written before every other row: the file's order must not decide which of B and C (same
    # CHILD and DECOM) comes first, nor make either a duplicate.
    with_b = pd.concat([pd.DataFrame(extra, columns=e.columns), e], ignore_index=True)
    assert_same(compute(seed, {"episodes.csv": e}), compute(seed, {"episodes.csv": with_b}),
                "a zero-length RNE L episode added on move days")
