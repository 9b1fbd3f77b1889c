"""cpxl: the Corporate Parenting Board's performance indicators, for Excel and in batch.

    >>> import cpxl
    >>> data = cpxl.load("samples/northshire")
    >>> table = cpxl.compute(data, "2025-12-31", months=13)

``load`` reads and validates a folder of CSVs or a workbook (docs/data.md); ``compute``
returns the long indicator table (one row per indicator, period end and geography).
"""
from __future__ import annotations

__version__ = "0.1.0"

from .catalogue import catalogue, get as indicator  # noqa: E402
from .dataset import Dataset, load  # noqa: E402
from .engine import compute  # noqa: E402
from .errors import CpxlError, Problem  # noqa: E402

__all__ = ["load", "compute", "catalogue", "indicator", "Dataset", "CpxlError", "Problem", "__version__"]
