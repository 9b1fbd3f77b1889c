r"""Which Python the add-in starts, and the xlwings DLL Excel needs beside it.

The add-in's xlwings module declares its DLL by a name fixed at build time
(``Declare PtrSafe Function ... Lib "xlwings64-0.37.8.dll"``) and, before its
first call, loads it from the interpreter's folder or the folder above
(``XLPyLoadDLL`` in ``xlwings_custom_addin.bas``: ``ParentFolder(PYTHON_WIN)``,
then ``ParentFolder(ParentFolder(PYTHON_WIN))``).  pip puts the two DLLs
(``xlwings32-<version>.dll`` and ``xlwings64-<version>.dll``, one for each
bitness of Excel) into the installation's *data* folder: the Python folder
itself for an ordinary installation (beside ``pythonw.exe``), the environment's
folder for a venv (one above ``Scripts\pythonw.exe``) or conda, and the user
base (``%APPDATA%\Python``) for ``pip install --user`` - which is neither of
the two places Excel looks, so that case is refused with a way out.

With ``INTERPRETER_WIN`` left blank xlwings runs ``pythonw`` from the PATH and
loads the DLL through the PATH too; a per-user, Store, venv or conda Python is
usually not there.  So the builder writes the full path of the building
interpreter's ``pythonw.exe`` (or ``--interpreter``) and checks the DLLs now,
when the person building it can still do something about it.
"""
from __future__ import annotations

import os
import re
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import CpxlError

__all__ = ["AddinBuildError", "Interpreter", "check_interpreter", "default_interpreter",
           "dll_names", "embedded_xlwings_version", "expand_windows_variables",
           "pip_data_folders"]


class AddinBuildError(CpxlError):
    """The add-in cannot be built for this interpreter (a message for the person building it)."""


_DLL_DECLARATION = re.compile(r'Lib\s+"xlwings(?:32|64)-([0-9][^"]*)\.dll"')


def dll_names(xlwings_version: str) -> tuple[str, str]:
    """The DLLs of an xlwings version: for 64-bit Excel, then for 32-bit Excel."""
    return (f"xlwings64-{xlwings_version}.dll", f"xlwings32-{xlwings_version}.dll")


def embedded_xlwings_version(xlwings_module_source: str) -> str:
    """The xlwings version whose DLL the VBA module declares (what Excel will look for)."""
    found = set(_DLL_DECLARATION.findall(xlwings_module_source))
    if len(found) != 1:
        raise AddinBuildError(
            "the xlwings VBA module does not declare exactly one xlwings DLL version "
            f"(found {sorted(found) or 'none'}); check the installed xlwings against cpxl.addin")
    return found.pop()


def default_interpreter() -> Path | None:
    """The building interpreter's ``pythonw.exe`` on Windows (None elsewhere).

    ``pythonw.exe`` rather than ``python.exe``: xlwings starts the UDF server with it, and
    ``python.exe`` would open a console window beside Excel.
    """
    if os.name != "nt":
        return None
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return windowless if windowless.is_file() else exe


def pip_data_folders() -> list[Path]:
    """Where pip would have put xlwings' DLLs for this Python: the data folder of the
    installation scheme in use and of the per-user scheme (``pip install --user``)."""
    folders = []
    for scheme in (None, f"{os.name}_user"):
        try:
            path = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        except KeyError:
            continue
        if path and Path(path) not in folders:
            folders.append(Path(path))
    return folders


@dataclass(frozen=True)
class Interpreter:
    """The checked interpreter: what to write as INTERPRETER_WIN (``setting``, which may keep
    ``%VARIABLES%``), the path it stands for here, and the folder with the DLLs."""
    setting: str
    path: Path
    dll_folder: Path
    xlwings_version: str


_WINDOWS_VARIABLE = re.compile(r"%([^%]+)%")


