r"""Building the add-in for an interpreter, and installing it for a Windows user.

There is no Windows here: interpreters are fake folders laid out as a python.org installation,
a venv and a per-user pip install lay them out (an empty ``pythonw.exe``, the xlwings DLLs
where pip puts them), and the registry is :class:`cpxl.addin.install.MemoryRegistry`, which
stands in for ``winreg`` behind the same small interface.  What Excel does with the result is
in docs/excel.md's manual smoke test.
"""
from __future__ import annotations

import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xlwings

import cpxl
from cpxl import cli
from cpxl.addin import build_addin, install as inst, xlam
from cpxl.addin.interpreter import (
    AddinBuildError,
    check_interpreter,
    dll_names,
    embedded_xlwings_version,
)
from cpxl.addin.sources import xlwings_module_source
from cpxl.xl import service

VERSION = xlwings.__version__
OPTIONS_16 = r"Software\Microsoft\Office\16.0\Excel\Options"


def read_settings(addin: Path) -> list[tuple[str, str]]:
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(addin) as zf:
        strings = [si.findtext(f"{main}t") for si in ET.fromstring(zf.read("xl/sharedStrings.xml"))]
        ws = ET.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in ws.iter(f"{main}row"):
        cells = {c.get("r")[0]: strings[int(c.findtext(f"{main}v"))] for c in row}
        rows.append((cells.get("A", ""), cells.get("B", "")))
    return rows


def python_org(root: Path, version: str = VERSION) -> Path:
    """C:\\Python312\\pythonw.exe with the DLLs beside it (pip's data folder is the prefix)."""
    root.mkdir(parents=True)
    (root / "pythonw.exe").write_bytes(b"")
    (root / "python.exe").write_bytes(b"")
    for name in dll_names(version):
        (root / name).write_bytes(b"MZ")
    return root / "pythonw.exe"


def venv(root: Path, version: str = VERSION) -> Path:
    """A venv: Scripts\\pythonw.exe, the DLLs in the environment's folder, one up."""
    (root / "Scripts").mkdir(parents=True)
    (root / "Scripts" / "pythonw.exe").write_bytes(b"")
    for name in dll_names(version):
        (root / name).write_bytes(b"MZ")
    return root / "Scripts" / "pythonw.exe"


# --- the DLL the add-in declares, and where Excel looks for it -------------------------------

def test_embedded_version_is_the_dll_the_vba_declares():
    text = xlwings_module_source()
    assert embedded_xlwings_version(text) == VERSION
    assert f'Lib "xlwings64-{VERSION}.dll"' in text and f'Lib "xlwings32-{VERSION}.dll"' in text
    # Where XLPyLoadDLL looks: the interpreter's folder, then the one above.
    assert "LoadLibrary(ParentFolder(PYTHON_WIN) + \"\\\" + XLPyDLLName)" in text
    assert "LoadLibrary(ParentFolder(ParentFolder(PYTHON_WIN)) + \"\\\" + XLPyDLLName)" in text
    with pytest.raises(AddinBuildError, match="exactly one xlwings DLL version"):
        embedded_xlwings_version(text.replace(f"xlwings32-{VERSION}.dll", "xlwings32-0.1.dll"))


def test_dlls_beside_the_interpreter_or_one_folder_up(tmp_path):
    exe = python_org(tmp_path / "Python312")
    assert check_interpreter(exe, VERSION, elsewhere=[]).dll_folder == exe.parent
    exe = venv(tmp_path / "cpxl-env")
    assert check_interpreter(exe, VERSION, elsewhere=[]).dll_folder == tmp_path / "cpxl-env"


def test_per_user_pip_install_is_refused_with_the_folder_it_used(tmp_path):
    exe = tmp_path / "Python312" / "pythonw.exe"
    exe.parent.mkdir()
    exe.write_bytes(b"")
    user_base = tmp_path / "AppData" / "Roaming" / "Python"
    user_base.mkdir(parents=True)
    for name in dll_names(VERSION):
        (user_base / name).write_bytes(b"MZ")
    with pytest.raises(AddinBuildError) as e:
        check_interpreter(exe, VERSION, elsewhere=[user_base])
    msg = str(e.value)
    assert f"xlwings64-{VERSION}.dll" in msg and str(exe.parent) in msg and str(user_base) in msg
    assert "virtual environment" in msg and "pip install --user" in msg


