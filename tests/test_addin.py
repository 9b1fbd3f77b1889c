"""Tests for cpxl.addin: building cpxl.xlam from text sources without Excel.

Each file-format layer is checked on its own and then the built add-in is
read back with independent tools: olefile (compound file), oletools'
olevba (VBA project, as malware analysts and Office-less tooling see it)
and plain zip/XML parsing (OOXML package). LibreOffice checks live in
test_addin_libreoffice.py.
"""
from __future__ import annotations

import io
import random
import re
import struct
import sys
import textwrap
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings, strategies as st
from oletools import olevba

from cpxl.addin import build_addin, default_modules, udf_wrappers
from cpxl.addin import cfb, compression, ribbon, sources, vba, xlam
from cpxl.addin.compression import compress, decompress

REPO = Path(__file__).resolve().parents[1]
MACROS = REPO / "cpxl" / "macros"

# The ribbon <-> Python interface, as documented in macros/README.md.
DOCUMENTED_BUTTON_IDS = {
    "cpxl_load": "Load data",
    "cpxl_refresh": "Refresh",
    "cpxl_validate": "Validate data",
    "cpxl_insert_scorecard": "Insert scorecard",
    "cpxl_build_scorecards": "Build district scorecards",
    "cpxl_indicators": "Indicators",
    "cpxl_settings": "Settings",
    "cpxl_help": "Help",
    "cpxl_about": "About",
}
CUI = "{http://schemas.microsoft.com/office/2009/07/customui}"

FIXTURE_UDFS = textwrap.dedent(
    '''
    """UDF fixture for the add-in tests (stands in for cpxl.xl.udfs)."""
    import xlwings as xw
    from xlwings import arg, func


    @xw.func
    def cpxl_test_double(x):
        """Double a number."""
        return 2 * x


    @func
    @arg("values", ndim=2)
    def cpxl_test_total(values, *more):
        return sum(sum(row) for row in values)


    def not_a_udf():
        return None
    '''
)
FIXTURE_MODULE = "cpxl_addin_test_udfs"


def _norm(text: str) -> str:
    """Normalise line endings and trailing blank lines for comparisons."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def udf_fixture(tmp_path_factory):
    """Make the fixture UDF module importable for the duration of the module."""
    folder = tmp_path_factory.mktemp("udfs")
    (folder / f"{FIXTURE_MODULE}.py").write_text(FIXTURE_UDFS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(folder))
        yield FIXTURE_MODULE
    sys.modules.pop(FIXTURE_MODULE, None)


@pytest.fixture(scope="module")
def modules(udf_fixture):
    return default_modules(udf_fixture)


@pytest.fixture(scope="module")
def addin(tmp_path_factory, udf_fixture, modules) -> Path:
    out = tmp_path_factory.mktemp("addin") / "cpxl.xlam"
    return build_addin(out, modules=modules, udf_module=udf_fixture)


@pytest.fixture(scope="module")
def vba_bin(addin) -> bytes:
    with zipfile.ZipFile(addin) as zf:
        return zf.read("xl/vbaProject.bin")


@pytest.fixture(scope="module")
def extracted(addin) -> dict[str, tuple[str, str]]:
    """olevba's view of the add-in: {module name: (stream path, source)}."""
    parser = olevba.VBA_Parser(str(addin), relaxed=False)
    try:
        assert parser.detect_vba_macros()
        return {
            Path(vba_filename).stem: (stream_path, code)
            for _, stream_path, vba_filename, code in parser.extract_macros()
        }
    finally:
        parser.close()


# ---------------------------------------------------------------------------
# MS-OVBA compression (2.4.1) and the worked examples of section 3.2
# ---------------------------------------------------------------------------

SPEC_EXAMPLES = [
    # 3.2.1 "No Compression": every token is a literal.
    (
        b"abcdefghijklmnopqrstuv.",
        "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E",
    ),
    # 3.2.2 "Normal Compression".
    (
        b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
        "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 "
        "6D 6E 6F 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C",
    ),
    # 3.2.3 "Maximum Compression": one literal and one overlapping copy token.
    (b"a" * 73, "01 03 B0 02 61 45 00"),
]


