"""Where the add-in's VBA and ribbon sources come from.

* ``cpxl/macros/`` in the package: our own ribbon XML and VBA (text, reviewed
  like any other code).
* The installed xlwings package: its VBA runtime module and the Dictionary
  class it needs on macOS. We take them from the ``.bas``/``.cls`` files
  xlwings ships as text in its wheel (``xlwings/xlwings_custom_addin.bas``
  and ``xlwings/addin/Dictionary.cls``) rather than from the compiled
  ``xlwings.xlam``, so that what we embed is exactly the reviewed text of the
  installed version.
* ``xlwings_udfs``: generated from the Python UDF module (``udfgen.py``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "MACROS_DIR",
    "PROJECT_NAME",
    "read_macro",
    "shipped_xlwings_module_source",
    "xlwings_module_source",
    "xlwings_dictionary_source",
]

# The package's macros/ folder (cpxl/addin/sources.py -> cpxl/macros), shipped in the wheel.
MACROS_DIR = Path(__file__).resolve().parents[1] / "macros"

# The add-in's name. xlwings derives the config sheet (``cpxl.conf``) and
# the user config file (``~/.cpxl/cpxl.conf``) from it.
PROJECT_NAME = "cpxl"

# The one line of xlwings_custom_addin.bas meant to be edited per add-in
# (xlwings' custom add-in docs: rename PROJECT_NAME to the add-in's name).
_SHIPPED_PROJECT_NAME_LINE = 'Public Const PROJECT_NAME As String = "myaddin"'


def read_macro(name: str, macros_dir: Path | None = None) -> str:
    """Read a text source from ``macros/``."""
    path = (macros_dir or MACROS_DIR) / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: the add-in sources live in the package's cpxl/macros/ folder"
        )
    # newline="" keeps CRLF as written; the VBA writer normalises anyway.
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def _read_xlwings_text(relative: str) -> str:
    path = _xlwings_dir() / relative
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def shipped_xlwings_module_source() -> str:
    """``xlwings/xlwings_custom_addin.bas`` exactly as the installed wheel has it.

    That file (not ``xlwings.bas``) is xlwings' runtime for *custom add-ins*:
    it runs Python against ``ActiveWorkbook`` (the user's workbook) instead
    of ``ThisWorkbook`` (which would be the add-in itself) and also reads
    settings from a ``<PROJECT_NAME>.conf`` sheet inside the add-in.
    """
    return _read_xlwings_text("xlwings_custom_addin.bas")


def xlwings_module_source(project_name: str = PROJECT_NAME) -> str:
    """The xlwings module as embedded: shipped text with PROJECT_NAME set.

    The only change to xlwings' file is the ``PROJECT_NAME`` constant, which
    the custom add-in template expects each add-in to set; without it the
    module would look for a ``myaddin.conf`` sheet and ``~/.myaddin/`` config.
    """
    text = shipped_xlwings_module_source()
    if text.count(_SHIPPED_PROJECT_NAME_LINE) != 1:
        raise RuntimeError(
            "xlwings_custom_addin.bas no longer contains the expected PROJECT_NAME line; "
            "check the installed xlwings version against cpxl.addin.sources"
        )
    return text.replace(
        _SHIPPED_PROJECT_NAME_LINE, f'Public Const PROJECT_NAME As String = "{project_name}"'
    )


def xlwings_dictionary_source() -> str:
    """``xlwings/addin/Dictionary.cls``: on macOS the xlwings module uses this
    class instead of Scripting.Dictionary (``#If Mac Then ... New Dictionary``),
    so without it the module does not compile there. xlwings' own custom
    add-in template includes it for the same reason."""
    return _read_xlwings_text("addin/Dictionary.cls")
