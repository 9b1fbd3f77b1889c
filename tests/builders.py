"""Write a tiny dataset folder (or workbook) from Python literals, for hand-computed tests.

::

    from builders import write_dataset, ep, kid, run, pick

    folder = write_dataset(
        tmp_path,
        header=[kid("C1", "01/01/2010")],
        episodes=[ep("C1", "01/01/2020", dec="", place="U1")],
        districts=[("C1", "North Ward")],
        areas=[("North Ward", "North")],
        population=[("North Ward", 2020, 1000)],
    )
    out = run(folder, "2020-12-31")
    assert pick(out, "cla_count", "North Ward").value == 1

Every table of the data contract (docs/data.md) can be given, by its name, as a list of
rows.  A row is either a tuple in the contract's column order (short tuples are padded with
blanks) or a dict of column -> value (absent columns are blank; a key that is not a contract
column becomes an extra column, e.g. ``RHI_DATE``).  ``None`` is a blank cell.  ``extra_columns``
adds columns to a table written from tuples (``extra_columns={"missing": ["RHI_DATE"]}``).

The column lists below are copied from data.md, not from the implementation, so a test written
with them checks the contract.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Iterable

import pandas as pd

# data.md, sections 1 and 2: every table and its columns, in the contract's order.
COLUMNS: dict[str, list[str]] = {
    # SSDA903
    "header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "episodes": ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    "reviews": ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
    "uasc": ["CHILD", "SEX", "DOB", "DUC"],
    "oc2": ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
            "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED"],
    "oc3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    "ad1": ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
            "LS_ADOPTR"],
    "placed_for_adoption": ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED",
                            "REASON_PLACED_CEASED"],
    "previous_permanence": ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
    "missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
    "sw_episodes": ["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"],
    # local
    "districts": ["CHILD", "DISTRICT"],
    "postcode_districts": ["OUTWARD_CODE", "DISTRICT"],
    "areas": ["DISTRICT", "AREA"],
    "population": ["GEOGRAPHY", "YEAR", "POPULATION_0_17"],
    "visits": ["CHILD", "VISIT_DATE"],
    "health_assessments": ["CHILD", "ASSESSMENT_DATE", "TYPE"],
    "dental_checks": ["CHILD", "CHECK_DATE"],
    "peps": ["CHILD", "PEP_DATE"],
    "referrals": ["CHILD", "REFERRAL_DATE"],
    "assessments": ["CHILD", "ASSESSMENT_START", "ASSESSMENT_AUTHORISED"],
    "cp_plans": ["CHILD", "CPP_START", "CPP_END", "CATEGORY"],
    "workers": ["WORKER_ID", "TEAM", "DISTRICT", "FTE"],
    "allocations": ["CHILD", "WORKER_ID", "START", "END"],
}

OUTPUT_COLUMNS = ["indicator", "period_end", "level", "geography", "numerator", "denominator",
                  "value", "note"]


# --- row helpers ------------------------------------------------------------------------------

def kid(child, dob, sex="1", ethnic="WBRI", **extra) -> dict:
    """A header row."""
    return {"CHILD": child, "SEX": sex, "DOB": dob, "ETHNIC": ethnic, **extra}


def ep(child, decom, dec="", rec=None, rne="S", ls="C2", cin="N1", place="U4", home_post="",
       **extra) -> dict:
    """An episodes row.  ``rec`` defaults to E8 (an ordinary ceasing) when ``dec`` is given."""
    if rec is None:
        rec = "E8" if dec else ""
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "CIN": cin, "PLACE": place,
            "DEC": dec, "REC": rec, "HOME_POST": home_post, **extra}


def chain(child, *steps, ls="C2", cin="N1", home_post="", final_dec="", final_rec=None) -> list[dict]:
    """An X1 chain: ``steps`` are (DECOM, RNE, PLACE); each episode ends (X1) when the next starts.

    The last one ends on ``final_dec`` with ``final_rec`` (open when ``final_dec`` is blank).
    """
    rows = []
    for i, (decom, rne, place) in enumerate(steps):
        last = i == len(steps) - 1
        dec = final_dec if last else steps[i + 1][0]
        rec = (final_rec if final_rec is not None else ("E8" if final_dec else "")) if last else "X1"
        rows.append(ep(child, decom, dec=dec, rec=rec, rne=rne, place=place, ls=ls, cin=cin,
                       home_post=home_post))
    return rows


# --- writing ----------------------------------------------------------------------------------

def _frame(name: str, rows: Iterable, extra: list[str] | None = None) -> pd.DataFrame:
    base = list(COLUMNS[name]) + [c for c in (extra or []) if c not in COLUMNS[name]]
    rows = list(rows)
    columns = list(base)
    for r in rows:
        if isinstance(r, dict):
            columns += [k for k in r if k not in columns]
    records = []
    for r in rows:
        if isinstance(r, dict):
            rec = {c: r.get(c, "") for c in columns}
        else:
            r = list(r)
            if len(r) > len(columns):
                raise ValueError(f"{name}: row {r} has more cells than columns {columns}")
            rec = dict(zip(columns, r + [""] * (len(columns) - len(r))))
        records.append({k: ("" if v is None else v) for k, v in rec.items()})
    return pd.DataFrame(records, columns=columns, dtype=object)


def write_csv(path: Path, frame: pd.DataFrame, encoding: str = "utf-8", blank_rows_above: int = 0,
              header_case=None) -> Path:
    """One table as CSV, every cell written as text."""
    cols = list(frame.columns)
    if header_case:
        cols = [header_case(c) for c in cols]
    with open(path, "w", encoding=encoding, newline="") as f:
        for _ in range(blank_rows_above):
            f.write("\r\n")
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(cols)
        for row in frame.itertuples(index=False):
            w.writerow(["" if v is None else str(v) for v in row])
    return path


def write_dataset(folder: Path, *, fmt: str = "csv", authority: str | None = "Testshire",
                  config: str | None = None, extra_columns: dict[str, list[str]] | None = None,
                  encoding: str = "utf-8", typed: bool = True, **tables) -> Path:
    """Write the given tables into ``folder`` and return the path to load.

    ``fmt``: ``csv`` (one file per table, named ``<table>.csv``), ``xlsx`` (one workbook, one
    sheet per table) or ``xlsx_tables`` (one workbook whose tables are Excel tables/ListObjects,
    two on a sheet); ``typed`` (workbooks) stores dates as dates and whole numbers as numbers.  ``authority`` writes a ``cpxl.toml`` with ``[authority] name``;
    ``config`` is the whole text of ``cpxl.toml`` instead.  Tables not given are not written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    unknown = set(tables) - set(COLUMNS)
    if unknown:
        raise ValueError(f"no such table(s) in data.md: {sorted(unknown)}")
    frames = {name: _frame(name, rows, (extra_columns or {}).get(name))
              for name, rows in tables.items() if rows is not None}
    if config is None and authority is not None:
        config = f'[authority]\nname = "{authority}"\n'
    if config is not None:
        (folder / "cpxl.toml").write_text(config, encoding="utf-8")
    if fmt == "csv":
        for name, frame in frames.items():
            write_csv(folder / f"{name}.csv", frame, encoding=encoding)
        return folder
    if fmt in ("xlsx", "xlsx_tables"):
        path = folder / "data.xlsx"
        write_workbook(path, frames, as_tables=fmt == "xlsx_tables", typed=typed)
        return path
    raise ValueError(fmt)


