r"""Install the add-in for the current Windows user, the way Excel's own Add-ins dialog does.

No administrator rights are needed: everything is in the user's profile.

* The file goes to the user's add-ins folder, ``%APPDATA%\Microsoft\AddIns\cpxl.xlam``
  (the folder Excel's *Browse...* opens and the one it trusts for add-ins by default settings).
* Excel loads at start-up every add-in named by a value ``OPEN``, ``OPEN1``, ``OPEN2`` ... of
  ``HKEY_CURRENT_USER\Software\Microsoft\Office\<version>\Excel\Options``, the data being the
  add-in's full path in double quotes.  Ticking an add-in in *File > Options > Add-ins* writes
  exactly such a value; Excel reads the names in order and stops at the first gap, so the values
  are kept numbered without gaps.  ``<version>`` is ``16.0`` for Excel 2016, 2019, 2021 and 365.
* Uninstalling removes our ``OPENn`` value (renumbering the rest), the add-in's entry under
  ``Excel\Add-in Manager`` (Excel's list of known but unticked add-ins) and the file.

Excel rewrites these values from its own list when it closes, so Excel must be closed while
installing.  The registry is reached through :class:`Registry`, with :class:`WinRegistry`
(``winreg``) on Windows and :class:`MemoryRegistry` for the tests.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Callable, Protocol

from ..errors import CpxlError

__all__ = ["ADDIN_FILE", "on_windows", "InstallResult", "MemoryRegistry", "Registry", "WinRegistry",
           "addins_folder", "excel_options_keys", "install_addin", "uninstall_addin"]

ADDIN_FILE = "cpxl.xlam"
OFFICE_KEY = r"Software\Microsoft\Office"
DEFAULT_OFFICE_VERSION = "16.0"
_OPEN_NAME = re.compile(r"OPEN(\d*)", re.IGNORECASE)


def on_windows() -> bool:
    return os.name == "nt"


class Registry(Protocol):
    """The slice of HKEY_CURRENT_USER the installer uses (string values only)."""

    def subkeys(self, key: str) -> list[str]: ...
    def values(self, key: str) -> dict[str, str]: ...
    def set_value(self, key: str, name: str, data: str) -> None: ...
    def delete_value(self, key: str, name: str) -> None: ...


class WinRegistry:
    """HKEY_CURRENT_USER through ``winreg`` (Windows only)."""

    def __init__(self) -> None:
        import winreg  # noqa: F401 - fails off Windows, which is the point

        self._winreg = winreg

    def subkeys(self, key: str) -> list[str]:
        w = self._winreg
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key) as k:
                n = w.QueryInfoKey(k)[0]
                return [w.EnumKey(k, i) for i in range(n)]
        except FileNotFoundError:
            return []

    def values(self, key: str) -> dict[str, str]:
        w = self._winreg
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key) as k:
                n = w.QueryInfoKey(k)[1]
                out = {}
                for i in range(n):
                    name, data, kind = w.EnumValue(k, i)
                    if kind in (w.REG_SZ, w.REG_EXPAND_SZ):
                        out[name] = data
                return out
        except FileNotFoundError:
            return {}

    def set_value(self, key: str, name: str, data: str) -> None:
        w = self._winreg
        with w.CreateKeyEx(w.HKEY_CURRENT_USER, key, 0, w.KEY_SET_VALUE) as k:
            w.SetValueEx(k, name, 0, w.REG_SZ, data)

    def delete_value(self, key: str, name: str) -> None:
        w = self._winreg
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key, 0, w.KEY_SET_VALUE) as k:
                w.DeleteValue(k, name)
        except FileNotFoundError:
            pass


@dataclass
class MemoryRegistry:
    """A registry in a dict, for tests: ``{key path: {value name: data}}``.

    Key paths and value names are matched without regard to case, as in Windows.
    """
    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def _find(self, key: str) -> str | None:
        return next((k for k in self.keys if k.lower() == key.lower()), None)

    def subkeys(self, key: str) -> list[str]:
        prefix = key.lower().rstrip("\\") + "\\"
        return sorted({k[len(prefix):].split("\\")[0] for k in self.keys
                       if k.lower().startswith(prefix)})

    def values(self, key: str) -> dict[str, str]:
        found = self._find(key)
        return dict(self.keys[found]) if found else {}

    def set_value(self, key: str, name: str, data: str) -> None:
        found = self._find(key) or key
        values = self.keys.setdefault(found, {})
        old = next((n for n in values if n.lower() == name.lower()), None)
        if old is not None:
            del values[old]
        values[name] = data

    def delete_value(self, key: str, name: str) -> None:
        found = self._find(key)
        if found:
            for n in [n for n in self.keys[found] if n.lower() == name.lower()]:
                del self.keys[found][n]


def addins_folder(environ: dict | None = None) -> Path:
    r"""The user's add-ins folder: ``%APPDATA%\Microsoft\AddIns``."""
    env = os.environ if environ is None else environ
    appdata = env.get("APPDATA")
    if not appdata:
        raise CpxlError(r"APPDATA is not set, so the add-ins folder (%APPDATA%\Microsoft\AddIns) "
                        "is unknown; use cpxl addin build --out PATH and load it in Excel")
    return Path(appdata) / "Microsoft" / "AddIns"


