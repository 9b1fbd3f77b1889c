"""The rule registry: each rule's metadata and check, running them, their messages, and the
catalogue ``cpxl list --rules`` prints."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..errors import Used


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
_AFTER_RUN: list[Callable[[], None]] = []


def after_each_run(func: Callable[[], None]) -> Callable[[], None]:
    """Call ``func`` after every :func:`run_rules` (a rule module forgetting what it memoised)."""
    _AFTER_RUN.append(func)
    return func


def rule(table: str, column: str, message: str, drops: bool = False, used_as: str = ""):
    def register(func):
        RULES.append(Rule(func.__name__, table, column, message, drops, func, used_as))
        return func
    return register


def code_rule(table, column, allowed, used_as, blank_ok=True):
    def check(t, _tables):
        v = t[column]
        bad = ~v.isin(allowed)
        return bad & (v != "") if blank_ok else bad
    check.__name__ = f"{table}_{column.lower()}_code"
    text = "'{%s}' is not a DfE %s code" % (column, column)
    return rule(table, column, text, drops=False, used_as=used_as)(check)


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
    for forget in _AFTER_RUN:
        forget()
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


# --- the catalogue ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LoaderRule:
    """A check the reader and loader make before the rules above (reading.py, dataset.py)."""
    id: str
    table: str
    column: str
    checks: str
    row_used: str


# Made while reading and typing the tables; their ids are the report's `rule` column.
LOADER_RULES = [
    LoaderRule("file_not_recognised", "any", "", "a file whose header row matches no cpxl table "
               "(it is passed over)", "no: the file is not read"),
    LoaderRule("table_in_several_files", "any", "", "a table found in more than one file (their "
               "rows are combined)", "yes"),
    LoaderRule("table_has_no_rows", "any", "", "a table with a header row but no rows of data",
               "no: there is no row"),
    LoaderRule("child_id_is_a_number", "any", "CHILD", "CHILD ids stored as numbers in a workbook "
               "(leading zeros lost)", "yes: as written"),
    LoaderRule("blank_key", "any", "the table's key", "a blank identifier (OUTWARD_CODE, DISTRICT, "
               "GEOGRAPHY, WORKER_ID) that links the row to nothing", "no: the row is left out"),
    LoaderRule("date_not_readable", "any", "a date column", "a date that is not dd/mm/yyyy or "
               "yyyy-mm-dd", "no for the row's own date or an end date; else yes: the date is "
               "treated as blank"),
    LoaderRule("date_blank", "any", "the row's date", "a blank date the row is about (DECOM, "
               "REVIEW, VISIT_DATE, ...)", "no: the row is left out"),
    LoaderRule("number_not_readable", "any", "a number column", "a number that cannot be read",
               "as the report says"),
]


def rule_catalogue() -> pd.DataFrame:
    """Every check cpxl makes of the data: the loader's, then the rules by table.

    ``row_used`` is what happens to a row with the problem; every problem is a warning (a table
    that cannot be used at all stops the run with a message instead)."""
    rows = [(r.id, r.table, r.column, "warning", r.checks, r.row_used) for r in LOADER_RULES]
    rows += [(r.id, r.table, r.column, "warning", r.message,
              Used.NO.said("the row is left out") if r.drops else r.used_as or Used.YES.value)
             for r in RULES]
    return pd.DataFrame(rows, columns=["rule", "table", "column", "severity", "checks", "row_used"])


# An event dated more than this after the day cpxl runs (or after the latest episode date, if
# that is later: a machine clock set wrong must not reject real dates) has not happened yet.
FUTURE_MARGIN_DAYS = 31


def not_yet(tables) -> pd.Timestamp:
    """The latest date an event can have: today or the latest DECOM/DEC, plus the margin."""
    today = pd.Timestamp.today().normalize()
    e = tables.get("episodes")
    latest = pd.concat([e["DECOM"], e["DEC"]]).max() if e is not None and not e.empty else pd.NaT
    end = today if pd.isna(latest) or latest < today else latest
    return end + pd.Timedelta(days=FUTURE_MARGIN_DAYS)
