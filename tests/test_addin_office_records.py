"""cpxl.xlam against add-ins that Excel itself saved, record by record.

The xlwings wheel ships Excel-made files (``quickstart_addin_ribbon.xlam``, ``quickstart_addin.xlam``,
``quickstart.xlsm``).  Their VBA projects are read here with olefile and cpxl's own
decompression, and the structure of ours is compared with theirs: the order and content of the
``dir`` stream's project records, each module's records, the ``PROJECT`` stream's lines, the
``_VBA_PROJECT`` header, the references, the document modules' attributes.  Where we differ on
purpose, the test says why (the cookies [MS-OVBA] says to write as 0xFFFF; no MSForms reference;
Excel's own build stamp in PROJECTVERSION).
"""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings

from cpxl.addin import build_addin
from cpxl.addin.compression import decompress

XLWINGS_DIR = Path(xlwings.__file__).parent
OFFICE_FILES = [XLWINGS_DIR / n for n in ("quickstart_addin_ribbon.xlam", "quickstart_addin.xlam",
                                           "quickstart.xlsm")]
OFFICE_FILES = [p for p in OFFICE_FILES if p.exists()]
if not OFFICE_FILES:
    pytest.skip("the xlwings wheel's Excel-made files are not installed", allow_module_level=True)

PROJECT_RECORDS = 0x0F      # PROJECTMODULES: the project information and references come before
MODULE_NAME, MODULE_TERMINATOR = 0x19, 0x2B
REFERENCE_RECORDS = {0x16, 0x3E, 0x33, 0x2F, 0x30, 0x0D, 0x0E}


def _records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(dir_stream):
        rid, size = struct.unpack_from("<HI", dir_stream, i)
        if rid == 0x09:          # PROJECTVERSION: Size is 4, but 6 bytes follow ([MS-OVBA] 2.3.4.2.1.11)
            size = 6
        out.append((rid, dir_stream[i + 6:i + 6 + size]))
        i += 6 + size
    assert i == len(dir_stream)
    return out


class Project:
    """A VBA project's streams, decoded."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as zf:
            data = zf.read("xl/vbaProject.bin")
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            self.streams = {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}
        self.records = _records(decompress(self.streams["VBA/dir"]))
        self.project_text = self.streams["PROJECT"].decode("cp1252")

    def head(self) -> list[tuple[int, bytes]]:
        """The project information records (before the references)."""
        out = []
        for rid, data in self.records:
            if rid in REFERENCE_RECORDS:
                break
            out.append((rid, data))
        return out

    def modules(self) -> dict[str, list[tuple[int, bytes]]]:
        mods, current = {}, None
        for rid, data in self.records:
            if rid == MODULE_NAME:
                current = data.decode("cp1252")
                mods[current] = []
            if current is not None:
                mods[current].append((rid, data))
            if rid == MODULE_TERMINATOR:
                current = None
        return mods

    def source(self, module: str) -> str:
        """A module's source: the compressed text after its p-code (MODULEOFFSET)."""
        offset = struct.unpack("<I", dict(self.modules()[module])[0x31])[0]
        return decompress(self.streams[f"VBA/{module}"][offset:]).decode("cp1252")


@pytest.fixture(scope="module")
def ours(tmp_path_factory) -> Project:
    return Project(build_addin(tmp_path_factory.mktemp("records") / "cpxl.xlam"))


@pytest.fixture(scope="module", params=OFFICE_FILES, ids=lambda p: p.name)
def office(request) -> Project:
    return Project(request.param)


# Records whose content does not depend on the project: Excel's values must be ours.
FIXED = {0x02: "LCID", 0x14: "LCIDINVOKE", 0x03: "CODEPAGE", 0x07: "HELPCONTEXT",
         0x08: "LIBFLAGS", 0x0C: "CONSTANTS"}
SYSKIND_WIN32, SYSKIND_WIN64 = 1, 3
PROJECTCOMPATVERSION = 0x4A     # optional ([MS-OVBA] 2.3.4.2.1.2); newer Excel writes it


def test_project_information_records(ours, office):
    theirs_ids = [r for r, _ in office.head() if r != PROJECTCOMPATVERSION]
    assert [r for r, _ in ours.head()] == theirs_ids
    theirs, mine = dict(office.head()), dict(ours.head())
    for rid, name in FIXED.items():
        assert mine[rid] == theirs[rid], name
    # SYSKIND: the project's platform. The add-ins xlwings ships (saved by 32-bit Excel) say
    # Win32, as ours does, and load in 64-bit Excel; quickstart.xlsm was saved by 64-bit Excel.
    assert struct.unpack("<I", mine[0x01])[0] == SYSKIND_WIN32
    assert struct.unpack("<I", theirs[0x01])[0] in (SYSKIND_WIN32, SYSKIND_WIN64)
    # PROJECTVERSION: VersionMajor (4 bytes) and VersionMinor (2); Excel's own build stamp there.
    assert len(mine[0x09]) == len(theirs[0x09]) == 6


