"""LibreOffice opens the built cpxl.xlam: a second, independent OOXML + VBA reader.

LibreOffice imports an Excel VBA project into a Basic library (named after
the VBA project) with "VBA support" switched on, keeping module kinds and
source. These tests convert the add-in headlessly and, where python-uno is
available, inspect it through the UNO API.

Each LibreOffice run gets its own profile (-env:UserInstallation) under the
test's tmp_path, so runs in parallel (pytest-xdist) or next to a desktop
LibreOffice do not fight over the profile lock, and every run has a timeout.

LibreOffice 7.4's type detection does not recognise .xlam files (not even
xlwings' own add-in), so the import filter is named explicitly.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cpxl.addin import vba
from cpxl.addin.xlam import default_settings

# Shared fixtures (the fixture UDF module and the built add-in).
from test_addin import addin, modules, udf_fixture  # noqa: F401

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

IMPORT_FILTER = "Calc MS Excel 2007 VBA XML"
TIMEOUT = 180  # seconds; a cold LibreOffice start takes a few seconds
SCRIPT_NS = "{http://openoffice.org/2000/script}"
LIBRARY_NS = "{http://openoffice.org/2000/library}"
# LibreOffice's names for VBA module kinds (script:moduleType and
# com.sun.star.script.ModuleType).
LO_MODULE_TYPE = {"standard": "normal", "class": "class", "document": "document"}
UNO_MODULE_TYPE = {"standard": 1, "class": 2, "document": 4}


def _run(cmd: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """Run a command in its own process group and kill the whole group on timeout.

    ``soffice`` is a wrapper script around ``soffice.bin``; killing just the
    wrapper (what ``subprocess.run(timeout=...)`` does) would leave the real
    LibreOffice process running.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"timed out after {timeout}s: {cmd}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _convert(addin_path: Path, fmt: str, tmp_path: Path) -> Path:
    outdir = tmp_path / "out"
    cmd = [
        SOFFICE,
        f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
        "--headless", "--norestore", "--nologo",
        f"--infilter={IMPORT_FILTER}",
        "--convert-to", fmt,
        "--outdir", str(outdir),
        str(addin_path),
    ]  # fmt: skip
    result = _run(cmd)
    out = outdir / f"{addin_path.stem}.{fmt}"
    assert result.returncode == 0 and out.exists(), (result.stdout, result.stderr)
    return out


def _expected_modules(modules) -> dict[str, vba.VbaModule]:  # noqa: F811
    workbook_code = modules.get("ThisWorkbook", "")
    if workbook_code:
        workbook_code = vba.VbaModule.from_source(workbook_code, name="ThisWorkbook", kind="document").code
    expected = {
        "ThisWorkbook": vba.VbaModule.document("ThisWorkbook", vba.WORKBOOK_BASE, workbook_code),
        "Sheet1": vba.VbaModule.document("Sheet1", vba.WORKSHEET_BASE),
    }
    expected.update({name: vba.VbaModule.from_source(src, name=name) for name, src in modules.items()
                     if name != "ThisWorkbook"})
    return expected


