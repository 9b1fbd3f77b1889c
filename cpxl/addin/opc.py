"""Open Packaging Conventions plumbing: content types, relationships, zip.

An .xlam is an OPC package: a zip of parts, a ``[Content_Types].xml``
saying what each part is, and ``_rels/*.rels`` files linking parts to each
other. This module knows nothing about spreadsheets.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

__all__ = ["Package", "XML_DECLARATION"]

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Fixed zip member timestamp (the earliest zip can store) so that the same
# input always gives the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass
class _Relationship:
    rid: str
    type: str
    target: str


@dataclass
class Package:
    """Collects parts, their content types and relationships, then writes a zip."""

    parts: dict[str, bytes] = field(default_factory=dict)
    defaults: dict[str, str] = field(
        default_factory=lambda: {
            "rels": "application/vnd.openxmlformats-package.relationships+xml",
            "xml": "application/xml",
        }
    )
    overrides: dict[str, str] = field(default_factory=dict)
    rels: dict[str, list[_Relationship]] = field(default_factory=dict)

    def add_part(self, name: str, data: bytes | str, content_type: str | None = None) -> None:
        """Add a part; ``content_type`` None means the extension default applies."""
        name = name.lstrip("/")
        if name in self.parts:
            raise ValueError(f"duplicate part {name}")
        self.parts[name] = data.encode("utf-8") if isinstance(data, str) else data
        if content_type is not None:
            self.overrides["/" + name] = content_type

    def relate(self, source: str, rel_type: str, target: str) -> str:
        """Add a relationship from ``source`` ("" for the package) to ``target``.

        Both are part names from the package root; the stored target is made
        relative to the source's folder, as OPC requires. Returns the rId.
        """
        source = source.lstrip("/")
        rels = self.rels.setdefault(source, [])
        rid = f"rId{len(rels) + 1}"
        base = posixpath.dirname(source)
        rels.append(_Relationship(rid, rel_type, posixpath.relpath(target.lstrip("/"), base or ".")))
        return rid

    @staticmethod
    def _rels_name(source: str) -> str:
        folder, name = posixpath.split(source)
        return posixpath.join(folder, "_rels", f"{name}.rels")

    def _content_types_xml(self) -> str:
        items = [
            f"<Default Extension={quoteattr(ext)} ContentType={quoteattr(ct)}/>"
            for ext, ct in self.defaults.items()
        ]
        items += [
            f"<Override PartName={quoteattr(part)} ContentType={quoteattr(ct)}/>"
            for part, ct in self.overrides.items()
        ]
        return f'{XML_DECLARATION}<Types xmlns="{_CT_NS}">{"".join(items)}</Types>'

    def _rels_xml(self, rels: list[_Relationship]) -> str:
        items = "".join(
            f"<Relationship Id={quoteattr(r.rid)} Type={quoteattr(r.type)} Target={quoteattr(r.target)}/>"
            for r in rels
        )
        return f'{XML_DECLARATION}<Relationships xmlns="{_REL_NS}">{items}</Relationships>'

    def write(self, path: Path) -> None:
        """Write the package; ``[Content_Types].xml`` first, as Office does."""
        members: list[tuple[str, bytes]] = [("[Content_Types].xml", self._content_types_xml().encode())]
        members += [(self._rels_name(src), self._rels_xml(r).encode()) for src, r in self.rels.items()]
        members += list(self.parts.items())
        for name, _ in members:
            ext = name.rsplit(".", 1)[-1]
            if name != "[Content_Types].xml" and "/" + name not in self.overrides and ext not in self.defaults:
                raise ValueError(f"part {name} has no content type")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