def test_module_records_in_excels_order(ours, office):
    office_modules = office.modules()
    kinds = {}   # MODULETYPE 0x21 procedural, 0x22 document/class: the record ids per kind
    for records in office_modules.values():
        ids = [r for r, _ in records]
        kinds.setdefault(0x21 if 0x21 in ids else 0x22, ids)
    for name, records in ours.modules().items():
        ids = [r for r, _ in records]
        kind = 0x21 if 0x21 in ids else 0x22
        assert ids == kinds[kind], name
        data = dict(records)
        assert data[0x19].decode("cp1252") == name
        assert data[0x47] == name.encode("utf-16-le")       # MODULENAMEUNICODE
        assert data[0x1A].decode("cp1252") == name          # MODULESTREAMNAME
        assert data[0x1E] == bytes(4)                        # MODULEHELPCONTEXT, as Excel's
        assert data[0x31] == bytes(4)                        # source at offset 0: no p-code
        # MODULECOOKIE: "MUST be ignored on read, MUST be 0xFFFF on write"; Excel writes others.
        assert data[0x2C] == b"\xff\xff"
    # Excel's own xlwings module is stored source-only too (MODULEOFFSET 0), as all of ours.
    if "xlwings" in office_modules:
        assert dict(office_modules["xlwings"])[0x31] == bytes(4)
    assert struct.unpack("<H", dict(ours.records)[0x0F])[0] == len(ours.modules())
    assert ours.records[-1][0] == office.records[-1][0] == 0x10
    assert dict(ours.records)[0x13] == b"\xff\xff"          # PROJECTCOOKIE, likewise


def _libid(data: bytes) -> str:
    """The LIBID of a REFERENCEREGISTERED record's data, up to the path."""
    text = data[4:].decode("cp1252", "replace")
    return "#".join(text.split("#")[:2])


def test_the_office_reference_is_excels(ours, office):
    """The reference that makes IRibbonControl known: the same type library and version as in
    every Excel-made file; byte for byte the record 64-bit Excel wrote in quickstart.xlsm (the
    32-bit add-ins have the "Program Files (x86)" path instead)."""
    def registered(p, name):
        recs = p.records
        for i, (rid, data) in enumerate(recs):
            if rid == 0x16 and data == name.encode() and recs[i + 2][0] == 0x0D:
                return recs[i + 2][1]
        return None
    theirs, mine = registered(office, "Office"), registered(ours, "Office")
    assert mine is not None and theirs is not None
    assert _libid(mine) == _libid(theirs) == "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0"
    if "(x86)" not in theirs.decode("cp1252", "replace"):
        assert mine == theirs
    # stdole (OLE Automation), which Excel adds to every new project, comes first in ours.
    assert [d.decode() for r, d in ours.records if r == 0x16] == ["stdole", "Office"]
    assert "{00020430-0000-0000-C000-000000000046}#2.0" in _libid(registered(ours, "stdole"))


def test_project_stream_lines(ours, office):
    def keys(text):
        return [line.split("=", 1)[0] if "=" in line and not line.startswith("[") else line
                for line in text.split("\r\n")]
    mine, theirs = keys(ours.project_text), keys(office.project_text)
    # The same sections and, outside the module lists, the same keys in the same order.
    module_keys = {"Document", "Module", "Class", "BaseClass", "Package"}

    def skeleton(k):
        out = [x for x in k if x not in module_keys]
        ws = out.index("[Workspace]")
        return out[:ws + 1]
    assert skeleton(mine) == skeleton(theirs)
    host = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
    assert host in ours.project_text.split("\r\n") and host in office.project_text.split("\r\n")
    assert 'VersionCompatible32="393222000"' in ours.project_text
    assert 'VersionCompatible32="393222000"' in office.project_text


def test_vba_project_stream_header(ours, office):
    """Source only: the 7-byte _VBA_PROJECT with Version 0xFFFF ([MS-OVBA] 2.3.4.1: no compiled
    code, Excel compiles from the source) - which is also how the add-ins xlwings ships are
    stored.  Reserved3, which readers ignore, is 0 in ours."""
    theirs = office.streams["VBA/_VBA_PROJECT"]
    mine = ours.streams["VBA/_VBA_PROJECT"]
    assert mine == b"\xcc\x61\xff\xff\x00\x00\x00"
    if len(theirs) == 7:
        assert theirs[:5] == mine[:5]
    else:   # p-code follows in a project Excel compiled; the header starts the same way
        assert theirs[:2] == mine[:2]


def test_thisworkbook_attributes_match_excels(ours, office):
    def attributes(text):
        return [line for line in text.split("\r\n") if line.startswith("Attribute ")]
    assert attributes(ours.source("ThisWorkbook")) == attributes(office.source("ThisWorkbook"))


def test_sheet_attributes_match_excels(ours, office):
    theirs = [m for m in office.modules() if m.startswith("Sheet")]
    attrs = [line for line in office.source(theirs[0]).split("\r\n") if line.startswith("Attribute ")]
    mine = [line for line in ours.source("Sheet1").split("\r\n") if line.startswith("Attribute ")]
    # Same attributes but the module's name.
    assert mine[1:] == attrs[1:] and mine[0] == 'Attribute VB_Name = "Sheet1"'
