"""A loaded dataset: the analyst's tables, typed and validated, with its configuration.

``load(path)`` reads a folder of CSVs or a workbook, recognises each table by its header row,
types the columns (dates, numbers, codes), runs the validation rules, and keeps the rows that
can be used.  Problems that make a table unusable raise :class:`~cpxl.errors.CpxlError`; problems in
a row are collected in ``dataset.problems`` and the report says whether the row was used.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import parsed_cache
from .config import Config, find_config, load_config
from .dates import parse_dates
from .errors import CpxlError, Problem, Used
from .frames import text_values
from .reading import RawTable, read_source
from .tables import TABLES
from .validation import format_message, run_rules

# Code columns compared in upper case with spaces trimmed.
CODE_COLUMNS = {"RNE", "LS", "CIN", "PLACE", "REC", "SEX", "ETHNIC", "IN_TOUCH", "ACTIV", "ACCOM",
                "MISSING", "TYPE", "HEALTH_CHECK", "TEETH_CHECK", "IMMUNISATIONS", "CATEGORY"}
# Dates without which a row means nothing (an episode with no start, a visit with no date).
ROW_DATES = {"episodes": ["DECOM"], "reviews": ["REVIEW"], "missing": ["MIS_START"],
             "sw_episodes": ["SW_DECOM"], "visits": ["VISIT_DATE"],
             "health_assessments": ["ASSESSMENT_DATE"], "dental_checks": ["CHECK_DATE"],
             "peps": ["PEP_DATE"], "referrals": ["REFERRAL_DATE"], "assessments": ["ASSESSMENT_START"],
             "cp_plans": ["CPP_START"], "allocations": ["START"]}
# Identifiers without which a row cannot be linked to anything.
ROW_KEYS = {"postcode_districts": "OUTWARD_CODE", "areas": "DISTRICT", "population": "GEOGRAPHY",
            "workers": "WORKER_ID"}

REPORT_COLUMNS = ["severity", "table", "file", "row", "column", "child", "problem", "used", "rule"]
PERSONAL_DATA_NOTICE = ("OFFICIAL-SENSITIVE: this validation report holds personal data "
                        "(children's identifiers); keep it within the authority")


@dataclass
class Dataset:
    tables: dict[str, pd.DataFrame]
    problems: list[Problem]
    config: Config
    path: Path | None = None
    files: dict[str, list[str]] = field(default_factory=dict)    # table -> files it came from
    skipped_files: list[str] = field(default_factory=list)
    columns_present: dict[str, set] = field(default_factory=dict)  # columns the files really had
    loaded_at: dt.datetime = field(default_factory=dt.datetime.now)
    cache_entry: str | None = None    # its parsed-data cache entry, when it has one

    def has(self, *names: str) -> bool:
        return all(n in self.tables for n in names)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def authority_name(self) -> str:
        if self.config.authority_name:
            return self.config.authority_name
        return infer_authority_name(self.tables) or "Local authority"

    def report(self) -> pd.DataFrame:
        """The validation report: one row per problem (table, row, column, what, whether used)."""
        if not self.problems:
            return pd.DataFrame(columns=REPORT_COLUMNS)
        return pd.DataFrame([p.as_dict() for p in self.problems])[REPORT_COLUMNS]

    def summary(self) -> pd.DataFrame:
        """Problems counted by table, severity, column and problem type (no child identifiers)."""
        rep = self.report()
        if rep.empty:
            return pd.DataFrame(columns=["table", "severity", "rule", "column", "rows", "rows_not_used"])
        rep["not_used"] = Used.not_used(rep["used"])
        return (rep.groupby(["table", "severity", "rule", "column"], sort=True)
                .agg(rows=("problem", "size"), rows_not_used=("not_used", "sum")).reset_index())

    def rows(self, name: str) -> int:
        return len(self.tables[name]) if name in self.tables else 0


def infer_authority_name(tables) -> str | None:
    """The population geography that is neither a district nor an area, if exactly one."""
    pop = tables.get("population")
    if pop is None:
        return None
    known = set()
    for name, col in (("areas", "DISTRICT"), ("areas", "AREA"), ("districts", "DISTRICT"),
                      ("postcode_districts", "DISTRICT"), ("workers", "DISTRICT")):
        if name in tables:
            known |= set(tables[name][col])
    others = sorted(set(pop["GEOGRAPHY"]) - known)
    return others[0] if len(others) == 1 and known else None


def _combine(raws: list[RawTable], problems: list[Problem],
             present: dict[str, set]) -> dict[str, tuple[pd.DataFrame, list[str], bool]]:
    by_table: dict[str, list[RawTable]] = {}
    for raw in raws:
        by_table.setdefault(raw.table, []).append(raw)
    combined = {}
    for name, parts in by_table.items():
        table = TABLES[name]
        frames = []
        for raw in parts:
            missing = [c for c in table.required if c not in raw.frame.columns]
            if missing:
                raise CpxlError(
                    f"{raw.file}: the {name} table (header on row {raw.header_row}) has no column "
                    f"{', '.join(missing)}; it needs {', '.join(table.required)}")
            f = raw.frame
            present.setdefault(name, set()).update(f.columns)
            for col in table.all_columns:
                if col not in f.columns:
                    f[col] = ""
            # One category, not the name repeated per row (~20 bytes a row: 300 MB at 20x the
            # sample county).  The values (and .tolist()) are the same.
            f["_file"] = pd.Categorical.from_codes(np.zeros(len(f), dtype=np.int8), [raw.file])
            frames.append(f)
        files = [raw.file for raw in parts]
        if len(parts) > 1:
            problems.append(Problem("warning", name, "; ".join(files), None, "",
                                    f"the {name} table was found in {len(parts)} files; their rows "
                                    "are combined", "yes", rule="table_in_several_files"))
        combined[name] = (pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0], files,
                          all(raw.trimmed for raw in parts))
    return combined


def _problems_for(name, frame, mask, column, message, used, rule_id, severity="warning"):
    rows = frame.loc[mask]
    if isinstance(message, str):
        message = [message] * len(rows)
    child = rows["CHILD"].astype(str).tolist() if "CHILD" in rows.columns else [""] * len(rows)
    return [Problem(severity, name, f, int(r), column, m, used, c, rule_id)
            for f, r, m, c in zip(rows["_file"].tolist(), rows["_row"].tolist(), message, child)]


def _trimmed(column: pd.Series, upper: bool, trimmed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The column's text trimmed (and upper-cased), each distinct value worked on once.

    Plain object arrays: membership tests and joins on ids are several times faster.  Each
    distinct value is one shared str (not a new one per row, as astype(object) made): a 20x
    county's tables took 2.4 GB of per-row strings, and hashing repeated CHILD ids later
    (factorize, joins) is faster too, as Python caches a str's hash.  Missing cells stay NaN.
    Returns the distinct values (NaN last) and each row's position among them.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):           # the columnar reader's
        codes = column.cat.codes.to_numpy()
        uniques = column.cat.categories
    else:
        codes, uniques = pd.factorize(column)
    text = text_values(uniques)
    done = text
    if len(text) and not trimmed and not _is_trimmed(text):
        done = text.str.strip()
    if upper and len(text):
        # As pandas upper-cases text (Arrow's rules under pandas 3: 'ß' stays one letter).
        done = done.astype(str).str.upper().astype(object)
    shared = np.append(np.asarray(done, dtype=object), np.nan)  # code -1 (missing): the NaN
    if done is text or done.equals(text):
        return shared, codes
    # Two values may be one once trimmed (' C2' and 'C2'): one shared str for both.
    merged, words = pd.factorize(done)
    shared = np.append(np.asarray(words, dtype=object), np.nan)
    lookup = np.append(merged, len(words))
    return shared, lookup[codes]


def _is_trimmed(text: pd.Series) -> bool:
    """Whether no value has spaces around it (the columnar reader's are trimmed already)."""
    cells = pa.array(text, type=pa.string())
    return pc.utf8_trim_whitespace(cells).equals(cells)    # Arrow trims what str.strip trims


def _type_table(name: str, frame: pd.DataFrame, problems: list[Problem],
                trimmed: bool = False) -> pd.DataFrame:
    """Trim text, upper-case codes, parse dates and numbers; leave out rows that mean nothing.

    ``trimmed``: the cells are trimmed already (the columnar reader's)."""
    table = TABLES[name]
    keep = pd.Series(True, index=frame.index)
    distinct = {}
    for col in frame.columns:
        if col.startswith("_"):
            continue
        shared, at = distinct[col] = _trimmed(frame[col], upper=col in CODE_COLUMNS, trimmed=trimmed)
        if col not in table.dates and col not in table.numbers:   # those are parsed below
            frame[col] = pd.Series(shared[at], index=frame.index, dtype=object)

    def each_row(col, of_distinct):
        """A per-distinct-value result (an array over ``shared``) for every row."""
        return pd.Series(of_distinct[distinct[col][1]], index=frame.index)

    key = "CHILD" if "CHILD" in table.columns else ROW_KEYS.get(name)
    if key:
        blank = each_row(key, distinct[key][0] == "")
        if blank.any():
            problems += _problems_for(name, frame, blank, key, f"{key} is blank", "no", "blank_key")
            keep &= ~blank
    for col in table.dates:
        if col not in frame.columns:
            continue
        shared, at = distinct[col]
        parsed = each_row(col, parse_dates(pd.Series(shared, dtype=object)).to_numpy())
        bad = parsed.isna() & each_row(col, shared != "")
        must = col in ROW_DATES.get(name, [])
        if bad.any():
            msgs = [f"'{v}' is not a date (expected dd/mm/yyyy or yyyy-mm-dd)"
                    for v in shared[at[bad.to_numpy()]]]
            used = "no" if must or col == "DEC" else "yes: the date is treated as blank"
            # An unreadable end date cannot be treated as blank: that would make it open.
            drop = must or col in ("DEC", "MIS_END", "SW_DEC", "CPP_END", "END", "DUC")
            if drop:
                used = "no"
            problems += _problems_for(name, frame, bad, col, msgs, used, "date_not_readable")
            if drop:
                keep &= ~bad
        if must and (shared == "").any():
            blank = each_row(col, shared == "")
            problems += _problems_for(name, frame, blank & keep, col, f"{col} is blank", "no", "date_blank")
            keep &= ~blank
        frame[col] = parsed
    for col in table.numbers:
        if col not in frame.columns:
            continue
        shared, at = distinct[col]
        text = pd.Series(shared, dtype=object)
        of_distinct = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        num = each_row(col, of_distinct.to_numpy(dtype="float64"))
        bad = num.isna() & each_row(col, (text != "").to_numpy())
        if bad.any():
            used = "no" if name in ("population", "workers") else "yes: treated as blank"
            msgs = [f"'{v}' is not a number" for v in shared[at[bad.to_numpy()]]]
            problems += _problems_for(name, frame, bad, col, msgs, used, "number_not_readable")
            if used == "no":
                keep &= ~bad
        frame[col] = num.astype("float64")
    return frame if keep.all() else frame.loc[keep]


def _narrow_rows(t: pd.DataFrame) -> pd.DataFrame:
    """File row numbers as int32 (where they fit, as they always do: a sheet stops at a million
    rows): half the memory of the 14 million row numbers of a 40,000-children county."""
    if "_row" in t.columns and len(t) and t["_row"].max() < np.iinfo(np.int32).max:
        t["_row"] = t["_row"].to_numpy(dtype=np.int32)
    return t


# More distinct districts than this (in a table where most rows name a different one) is not a
# county's districts: the columns are swapped, or it is another table.
MAX_DISTRICTS = 200


def _check_districts_columns(tables: dict[str, pd.DataFrame]) -> None:
    """Stop when the districts table's DISTRICT column holds CHILD ids (its columns swapped):
    every child would become a "district", and child ids would be written as geographies."""
    d = tables.get("districts")
    if d is None or d.empty:
        return
    # The columns are trimmed text already.  A county has few district names: the ids are
    # looked up among those (not the names among a row per child's ids).
    names = d["DISTRICT"].astype(object)
    distinct = pd.unique(names.to_numpy())
    ids = pd.concat([tables["header"]["CHILD"], d["CHILD"]] if "header" in tables
                    else [d["CHILD"]], ignore_index=True).astype(object)
    hits = pd.unique(ids[ids.isin(distinct).to_numpy()].to_numpy())
    hits = hits[(hits != "") & pd.notna(hits)]
    as_id = names.isin(hits).to_numpy()
    n_names = names.nunique()
    where = f"{d['_file'].iloc[0]}"
    if as_id.sum() >= 2 or (n_names > MAX_DISTRICTS and n_names > len(names) / 2):
        first = int(d["_row"].iloc[int(np.flatnonzero(as_id)[0])]) if as_id.any() else None
        what = (f"{int(as_id.sum()):,} of its DISTRICT values are CHILD ids (the first on row "
                f"{first})" if as_id.sum() >= 2 else
                f"it names {n_names:,} different districts (a county has a few dozen at most)")
        raise CpxlError(f"{where}: the districts table looks wrong: {what}. Are the CHILD and "
                        "DISTRICT columns swapped, or is it another table? Fix the header row "
                        "(CHILD, DISTRICT) and run again; nothing was written")


def load(path, config: Config | str | Path | None = None, cache: bool | None = None) -> Dataset:
    """Read, type and validate every table under ``path`` (a folder of CSVs or a workbook).

    ``cache``: use the parsed-data cache (:mod:`cpxl.parsed_cache`; None: unless switched off).
    """
    path = Path(path)
    if not isinstance(config, Config):
        config = load_config(Path(config) if config else find_config(path))
    entry = parsed_cache.key(path, config) if parsed_cache.enabled(cache) and path.exists() else None
    kept = parsed_cache.lookup(path, config, entry)
    if kept is not None:
        kept.cache_entry = entry
        return kept
    dataset = _load(path, config)
    if entry is not None and parsed_cache.store(path, config, dataset, entry) is not None:
        dataset.cache_entry = entry
    return dataset


def _load(path: Path, config: Config) -> Dataset:
    raws, skipped = read_source(path)
    problems: list[Problem] = [Problem("warning", "", f, None, "", getattr(
        f, "reason", "not recognised as a cpxl table (its header row matches none); passed over"),
        "no", rule="file_not_recognised") for f in skipped]
    for raw in raws:
        problems += raw.problems
    present: dict[str, set] = {}
    combined = _combine(raws, problems, present)
    for required in ("header", "episodes"):
        if required not in combined:
            passed = f" (passed over: {', '.join(skipped)})" if skipped else ""
            raise CpxlError(f"{path.name}: no {required} table found{passed}; cpxl needs the "
                            f"SSDA903 {required} table (columns "
                            f"{', '.join(TABLES[required].required)})")
    for name, (frame, files, _trimmed_already) in combined.items():
        if frame.empty:
            problems.append(Problem("warning", name, "; ".join(files), None, "",
                                    f"the {name} table has a header row but no rows of data",
                                    "no", rule="table_has_no_rows"))
    tables = {}
    for name, (frame, _files, trimmed) in combined.items():
        tables[name] = _type_table(name, frame, problems, trimmed)
    _check_districts_columns(tables)
    # Rules that compare tables run once every table is typed.
    for name in list(tables):
        t = tables[name]
        drop = pd.Series(False, index=t.index)
        for r, mask in run_rules(tables, name):
            rows = t.loc[mask]
            used = "no" if r.drops else (r.used_as or "yes")
            problems += _problems_for(name, t, mask, r.column, format_message(r, rows), used, r.id)
            if r.drops:
                drop |= mask
        if drop.any():
            tables[name] = t.loc[~drop]
    tables = {name: _narrow_rows(t.reset_index(drop=True)) for name, t in tables.items()}
    pa.default_memory_pool().release_unused()      # the Arrow buffers typing and the rules used
    files = {name: fl for name, (_f, fl, _t) in combined.items()}
    return Dataset(tables=tables, problems=problems, config=config, path=path, files=files,
                   skipped_files=skipped, columns_present=present)
