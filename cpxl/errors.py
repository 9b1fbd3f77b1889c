"""Errors and validation problems.

Every problem cpxl finds in an analyst's data is reported with the file, the row (as Excel numbers
it, header row included), the column and what is wrong.  A problem that makes a table unusable is
raised as :class:`CpxlError` and stops the run with that message; a problem in one row is a
:class:`Problem` collected in the dataset's validation report.
"""
from __future__ import annotations

from dataclasses import dataclass, asdict
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class CpxlError(Exception):
    """An error the analyst can fix: the message says where and what; no traceback is shown."""


class Used(str, Enum):
    """Whether a row with a problem is still used.  The report's ``used`` text is the value,
    optionally followed by what was used instead ("yes: treated as blank")."""
    YES = "yes"
    NO = "no"

    def said(self, detail: str = "") -> str:
        """The report's text: ``yes``, ``no`` or ``yes: <detail>``."""
        return f"{self.value}: {detail}" if detail else self.value

    @classmethod
    def of(cls, text: str) -> "Used":
        return cls.NO if str(text).split(":", 1)[0].strip() == cls.NO.value else cls.YES

    @classmethod
    def not_used(cls, texts: pd.Series) -> pd.Series:
        """True where the report's ``used`` texts say the row was not used."""
        return texts.astype(str).str.split(":", n=1).str[0].str.strip() == cls.NO.value


@dataclass(frozen=True)
class Problem:
    severity: str          # always "warning": a table that cannot be used raises CpxlError instead
    table: str
    file: str
    row: int | None        # the row number in the file as Excel or a text editor shows it
    column: str
    problem: str
    used: str = ""         # Used.YES / Used.NO as text, perhaps with what was used instead
    child: str = ""        # the CHILD id, where it helps to find the record (never a name)
    rule: str = ""         # the validation rule's id

    @property
    def row_used(self) -> Used:
        return Used.of(self.used)

    def as_dict(self) -> dict:
        return asdict(self)

    def message(self) -> str:
        where = self.file or self.table
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.problem}"
