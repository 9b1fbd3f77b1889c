"""Writer for a VBA project's storages and streams (MS-OVBA).

A VBA project inside ``xl/vbaProject.bin`` is a compound file (see
``cfb.py``) holding::

    PROJECT             text: module list, project name, protection state
    PROJECTwm           module names in MBCS and UTF-16
    VBA/_VBA_PROJECT    version header of the (absent) performance cache
    VBA/dir             compressed binary records describing the project
    VBA/<module>        one stream per module: compressed source text

Office normally also stores compiled p-code (the "performance cache") in
``_VBA_PROJECT`` and at the start of every module stream. We write none:
``_VBA_PROJECT`` carries version 0xFFFF, which no VBA build uses, so Office
discards the (empty) cache and recompiles every module from the source text
when the project is first run. That is what lets us build the add-in on
Linux without Office, and it also means the add-in can never carry p-code
that disagrees with its visible source.

Only what an unprotected, reference-light project needs is implemented:
no designers (UserForms), no project password, and no performance cache.
Section numbers below refer to [MS-OVBA].
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from dataclasses import dataclass, field
from typing import Iterable, Literal

from .compression import compress, decompress

__all__ = [
    "compress",
    "decompress",
    "Reference",
    "VbaModule",
    "VbaProject",
    "DEFAULT_REFERENCES",
    "encrypt_data",
    "decrypt_data",
    "strip_module_attributes",
]

ModuleKind = Literal["standard", "class", "document"]

# VB_Base values: the type library class a module's object derives from.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"  # Excel.Workbook
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"  # Excel.Worksheet
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"  # a plain VBA class

# Header attributes the VBA editor stores (but hides) at the top of each
# module, in the order it writes them. Values are VBA literals. Copied from
# Excel-saved projects: document modules are predeclared (``ThisWorkbook``
# and ``Sheet1`` exist without ``New``), class modules are not.
_DOCUMENT_ATTRIBUTES = {
    "VB_GlobalNameSpace": "False",
    "VB_Creatable": "False",
    "VB_PredeclaredId": "True",
    "VB_Exposed": "True",
    "VB_TemplateDerived": "False",
    "VB_Customizable": "True",
}
_CLASS_ATTRIBUTES = {
    "VB_GlobalNameSpace": "False",
    "VB_Creatable": "False",
    "VB_PredeclaredId": "False",
    "VB_Exposed": "False",
    "VB_TemplateDerived": "False",
    "VB_Customizable": "False",
}

CODEPAGE = 1252
ENCODING = "cp1252"
LCID_EN_US = 0x0409

# [Host Extender Info] line every Office VBA project carries: it names the
# VBE host extender (the standard "VBA" library of the host).
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"

# Plain-text values of CMG, DPB and GC for an open project (2.3.1.15-17):
# ProjectProtectionState 0 (u32, no protection flags), a password hash that
# is the single byte 0x00 (no password), ProjectVisibilityState 0xFF.
_UNPROTECTED = bytes(4)
_NO_PASSWORD = b"\x00"
_VISIBLE = b"\xff"

# _VBA_PROJECT (2.3.4.1): Reserved1 0x61CC, Version, Reserved2 0x00,
# Reserved3 (u16). Version 0xFFFF matches no VBA build, so the (absent)
# performance cache is ignored and the source is recompiled.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x00\x00"


def _mbcs(text: str, what: str) -> bytes:
    """Encode to the project's code page, naming the offending text on error."""
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} is not representable in code page {CODEPAGE}: {exc}") from None


