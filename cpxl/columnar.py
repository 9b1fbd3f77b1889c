"""The fast way to read a CSV table: Arrow's columnar parser, every column as text.

:func:`cpxl.reading.read_csv_file` decodes the file, finds the header row and the delimiter, then
asks :func:`read_body` for the table.  It gives back what the pandas path would (the same cells,
row numbers and blank rows left out), or ``None`` for what Arrow does not read the same way as
pandas, or where the pandas path checks more - rows of another width than the header, NUL
characters, a quote left open, a line break inside a quoted cell, a header region whose lines do
not split as the header search split them - and the pandas path reads the file as before, with
its messages.

Cells come back as categoricals (each distinct text once, with a code per row): the loader trims,
upper-cases and types the distinct values only, and the blank-row check here works on them too.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _refuse(_row) -> str:
    # A row of another width: pandas pads a short row and widens the table for a long one; Arrow
    # would drop it.  "error" stops Arrow at once (the pandas path then reads the file).
    return "error"


def _body_start(text: str, lines_before: int, header_lines: list[str]) -> int | None:
    """Where the data starts: just after the header row's line break (None: not clear-cut)."""
    pos = 0
    for i in range(lines_before):
        m = _LINE_BREAK.search(text, pos)
        if m is None:
            return len(text) if i == lines_before - 1 else None
        pos = m.end()
    region = text[:pos]
    # The header search split lines as str.splitlines does, and pandas skips rows with quotes in
    # mind: the two agree when the region has only \r/\n breaks and no quoted line break.
    if _OTHER_BREAKS.search(region) or region.splitlines() != header_lines[:lines_before]:
        return None
    if any(line.count('"') % 2 for line in header_lines[:lines_before]):
        return None
    return pos


#: Columns whose values recur across tables: one Python str per distinct value for a whole load.
ID_COLUMNS = {"CHILD"}


def categories(words: np.ndarray) -> pd.CategoricalDtype:
    """The dtype of a column whose distinct values are ``words``: distinct and never missing, as
    Arrow's dictionary gives them."""
    index = pd.Index(words, dtype=object)
    # pandas would hash every value again to check that (a second and a half at 40,000 children);
    # its own constructor where the shortcut is gone (a private name).
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    return fast(index, False) if fast is not None else pd.CategoricalDtype(index)


class SharedText:
    """One Python str per distinct id for a whole load: a child in eight tables is one object,
    not eight (at 40,000 children some 4 million strs, 250 MB, fewer).  The id columns' distinct
    values wait as Arrow arrays until every file is read (:meth:`finish`), then are encoded
    together once: cheaper than making each table's strs."""

    def __init__(self) -> None:
        self._waiting: list[tuple[pd.DataFrame, str, pa.Array]] = []

    def wait(self, frame: pd.DataFrame, column: str, words: pa.Array) -> None:
        """``frame[column]`` holds codes into ``words`` until :meth:`finish`."""
        self._waiting.append((frame, column, words))

    def finish(self) -> None:
        """Make each waiting column a categorical of shared strs."""
        if not self._waiting:
            return
        together = pc.dictionary_encode(pa.concat_arrays([w for _, _, w in self._waiting]))
        objects = together.dictionary.to_numpy(zero_copy_only=False)
        at = together.indices.to_numpy(zero_copy_only=False)
        start = 0
        for frame, column, words in self._waiting:
            words_at = at[start:start + len(words)]
            start += len(words)
            frame[column] = pd.Categorical.from_codes(frame[column].to_numpy(), validate=False,
                                                      dtype=categories(objects[words_at]))
        self._waiting.clear()


def read_body(text: str, header_index: int, header_lines: list[str], delim: str,
              columns: list[str], utf8: bytes | None = None,
              ids: SharedText | None = None) -> tuple[pd.DataFrame, int] | None:
    """The data rows below the header row as (frame, number of data rows before blanks were left
    out), named as :func:`cpxl.reading._finish` names them; None where the pandas path must read.

    ``utf8``: the file's bytes (after any BOM) when ``text`` is exactly them decoded as UTF-8;
    ``ids``: the load's :class:`SharedText` for the id columns."""
    start = _body_start(text, header_index + 1, header_lines)
    if start is None:
        return None
    if utf8 is not None:
        head = text[:start]
        data = utf8[len(head) if head.isascii() else len(head.encode("utf-8")):]
    else:
        data = text[start:].encode("utf-8")
    quotes = data.count(b'"')
    if b"\x00" in data or quotes % 2:
        return None
    width = len(columns)
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True,
                                           block_size=max(1 << 20, min(len(data) + 1, 1 << 24))),
            # With no quote in the file no cell can hold a line break: Arrow splits it faster.
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=quotes > 0,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=_refuse),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowException, UnicodeError, ValueError):
        return None
    n = table.num_rows
    if n and quotes:
        # A line break inside a quoted cell: a note, or the rows after a stray opening quote
        # swallowed into one cell.  The pandas path tells the two apart (and stops at the second),
        # so it reads such a file; a quote left open to the end of the file is its error too.
        for col in table.columns:
            if pc.any(pc.match_substring_regex(col, "[\r\n]")).as_py():
                return None
    header = [c or f"_BLANK{i}" for i, c in enumerate(columns)]
    out: dict[str, pd.Categorical | np.ndarray] = {}
    waiting: list[tuple[str, pa.Array]] = []
    blank = np.ones(n, dtype=bool)
    for name, column in zip(header, table.columns):
        if name in out:                           # a repeated column name: the first one is used
            continue
        encoded = pc.dictionary_encode(column.combine_chunks())
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
        words = encoded.dictionary
        trimmed = pc.utf8_trim_whitespace(words)
        if not trimmed.equals(words):            # ' C2' and 'C2' become one value
            merged = pc.dictionary_encode(trimmed)
            codes = merged.indices.to_numpy(zero_copy_only=False).astype(np.int32)[codes]
            trimmed = merged.dictionary
        empty = pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
        blank &= empty[codes] if len(trimmed) else True
        if ids is not None and name in ID_COLUMNS:
            out[name] = codes                           # made a categorical by ids.finish()
            waiting.append((name, trimmed))
            continue
        # Object categories (Python strs made once per distinct value): what the loader works on.
        out[name] = pd.Categorical.from_codes(
            codes, dtype=categories(trimmed.to_numpy(zero_copy_only=False)), validate=False)
    frame = pd.DataFrame(out)
    first_row = header_index + 2
    frame["_row"] = np.arange(first_row, first_row + n, dtype=np.int64)
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
    if ids is not None:
        for name, trimmed in waiting:
            ids.wait(frame, name, trimmed)
    return frame, n