def write_workbook(path: Path, frames: dict[str, pd.DataFrame], as_tables: bool = False,
                   typed: bool = True, blank_rows_above: int = 0) -> Path:
    """Tables into a workbook: one sheet each, or Excel tables (two per sheet, side by side).

    ``typed``: cells hold what Excel would (dates as dates, whole numbers without a leading zero
    as numbers, the rest as text), not the CSV text.  ``blank_rows_above`` pushes each sheet's
    header down (sheets only).
    """
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    names = list(frames)
    if not as_tables:
        for name in names:
            ws = wb.create_sheet(name[:31])
            _put(ws, frames[name], 1 + blank_rows_above, 1, typed)
    else:
        # Two tables per sheet, the second starting two columns right of the first and a row
        # lower, so the reader must use the table's range and not the sheet's.
        for i in range(0, len(names), 2):
            ws = wb.create_sheet(f"Sheet{i // 2 + 1}")
            col = 1
            for j, name in enumerate(names[i:i + 2]):
                frame = frames[name]
                row0 = 1 + j
                _put(ws, frame, row0, col, typed)
                ref = (f"{get_column_letter(col)}{row0}:"
                       f"{get_column_letter(col + len(frame.columns) - 1)}{row0 + max(len(frame), 1)}")
                ws.add_table(Table(displayName=name, ref=ref))
                col += len(frame.columns) + 2
    wb.save(path)
    return path


_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def excel_value(v):
    """The value Excel would hold for a CSV cell: a date, a whole number, or the text."""
    if not isinstance(v, str):
        return v
    m = _DMY.match(v)
    if m:
        return dt.datetime(int(m[3]), int(m[2]), int(m[1]))
    m = _ISO.match(v)
    if m:
        return dt.datetime(int(m[1]), int(m[2]), int(m[3]))
    if v.isdigit() and (v == "0" or not v.startswith("0")):
        return int(v)
    return v


def _put(ws, frame: pd.DataFrame, row0: int, col0: int, typed: bool = True) -> None:
    for j, c in enumerate(frame.columns):
        ws.cell(row=row0, column=col0 + j, value=str(c))
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            # Text with leading zeros (CHILD "007") stays text either way.
            ws.cell(row=row0 + i, column=col0 + j, value=excel_value(v) if typed else v)


# --- computing and picking ------------------------------------------------------------------

def run(path, period_end, months: int = 1, indicators=None) -> pd.DataFrame:
    """``cpxl.compute(cpxl.load(path), period_end, months)``."""
    import cpxl
    return cpxl.compute(cpxl.load(path), period_end, months=months, indicators=indicators)


def section_indicators() -> list[str]:
    """The ids of the "Children looked after" (with the profile) and "Care leavers" sections."""
    from cpxl.catalogue import CATALOGUE
    mods = {"cpxl.indicators.cla", "cpxl.indicators.profile", "cpxl.indicators.care_leavers"}
    return [i for i, ind in CATALOGUE.items() if ind.compute.__module__ in mods]


def pick(out: pd.DataFrame, indicator: str, geography: str = "Testshire", period_end=None):
    """The one output row for an indicator and geography (and period end, if several)."""
    rows = out.loc[(out["indicator"] == indicator) & (out["geography"] == geography)]
    if period_end is not None:
        rows = rows.loc[rows["period_end"] == str(pd.Timestamp(period_end).date())]
    assert len(rows) == 1, f"{indicator}/{geography}/{period_end}: {len(rows)} rows"
    return rows.iloc[0]


def nd(out, indicator, geography="Testshire", period_end=None):
    """(numerator, denominator) of one output row, NaN kept."""
    r = pick(out, indicator, geography, period_end)
    return r["numerator"], r["denominator"]


def blank(x) -> bool:
    return x is None or (isinstance(x, float) and x != x) or (isinstance(x, str) and x == "")


def sample_county(folder: Path, children: int = 300) -> Path:
    """A small synthetic county written by ``cpxl sample`` (the Excel-side tests run on it)."""
    from cpxl.sample import write_sample

    return write_sample(folder, children=children, seed=1)
