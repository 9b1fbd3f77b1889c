"""cpxl in Excel: worksheet functions, ribbon actions and workbook updates.

* :mod:`cpxl.xl.udfs` - the worksheet functions (``=CPXL_VALUE(...)`` and friends), a thin
  xlwings layer over :mod:`cpxl.xl.service`;
* :mod:`cpxl.xl.service` - what the functions compute, in plain Python (no xlwings), over the
  dataset/compute cache of :mod:`cpxl.xl.cache`;
* :mod:`cpxl.xl.ribbon` - the add-in's ribbon buttons (``dispatch(button_id)``), written against
  the subset of xlwings' Book/Sheet/Range API in :mod:`cpxl.xl.workbook`, so the same actions
  run on a real workbook through openpyxl in tests;
* :mod:`cpxl.xl.update` - ``cpxl update-workbook``: the indicator table into a sheet of an
  existing workbook, with openpyxl;

The tests drive the worksheet functions through xlwings' Windows UDF machinery on Linux with
tests/winharness.py (pywin32 stand-ins and a fake COM workbook), which is not in the package.

Nothing here imports xlwings at package import time.
"""