@pytest.mark.parametrize("text,hex_bytes", SPEC_EXAMPLES, ids=["3.2.1", "3.2.2", "3.2.3"])
def test_compression_matches_spec_examples(text, hex_bytes):
    expected = bytes.fromhex(hex_bytes)
    assert compress(text) == expected
    assert decompress(expected) == text
    # oletools' decompressor is an independent implementation.
    assert bytes(olevba.decompress_stream(bytearray(expected))) == text


@pytest.mark.parametrize("text,hex_bytes", SPEC_EXAMPLES, ids=["3.2.1", "3.2.2", "3.2.3"])
def test_exhaustive_matching_is_valid_too(text, hex_bytes):
    # The literal pseudocode picks other (nearer) matches for 3.2.2 but must
    # still produce a container that decodes to the same text.
    packed = compress(text, exhaustive=True)
    assert decompress(packed) == text
    assert bytes(olevba.decompress_stream(bytearray(packed))) == text


def _round_trip_cases():
    xlwings_bas = sources.shipped_xlwings_module_source().encode("cp1252")
    rnd = random.Random(1234)
    return {
        "empty": b"",
        "one byte": b"x",
        "three bytes": b"abc",
        "run 4095": b"a" * 4095,
        "run 4096": b"a" * 4096,
        "run 4097": b"a" * 4097,
        "run 10000": b" " * 10000,
        "pattern": b"0123456789" * 1000,
        "xlwings module": xlwings_bas,
        "random 3000": rnd.randbytes(3000),
        "random 8192": rnd.randbytes(8192),
        "text then random": xlwings_bas[:5000] + rnd.randbytes(8192),
    }


@pytest.mark.parametrize("exhaustive", [False, True])
@pytest.mark.parametrize("name", list(_round_trip_cases()))
def test_compression_round_trip(name, exhaustive):
    data = _round_trip_cases()[name]
    packed = compress(data, exhaustive=exhaustive)
    assert packed[0] == 0x01
    assert decompress(packed) == data
    assert bytes(olevba.decompress_stream(bytearray(packed))) == data


def test_compression_shrinks_vba_source():
    data = sources.shipped_xlwings_module_source().encode("cp1252")
    assert len(compress(data)) < len(data) / 2


def test_incompressible_chunk_is_stored_raw():
    data = random.Random(7).randbytes(4096)
    packed = compress(data)
    header = struct.unpack_from("<H", packed, 1)[0]
    assert header == 0x3FFF  # flag 0 (raw), signature 0b011, size 4098 - 3
    assert len(packed) == 1 + 2 + 4096
    assert decompress(packed) == data


def test_incompressible_short_final_chunk_is_padded_like_the_spec():
    # 2.4.1.3.10 pads a raw chunk to 4096 bytes, so a short, incompressible
    # final chunk decodes with trailing zeros. Text never takes this path.
    data = random.Random(8).randbytes(4000)
    packed = compress(data)
    assert decompress(packed) == data + bytes(96)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000) | st.text(alphabet="ab \r\n", max_size=9000).map(str.encode))
def test_compression_round_trip_property(data):
    # Random binary only compresses into compressed chunks when < 3641 bytes
    # per chunk; otherwise the spec pads the raw final chunk (see above).
    packed = compress(data)
    out = decompress(packed)
    assert out[: len(data)] == data and not out[len(data) :].strip(b"\x00")
    assert bytes(olevba.decompress_stream(bytearray(packed))) == out


@pytest.mark.parametrize("bad", [b"", b"\x02\x00\x00", b"\x01\x19\x00abc"])
def test_decompress_rejects_malformed(bad):
    with pytest.raises(compression.CompressionError):
        decompress(bad)


# ---------------------------------------------------------------------------
# PROJECT stream encryption (2.4.3): replay values from an Office-saved file
# ---------------------------------------------------------------------------

# From the PROJECT stream of xlwings/quickstart_addin_ribbon.xlam (saved by
# Excel): ID="{318BEE36-5BE1-492A-826D-473DB19B0F30}", seed 0x5D, whose two
# ignored bytes decrypt to 9B FF.
OFFICE_PROJECT_ID = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
OFFICE_VALUES = {
    "CMG": ("5D5F8AADDAA8DEA8DEA8DEA8DE", bytes(4)),
    "DPB": ("5D5F8AADDAADDBADDBAD", b"\x00"),
    "GC": ("5D5F8AADDAADDBADDB52", b"\xff"),
}