def excel_options_keys(registry: Registry) -> list[str]:
    """The ``...\\Excel\\Options`` keys to register in: every Office version under HKCU that has
    an Excel key (Excel has run for this user), else the current one (16.0)."""
    versions = [v for v in registry.subkeys(OFFICE_KEY)
                if re.fullmatch(r"\d+\.\d+", v) and "excel" in
                (s.lower() for s in registry.subkeys(f"{OFFICE_KEY}\\{v}"))]
    versions = sorted(versions, key=lambda v: float(v)) or [DEFAULT_OFFICE_VERSION]
    return [f"{OFFICE_KEY}\\{v}\\Excel\\Options" for v in versions]


def _open_values(registry: Registry, key: str) -> list[tuple[str, str]]:
    """The OPEN, OPEN1, ... values in Excel's order."""
    found = []
    for name, data in registry.values(key).items():
        m = _OPEN_NAME.fullmatch(name)
        if m:
            found.append((int(m.group(1)) if m.group(1) else 0, name, data))
    return [(name, data) for _, name, data in sorted(found)]


def _open_name(i: int) -> str:
    return "OPEN" if i == 0 else f"OPEN{i}"


def _unquote(data: str) -> str:
    """The path in an OPEN value: ``/R "C:\\x\\a.xlam"`` or ``"C:\\x\\a.xlam"`` or bare."""
    m = re.search(r'"([^"]+)"', data)
    return (m.group(1) if m else data.split()[-1] if data.split() else "").strip()


def _is_ours(data: str) -> bool:
    return PureWindowsPath(_unquote(data)).name.lower() == ADDIN_FILE


def _rewrite_open_values(registry: Registry, key: str, keep: list[str]) -> None:
    """Write ``keep`` as OPEN, OPEN1, ... without gaps, deleting the old values."""
    for name, _ in _open_values(registry, key):
        registry.delete_value(key, name)
    for i, data in enumerate(keep):
        registry.set_value(key, _open_name(i), data)


@dataclass
class InstallResult:
    path: Path
    registry_keys: list[str]
    replaced: list[str] = field(default_factory=list)   # earlier OPEN values for a cpxl.xlam

    def summary(self) -> str:
        lines = [f"Add-in written to {self.path}"]
        lines += [f"Registered for Excel in HKEY_CURRENT_USER\\{k}" for k in self.registry_keys]
        lines += [f"(replacing an earlier registration: {r})" for r in self.replaced]
        return "\n".join(lines)


def install_addin(build: Callable[[Path], Path], registry: Registry | None = None,
                  folder: Path | None = None) -> InstallResult:
    """Build the add-in into the add-ins folder and register it to open with Excel.

    ``build(path)`` writes the add-in (e.g. ``lambda p: build_addin(p, interpreter=...)``); it is
    written beside the target first and moved into place, so a failed build or an add-in that
    Excel holds open leaves the installed one as it was.
    """
    registry = registry if registry is not None else WinRegistry()
    folder = folder if folder is not None else addins_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ADDIN_FILE
    part = folder / f"{ADDIN_FILE}.part"
    try:
        build(part)
        try:
            os.replace(part, target)
        except PermissionError:
            raise CpxlError(f"{target} is in use: close Excel and run cpxl addin install again") from None
    finally:
        if part.exists():
            part.unlink()

    quoted = f'"{target}"'
    keys = excel_options_keys(registry)
    replaced: list[str] = []
    for key in keys:
        current = [data for _, data in _open_values(registry, key)]
        ours = [d for d in current if _is_ours(d)]
        replaced += [d for d in ours if _unquote(d).lower() != str(target).lower()]
        _rewrite_open_values(registry, key, [d for d in current if not _is_ours(d)] + [quoted])
        _forget_in_addin_manager(registry, key)
    return InstallResult(target, keys, replaced)


def _forget_in_addin_manager(registry: Registry, options_key: str) -> None:
    manager = options_key.rsplit("\\", 1)[0] + "\\Add-in Manager"
    for name in registry.values(manager):
        if PureWindowsPath(name).name.lower() == ADDIN_FILE:
            registry.delete_value(manager, name)


def uninstall_addin(registry: Registry | None = None, folder: Path | None = None) -> list[str]:
    """Remove the registration and the installed file; return what was removed."""
    registry = registry if registry is not None else WinRegistry()
    folder = folder if folder is not None else addins_folder()
    removed = []
    for key in excel_options_keys(registry):
        current = [data for _, data in _open_values(registry, key)]
        ours = [d for d in current if _is_ours(d)]
        if ours:
            _rewrite_open_values(registry, key, [d for d in current if not _is_ours(d)])
            removed += [f"HKEY_CURRENT_USER\\{key}: {d}" for d in ours]
        _forget_in_addin_manager(registry, key)
    target = folder / ADDIN_FILE
    if target.exists():
        try:
            target.unlink()
        except PermissionError:
            raise CpxlError(f"{target} is in use: close Excel and run cpxl addin install "
                            "--uninstall again") from None
        removed.append(str(target))
    return removed
