"""Errors and validation problems.

Every problem cpxl finds in an analyst's data is reported with the file, the row (as Excel numbers
it, header row included), the column and what is wrong.  A problem that makes a table unusable is
raised as :class:`CpxlError` and stops the run with that message; a problem in one row is a
:class:`Problem` collected in the dataset's validation report.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict


class CpxlError(Exception):
    """An error the analyst can fix: the message says where and what; no traceback is shown."""


@dataclass(frozen=True)
class Problem:
    severity: str          # "error" (table unusable) or "warning" (a row or value)
    table: str
    file: str
    row: int | None        # the row number in the file as Excel or a text editor shows it
    column: str
    problem: str
    used: str = ""         # for a warning: "yes", "no" or what was used instead
    child: str = ""        # the CHILD id, where it helps to find the record (never a name)
    rule: str = ""         # the validation rule's id

    def as_dict(self) -> dict:
        return asdict(self)

    def message(self) -> str:
        where = self.file or self.table
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.problem}"