def _crlf(text: str) -> str:
    """Normalise any mix of line endings to CRLF, the VBA editor's."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


# ---------------------------------------------------------------------------
# Module source text
# ---------------------------------------------------------------------------

# A module-level attribute line: "Attribute VB_Name = ..." (procedure-level
# ones such as "Attribute Item.VB_UserMemId = 0" contain a dot and belong to
# the code, so they are not matched here).
_MODULE_ATTRIBUTE = re.compile(r"^Attribute\s+(VB_\w+)\s*=\s*(.*?)\s*$")
# The header of a .cls/.frm file as exported by the VBA editor; it is an
# export-file artefact and is never part of the stored module source.
_EXPORT_HEADER = re.compile(r"\AVERSION\s+[\d.]+\s+CLASS\s*\nBEGIN\s*\n.*?^END\s*\n", re.S | re.M)


def _vba_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _unquote(literal: str) -> str:
    if len(literal) >= 2 and literal[0] == literal[-1] == '"':
        return literal[1:-1].replace('""', '"')
    return literal


def strip_module_attributes(source: str) -> str:
    """Drop the leading ``Attribute VB_...`` lines, as ``olevba.filter_vba`` does.

    The VBA editor hides these lines; comparisons of "the code a user sees"
    should ignore them.
    """
    lines = source.splitlines()
    start = 0
    for line in lines:
        if line.startswith("Attribute VB_") and ":" not in line:
            start += 1
        else:
            break
    return "\n".join(lines[start:])


@dataclass
class VbaModule:
    """One VBA module: its name, kind, hidden header attributes and code.

    ``code`` is the text shown in the VBA editor (no header attributes);
    ``attributes`` holds module-level attributes other than ``VB_Name`` as
    VBA literals (e.g. ``{"VB_Description": '"..."'}``); defaults for the
    module kind are filled in by :meth:`stored_source`.
    """

    name: str
    code: str = ""
    kind: ModuleKind = "standard"
    attributes: dict[str, str] = field(default_factory=dict)
    base: str | None = None  # VB_Base for class/document modules

    def __post_init__(self) -> None:
        # Module names are VBA identifiers and double as CFB stream names
        # (<= 31 UTF-16 characters).
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", self.name):
            raise ValueError(f"invalid VBA module name {self.name!r}")
        if self.kind not in ("standard", "class", "document"):
            raise ValueError(f"unknown module kind {self.kind!r}")

    @classmethod
    def from_source(
        cls, text: str, name: str | None = None, kind: ModuleKind | None = None
    ) -> "VbaModule":
        """Build a module from text as exported by the VBA editor (.bas/.cls).

        The ``VERSION 1.0 CLASS``/``BEGIN``...``END`` header of a ``.cls`` file
        marks a class module and is dropped. Leading ``Attribute VB_*`` lines
        become :attr:`attributes`; ``VB_Name`` supplies the name unless
        ``name`` is given.
        """
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.startswith("\ufeff"):
            text = text[1:]
        header = _EXPORT_HEADER.match(text)
        if header:
            text = text[header.end() :]
        lines = text.split("\n")
        attributes: dict[str, str] = {}
        n = 0
        while n < len(lines) and (m := _MODULE_ATTRIBUTE.match(lines[n])):
            attributes[m.group(1)] = m.group(2)
            n += 1
        vb_name = attributes.pop("VB_Name", None)
        module_name = name or (_unquote(vb_name) if vb_name else None)
        if not module_name:
            raise ValueError("module source has no 'Attribute VB_Name' line and no name was given")
        base = attributes.pop("VB_Base", None)
        if kind is None:
            kind = "class" if header or base else "standard"
        return cls(
            name=module_name,
            code="\n".join(lines[n:]),
            kind=kind,
            attributes=attributes,
            base=_unquote(base) if base else None,
        )

    @classmethod
    def document(cls, name: str, base: str, code: str = "") -> "VbaModule":
        """A document module (``ThisWorkbook``, a worksheet's code-behind)."""
        return cls(name=name, code=code, kind="document", base=base)

    def header_attributes(self) -> list[tuple[str, str]]:
        """The module-level attributes in the order the VBA editor stores them."""
        attrs: list[tuple[str, str]] = [("VB_Name", _vba_string(self.name))]
        if self.kind == "standard":
            return attrs + list(self.attributes.items())
        defaults = _DOCUMENT_ATTRIBUTES if self.kind == "document" else _CLASS_ATTRIBUTES
        base = self.base or (CLASS_BASE if self.kind == "class" else None)
        if base is None:
            raise ValueError(f"document module {self.name} needs a VB_Base")
        attrs.append(("VB_Base", _vba_string(base)))
        for key, default in defaults.items():
            attrs.append((key, self.attributes.get(key, default)))
        attrs += [(k, v) for k, v in self.attributes.items() if k not in defaults]
        return attrs

    def stored_source(self) -> str:
        """The full source as stored in the module stream, CRLF-terminated."""
        header = "".join(f"Attribute {k} = {v}\n" for k, v in self.header_attributes())
        code = self.code.replace("\r\n", "\n").replace("\r", "\n")
        if code and not code.endswith("\n"):
            code += "\n"
        return _crlf(header + code)

    @property
    def docstring(self) -> str:
        return _unquote(self.attributes.get("VB_Description", ""))


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A registered type library reference (REFERENCEREGISTERED, 2.3.4.2.2.5).

    VBA resolves it by GUID and version from the registry; the path in the
    libid is only a hint. The host's own libraries (VBA, Excel) are implicit
    and never listed.
    """

    name: str
    libid: str


DEFAULT_REFERENCES = (
    # OLE Automation: IUnknown/IDispatch, StdFont, StdPicture.
    Reference(
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
        r"C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    # Microsoft Office Object Library: defines IRibbonControl, which the
    # ribbon callback's signature needs. Copied from the installed xlwings
    # add-in's own project.
    Reference(
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#"
        r"Microsoft Office 16.0 Object Library",
    ),
)


# ---------------------------------------------------------------------------
# Data encryption for the PROJECT stream's CMG/DPB/GC values (2.4.3)
# ---------------------------------------------------------------------------


def _project_key(project_id: str) -> int:
    # ProjKey: the sum of the bytes of the project's CLSID string, mod 256.
    return sum(project_id.encode("ascii")) & 0xFF


def encrypt_data(data: bytes, project_id: str, seed: int, ignored: bytes | None = None) -> str:
    """Encrypt ``data`` as a PROJECT-stream value (2.4.3.2); returns hex.

    This is obfuscation, not security: a running XOR keyed on the project
    id. Office only ever reads CMG/DPB/GC through this decoding, so even the
    "no protection" states are written encrypted.
    """
    seed &= 0xFF
    version = 2
    proj_key = _project_key(project_id)
    version_enc = seed ^ version
    proj_key_enc = seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, proj_key_enc, version_enc

    def push(byte: int) -> None:
        nonlocal unencrypted_1, encrypted_1, encrypted_2
        byte_enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte

    # (seed & 6) >> 1 filler bytes, whose plain values the spec leaves open
    # (``ignored`` exists so tests can replay values from Office files).
    ignored_length = (seed & 6) >> 1
    filler = bytes(ignored_length) if ignored is None else bytes(ignored)
    if len(filler) != ignored_length:
        raise ValueError(f"seed {seed:#04x} needs {ignored_length} ignored bytes")
    for byte in filler:
        push(byte)
    for byte in len(data).to_bytes(4, "little"):
        push(byte)
    for byte in data:
        push(byte)
    return out.hex().upper()


def decrypt_data(hex_text: str, project_id: str | None = None) -> bytes:
    """Inverse of :func:`encrypt_data` (2.4.3.3); checks version and length."""
    enc = bytes.fromhex(hex_text)
    seed, version_enc, proj_key_enc = enc[0], enc[1], enc[2]
    if seed ^ version_enc != 2:
        raise ValueError("encrypted value has the wrong version")
    proj_key = seed ^ proj_key_enc
    if project_id is not None and proj_key != _project_key(project_id):
        raise ValueError("encrypted value was made for a different project id")
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for byte_enc in enc[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    ignored_length = (seed & 6) >> 1
    length = int.from_bytes(plain[ignored_length : ignored_length + 4], "little")
    data = bytes(plain[ignored_length + 4 :])
    if len(data) != length:
        raise ValueError("encrypted value has an inconsistent length")
    return data


# ---------------------------------------------------------------------------
# The project
# ---------------------------------------------------------------------------


def _record(record_id: int, payload: bytes = b"") -> bytes:
    """A dir-stream record: u16 id, u32 size, payload."""
    return struct.pack("<HI", record_id, len(payload)) + payload


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


@dataclass
class VbaProject:
    """An unprotected VBA project, written without a performance cache.

    ``project_id`` defaults to a GUID derived from ``name`` so that builds
    are reproducible (the same inputs give the same vbaProject.bin).
    """

    name: str
    modules: list[VbaModule]
    references: Iterable[Reference] = DEFAULT_REFERENCES
    project_id: str | None = None
    description: str = ""
    version: tuple[int, int] = (1, 0)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,127}", self.name):
            raise ValueError(f"invalid VBA project name {self.name!r}")
        names = [m.name.upper() for m in self.modules]
        if len(set(names)) != len(names):
            raise ValueError("VBA module names must be unique (case-insensitively)")
        if self.project_id is None:
            guid = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:cpxl:vba-project:{self.name}")
            self.project_id = "{" + str(guid).upper() + "}"
        self.references = tuple(self.references)

    # -- dir stream (2.3.4.2) ------------------------------------------------

    def _information_records(self) -> bytes:
        name = _mbcs(self.name, "project name")
        doc = _mbcs(self.description, "project description")
        major, minor = self.version
        return b"".join(
            [
                _record(0x0001, _u32(0x00000001)),  # PROJECTSYSKIND: 32-bit Windows
                _record(0x0002, _u32(LCID_EN_US)),  # PROJECTLCID
                _record(0x0014, _u32(LCID_EN_US)),  # PROJECTLCIDINVOKE
                _record(0x0003, _u16(CODEPAGE)),  # PROJECTCODEPAGE
                _record(0x0004, name),  # PROJECTNAME
                _record(0x0005, doc),  # PROJECTDOCSTRING ...
                _record(0x0040, self.description.encode("utf-16-le")),  # ... and Unicode
                _record(0x0006, b""),  # PROJECTHELPFILEPATH (HelpFile1) ...
                _record(0x003D, b""),  # ... HelpFile2
                _record(0x0007, _u32(0)),  # PROJECTHELPCONTEXT
                _record(0x0008, _u32(0)),  # PROJECTLIBFLAGS
                # PROJECTVERSION is the one record whose "size" is a constant
                # 4 even though 6 bytes (u32 major, u16 minor) follow.
                _u16(0x0009) + _u32(4) + _u32(major) + _u16(minor),
                _record(0x000C, b""),  # PROJECTCONSTANTS ...
                _record(0x003C, b""),  # ... and Unicode
            ]
        )

    def _reference_records(self) -> bytes:
        out = bytearray()
        for ref in self.references:
            # REFERENCENAME (MBCS and Unicode), then REFERENCEREGISTERED.
            out += _record(0x0016, _mbcs(ref.name, "reference name"))
            out += _record(0x003E, ref.name.encode("utf-16-le"))
            libid = _mbcs(ref.libid, "reference libid")
            # SizeOfLibid, Libid, Reserved1 (u32 0), Reserved2 (u16 0)
            out += _record(0x000D, _u32(len(libid)) + libid + _u32(0) + _u16(0))
        return bytes(out)

    def _module_records(self) -> bytes:
        out = bytearray()
        out += _record(0x000F, _u16(len(self.modules)))  # PROJECTMODULES count
        out += _record(0x0013, _u16(0xFFFF))  # PROJECTCOOKIE: 0xFFFF on write
        for module in self.modules:
            name_u = module.name.encode("utf-16-le")
            name = _mbcs(module.name, "module name")
            doc = module.docstring
            out += _record(0x0019, name)  # MODULENAME
            out += _record(0x0047, name_u)  # MODULENAMEUNICODE
            out += _record(0x001A, name)  # MODULESTREAMNAME ...
            out += _record(0x0032, name_u)  # ... and Unicode
            out += _record(0x001C, _mbcs(doc, f"docstring of {module.name}"))  # MODULEDOCSTRING ...
            out += _record(0x0048, doc.encode("utf-16-le"))  # ... and Unicode
            # MODULEOFFSET: the source starts at byte 0 of the module stream
            # because there is no performance cache in front of it.
            out += _record(0x0031, _u32(0))
            out += _record(0x001E, _u32(0))  # MODULEHELPCONTEXT
            out += _record(0x002C, _u16(0xFFFF))  # MODULECOOKIE: 0xFFFF on write
            # MODULETYPE: 0x21 procedural; 0x22 document, class or designer.
            # Its "size" field is Reserved (0) and no payload follows.
            out += _record(0x0021 if module.kind == "standard" else 0x0022)
            out += _record(0x002B)  # module Terminator (Reserved = 0)
        out += _record(0x0010)  # dir stream Terminator
        return bytes(out)

    def dir_stream(self) -> bytes:
        """The decompressed ``VBA/dir`` stream."""
        return self._information_records() + self._reference_records() + self._module_records()

    # -- PROJECT and PROJECTwm (2.3.1, 2.3.3) ----------------------------------

    def _seed(self, tag: str) -> int:
        # The spec wants a random seed; a hash keeps builds reproducible.
        return hashlib.sha256(f"{self.project_id}:{tag}".encode()).digest()[0]

    def project_stream(self) -> bytes:
        """The ``PROJECT`` stream: INI-like text in the project code page."""
        assert self.project_id is not None
        lines = [f'ID="{self.project_id}"']
        for module in self.modules:
            if module.kind == "document":
                # DocTlibVer &H00000000: the document's type library version.
                lines.append(f"Document={module.name}/&H00000000")
            elif module.kind == "class":
                lines.append(f"Class={module.name}")
            else:
                lines.append(f"Module={module.name}")
        lines += [
            f'Name="{self.name}"',
            'HelpContextID="0"',
            'VersionCompatible32="393222000"',
            # Unprotected project: protection state 0 (CMG), no password
            # (DPB = a single 0x00 byte), project visible (GC = 0xFF).
            f'CMG="{encrypt_data(_UNPROTECTED, self.project_id, self._seed("CMG"))}"',
            f'DPB="{encrypt_data(_NO_PASSWORD, self.project_id, self._seed("DPB"))}"',
            f'GC="{encrypt_data(_VISIBLE, self.project_id, self._seed("GC"))}"',
            "",
            "[Host Extender Info]",
            _HOST_EXTENDER,
            "",
            "[Workspace]",
        ]
        # Editor window positions; all zero and "C"losed.
        lines += [f"{m.name}=0, 0, 0, 0, C" for m in self.modules]
        return _mbcs("\r\n".join(lines) + "\r\n", "PROJECT stream")

    def project_wm_stream(self) -> bytes:
        """``PROJECTwm``: each module name as MBCS and UTF-16, NUL-terminated."""
        out = bytearray()
        for module in self.modules:
            out += _mbcs(module.name, "module name") + b"\x00"
            out += module.name.encode("utf-16-le") + b"\x00\x00"
        return bytes(out + b"\x00\x00")

    # -- everything --------------------------------------------------------------

    def streams(self) -> dict[str, bytes]:
        """All streams of vbaProject.bin, keyed by '/'-separated path."""
        streams = {
            "PROJECT": self.project_stream(),
            "PROJECTwm": self.project_wm_stream(),
            "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
            "VBA/dir": compress(self.dir_stream()),
        }
        for module in self.modules:
            source = _mbcs(module.stored_source(), f"source of module {module.name}")
            # No performance cache: the stream is just the compressed source.
            streams[f"VBA/{module.name}"] = compress(source)
        return streams

    def to_bytes(self) -> bytes:
        """The complete ``vbaProject.bin`` compound file."""
        from .cfb import write_compound_file

        return write_compound_file(self.streams())
