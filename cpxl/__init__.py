"""cpxl: the Corporate Parenting Board's performance indicators, for Excel and in batch.

    >>> import cpxl
    >>> data = cpxl.load("samples/northshire")
    >>> table = cpxl.compute(data, "2025-12-31", months=13)

``load`` reads and validates a folder of CSVs or a workbook (docs/data.md); ``compute``
returns the long indicator table (one row per indicator, period end and geography).
"""
from __future__ import annotations

import sys
import types

__version__ = "0.1.0"

# Imported on first use (PEP 562): the command line replays a kept output without pandas.
_EXPORTS = {"indicator": ("catalogue", "get"),
            "Dataset": ("dataset", "Dataset"), "load": ("dataset", "load"),
            "compute": ("engine", "compute"), "CpxlError": ("errors", "CpxlError"),
            "Problem": ("errors", "Problem")}

__all__ = ["load", "compute", "catalogue", "indicator", "Dataset", "CpxlError", "Problem", "__version__"]


def __getattr__(name: str):
    from importlib import import_module
    from importlib.util import find_spec

    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        value = getattr(import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    if not name.startswith("_") and find_spec(f"{__name__}.{name}") is not None:
        return import_module(f".{name}", __name__)       # cpxl.dates and the like, as before
    raise AttributeError(f"module 'cpxl' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | {"catalogue"})


class _Package(types.ModuleType):
    """``cpxl.catalogue`` stays the function although a submodule has the same name: importing
    a submodule sets the package's attribute of that name, which this ignores."""

    @property
    def catalogue(self):
        from .catalogue import catalogue
        return catalogue

    @catalogue.setter
    def catalogue(self, _submodule):
        pass


sys.modules[__name__].__class__ = _Package
