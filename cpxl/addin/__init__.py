"""Build the cpxl Excel add-in (``cpxl.xlam``) from text sources, without Excel.

    >>> from cpxl.addin import build_addin
    >>> build_addin("dist/cpxl.xlam")          # doctest: +SKIP

One module per layer of the file format, outermost first:

* ``xlam``        - the .xlam package: workbook, ``cpxl.conf`` sheet, ribbon part
* ``opc``         - zip container, content types and relationships
* ``ribbon``      - customUI checks (callbacks exist in the VBA)
* ``vba``         - VBA project streams ([MS-OVBA]): dir, PROJECT, modules
* ``compression`` - the [MS-OVBA] 2.4.1 compression used by those streams
* ``cfb``         - the compound file (``vbaProject.bin``, [MS-CFB])

plus ``sources`` (where the VBA text comes from), ``udfgen`` (xlwings'
UDF wrapper generator, run without Windows, and the ``Workbook_Open`` code
that registers the function-wizard help), ``interpreter`` (the Python and
xlwings DLLs Excel will use, checked at build time) and ``install`` (the
per-user installation for Excel on Windows, ``cpxl addin install``).
"""
from __future__ import annotations

from .udfgen import udf_wrappers
from .xlam import build_addin, default_modules, default_settings

__all__ = ["build_addin", "default_modules", "default_settings", "udf_wrappers"]
