"""Small random counties full of the awkward cases, for comparing cpxl with the reference.

Each seed writes a folder of CSVs: children born on 29 February or with no DOB, children with no
header row or two, episodes chained by X1 (some zero-length, some short breaks V3/V4, some X1 with
no successor, exact repeats of a row, now and then a period overlapping the one before),
temporary and adoption placements, every REC, reviews, UASC with and without DUC, OC2 scores out
of range, OC3 codes that are not the DfE's and care leavers with no episodes, missing episodes
with return interviews, social worker episodes, a districts table with names in other cases,
``Unknown`` and a district in no area, postcodes with and without the space, and a population
table with areas and the authority only in some years.
"""
from __future__ import annotations

import datetime as dt
import os
import random

import pandas as pd

D0 = dt.date(2018, 1, 1)


def fmt(d, rng):
    if d is None:
        return ""
    return d.strftime("%d/%m/%Y") if rng.random() < 0.7 else d.isoformat()


def rdate(rng, lo=D0, span=2400):
    return lo + dt.timedelta(days=rng.randrange(span))


def make(seed: int, out) -> None:
    """Write a small random county into the folder ``out`` (same seed, same files)."""
    rng = random.Random(seed)
    n = rng.randint(5, 40)
    districts = ["Alpha", "Beta", "Gamma", "Delta"]
    header, eps, reviews, uasc, oc2, oc3, missing, sw, dist = [], [], [], [], [], [], [], [], []
    for i in range(n):
        cid = f"C{i:03d}"
        k = rng.random()
        if k < 0.08:
            dob = None
        elif k < 0.16:
            dob = dt.date(rng.choice([2004, 2008, 2012, 2016]), 2, 29)
        else:
            dob = dt.date(rng.randint(2000, 2022), rng.randint(1, 12), rng.randint(1, 28))
        if rng.random() < 0.95:
            header.append([cid, rng.choice(["1", "2", "M", "F", "", "9"]), fmt(dob, rng),
                           rng.choice(["WBRI", "WIRI", "MWBC", "AIND", "BAFR", "CHNE", "OOTH", "REFU", "NOBT", "", "XXXX"])])
        # episodes: one to three periods
        d = rdate(rng, span=1500)
        open_ = False
        for _p in range(rng.randint(1, 3)):
            m = rng.randint(1, 6)
            for j in range(m):
                last = j == m - 1
                length = rng.choice([1, 3, 20, 60, 200, 400, 800]) if rng.random() < 0.93 else 0
                dec = d + dt.timedelta(days=length)
                open_ = last and rng.random() < 0.4
                rec = "" if open_ else ("X1" if not last else rng.choice(["E11", "E12", "E45", "E4A", "E13", "E2", "X1", "E48"]))
                if not last and rng.random() < 0.05:
                    rec = "E3"
                rne = "S" if j == 0 else rng.choice(["P", "P", "L", "T", "U", "B", "S"])
                ls = rng.choice(["C2", "C2", "E1", "V2", "J1"] + (["V3", "V4"] if rng.random() < 0.1 else []))
                place = rng.choice(["U1", "U3", "U4", "U6", "T0", "T2", "A3", "A6", "P1", "K1", "R1", "H5", "K3", "Z1", "P3", "S1"])
                hp = rng.choice(["AA1 1AA", "BB2 2BB", "CC3 3CC", "", "ZZ9 9ZZ", "AA11AA", "dd4 4dd"])
                eps.append([cid, fmt(d, rng), rne, ls, "N1" if rng.random() < 0.5 else "N4", place,
                            "" if open_ else fmt(dec, rng), rec, hp])
                if open_:
                    break
                d = dec
            if open_:
                break
            # A gap before the next period, or now and then an overlap (a stray row).
            d = d + dt.timedelta(days=rng.randint(1, 500) if rng.random() < 0.9 else -rng.randint(1, 90))
        for _r in range(rng.randint(0, 6)):
            reviews.append([cid, "", fmt(rdate(rng), rng)])
        if rng.random() < 0.15:
            uasc.append([cid, "1", "", fmt(rdate(rng) if rng.random() < 0.7 else None, rng)])
        if rng.random() < 0.5:
            oc2.append([cid, "", rng.choice(["", "12", "40", "41", "3.5", "0"]), "",
                        rng.choice(["0", "1", ""]), rng.choice(["0", "1"]), rng.choice(["0", "1"]), rng.choice(["0", "1"])])
        if rng.random() < 0.3:
            odob = dt.date(rng.randint(1996, 2008), rng.randint(1, 12), rng.randint(1, 28))
            oc3.append([cid, fmt(odob, rng), rng.choice(["YES", "NO", "DIED", "RHOM", "REFU", "NREQ"]),
                        rng.choice(["F1", "G4", "0", "P5", "X9"]), rng.choice(["B1", "S1", "S2", "0", "Z1", "A1", "01", "U2"])])
        for _m in range(rng.randint(0, 3)):
            ms = rdate(rng)
            me = ms + dt.timedelta(days=rng.randint(0, 10))
            rhi = me + dt.timedelta(days=rng.randint(-1, 5)) if rng.random() < 0.7 else None
            missing.append([cid, "", rng.choice(["M", "A", "M"]), fmt(ms, rng), fmt(me, rng), fmt(rhi, rng)])
        for _s in range(rng.randint(0, 5)):
            s0 = rdate(rng)
            sw.append([cid, "", f"SW{rng.randint(1, 6)}", fmt(s0, rng),
                       fmt(s0 + dt.timedelta(days=rng.randint(0, 300)) if rng.random() < 0.8 else None, rng), ""])
        if rng.random() < 0.4:
            dist.append([cid, rng.choice(districts + ["alpha ", "Unknown", "Epsilon"])])
    for i in range(rng.randint(0, 4)):                # care leavers with no episodes here
        odob = dt.date(rng.randint(1998, 2007), rng.randint(1, 12), rng.randint(1, 28))
        oc3.append([f"L{i}", fmt(odob, rng) if rng.random() < 0.9 else "", "YES", "F1", "B1"])
        header.append([f"L{i}", "1", fmt(odob, rng), "WBRI"])
    for _ in range(rng.randint(0, 3)):                # exact repeats of an episode row
        if eps:
            eps.append(list(rng.choice(eps)))
    if header and rng.random() < 0.3:
        header.append(list(rng.choice(header)))
    os.makedirs(out, exist_ok=True)

    def w(name, cols, rows):
        pd.DataFrame(rows, columns=cols).to_csv(os.path.join(out, name + ".csv"), index=False)

    w("header", ["CHILD", "SEX", "DOB", "ETHNIC"], header)
    w("episodes", ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC", "HOME_POST"], eps)
    if reviews:
        w("reviews", ["CHILD", "DOB", "REVIEW"], reviews)
    if uasc:
        w("uasc", ["CHILD", "SEX", "DOB", "DUC"], uasc)
    if oc2:
        w("oc2", ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK"], oc2)
    if oc3:
        w("oc3", ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"], oc3)
    if missing:
        w("missing", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END", "RHI_DATE"], missing)
    if sw:
        w("sw_episodes", ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"], sw)
    if dist:
        w("districts", ["CHILD", "DISTRICT"], dist)
    w("postcode_districts", ["OUTWARD_CODE", "DISTRICT"], [["AA1", "Alpha"], ["BB2", "Beta"], ["CC3", "gamma"], ["DD4", "Delta"]])
    w("areas", ["DISTRICT", "AREA"], [["Alpha", "North"], ["Beta", "North"], ["Gamma", "South"], ["Delta", "South"]])
    pop = [["Alpha", 2019, 1000], ["Beta", 2019, 2000], ["Gamma", 2020, 1500], ["Delta", 2018, 500],
           ["Shire", 2021, 9000]]
    if rng.random() < 0.5:
        pop.append(["North", 2022, 3100])
    w("population", ["GEOGRAPHY", "YEAR", "POPULATION_0_17"], pop)
