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
* :mod:`cpxl.xl.winharness` - xlwings' Windows UDF machinery on Linux (pywin32 stand-ins and a
  fake COM workbook), for the tests and the benchmark only.

Nothing here imports xlwings at package import time.
"""