@pytest.mark.parametrize("key", list(OFFICE_VALUES))
def test_encryption_reproduces_office(key):
    hex_text, plain = OFFICE_VALUES[key]
    assert vba.decrypt_data(hex_text, OFFICE_PROJECT_ID) == plain
    assert vba.encrypt_data(plain, OFFICE_PROJECT_ID, 0x5D, ignored=b"\x9b\xff") == hex_text


@pytest.mark.parametrize("seed", range(0, 256, 17))
def test_encryption_round_trip(seed):
    data = b"\x00\x01\xfe\xff" * 5
    hex_text = vba.encrypt_data(data, OFFICE_PROJECT_ID, seed)
    assert vba.decrypt_data(hex_text, OFFICE_PROJECT_ID) == data


# ---------------------------------------------------------------------------
# Compound file writer
# ---------------------------------------------------------------------------


def _cfb_cases() -> dict[str, bytes]:
    rnd = random.Random(99)
    streams = {
        "PROJECT": b"ID=...\r\n" * 40,
        "PROJECTwm": b"\x00\x00",
        "VBA/_VBA_PROJECT": vba.VBA_PROJECT_STREAM,
        "VBA/dir": rnd.randbytes(1300),
        "VBA/empty": b"",
        "VBA/one": b"1",
        "VBA/m63": b"x" * 63,
        "VBA/m64": b"y" * 64,
        "VBA/s4095": b"z" * 4095,  # largest mini stream
        "VBA/s4096": b"w" * 4096,  # smallest regular stream
        "VBA/big": rnd.randbytes(70_000),
        "Other/Nested/deep": b"nested",
    }
    streams.update({f"VBA/Module{i}": bytes([i]) * (i * 211) for i in range(40)})
    return streams


def _directory(data: bytes) -> list[dict]:
    """Parse the directory entries straight from the bytes (not via olefile)."""
    first_dir = struct.unpack_from("<I", data, 48)[0]
    fat_sectors = struct.unpack_from("<109I", data, 76)
    fat = []
    for s in fat_sectors:
        if s == cfb.FREESECT:
            break
        fat += struct.unpack_from("<128I", data, 512 * (s + 1))
    raw = b""
    sector = first_dir
    while sector != cfb.ENDOFCHAIN:
        raw += data[512 * (sector + 1) : 512 * (sector + 2)]
        sector = fat[sector]
    entries = []
    for i in range(len(raw) // 128):
        e = raw[128 * i : 128 * (i + 1)]
        name_len, kind, color = struct.unpack_from("<HBB", e, 64)
        left, right, child = struct.unpack_from("<III", e, 68)
        entries.append(
            dict(name=e[: max(name_len - 2, 0)].decode("utf-16-le"), kind=kind, color=color,
                 left=left, right=right, child=child)
        )
    return entries


def test_cfb_read_back_by_olefile():
    streams = _cfb_cases()
    data = cfb.write_compound_file(streams)
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and len(data) % 512 == 0
    # DEFECT_POTENTIAL: olefile raises on anything it finds questionable.
    with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL) as ole:
        assert ole.parsing_issues == []
        listed = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
        assert listed == set(streams)
        for path, content in streams.items():
            assert ole.get_type(path) == olefile.STGTY_STREAM
            assert ole.get_size(path) == len(content)
            assert ole.openstream(path).read() == content, path
        assert ole.get_type("VBA") == olefile.STGTY_STORAGE
        assert ole.get_type("Other/Nested") == olefile.STGTY_STORAGE


def test_cfb_directory_is_a_valid_red_black_tree():
    entries = _directory(cfb.write_compound_file(_cfb_cases()))
    assert entries[0]["name"] == "Root Entry" and entries[0]["kind"] == 5

    def key(i):
        name = entries[i]["name"]
        return (len(name), name.upper())

    def walk(i):
        """Return (sorted keys, black height) of the subtree, checking the rules."""
        if i == cfb.NOSTREAM:
            return [], 1
        node = entries[i]
        if node["color"] == 0:  # red: both children black
            for c in (node["left"], node["right"]):
                assert c == cfb.NOSTREAM or entries[c]["color"] == 1
        left_keys, lh = walk(node["left"])
        right_keys, rh = walk(node["right"])
        assert lh == rh, "unequal black heights"
        assert all(k < key(i) for k in left_keys) and all(k > key(i) for k in right_keys)
        return left_keys + [key(i)] + right_keys, lh + node["color"]

    storages = [e for e in entries if e["kind"] in (1, 5)]
    for storage in storages:
        root = storage["child"]
        assert entries[root]["color"] == 1, "tree root must be black"
        keys, _ = walk(root)
        assert keys == sorted(keys)