def test_other_xlwings_version_is_refused(tmp_path):
    exe = venv(tmp_path / "old-env", version="0.30.0")
    with pytest.raises(AddinBuildError, match=r"xlwings64-0\.30\.0\.dll from another xlwings version"):
        check_interpreter(exe, VERSION, elsewhere=[])


def test_half_installed_xlwings_is_refused(tmp_path):
    exe = python_org(tmp_path / "Py")
    (exe.parent / f"xlwings32-{VERSION}.dll").unlink()
    with pytest.raises(AddinBuildError, match=rf"has xlwings64-{VERSION}.dll but not xlwings32"):
        check_interpreter(exe, VERSION, elsewhere=[])


@pytest.mark.parametrize("given, message", [
    ("pythonw.exe", "give the full path"),
    ("{tmp}/nowhere/pythonw.exe", "no Python interpreter at"),
    ("{tmp}/Py/python.sh", "is not a Windows program"),
])
def test_bad_interpreter_paths(tmp_path, given, message):
    (tmp_path / "Py").mkdir()
    (tmp_path / "Py" / "python.sh").write_text("")
    with pytest.raises(AddinBuildError, match=message):
        check_interpreter(given.format(tmp=tmp_path), VERSION, elsewhere=[])


def test_nothing_found_says_install_cpxl_for_it(tmp_path):
    exe = tmp_path / "Py" / "pythonw.exe"
    exe.parent.mkdir()
    exe.write_bytes(b"")
    with pytest.raises(AddinBuildError, match="pip install cpxl"):
        check_interpreter(exe, VERSION, elsewhere=[])


# --- the build records the interpreter and the versions ---------------------------------------

def test_build_for_an_interpreter(tmp_path):
    exe = venv(tmp_path / "cpxl-env")
    out = build_addin(tmp_path / "cpxl.xlam", interpreter=exe, dll_search=[])
    assert read_settings(out) == [
        ("UDF Modules", "cpxl.xl.udfs"),
        ("INTERPRETER_WIN", str(exe)),
        ("ADDIN_CPXL_VERSION", cpxl.__version__),
        ("ADDIN_XLWINGS_VERSION", VERSION),
    ]
    # The keys the service reads back are the ones the builder writes.
    assert (xlam.ADDIN_CPXL_KEY, xlam.ADDIN_XLWINGS_KEY) == (service.ADDIN_CPXL_KEY,
                                                             service.ADDIN_XLWINGS_KEY)


def test_build_refuses_an_interpreter_excel_would_not_start(tmp_path):
    exe = tmp_path / "Py" / "pythonw.exe"
    exe.parent.mkdir()
    exe.write_bytes(b"")
    with pytest.raises(AddinBuildError):
        build_addin(tmp_path / "cpxl.xlam", interpreter=exe, dll_search=[])
    assert not (tmp_path / "cpxl.xlam").exists()


def test_blank_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="INTERPRETER_WIN.*hide the same keys"):
        build_addin(tmp_path / "a.xlam", settings=[("UDF Modules", "cpxl.xl.udfs"),
                                                   ("INTERPRETER_WIN", "")])


def test_cli_build_with_interpreter(tmp_path, capsys):
    exe = python_org(tmp_path / "Python312")
    out = tmp_path / "cpxl.xlam"
    assert cli.main(["addin", "build", "--out", str(out), "--interpreter", str(exe)]) == 0
    assert ("INTERPRETER_WIN", str(exe)) in read_settings(out)
    assert f"It starts Python as {exe}" in capsys.readouterr().out


