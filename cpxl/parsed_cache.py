"""The parsed-data cache: a load's typed tables and validation report, kept for the next load.

Analysts load the same month's extract many times (each refresh of a workbook, each ribbon click,
each batch re-run).  After a successful load, :func:`store` writes the typed tables and the
validation report as Parquet files; :func:`lookup` gives them back on the next load of the same
files instead of reading and validating the CSVs again.

Safe by construction:

* an entry is found by a **key**: a SHA-256 over the content of every file in the data folder
  (or the workbook), the data's location, the configuration in use, cpxl's version and its
  source code, and the versions of pandas, numpy and pyarrow.  Any change to any of them is a
  miss;
* each file of an entry is checked against the digest its ``meta.json`` records before it is
  used; a damaged or unreadable entry is ignored (and removed), and the data is loaded afresh;
* an entry is written under a temporary name and renamed into place, so a reader never sees half
  of one; only loads that succeeded are kept.

Where: the entries hold personal data (children's identifiers), so they are kept **beside the
data** - ``.cpxl-cache/`` in the data folder (beside a workbook, for a workbook) - with the
folder readable only by its owner (0700, files 0600).  Where that folder cannot be written (a
read-only share), they go to the user's own profile: ``%LOCALAPPDATA%\\cpxl\\cache`` on Windows,
``$XDG_CACHE_HOME/cpxl`` or ``~/.cache/cpxl`` elsewhere; never a shared temporary folder.  The
``CPXL_CACHE_DIR`` environment variable names another place; ``CPXL_NO_CACHE=1`` (or the
command line's ``--no-cache``) turns the cache off; ``cpxl cache clear`` removes entries.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # imported where frames are converted: a kept output is replayed without them
    import pandas as pd

FOLDER = ".cpxl-cache"
ENV_DIR = "CPXL_CACHE_DIR"
ENV_OFF = "CPXL_NO_CACHE"
#: Bumped whenever what an entry holds, or how, changes.
FORMAT = 5
#: Entries kept per cache folder (the oldest are removed).
MAX_ENTRIES = 6
_PROBLEM_FIELDS = ["severity", "table", "file", "row", "column", "problem", "used", "child", "rule"]
_off: list[bool] = []


# --- switching it off ----------------------------------------------------------------------------

def enabled(cache: bool | None = None) -> bool:
    if cache is not None:
        return cache
    return not _off and os.environ.get(ENV_OFF, "").strip() in ("", "0")


@contextlib.contextmanager
def switched_off(off: bool = True):
    """No cache for loads in this block (the command line's ``--no-cache``)."""
    if off:
        _off.append(True)
    try:
        yield
    finally:
        if off:
            _off.pop()


# --- where ---------------------------------------------------------------------------------------

def profile_root() -> Path:
    """The user's own cache folder (never the shared temporary folder)."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "cpxl" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cpxl"


def _beside(path: Path) -> Path:
    return (path if path.is_dir() else path.parent) / FOLDER


def _in_profile(path: Path) -> Path:
    where = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return profile_root() / where


def folders(path: Path) -> list[Path]:
    """Where entries for the data at ``path`` are looked for, in order (written to the first
    that can be written)."""
    env = os.environ.get(ENV_DIR)
    if env:
        return [Path(env)]
    return [_beside(path), _in_profile(path)]


# --- the key -------------------------------------------------------------------------------------

def _data_files(path: Path) -> list[Path]:
    """Every file a load of ``path`` can read (the folder's files as cpxl.reading lists them)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir()
                      if p.is_file() and not p.name.startswith(("~$", ".")))
    return [path]


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of cpxl's own source: a changed reader or rule misses even when the version
    number has not moved (as between a developer's commits)."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for f in sorted(package.rglob("*.py")):
        h.update(f"{f.relative_to(package).as_posix()}\n".encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _library_versions() -> str:
    # From the installed packages' metadata: importing pandas to ask it costs more than a replay.
    from importlib.metadata import PackageNotFoundError, version

    def of(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"
    return "|".join(f"{name} {of(name)}" for name in ("pandas", "numpy", "pyarrow"))


def key(path: Path, config) -> str | None:
    """The entry's name for these files and this configuration; None when a file cannot be read
    (the load then reports it)."""
    import datetime as dt

    from . import __version__

    h = hashlib.sha256()
    # Today's date too: the rules leave out events "more than a month after today".
    h.update(f"cpxl {__version__}|format {FORMAT}|{_library_versions()}"
             f"|python {sys.version_info[:2]}|code {code_digest()}"
             f"|today {dt.date.today().isoformat()}\n".encode())
    h.update(f"{path.resolve()}|{path.is_dir()}\n".encode("utf-8", "surrogatepass"))
    h.update(repr(config).encode("utf-8", "surrogatepass"))
    config_path = getattr(config, "path", None)
    files = _data_files(path)
    if config_path is not None and Path(config_path) not in files:
        files.append(Path(config_path))
    try:
        for f in files:
            with open(f, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            h.update(f"\n{f.name}|{digest}".encode("utf-8", "surrogatepass"))
    except OSError:
        return None
    return h.hexdigest()


# --- frames to and from Parquet ------------------------------------------------------------------

def _missing_come_back(values, missing) -> bool:
    """Whether a text column's missing cells come back as they are: a cached load makes them NaN,
    so a column is kept only where they are NaN (not None)."""
    return not missing.any() or all(isinstance(v, float) for v in values[missing])


def _shared_ids(tables: dict[str, pd.DataFrame]):
    """The CHILD ids of every table as codes into one list of distinct ids: (each table's int32
    codes, the ids as Arrow text); None when an id is not text (then nothing is cached).

    Kept so, a cached load makes one str per child for the whole dataset, as the reader does,
    without hashing every table's ids again (seconds at 80,000 children)."""
    import pyarrow as pa

    from .frames import factorize_objects

    names = [n for n, t in tables.items() if "CHILD" in t.columns and t["CHILD"].dtype == object]
    arrays = [tables[n]["CHILD"].to_numpy(dtype=object) for n in names]
    codes, uniques = factorize_objects(arrays)
    if not all(_missing_come_back(values, at < 0) for values, at in zip(arrays, codes)):
        return None
    try:
        return dict(zip(names, codes)), pa.array(uniques, type=pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        return None


def _to_arrow(frame: pd.DataFrame, child_codes=None):
    """The table as an Arrow table and the dtype of each column; None for a column cpxl does
    not make (then nothing is cached).  ``child_codes``: its CHILD column's codes from
    :func:`_shared_ids`."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    arrays, kinds = [], {}
    for col in frame.columns:
        s = frame[col]
        if col == "CHILD" and child_codes is not None:
            missing = child_codes < 0
            arrays.append(pa.array(child_codes, mask=missing if missing.any() else None))
            kinds[col] = "id"
        elif isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if not all(isinstance(c, str) for c in cats):
                return None
            arrays.append(pa.DictionaryArray.from_arrays(
                pa.array(s.cat.codes.to_numpy(dtype=np.int32), mask=s.isna().to_numpy()),
                pa.array(list(cats), type=pa.string())))
            kinds[col] = "category"
        elif s.dtype == object:
            values = s.to_numpy()
            missing = s.isna().to_numpy()
            if not _missing_come_back(values, missing):
                return None
            try:       # (Parquet dictionary-encodes the text itself, faster than pandas here)
                arrays.append(pa.array(values, type=pa.string(), from_pandas=True))
            except (pa.ArrowException, TypeError, ValueError):  # not all str: not kept
                return None
            kinds[col] = "text"
        elif s.dtype in (np.dtype("datetime64[ns]"), np.dtype("float64"), np.dtype("int64"),
                         np.dtype("int32"), np.dtype("bool")):
            arrays.append(pa.array(s.to_numpy()))
            kinds[col] = str(s.dtype)
        else:
            return None
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns]), kinds


def _from_arrow(table, kinds: dict[str, str], ids=None) -> pd.DataFrame:
    """The table as cpxl made it (``ids``: the entry's distinct CHILD ids, as one str each)."""
    import numpy as np
    import pandas as pd

    out = {}
    for col, kind in kinds.items():
        a = table.column(col).combine_chunks()
        if kind == "id":
            codes = a.fill_null(-1).to_numpy(zero_copy_only=False)
            out[col] = pd.Series(ids[codes], dtype=object, copy=False)
        elif kind in ("text", "category"):
            if not hasattr(a, "indices"):
                a = a.dictionary_encode()
            codes = a.indices.fill_null(-1).to_numpy().astype(np.int64)
            words = np.asarray(a.dictionary.to_numpy(zero_copy_only=False), dtype=object)
            if kind == "category":
                out[col] = pd.Categorical.from_codes(codes, categories=pd.Index(words.tolist()))
            else:
                shared = np.append(words, np.nan)          # code -1 (missing): NaN
                out[col] = pd.Series(shared[codes], dtype=object, copy=False)
        else:
            values = a.to_numpy(zero_copy_only=False)
            out[col] = pd.Series(values.astype(kind, copy=False))
    return pd.DataFrame(out, copy=False)


def _problems_frame(problems) -> pd.DataFrame | None:
    import pandas as pd

    rows = []
    for p in problems:
        d = p.as_dict()
        if not all(isinstance(d[f], str) for f in _PROBLEM_FIELDS if f != "row"):
            return None
        if d["row"] is not None and not isinstance(d["row"], int):
            return None
        rows.append(d)
    frame = pd.DataFrame(rows, columns=_PROBLEM_FIELDS).astype(
        {f: object for f in _PROBLEM_FIELDS if f != "row"})
    frame["row"] = pd.array([r["row"] for r in rows], dtype="Int64")
    return frame


# --- entries -------------------------------------------------------------------------------------

def _digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)


def store(path: Path, config, dataset, entry_key: str | None = None) -> Path | None:
    """Keep the dataset's tables and report for the next load; the entry's folder, or None when
    nothing was kept (no writable place, a table cpxl cannot keep).  Never raises."""
    import pyarrow.parquet as pq

    try:
        entry_key = entry_key or key(path, config)
        if entry_key is None:
            return None
        shared = _shared_ids(dataset.tables)
        if shared is None:
            return None
        child_codes, ids = shared
        tables = {}
        for name, frame in dataset.tables.items():
            converted = _to_arrow(frame, child_codes.get(name))
            if converted is None:
                return None
            tables[name] = converted
        problems = _problems_frame(dataset.problems)
        if problems is None:
            return None
    except Exception:  # noqa: BLE001  (the cache is a convenience: a failure here must not fail the load)
        return None
    for root in folders(path):
        tmp = root / f".{entry_key}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            _private_dir(root)
            tmp.mkdir(mode=0o700)
            digests = {}
            for i, (name, (table, _kinds)) in enumerate(tables.items()):
                file = f"t{i}.parquet"
                # One row group: read back as one chunk per column (several chunks, each with
                # its own dictionary, cost seconds to unify at a large county's size).
                pq.write_table(table, tmp / file, compression="lz4", write_statistics=False,
                               row_group_size=max(1, table.num_rows))
                digests[file] = _digest(tmp / file)
            import pyarrow as pa
            pq.write_table(pa.table({"CHILD": ids}), tmp / "ids.parquet", compression="lz4",
                           write_statistics=False)
            digests["ids.parquet"] = _digest(tmp / "ids.parquet")
            pq.write_table(pa.Table.from_pandas(problems, preserve_index=False),
                           tmp / "problems.parquet", compression="lz4")
            digests["problems.parquet"] = _digest(tmp / "problems.parquet")
            meta = {
                "format": FORMAT, "key": entry_key,
                "tables": [{"name": n, "file": f"t{i}.parquet", "columns": kinds}
                           for i, (n, (_t, kinds)) in enumerate(tables.items())],
                "digests": digests,
                "files": dataset.files,
                "skipped": [[str(s), getattr(s, "reason", "")] for s in dataset.skipped_files],
                "columns_present": {n: sorted(c) for n, c in dataset.columns_present.items()},
            }
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            for f in tmp.iterdir():
                with contextlib.suppress(OSError):
                    os.chmod(f, 0o600)
            final = root / entry_key
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "meta.json").exists():
                    raise
                shutil.rmtree(tmp, ignore_errors=True)      # another process kept it first
            _prune(root)
            return final
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            continue
    return None


def lookup(path: Path, config, entry_key: str | None):
    """The dataset kept for this key, or None (a miss, or a damaged entry, which is removed)."""
    if entry_key is None:
        return None
    for root in folders(path):
        entry = root / entry_key
        if not (entry / "meta.json").is_file():
            continue
        try:
            dataset = _read(entry, path, config, entry_key)
            with contextlib.suppress(OSError):
                os.utime(entry)                   # recently used: pruned last
            return dataset
        except Exception:  # noqa: BLE001  (damaged, half-removed, another version: load afresh)
            shutil.rmtree(entry, ignore_errors=True)
    return None


def _read(entry: Path, path: Path, config, entry_key: str):
    import io

    import pyarrow.parquet as pq

    from .dataset import Dataset
    from .errors import Problem
    from .reading import SkippedFile

    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("key") != entry_key:
        raise ValueError("not this entry")

    def checked(file: str, text=()):
        data = (entry / file).read_bytes()
        if hashlib.sha256(data).hexdigest() != meta["digests"][file]:
            raise ValueError(f"{file} is damaged")
        return pq.read_table(io.BytesIO(data), use_threads=False, read_dictionary=list(text))

    import numpy as np
    import pyarrow as pa

    words = checked("ids.parquet").column("CHILD").combine_chunks()
    ids = np.append(np.asarray(words.to_numpy(zero_copy_only=False), dtype=object), np.nan)
    tables = {t["name"]: _from_arrow(checked(t["file"], [c for c, k in t["columns"].items()
                                                         if k in ("text", "category")]),
                                     t["columns"], ids)
              for t in meta["tables"]}
    pa.default_memory_pool().release_unused()      # the Parquet buffers, freed but kept by Arrow
    rep = checked("problems.parquet").to_pydict()
    problems = [Problem(**{f: rep[f][i] for f in _PROBLEM_FIELDS})
                for i in range(len(rep["severity"]))]
    skipped = [SkippedFile(name, reason) for name, reason in meta["skipped"]]
    return Dataset(tables=tables, problems=problems, config=config, path=path,
                   files={k: list(v) for k, v in meta["files"].items()}, skipped_files=skipped,
                   columns_present={k: set(v) for k, v in meta["columns_present"].items()})


def _prune(root: Path) -> None:
    entries = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    entries.sort(key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        shutil.rmtree(old, ignore_errors=True)


def clear(path: Path | None = None) -> list[Path]:
    """Remove the entries for the data at ``path`` (beside it and in the profile), or with no
    path every entry in the user's profile; the folders removed."""
    if path is None:
        roots = [Path(os.environ[ENV_DIR])] if os.environ.get(ENV_DIR) else [profile_root()]
    else:
        roots = folders(Path(path))
    removed = []
    for root in roots:
        if root.is_dir():
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed


# --- kept outputs --------------------------------------------------------------------------------
#
# A command's output file, kept inside the dataset's entry: the same files, configuration and
# cpxl (the entry's key) and the same request (period end, months, ...) give the same bytes, so
# a re-run copies them instead of loading and computing again, without importing pandas.  Kept
# in the entry's folder, an output is pruned and cleared with its dataset and never outlives it.

def _output_name(request: dict) -> str:
    text = json.dumps(request, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _kept_at(path: Path, entry_key: str | None, request: dict) -> tuple[Path, Path, str] | None:
    """(the dataset's entry, its outputs folder, the request's file name), or None with no entry."""
    if entry_key is None:
        return None
    for root in folders(path):
        entry = root / entry_key
        if (entry / "meta.json").is_file():
            return entry, entry / "outputs", _output_name(request)
    return None


def keep_output(path: Path, entry_key: str | None, request: dict, written: Path,
                summary: dict) -> bool:
    """Keep ``written`` (the output just made for ``request``) and ``summary`` (what the command
    printed, as data) in the dataset's entry.  Never raises; whether it was kept."""
    where = _kept_at(path, entry_key, request)
    if where is None:
        return False
    _entry, folder, name = where
    tmp = folder / f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        _private_dir(folder)
        data = Path(written).read_bytes()
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        meta = {"format": FORMAT, "key": entry_key, "request": request, "summary": summary,
                "digest": hashlib.sha256(data).hexdigest(), "size": len(data)}
        meta_tmp = tmp.with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps(meta, default=str), encoding="utf-8")
        os.chmod(meta_tmp, 0o600)
        os.replace(tmp, folder / f"{name}.out")
        os.replace(meta_tmp, folder / f"{name}.json")
        return True
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            tmp.with_suffix(".json.tmp").unlink()
        return False


def kept_output(path: Path, entry_key: str | None, request: dict) -> tuple[bytes, dict] | None:
    """The bytes and summary kept for ``request``, or None (a miss; a damaged one is removed)."""
    where = _kept_at(path, entry_key, request)
    if where is None:
        return None
    entry, folder, name = where
    try:
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        data = (folder / f"{name}.out").read_bytes()
    except (OSError, ValueError):
        return None
    if (meta.get("format") != FORMAT or meta.get("key") != entry_key
            or json.dumps(meta.get("request"), sort_keys=True, default=str)
            != json.dumps(request, sort_keys=True, default=str)
            or hashlib.sha256(data).hexdigest() != meta.get("digest")):
        for f in (f"{name}.json", f"{name}.out"):
            with contextlib.suppress(OSError):
                (folder / f).unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)                              # recently used: pruned last
    return data, meta["summary"]