def test_cfb_rejects_bad_names():
    with pytest.raises(ValueError):
        cfb.write_compound_file({"x" * 32: b""})
    with pytest.raises(ValueError):
        cfb.write_compound_file({"a": b"", "A": b""})


# ---------------------------------------------------------------------------
# VBA project streams
# ---------------------------------------------------------------------------


def _dir_records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    records, i = [], 0
    while i < len(dir_stream):
        rid, size = struct.unpack_from("<HI", dir_stream, i)
        if rid == 0x0009:  # PROJECTVERSION: "size" 4, but 6 bytes follow
            size = 6
        records.append((rid, dir_stream[i + 6 : i + 6 + size]))
        i += 6 + size
    assert i == len(dir_stream)
    return records


def test_module_source_attributes():
    doc = vba.VbaModule.document("ThisWorkbook", vba.WORKBOOK_BASE).stored_source()
    assert doc == (
        'Attribute VB_Name = "ThisWorkbook"\r\n'
        'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
    )
    sheet = vba.VbaModule.document("Sheet1", vba.WORKSHEET_BASE).stored_source()
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in sheet
    std = vba.VbaModule.from_source('Attribute VB_Name = "M"\nSub A()\nEnd Sub\n')
    assert std.kind == "standard"
    assert std.stored_source() == 'Attribute VB_Name = "M"\r\nSub A()\r\nEnd Sub\r\n'


def test_class_module_header_matches_office():
    # Header Excel stored for the same Dictionary.cls in xlwings'
    # quickstart_addin_ribbon.xlam (read with olefile + decompress).
    office_header = [
        'Attribute VB_Name = "Dictionary"',
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = False",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = False",
    ]
    module = vba.VbaModule.from_source(sources.xlwings_dictionary_source())
    assert module.kind == "class"
    stored = module.stored_source().split("\r\n")
    assert stored[:8] == office_header
    assert stored[8].startswith("Attribute VB_Description = ")
    assert "VERSION 1.0 CLASS" not in module.stored_source()