def expand_windows_variables(text: str, environ: dict | None = None) -> str:
    """``%LOCALAPPDATA%`` and the like, as xlwings' VBA expands them in its settings
    (``ExpandEnvironmentStrings``); an unknown variable is left as it is, as Windows does."""
    env = os.environ if environ is None else environ
    return _WINDOWS_VARIABLE.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def _excel_looks_in(interpreter: Path) -> list[Path]:
    return [interpreter.parent, interpreter.parent.parent]


def check_interpreter(interpreter: str | os.PathLike, xlwings_version: str,
                      elsewhere: Sequence[Path] | None = None) -> Interpreter:
    """Check that Excel will find Python and the xlwings DLLs the add-in declares.

    ``elsewhere`` are folders where the DLLs might be instead (default :func:`pip_data_folders`),
    only used to say where they are when Excel would not find them.  Raises
    :class:`AddinBuildError` with what to do.

    ``%VARIABLES%`` in ``interpreter`` are kept in the setting, since xlwings expands them in
    Excel: ``%LOCALAPPDATA%\\cpxl-env\\Scripts\\pythonw.exe`` then names each user's own
    environment, so one (signed) add-in serves everyone.  The check uses their values here.
    """
    setting = str(interpreter)
    path = Path(expand_windows_variables(setting)).expanduser()
    if not path.is_absolute():
        raise AddinBuildError(f"--interpreter {interpreter}: give the full path of pythonw.exe, "
                              r"e.g. C:\Users\me\cpxl-env\Scripts\pythonw.exe")
    if not path.is_file():
        raise AddinBuildError(f"no Python interpreter at {path}: give the full path of "
                              "pythonw.exe of the Python that has cpxl installed")
    if path.suffix.lower() != ".exe":
        raise AddinBuildError(f"{path} is not a Windows program (.exe): the add-in needs the "
                              "path of pythonw.exe")
    names = dll_names(xlwings_version)
    looked = _excel_looks_in(path)
    for folder in looked:
        if all((folder / n).is_file() for n in names):
            return Interpreter(setting if "%" in setting else str(path), path, folder,
                               xlwings_version)

    partly = [(folder, [n for n in names if (folder / n).is_file()]) for folder in looked]
    partly = [(f, present) for f, present in partly if present]
    where = " or ".join(str(f) for f in looked)
    if partly:
        folder, present = partly[0]
        missing = [n for n in names if n not in present]
        raise AddinBuildError(
            f"{folder} has {', '.join(present)} but not {', '.join(missing)}: the xlwings "
            f"installation for {path} is incomplete; reinstall it with "
            f'"{path.with_name("python.exe")}" -m pip install --force-reinstall '
            f"xlwings=={xlwings_version}")
    found_elsewhere = [f for f in _unique(elsewhere if elsewhere is not None else pip_data_folders())
                       if f not in looked and all((f / n).is_file() for n in names)]
    any_version = sorted({p.name for f in looked if f.is_dir() for p in f.glob("xlwings64-*.dll")})
    if found_elsewhere:
        hint = (f"they are in {found_elsewhere[0]} (pip's per-user folder, from pip install "
                "--user), where Excel does not look. Install cpxl into a virtual environment "
                "instead (docs/excel.md, step 1), or copy the two DLLs from there to "
                f"{path.parent}")
    elif any_version:
        hint = (f"{where} has {', '.join(any_version)} from another xlwings version: build the "
                "add-in with the Python that will run it (its xlwings must be the one cpxl was "
                f"installed with, {xlwings_version}), or upgrade xlwings there")
    else:
        hint = (f"is xlwings {xlwings_version} installed for this interpreter? Install cpxl "
                f'with it: "{path.with_name("python.exe")}" -m pip install cpxl')
    raise AddinBuildError(
        f"Excel would not find {names[0]} and {names[1]} for {path}: it looks in {where}; "
        + hint)


def _unique(folders: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for f in folders:
        f = Path(f)
        if f not in out:
            out.append(f)
    return out