def _code_lines(text: str) -> list[str]:
    """Module text without attributes and LibreOffice's VBA header, for comparison.

    LibreOffice drops every ``Attribute`` line (module and procedure level)
    and prefixes ``Rem Attribute VBA_ModuleType=...``, ``Option VBASupport 1``
    and, for classes, ``Option ClassModule``.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    lines = [
        line for line in lines
        if not line.startswith(("Attribute ", "Rem Attribute VBA_ModuleType="))
        and line not in ("Option VBASupport 1", "Option ClassModule")
    ]  # fmt: skip
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def test_libreoffice_converts_to_xlsx_and_keeps_conf_sheet(addin, udf_fixture, tmp_path):  # noqa: F811
    xlsx = _convert(addin, "xlsx", tmp_path)
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["cpxl.conf"]
    rows = [tuple("" if v is None else v for v in row) for row in wb["cpxl.conf"].iter_rows(values_only=True)]
    import xlwings

    assert rows == default_settings(udf_fixture, xlwings_version=xlwings.__version__)


def test_libreoffice_imports_the_vba_project(addin, modules, tmp_path):  # noqa: F811
    ods = _convert(addin, "ods", tmp_path)
    expected = _expected_modules(modules)
    with zipfile.ZipFile(ods) as zf:
        content = zf.read("content.xml").decode("utf-8")
        assert 'table:name="cpxl.conf"' in content
        library = ET.fromstring(zf.read("Basic/cpxl/script-lb.xml"))
        assert library.get(f"{LIBRARY_NS}name") == "cpxl"  # the VBA project name
        names = {el.get(f"{LIBRARY_NS}name") for el in library.iter(f"{LIBRARY_NS}element")}
        assert names == set(expected)
        for name, module in expected.items():
            el = ET.fromstring(zf.read(f"Basic/cpxl/{name}.xml"))
            assert el.get(f"{SCRIPT_NS}moduleType") == LO_MODULE_TYPE[module.kind], name
            assert _code_lines(el.text or "") == _code_lines(module.stored_source()), name


# Runs under a Python that has python-uno (usually the system python3, not
# the test interpreter). Starts its own LibreOffice on a private pipe and
# profile, loads the add-in and reports what LibreOffice's VBA layer sees.
UNO_PROBE = textwrap.dedent(
    """
    import json, os, signal, subprocess, sys, time, uuid
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException

    soffice, profile_url, path, import_filter = sys.argv[1:5]

    def _give_up(signum, frame):
        raise TimeoutError("LibreOffice probe took too long")

    # Give up (and run the clean-up below) well before the test's own
    # timeout, which could only kill this script, not LibreOffice.
    signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(int(sys.argv[5]))
    pipe = "cpxl_test_" + uuid.uuid4().hex
    proc = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
         "-env:UserInstallation=" + profile_url,
         "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def prop(name, value):
        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    desktop = None
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 90
        while True:
            try:
                ctx = resolver.resolve(
                    "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except NoConnectException:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
            (prop("FilterName", import_filter), prop("Hidden", True)))
        libs = doc.BasicLibraries
        report = {
            "libraries": list(libs.getElementNames()),
            "vba_mode": bool(libs.VBACompatibilityMode),
            "sheets": {n: doc.Sheets.getByName(n).CodeName for n in doc.Sheets.getElementNames()},
            "modules": {},
        }
        # The imported VBA project is the one library besides "Standard".
        for lib_name in report["libraries"]:
            if lib_name == "Standard":
                continue
            libs.loadLibrary(lib_name)
            lib = libs.getByName(lib_name)
            for name in lib.getElementNames():
                kind = lib.getModuleInfo(name).ModuleType if lib.hasModuleInfo(name) else None
                report["modules"][name] = {"library": lib_name, "type": kind, "source": lib.getByName(name)}
        doc.close(True)
        print(json.dumps(report))
    finally:
        if desktop is not None:
            try:
                desktop.terminate()
            except Exception:
                pass  # the connection drops as LibreOffice exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # soffice is a wrapper script: kill its group to reach soffice.bin.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    """
)


def _uno_python() -> str | None:
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=60)
            if probe.returncode == 0:
                return candidate
    return None


def test_libreoffice_uno_sees_modules_and_codenames(addin, modules, tmp_path):  # noqa: F811
    python = _uno_python()
    if python is None:
        pytest.skip("no Python with python-uno (Debian: apt-get install python3-uno)")
    script = tmp_path / "probe.py"
    script.write_text(UNO_PROBE, encoding="utf-8")
    profile = (tmp_path / "lo-profile").as_uri()
    result = _run([python, str(script), SOFFICE, profile, str(addin), IMPORT_FILTER, str(TIMEOUT - 45)])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["vba_mode"] is True
    # The Basic library is named after the VBA project.
    assert report["libraries"] == ["Standard", "cpxl"]
    assert {m["library"] for m in report["modules"].values()} == {"cpxl"}
    # The document modules are bound: the sheet's code name is Sheet1.
    assert report["sheets"] == {"cpxl.conf": "Sheet1"}
    expected = _expected_modules(modules)
    assert set(report["modules"]) == set(expected)
    for name, module in expected.items():
        got = report["modules"][name]
        assert got["type"] == UNO_MODULE_TYPE[module.kind], name
        assert _code_lines(got["source"]) == _code_lines(module.stored_source()), name
    assert "Public Sub CpxlRibbonAction(control As IRibbonControl)" in report["modules"]["CpxlRibbon"]["source"]