def test_vba_project_streams():
    modules = [
        vba.VbaModule.document("ThisWorkbook", vba.WORKBOOK_BASE),
        vba.VbaModule.from_source('Attribute VB_Name = "Mod1"\nSub Hello()\nEnd Sub\n'),
        vba.VbaModule.from_source(sources.xlwings_dictionary_source()),
    ]
    project = vba.VbaProject("cpxl", modules)
    streams = project.streams()
    assert set(streams) == {
        "PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir",
        "VBA/ThisWorkbook", "VBA/Mod1", "VBA/Dictionary",
    }  # fmt: skip
    assert streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000000")
    # Module streams are the compressed source from offset 0 (no p-code).
    for m in modules:
        assert decompress(streams[f"VBA/{m.name}"]).decode("cp1252") == m.stored_source()

    records = _dir_records(decompress(streams["VBA/dir"]))
    ids = [rid for rid, _ in records]
    assert ids[:14] == [0x01, 0x02, 0x14, 0x03, 0x04, 0x05, 0x40, 0x06, 0x3D, 0x07, 0x08, 0x09, 0x0C, 0x3C]
    assert dict(records)[0x04] == b"cpxl"
    assert dict(records)[0x03] == struct.pack("<H", 1252)
    names = [data for rid, data in records if rid == 0x16]
    assert names == [b"stdole", b"Office"]
    assert ids.count(0x0D) == 2  # both REFERENCEREGISTERED
    assert dict(records)[0x0F] == struct.pack("<H", 3)
    assert ids[-1] == 0x10
    # Per module: name, type, offset 0.
    module_types = [rid for rid in ids if rid in (0x21, 0x22)]
    assert module_types == [0x22, 0x21, 0x22]
    assert [data for rid, data in records if rid == 0x31] == [b"\x00" * 4] * 3
    assert [data for rid, data in records if rid == 0x19] == [b"ThisWorkbook", b"Mod1", b"Dictionary"]
    assert [data for rid, data in records if rid == 0x47] == [
        n.encode("utf-16-le") for n in ("ThisWorkbook", "Mod1", "Dictionary")
    ]

    text = streams["PROJECT"].decode("cp1252")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0] == f'ID="{project.project_id}"'
    assert lines[1:4] == ["Document=ThisWorkbook/&H00000000", "Module=Mod1", "Class=Dictionary"]
    assert 'Name="cpxl"' in lines and 'HelpContextID="0"' in lines
    assert 'VersionCompatible32="393222000"' in lines
    values = {
        key: value.strip('"')
        for key, value in (line.split("=", 1) for line in lines if line.startswith(("CMG=", "DPB=", "GC=")))
    }
    # Unprotected: no protection flags, no password, project visible.
    assert vba.decrypt_data(values["CMG"], project.project_id) == bytes(4)
    assert vba.decrypt_data(values["DPB"], project.project_id) == b"\x00"
    assert vba.decrypt_data(values["GC"], project.project_id) == b"\xff"
    assert "[Host Extender Info]" in lines and "[Workspace]" in lines
    assert lines[lines.index("[Workspace]") + 1 :][:3] == [
        "ThisWorkbook=0, 0, 0, 0, C", "Mod1=0, 0, 0, 0, C", "Dictionary=0, 0, 0, 0, C",
    ]  # fmt: skip

    assert streams["PROJECTwm"] == (
        b"ThisWorkbook\x00" + "ThisWorkbook".encode("utf-16-le") + b"\x00\x00"
        + b"Mod1\x00" + "Mod1".encode("utf-16-le") + b"\x00\x00"
        + b"Dictionary\x00" + "Dictionary".encode("utf-16-le") + b"\x00\x00"
        + b"\x00\x00"
    )  # fmt: skip


def test_vba_project_is_reproducible():
    make = lambda: vba.VbaProject("cpxl", [vba.VbaModule.document("ThisWorkbook", vba.WORKBOOK_BASE)]).to_bytes()  # noqa: E731
    assert make() == make()


def test_vba_rejects_non_cp1252_source():
    module = vba.VbaModule.from_source('Attribute VB_Name = "M"\n\' \u4e2d\n')
    with pytest.raises(ValueError, match="code page 1252"):
        vba.VbaProject("cpxl", [module]).streams()


# ---------------------------------------------------------------------------
# UDF wrapper generation with xlwings' generator
# ---------------------------------------------------------------------------


def test_udf_wrappers_from_fixture(udf_fixture):
    import xlwings

    before_func = xlwings.func
    text = udf_wrappers(udf_fixture)
    lines = text.split("\r\n")
    assert lines[0] == 'Attribute VB_Name = "xlwings_udfs"'
    assert "Function cpxl_test_double(x)" in lines
    assert "Function cpxl_test_total(values, ParamArray more())" in lines
    assert "not_a_udf" not in text
    # Add-in flavour: wrappers pass the user's workbook, not the add-in.
    assert f'XLPy.CallUDF("{udf_fixture}", "cpxl_test_double", Array(x), ActiveWorkbook, Application.Caller)' in text
    # Nothing leaks: no pywin32 stubs, no stubbed xlwings.udfs, and the
    # no-op decorators of xlwings on Linux are back in place.
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client", "win32api"):
        module = sys.modules.get(name)
        assert module is None or "build-time stand-in" not in (module.__doc__ or "")
    assert "xlwings.udfs" not in sys.modules and not hasattr(xlwings, "udfs")
    assert xlwings.func is before_func
    imported = sys.modules.get(udf_fixture)
    assert imported is None or not hasattr(imported.cpxl_test_double, "__xlfunc__")


def test_udf_wrappers_several_modules(udf_fixture):
    text = udf_wrappers(f"{udf_fixture};{udf_fixture}")
    assert text.count("Function cpxl_test_double(x)") == 2