def test_cli_build_with_a_bad_interpreter_is_a_message(tmp_path, capsys):
    out = tmp_path / "cpxl.xlam"
    assert cli.main(["addin", "build", "--out", str(out), "--interpreter",
                     str(tmp_path / "pythonw.exe")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cpxl: no Python interpreter at") and "Traceback" not in err
    assert not out.exists()


# --- the installation report (CPXL_STATUS, the ribbon's About) --------------------------------

def test_installation_rows_report_a_mismatch():
    ok = service.Settings({"ADDIN_CPXL_VERSION": cpxl.__version__, "ADDIN_XLWINGS_VERSION": VERSION})
    rows = dict(service.installation(ok, VERSION))
    assert rows["Add-in check"] == "OK" and rows["Add-in built with xlwings"] == VERSION
    rows = dict(service.installation(ok, "0.38.0"))
    assert rows["Add-in check"].startswith(f"the add-in was built for xlwings {VERSION} but this "
                                           "Python has xlwings 0.38.0")
    assert "cpxl addin install" in rows["Add-in check"]
    old = service.Settings({"ADDIN_CPXL_VERSION": "0.0.1", "ADDIN_XLWINGS_VERSION": VERSION})
    assert "built with cpxl 0.0.1" in dict(service.installation(old, VERSION))["Add-in check"]
    assert "unknown" in dict(service.installation(service.Settings(), VERSION))["Add-in check"]


def test_about_button_reads_the_addin_sheet(tmp_path):
    """The ribbon's About through the real settings reader: the add-in's own cpxl.conf sheet."""
    from cpxl.xl import ribbon

    class Sheet:
        def __init__(self, rows):
            self.rows = rows

        def range(self, address):
            return type("R", (), {"value": self.rows})()

    class Book:
        def __init__(self, name, rows):
            self.name, self.fullname = name, str(tmp_path / name)
            self.sheets = {"cpxl.conf": Sheet(rows)} if rows is not None else {}
            self.app = app

    class App:
        books: dict = {}

    class Host:
        messages: list = []

        def message(self, text, title=None):
            self.messages.append(text)

        def status(self, text):
            pass

    app = App()
    app.books = {"cpxl.xlam": Book("cpxl.xlam", [["UDF Modules", "cpxl.xl.udfs"],
                                                 ["ADDIN_CPXL_VERSION", cpxl.__version__],
                                                 ["ADDIN_XLWINGS_VERSION", "0.1.0"]])}
    host = Host()
    out = ribbon.dispatch("cpxl_about", book=Book("Board.xlsx", None), host=host)
    assert out.startswith("cpxl: the add-in was built for xlwings 0.1.0 but this Python has "
                          f"xlwings {VERSION}")
    assert f"xlwings version: {VERSION}" in host.messages[0]
    assert "Add-in built with xlwings: 0.1.0" in host.messages[0]


# --- install / uninstall -----------------------------------------------------------------------

def fake_build(path: Path) -> Path:
    path.write_bytes(b"PK-addin")
    return path


def test_install_copies_and_registers_without_gaps(tmp_path):
    reg = inst.MemoryRegistry({OPTIONS_16: {"OPEN": '"C:\\Tools\\other.xlam"', "Font": "Calibri"}})
    folder = tmp_path / "AppData" / "Roaming" / "Microsoft" / "AddIns"
    result = inst.install_addin(fake_build, reg, folder)
    target = folder / "cpxl.xlam"
    assert result.path == target and target.read_bytes() == b"PK-addin"
    assert reg.values(OPTIONS_16) == {"OPEN": '"C:\\Tools\\other.xlam"', "Font": "Calibri",
                                      "OPEN1": f'"{target}"'}
    assert not list(folder.glob("*.part"))
    # Again (an update): the same single registration, the file replaced.
    inst.install_addin(lambda p: p.write_bytes(b"PK-new") or p, reg, folder)
    assert target.read_bytes() == b"PK-new"
    assert [v for k, v in reg.values(OPTIONS_16).items() if k.startswith("OPEN")] == [
        '"C:\\Tools\\other.xlam"', f'"{target}"']


def test_install_replaces_an_older_registration_and_the_addin_manager_entry(tmp_path):
    old = r"C:\Users\me\Downloads\cpxl.xlam"
    manager = r"Software\Microsoft\Office\16.0\Excel\Add-in Manager"
    reg = inst.MemoryRegistry({
        r"Software\Microsoft\Office\16.0\Excel": {},
        OPTIONS_16: {"OPEN": f'/R "{old}"', "OPEN1": '"C:\\x\\b.xlam"'},
        manager: {old: ""},
    })
    result = inst.install_addin(fake_build, reg, tmp_path)
    assert result.replaced == [f'/R "{old}"']
    assert reg.values(OPTIONS_16) == {"OPEN": '"C:\\x\\b.xlam"', "OPEN1": f'"{tmp_path / "cpxl.xlam"}"'}
    assert reg.values(manager) == {}
    assert "replacing an earlier registration" in result.summary()


def test_every_office_version_that_has_excel(tmp_path):
    reg = inst.MemoryRegistry({r"Software\Microsoft\Office\15.0\Excel\Options": {},
                               r"Software\Microsoft\Office\16.0\Excel\Options": {},
                               r"Software\Microsoft\Office\16.0\Word\Options": {},
                               r"Software\Microsoft\Office\Common": {}})
    assert inst.excel_options_keys(reg) == [r"Software\Microsoft\Office\15.0\Excel\Options",
                                            OPTIONS_16]
    assert inst.excel_options_keys(inst.MemoryRegistry()) == [OPTIONS_16]   # Excel never run


def test_uninstall_removes_only_ours_and_renumbers(tmp_path):
    reg = inst.MemoryRegistry({OPTIONS_16: {"OPEN": '"C:\\a.xlam"'}})
    inst.install_addin(fake_build, reg, tmp_path)
    reg.set_value(OPTIONS_16, "OPEN2", '"C:\\c.xlam"')
    removed = inst.uninstall_addin(reg, tmp_path)
    assert reg.values(OPTIONS_16) == {"OPEN": '"C:\\a.xlam"', "OPEN1": '"C:\\c.xlam"'}
    assert str(tmp_path / "cpxl.xlam") in removed and not (tmp_path / "cpxl.xlam").exists()
    assert inst.uninstall_addin(reg, tmp_path) == []


def test_a_failed_build_leaves_the_installed_addin(tmp_path):
    reg = inst.MemoryRegistry()
    inst.install_addin(fake_build, reg, tmp_path)

    def broken(path):
        path.write_bytes(b"half")
        raise AddinBuildError("no DLL")

    with pytest.raises(AddinBuildError):
        inst.install_addin(broken, reg, tmp_path)
    assert (tmp_path / "cpxl.xlam").read_bytes() == b"PK-addin"
    assert not list(tmp_path.glob("*.part"))


def test_addins_folder_is_under_appdata(tmp_path):
    assert inst.addins_folder({"APPDATA": str(tmp_path)}) == tmp_path / "Microsoft" / "AddIns"
    with pytest.raises(cpxl.CpxlError, match="APPDATA"):
        inst.addins_folder({})


def test_cli_install_and_uninstall(tmp_path, monkeypatch, capsys):
    """The command as on Windows: winreg swapped for the in-memory registry, APPDATA a folder."""
    reg = inst.MemoryRegistry()
    monkeypatch.setattr(inst, "on_windows", lambda: True)
    monkeypatch.setattr(inst, "WinRegistry", lambda: reg)
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    exe = venv(tmp_path / "cpxl-env")
    assert cli.main(["addin", "install", "--interpreter", str(exe)]) == 0
    target = tmp_path / "Roaming" / "Microsoft" / "AddIns" / "cpxl.xlam"
    assert ("INTERPRETER_WIN", str(exe)) in read_settings(target)
    assert reg.values(OPTIONS_16) == {"OPEN": f'"{target}"'}
    out = capsys.readouterr().out
    assert f"Add-in written to {target}" in out and "CPXL_STATUS" in out
    assert cli.main(["addin", "install", "--uninstall"]) == 0
    assert reg.values(OPTIONS_16) == {} and not target.exists()


def test_cli_install_off_windows_says_what_to_do(capsys):
    if inst.on_windows():
        pytest.skip("on Windows")
    assert cli.main(["addin", "install"]) == 2
    assert "cpxl addin build --out" in capsys.readouterr().err


def test_interpreter_with_a_variable_is_kept_for_every_user(tmp_path, monkeypatch):
    """One add-in for everyone (e.g. signed by IT): xlwings expands %VARIABLES% in Excel."""
    monkeypatch.setenv("CPXL_TEST_PROFILE", str(tmp_path / "Local"))
    venv(tmp_path / "Local" / "cpxl-env")
    given = "%CPXL_TEST_PROFILE%/cpxl-env/Scripts/pythonw.exe"
    checked = check_interpreter(given, VERSION, elsewhere=[])
    assert checked.setting == given
    assert checked.path == tmp_path / "Local" / "cpxl-env" / "Scripts" / "pythonw.exe"
    out = build_addin(tmp_path / "cpxl.xlam", interpreter=given, dll_search=[])
    assert ("INTERPRETER_WIN", given) in read_settings(out)
    # The add-in's xlwings module expands it where it reads settings (sheet and files).
    assert "GetConfig = ExpandEnvironmentStrings(GetConfig)" in xlwings_module_source()
    monkeypatch.delenv("CPXL_TEST_PROFILE")
    with pytest.raises(AddinBuildError, match="give the full path"):
        check_interpreter(given, VERSION, elsewhere=[])
