"""Finding the children behind a difference between the reference and ``cpxl.compute``.

Numerators and denominators add up over children, so halving the set of children and keeping
the half whose totals still differ finds each child whose own figures differ (a few dozen runs).
``python tests/reference/explain.py DATA INDICATOR PERIOD_END`` prints them and their episodes.
"""
from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd

import cpxl
from reference.ssda903 import prepare, reference_table


def _cpxl_la(ds, ind, pe, only):
    tables = {n: (t[t["CHILD"].isin(only)].reset_index(drop=True) if "CHILD" in t.columns else t)
              for n, t in ds.tables.items()}
    sub = dataclasses.replace(ds, tables=tables)
    t = cpxl.compute(sub, pe, months=1, indicators=[ind])
    t = t[(t.level == "la")]
    return t[["numerator", "denominator"]].fillna(0).to_numpy()[0]


def _ref_la(data, ind, pe, only):
    r = reference_table(None, [pe], only=only, data=data)
    r = r[(r.indicator == ind) & (r.level == "la")]
    return r[["numerator", "denominator"]].fillna(0).to_numpy()[0]


def differing_children(path, ind, pe, limit=10) -> list[str]:
    ds = cpxl.load(path)
    data = prepare(path)
    found: list[str] = []

    def differs(group):
        return not np.allclose(_cpxl_la(ds, ind, pe, set(group)), _ref_la(data, ind, pe, set(group)))

    def search(group):
        if len(found) >= limit or not differs(group):
            return
        if len(group) == 1:
            found.append(group[0])
            return
        half = len(group) // 2
        search(group[:half])
        search(group[half:])

    search(sorted(data.children))
    return found


if __name__ == "__main__":
    path, ind, pe = sys.argv[1:4]
    ds = cpxl.load(path)
    data = prepare(path)
    pd.set_option("display.width", 250)
    for c in differing_children(path, ind, pe):
        print(f"--- child {c}: reference {_ref_la(data, ind, pe, {c})}, cpxl {_cpxl_la(ds, ind, pe, {c})}")
        e = ds.tables["episodes"]
        print(e[e.CHILD == c].drop(columns=["_file"]).to_string())