def test_udf_wrappers_refuse_names_vba_cannot_compile(tmp_path, monkeypatch):
    # "Function F(start, end)" would not compile, taking every UDF down with it.
    (tmp_path / "cpxl_addin_bad_udfs.py").write_text(
        "import xlwings as xw\n\n@xw.func\ndef days(start, end):\n    return 0\n\n"
        "@xw.func\ndef _hidden(x):\n    return x\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError) as info:
        udf_wrappers("cpxl_addin_bad_udfs")
    message = str(info.value)
    assert "days: argument 'end' is a reserved word in VBA" in message
    assert "'_hidden' is not a valid VBA identifier" in message
    assert "'start'" not in message


def test_udf_wrappers_missing_module():
    with pytest.raises(ModuleNotFoundError):
        udf_wrappers("cpxl_no_such_module_xyz")


# ---------------------------------------------------------------------------
# The ribbon
# ---------------------------------------------------------------------------


def test_ribbon_buttons_are_documented():
    root = ET.parse(MACROS / "ribbon.xml").getroot()
    assert root.tag == f"{CUI}customUI"
    tabs = list(root.iter(f"{CUI}tab"))
    assert [(t.get("id"), t.get("label")) for t in tabs] == [("cpxlTab", "Corporate Parenting")]
    buttons = list(root.iter(f"{CUI}button"))
    assert {b.get("id"): b.get("label") for b in buttons} == DOCUMENTED_BUTTON_IDS
    assert len(buttons) == len(DOCUMENTED_BUTTON_IDS)
    for b in buttons:
        assert b.get("onAction") == "CpxlRibbonAction"
        assert b.get("imageMso"), b.get("id")
        assert b.get("screentip"), b.get("id")
    readme = (MACROS / "README.md").read_text(encoding="utf-8")
    for button_id, label in DOCUMENTED_BUTTON_IDS.items():
        assert f"| `{button_id}` | {label} |" in readme


def test_dispatcher_source():
    source = (MACROS / "CpxlRibbon.bas").read_text(encoding="utf-8")
    assert "Public Sub CpxlRibbonAction(control As IRibbonControl)" in source
    assert (
        'RunPython "import cpxl.xl.ribbon; cpxl.xl.ribbon.dispatch(\'" & control.Id & "\')"' in source
    )
    assert (MACROS / "CpxlRibbon.bas").read_bytes().count(b"\r\n") == source.count("\n")


def test_build_rejects_missing_callback(tmp_path, modules):
    xml = (MACROS / "ribbon.xml").read_text(encoding="utf-8").replace(
        'id="cpxl_help" label="Help" size="large"\n                  imageMso="Help" onAction="CpxlRibbonAction"',
        'id="cpxl_help" label="Help" size="large"\n                  imageMso="Help" onAction="NoSuchMacro"',
    )
    assert "NoSuchMacro" in xml
    with pytest.raises(ribbon.RibbonError, match="NoSuchMacro"):
        build_addin(tmp_path / "x.xlam", modules=modules, ribbon_xml=xml)
    assert not (tmp_path / "x.xlam").exists()


def test_build_rejects_old_ribbon_namespace(tmp_path, modules):
    xml = '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui"/>'
    with pytest.raises(ribbon.RibbonError, match="2009/07"):
        build_addin(tmp_path / "x.xlam", modules=modules, ribbon_xml=xml)


# ---------------------------------------------------------------------------
# The built add-in, read back
# ---------------------------------------------------------------------------


def test_default_modules_sources(modules, udf_fixture):
    assert list(modules) == ["ThisWorkbook", "xlwings", "Dictionary", "CpxlRibbon", "xlwings_udfs"]
    import xlwings

    from cpxl.addin.udfgen import udf_registrations, workbook_module

    assert modules["ThisWorkbook"] == workbook_module(udf_registrations(udf_fixture))

    xlwings_dir = Path(xlwings.__file__).parent
    shipped = (xlwings_dir / "xlwings_custom_addin.bas").read_bytes().decode("utf-8")
    # Exactly the shipped module, but for the PROJECT_NAME constant.
    assert modules["xlwings"] == shipped.replace(
        'PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "cpxl"'
    )
    assert modules["xlwings"] != shipped
    assert modules["Dictionary"] == (xlwings_dir / "addin" / "Dictionary.cls").read_bytes().decode("utf-8")
    assert modules["CpxlRibbon"] == (MACROS / "CpxlRibbon.bas").read_bytes().decode("utf-8")
    assert modules["xlwings_udfs"] == udf_wrappers(udf_fixture)


def test_olevba_extracts_every_module_exactly(extracted, modules):
    standard = {k: v for k, v in modules.items() if k != "ThisWorkbook"}
    assert list(extracted) == ["ThisWorkbook", "Sheet1", *standard]
    for name, (stream_path, _) in extracted.items():
        assert stream_path == f"VBA/{name}"
    for name, source in standard.items():
        expected = vba.VbaModule.from_source(source, name=name)
        _, code = extracted[name]
        # Full stored text, attributes included ...
        assert code == expected.stored_source()
        # ... and what the VBA editor shows, attributes stripped as olevba does.
        assert _norm(olevba.filter_vba(code)) == _norm(vba.strip_module_attributes(
            re.sub(r"\AVERSION 1\.0 CLASS\r?\nBEGIN\r?\n.*?\nEND\r?\n", "", source, flags=re.S)
        ))
    for doc, base in (("ThisWorkbook", vba.WORKBOOK_BASE), ("Sheet1", vba.WORKSHEET_BASE)):
        _, code = extracted[doc]
        assert f'Attribute VB_Name = "{doc}"' in code and f'Attribute VB_Base = "{base}"' in code
        assert "Attribute VB_Customizable = True" in code
    assert olevba.filter_vba(extracted["Sheet1"][1]).strip() == ""
    # ThisWorkbook carries the function-wizard registration (Workbook_Open), exactly.
    assert _norm(olevba.filter_vba(extracted["ThisWorkbook"][1])) == _norm(modules["ThisWorkbook"])


def test_olevba_project_streams(vba_bin):
    with olefile.OleFileIO(io.BytesIO(vba_bin), raise_defects=olefile.DEFECT_POTENTIAL) as ole:
        listed = {"/".join(p) for p in ole.listdir()}
        assert {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir"} <= listed
        assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x00\x00"
        project = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Document=ThisWorkbook/&H00000000\r\nDocument=Sheet1/&H00000000\r\n" in project
    assert "Module=xlwings\r\nClass=Dictionary\r\nModule=CpxlRibbon\r\nModule=xlwings_udfs\r\n" in project
    assert 'Name="cpxl"\r\n' in project


def test_every_ribbon_callback_is_a_public_sub(addin, extracted):
    with zipfile.ZipFile(addin) as zf:
        root = ET.fromstring(zf.read("customUI/customUI14.xml"))
    actions = {el.get("onAction") for el in root.iter() if el.get("onAction")}
    assert actions == {"CpxlRibbonAction"}
    # Independent of cpxl.addin.ribbon: scan olevba's view of the modules.
    public = set()
    for name, (_, code) in extracted.items():
        if not name.startswith(("ThisWorkbook", "Sheet")):
            public |= set(re.findall(r"^(?:Public\s+)?Sub\s+(\w+)\s*\(", code, flags=re.M))
    assert actions <= public
    signature = re.search(r"^Public Sub CpxlRibbonAction\((.*?)\)", extracted["CpxlRibbon"][1], re.M)
    assert signature and signature.group(1) == "control As IRibbonControl"
    # RunPython, which the dispatcher calls, comes from the xlwings module.
    assert re.search(r"^Public Function RunPython\(", extracted["xlwings"][1], re.M)


def test_package_structure(addin):
    with zipfile.ZipFile(addin) as zf:
        names = zf.namelist()
        assert names[0] == "[Content_Types].xml"
        assert {
            "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
            "xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/sharedStrings.xml",
            "xl/vbaProject.bin", "customUI/customUI14.xml", "docProps/core.xml", "docProps/app.xml",
        } == set(names) - {"[Content_Types].xml"}  # fmt: skip
        for name in names:
            if name.endswith((".xml", ".rels")):
                ET.fromstring(zf.read(name))  # well formed
        ct = ET.fromstring(zf.read("[Content_Types].xml"))
        ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
        overrides = {o.get("PartName"): o.get("ContentType") for o in ct.iter(f"{ns}Override")}
        defaults = {d.get("Extension"): d.get("ContentType") for d in ct.iter(f"{ns}Default")}
        assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
        assert defaults["bin"] == "application/vnd.ms-office.vbaProject"

        rns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
        root_rels = {r.get("Type"): r.get("Target") for r in ET.fromstring(zf.read("_rels/.rels")).iter(f"{rns}Relationship")}
        assert root_rels["http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"] == "customUI/customUI14.xml"
        assert root_rels["http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"] == "xl/workbook.xml"
        wb_rels = {r.get("Type"): (r.get("Id"), r.get("Target")) for r in ET.fromstring(zf.read("xl/_rels/workbook.xml.rels")).iter(f"{rns}Relationship")}
        assert wb_rels["http://schemas.microsoft.com/office/2006/relationships/vbaProject"][1] == "vbaProject.bin"
        sheet_rid, sheet_target = wb_rels["http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"]
        assert sheet_target == "worksheets/sheet1.xml"

        main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        assert re.fullmatch(r"\{[0-9A-F-]{36}\}", wb.find(f"{main}fileVersion").get("codeName"))
        assert wb.find(f"{main}workbookPr").get("codeName") == "ThisWorkbook"
        sheets = wb.find(f"{main}sheets")
        (sheet,) = list(sheets)
        assert sheet.get("name") == "cpxl.conf"
        assert sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id") == sheet_rid
        ws = ET.fromstring(zf.read("xl/worksheets/sheet1.xml"))
        assert ws.find(f"{main}sheetPr").get("codeName") == "Sheet1"

        core = zf.read("docProps/core.xml").decode()
        assert "<dc:title>Corporate Parenting (cpxl)</dc:title>" in core
        assert zf.read("customUI/customUI14.xml") == (MACROS / "ribbon.xml").read_bytes()


def _read_settings(addin: Path) -> list[tuple[str, str]]:
    """Read the cpxl.conf rows with plain XML parsing (openpyxl refuses .xlam)."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(addin) as zf:
        strings = [si.findtext(f"{main}t") for si in ET.fromstring(zf.read("xl/sharedStrings.xml"))]
        ws = ET.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in ws.iter(f"{main}row"):
        cells = {c.get("r")[0]: strings[int(c.findtext(f"{main}v"))] for c in row}
        rows.append((cells.get("A", ""), cells.get("B", "")))
    return rows


def test_conf_sheet_settings(addin, udf_fixture):
    import cpxl
    import xlwings

    rows = _read_settings(addin)
    assert rows == [
        ("UDF Modules", udf_fixture),
        ("ADDIN_CPXL_VERSION", cpxl.__version__),
        ("ADDIN_XLWINGS_VERSION", xlwings.__version__),
    ]
    # xlwings reads column A from A1 down to the first blank cell: all keys
    # must be contiguous or the ones below a gap are silently ignored. And it
    # takes a key from this sheet even when blank, before the user's cpxl.conf
    # file: so no key without a value (no blank INTERPRETER_WIN, PYTHONPATH...).
    assert all(key and value for key, value in rows)
    # xlwings' sheet lookup uses PROJECT_NAME & ".conf".
    assert xlam.CONFIG_SHEET == f"{sources.PROJECT_NAME}.conf" == "cpxl.conf"


def test_custom_settings(tmp_path, modules):
    path = build_addin(tmp_path / "a.xlam", modules=modules, settings=[("INTERPRETER_WIN", r"C:\py\pythonw.exe"), ("A&B", "<x>")])
    assert _read_settings(path) == [("INTERPRETER_WIN", r"C:\py\pythonw.exe"), ("A&B", "<x>")]


def test_build_is_reproducible(tmp_path, modules, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = build_addin(tmp_path / "a.xlam", modules=modules).read_bytes()
    b = build_addin(tmp_path / "b.xlam", modules=modules).read_bytes()
    assert a == b


def test_build_addin_default_udf_module_name(tmp_path, monkeypatch, udf_fixture):
    # The default UDF module is cpxl.xl.udfs; check it is what gets imported
    # (pointed at the fixture so this test does not depend on that module).
    seen = []

    def fake(module_name="cpxl.xl.udfs"):
        seen.append(module_name)
        return udf_wrappers(udf_fixture)

    monkeypatch.setattr(xlam, "udf_wrappers", fake)
    path = build_addin(tmp_path / "d.xlam")
    assert seen == ["cpxl.xl.udfs"]
    assert ("UDF Modules", "cpxl.xl.udfs") in _read_settings(path)
