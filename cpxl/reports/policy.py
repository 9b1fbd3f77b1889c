"""How a scorecard rates and compares: the ``[scorecard]`` table of ``cpxl.toml``.

    [scorecard]
    min_denominator = 5          # a figure on fewer children is shown, never rated or ranked
    change_margin_points = 0.5   # a percentage must move this many points to be better or worse
    change_margin_percent = 2.0  # any other unit: this % of last month's value
    neighbours = "mean"          # statistical neighbours as their "mean" or "median"
    neighbour_set = 2025         # the DfE's 2025 neighbour groups, or the 2021 ones

Everything has a default (above); a wrong value is a clear error naming the file and the key.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from ..errors import CpxlError

DEFAULT_MIN_DENOMINATOR = 5
DEFAULT_MARGIN_POINTS = 0.5
DEFAULT_MARGIN_PERCENT = 2.0
NEIGHBOUR_METHODS = ("mean", "median")
NEIGHBOUR_SETS = (2025, 2021)


@dataclass(frozen=True)
class Policy:
    min_denominator: int = DEFAULT_MIN_DENOMINATOR
    change_margin_points: float = DEFAULT_MARGIN_POINTS
    change_margin_percent: float = DEFAULT_MARGIN_PERCENT
    neighbours: str = "mean"
    neighbour_set: int = 2025

    @classmethod
    def from_config(cls, config) -> Policy:
        raw = getattr(config, "raw", None) or {}
        table = raw.get("scorecard", {})
        path = getattr(config, "path", None)
        where = path.name if path else "cpxl.toml"
        if not isinstance(table, dict):
            raise CpxlError(f"{where}: [scorecard] must be a table, e.g. [scorecard] then "
                            "min_denominator = 5 on the next line")
        known = {"min_denominator", "change_margin_points", "change_margin_percent", "neighbours",
                 "neighbour_set"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise CpxlError(f"{where}: [scorecard] has {', '.join(unknown)}; the keys are "
                            f"{', '.join(sorted(known))}")

        def number(key, default, low, high, whole=False):
            v = table.get(key, default)
            ok = isinstance(v, Real) and not isinstance(v, bool) and low <= v <= high
            if whole:
                ok = ok and float(v).is_integer()
            if not ok:
                kind = "a whole number" if whole else "a number"
                raise CpxlError(f"{where}: [scorecard] {key} must be {kind} from {low:g} to "
                                f"{high:g}; got {v!r}")
            return int(v) if whole else float(v)
        method = table.get("neighbours", "mean")
        if not isinstance(method, str) or method.strip().lower() not in NEIGHBOUR_METHODS:
            raise CpxlError(f"{where}: [scorecard] neighbours must be \"mean\" or \"median\"; "
                            f"got {method!r}")
        group = table.get("neighbour_set", 2025)
        if isinstance(group, str) and group.strip().isdigit():
            group = int(group.strip())
        if group not in NEIGHBOUR_SETS or isinstance(group, bool):
            raise CpxlError(f"{where}: [scorecard] neighbour_set must be 2025 or 2021 (the DfE's "
                            f"statistical neighbour groups); got {group!r}")
        return cls(min_denominator=number("min_denominator", DEFAULT_MIN_DENOMINATOR, 0, 1000,
                                          whole=True),
                   change_margin_points=number("change_margin_points", DEFAULT_MARGIN_POINTS, 0,
                                               100),
                   change_margin_percent=number("change_margin_percent", DEFAULT_MARGIN_PERCENT, 0,
                                                100),
                   neighbours=method.strip().lower(), neighbour_set=int(group))

    def margin(self, unit: str, before: float) -> float:
        """The smallest move called better or worse, in the indicator's own units."""
        if unit == "%":
            return self.change_margin_points
        return abs(before) * self.change_margin_percent / 100.0

    @property
    def neighbour_words(self) -> str:
        """"the mean of the 10 statistical neighbours (DfE 2025 groups)"."""
        return (f"the {self.neighbours} of the 10 statistical neighbours (DfE {self.neighbour_set} "
                "groups)")
