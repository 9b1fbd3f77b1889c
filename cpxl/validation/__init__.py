"""Validation rules: one rule, one small function, its metadata beside it.

A rule looks at a typed table (and, where it must, the others) and returns a boolean mask of the
rows with the problem.  Its metadata say which column, what is wrong, and whether a row with the
problem is still used (``drops=False``) or left out of every indicator (``drops=True``).
Rules on codes never drop a row: an unknown PLACE is "other", an unknown REC ends the period of
care, and the report says so.

The rules of each area of the data are a module of this package (:mod:`.ssda903`,
:mod:`.local`), registered in :mod:`.registry` when the package is imported, in report order.
"""
from __future__ import annotations

from . import ssda903  # noqa: F401  (registers the SSDA903 rules: first, as reported)
from . import local  # noqa: F401  (then the local tables' rules)
from .registry import (LOADER_RULES, RULES, LoaderRule, Rule, format_message, rule,
                       rule_catalogue, run_rules)

__all__ = ["LOADER_RULES", "RULES", "LoaderRule", "Rule", "format_message", "rule",
           "rule_catalogue", "run_rules"]
