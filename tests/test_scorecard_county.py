"""A small fictional county for the scorecard tests (and the benchmark when ``cpxl sample`` is absent).

``write_county(folder)`` writes the SSDA903 and local extracts of a few hundred fictional children
in named districts and areas, with a ``cpxl.toml`` (authority name, LA code 888, one configured
threshold).  Every identifier, name and date is random; nothing here is anyone's data.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

import cpxl

AREAS = {"North": ["Aldermoor", "Brackenfold", "Cinder Vale"],
         "East": ["Dunmere", "Eastwick/Holme", "Fallowfield"],
         "Central": ["Gorsebrook", "Harrowgate [Old Town]", "Ingleby"]}
PERIOD_END = "2025-12-31"


def _write(folder: Path, name: str, header: list[str], rows) -> None:
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _d(ts) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%d/%m/%Y")


def write_county(folder, children: int = 400, seed: int = 7, areas: dict | None = None,
                 authority: str = "Testshire", threshold: bool = True) -> Path:
    """Write the county's extracts to ``folder`` and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    areas = areas or AREAS
    rng = np.random.default_rng(seed)
    districts = [d for ds in areas.values() for d in ds]
    end = pd.Timestamp(PERIOD_END)
    header, episodes, dist_rows, reviews, visits, oc2, oc3, missing, sw = ([] for _ in range(9))
    uasc, has, dental, peps = [], [], [], []
    for i in range(children):
        child = f"{100000 + i:07d}"
        # District skew so that districts differ visibly.
        k = min(int(rng.gamma(2.0, len(districts) / 5)), len(districts) - 1)
        district = districts[k]
        dob = end - pd.Timedelta(days=int(rng.integers(30, 18 * 365)))
        sex = rng.choice(["M", "F"])
        header.append([child, sex, _d(dob), rng.choice(["WBRI", "WBRI", "WBRI", "MWBC", "AIND",
                                                          "BAFR", "OOTH", "REFU"]), "", "", ""])
        dist_rows.append([child, district])
        start = dob + pd.Timedelta(days=int(rng.integers(0, max(1, (end - dob).days))))
        start = max(start, end - pd.Timedelta(days=6 * 365))
        d = start
        n_eps = int(rng.integers(1, 5))
        place = rng.choice(["U4", "U4", "U1", "U5", "K2", "P1", "A4", "H5", "R1"])
        for e in range(n_eps):
            length = int(rng.integers(20, 600))
            dec = d + pd.Timedelta(days=length)
            last = e == n_eps - 1
            if dec > end:
                dec = None
            rne = "S" if e == 0 else rng.choice(["P", "P", "T", "L", "B"])
            if e and rne in ("P", "B"):
                place = rng.choice(["U4", "U1", "U6", "K2", "R1", "P1", "A4", "H5"])
            if dec is None:
                rec = ""
            elif last:
                rec = rng.choice(["E11", "E45", "E4A", "E13", "E8"])
            else:
                rec = "X1"
            episodes.append([child, _d(d), rne, rng.choice(["C2", "C2", "C1", "E1"]), "N1" if
                             rng.random() < 0.6 else "N4", place, "PR1", _d(dec), rec, "", "", "",
                             ""])
            if dec is None or rec != "X1":
                break
            d = dec
        # Statutory visits: most children every few weeks; some districts slower.
        gap = 30 + 6 * k + int(rng.integers(0, 25))
        v = start + pd.Timedelta(days=int(rng.integers(1, 20)))
        while v <= end:
            visits.append([child, _d(v)])
            v += pd.Timedelta(days=gap + int(rng.integers(-10, 10)))
        r = start + pd.Timedelta(days=int(rng.integers(10, 35)))
        while r <= end:
            reviews.append([child, _d(dob), _d(r), ""])
            r += pd.Timedelta(days=int(rng.integers(100, 200)))
        if (end - start).days > 365:
            oc2.append([child, _d(dob), str(int(rng.integers(5, 25))) if rng.random() < 0.8 else "",
                        "", "0", str(int(rng.random() < 0.9)), str(int(rng.random() < 0.85)),
                        str(int(rng.random() < 0.8 - 0.03 * k)), "1", "0", "", ""])
            has.append([child, _d(end - pd.Timedelta(days=int(rng.integers(10, 420)))), "RHA"])
            dental.append([child, _d(end - pd.Timedelta(days=int(rng.integers(10, 420))))])
        peps.append([child, _d(end - pd.Timedelta(days=int(rng.integers(5, 250))))])
        if rng.random() < 0.12:
            ms = end - pd.Timedelta(days=int(rng.integers(1, 500)))
            me = ms + pd.Timedelta(days=int(rng.integers(0, 4)))
            rhi = me + pd.Timedelta(days=int(rng.integers(0, 6)))
            missing.append([child, _d(dob), rng.choice(["M", "A"]), _d(ms), _d(me), _d(rhi)])
        if rng.random() < 0.05:
            uasc.append([child, sex, _d(dob), ""])
        for s in range(int(rng.integers(1, 4))):
            sw.append([child, _d(dob), f"SW{rng.integers(1, 80):03d}",
                       _d(end - pd.Timedelta(days=int(rng.integers(10, 700)))), ""])
    # Care leavers
    for i in range(children // 4):
        dob = end - pd.Timedelta(days=int(rng.integers(17 * 365, 22 * 365)))
        child = f"{900000 + i:07d}"
        oc3.append([child, _d(dob), rng.choice(["YES", "YES", "YES", "NO", "REFU"]),
                    rng.choice(["F1", "P2", "G4", "G6", "F5"]), rng.choice(["B1", "C1", "D2", "T1", "0"])])
        header.append([child, "F", _d(dob), "WBRI", "", "", ""])
        dist_rows.append([child, districts[i % len(districts)]])
    # A few validation problems, for the Data quality sheet: an unknown placement code and an
    # unreadable visit date for the first child, and a file that is no table.
    episodes[0][5] = "Q9"
    visits.append([header[0][0], "31/02/2025"])
    (folder / "notes.csv").write_text("remark\nnot a table\n", encoding="utf-8")
    _write(folder, "header", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"], header)
    _write(folder, "episodes", ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC",
                                "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"], episodes)
    _write(folder, "districts", ["CHILD", "DISTRICT"], dist_rows)
    _write(folder, "areas", ["DISTRICT", "AREA"], [[d, a] for a, ds in areas.items() for d in ds])
    pop = [[d, y, 9000 + 700 * j] for j, d in enumerate(districts) for y in (2024, 2025)]
    _write(folder, "population", ["GEOGRAPHY", "YEAR", "POPULATION_0_17"], pop)
    _write(folder, "reviews", ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"], reviews)
    _write(folder, "visits", ["CHILD", "VISIT_DATE"], visits)
    _write(folder, "oc2", ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK",
                           "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
                           "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"], oc2)
    _write(folder, "oc3", ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"], oc3)
    _write(folder, "missing", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END", "RHI_DATE"], missing)
    _write(folder, "uasc", ["CHILD", "SEX", "DOB", "DUC"], uasc)
    _write(folder, "sw_episodes", ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC"], sw)
    _write(folder, "health_assessments", ["CHILD", "ASSESSMENT_DATE", "TYPE"], has)
    _write(folder, "dental_checks", ["CHILD", "CHECK_DATE"], dental)
    _write(folder, "peps", ["CHILD", "PEP_DATE"], peps)
    toml = f'[authority]\nname = "{authority}"\nla_code = 888\n'
    if threshold:
        toml += "\n[thresholds.reviews_in_time_pct]\ngreen = 90\namber = 80\ntarget = 95\n"
    (folder / "cpxl.toml").write_text(toml, encoding="utf-8")
    return folder


def test_the_county_loads(tmp_path):
    data = cpxl.load(write_county(tmp_path / "county", children=60))
    assert data.authority_name == "Testshire"
    assert set(data.tables["districts"]["DISTRICT"]) <= {d for ds in AREAS.values() for d in ds}
