"""The DfE's XML form of the SSDA903 return (root ``EXPSSDA903``), read into the CSV tables.

Case systems export the return as one XML file: a ``CHILD`` element per child holding a
``HEADER`` (``CHILDID``, ``SEX``, ``DOB`` …, the UASC flag and ``DUC``, the care-leaver fields
``IN_TOUCH``/``ACTIV``/``ACCOM``, the adoption fields ``DATE_INT`` …, and the repeated groups
``AREVIEW``, ``AMISSING``, ``OC2``, ``PERMANENCE``, ``AD_PLACED``) and its ``EPISODE`` elements.
This module turns it into exactly the tables the CSV extracts give (the element names are the
CSV column names, but for ``CHILDID`` = CHILD and ``PL`` = PLACE), as raw text tables that go
through the same typing and validation as a CSV.

The parser is hardened (defusedxml): an entity declaration, an external entity or a file over
``MAX_XML_BYTES`` is refused with a message, never expanded or fetched.

Rows are numbered by the line their element starts on, so a problem report points at the line in
a text editor; a file written on one line (as the D2I validator's fake return) numbers each
element instead (1 = the first ``EPISODE`` of the file), and says so in the file label.
"""
from __future__ import annotations

import xml.sax
from pathlib import Path

import pandas as pd

from .errors import CpxlError, Problem
from .reading import RawTable
from .tables import TABLES, identify_table

ROOT = "EXPSSDA903"
MAX_XML_BYTES = 1 << 30      # 1 GB: far above a county's return (about 15 MB for 2,000 children)
RENAMED = {"CHILDID": "CHILD", "PL": "PLACE"}
# The repeated groups and the table each becomes.  A group of another name is recognised by its
# fields (as a CSV by its header row): e.g. social worker episodes by SW_ID and SW_DECOM.
GROUPS = {"EPISODE": "episodes", "AREVIEW": "reviews", "AMISSING": "missing", "OC2": "oc2",
          "PERMANENCE": "previous_permanence", "AD_PLACED": "placed_for_adoption"}
# Tables held as single fields of the child (one row per child at most).
FLAT = {"uasc": ("DUC",), "oc3": ("IN_TOUCH", "ACTIV", "ACCOM"),
        "ad1": ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")}
HEADER_FIELDS = ("SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
UASC_YES = {"1", "Y", "YES", "TRUE"}


class _NotA903(Exception):
    def __init__(self, root: str):
        self.root = root


def _local(name: str) -> str:
    """The element name without a namespace prefix, upper-cased (``ns:Episode`` is EPISODE)."""
    return name.rsplit(":", 1)[-1].strip().upper()


class _Handler(xml.sax.ContentHandler):
    """Builds one list of (line, fields) rows per table, child by child."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file
        self.rows: dict[str, list[tuple[int, dict]]] = {}
        self.elements: dict[str, str] = {}          # table -> the element its rows come from
        self.ignored: dict[str, int] = {}           # group element -> line of the first one
        self.stack: list[str] = []
        self.locator = None
        self.text: list[str] = []
        self.child: dict | None = None
        self.group: tuple[str, int, dict] | None = None
        self.leaf_depth = -1

    def setDocumentLocator(self, locator):
        self.locator = locator

    def line(self) -> int:
        return self.locator.getLineNumber() if self.locator else 0

    def startElement(self, name, attrs):
        tag = _local(name)
        depth = len(self.stack)
        self.stack.append(tag)
        self.text = []
        if depth == 0:
            if tag != ROOT:
                raise _NotA903(name)
        elif depth == 1:
            if tag == "CHILD":
                self.child = {"line": self.line(), "fields": {}, "groups": [], "has_header": False}
        elif self.child is not None:
            parent = self.stack[-2]
            if tag == "HEADER" and parent == "CHILD":
                self.child["has_header"] = True
            elif parent in ("CHILD", "HEADER") and self.group is None:
                self.group = (tag, self.line(), {})   # a group, or a single field (decided at its end)
                self.group_depth = depth

    def characters(self, content):
        self.text.append(content)

    def endElement(self, name):
        tag = self.stack.pop()
        depth = len(self.stack)
        value = "".join(self.text).strip()
        self.text = []
        if self.child is None:
            return
        if depth == 1 and tag == "CHILD":
            self._finish_child()
            self.child = None
            return
        if self.group is None:
            return
        gtag, gline, gfields = self.group
        if depth == self.group_depth:
            # The element that opened at group level ends: a field of the child if it held no
            # elements, else a group (a row of its table).
            if gfields:
                self.child["groups"].append((gtag, gline, gfields))
            else:
                self.child["fields"][RENAMED.get(gtag, gtag)] = value
            self.group = None
        elif depth == self.group_depth + 1:
            gfields[RENAMED.get(tag, tag)] = value

    def _add(self, table: str, element: str, line: int, fields: dict) -> None:
        self.rows.setdefault(table, []).append((line, fields))
        self.elements.setdefault(table, element)

    def _finish_child(self) -> None:
        c = self.child
        fields = c["fields"]
        if "CHILD" not in fields:
            raise CpxlError(f"{self.file}, line {c['line']}: a CHILD element has no CHILDID "
                            "(the child's identifier); every CHILD needs one")
        cid = fields["CHILD"]
        common = {"CHILD": cid, "SEX": fields.get("SEX", ""), "DOB": fields.get("DOB", "")}
        if any(f in fields for f in HEADER_FIELDS):
            self._add("header", "HEADER", c["line"],
                      {k: fields.get(k, "") for k in TABLES["header"].columns})
        uasc = fields.get("UASC", "").upper() in UASC_YES
        for table, own in FLAT.items():
            if any(fields.get(f, "") for f in own) or (table == "uasc" and uasc):
                self._add(table, "HEADER", c["line"],
                          {**self._common(table, common), **{f: fields.get(f, "") for f in own}})
        for gtag, gline, gfields in c["groups"]:
            table = GROUPS.get(gtag)
            if table is None:
                table, _ = identify_table(["CHILD", "DOB"] + list(gfields))
                if table is None or TABLES[table].source != "SSDA903" or table in FLAT \
                        or table == "header":
                    self.ignored.setdefault(gtag, gline)
                    continue
            self._add(table, gtag, gline, {**self._common(table, common), **gfields})

    @staticmethod
    def _common(table: str, common: dict) -> dict:
        """The child's fields (CHILD, SEX, DOB) that the table's CSV form carries too."""
        return {k: v for k, v in common.items() if k in TABLES[table].columns}


def read_xml_file(path: Path, alone: bool = True) -> list[RawTable] | None:
    """The tables of one EXPSSDA903 file.  An XML file with another root is refused when it is
    the whole DATA argument (``alone``) and passed over (None) in a folder."""
    path = Path(path)
    file = path.name
    try:
        size = path.stat().st_size
    except OSError as e:
        raise CpxlError(f"{file}: cannot be read ({e.strerror or type(e).__name__})") from None
    if size > MAX_XML_BYTES:
        raise CpxlError(f"{file}: the XML file is {size / 2**20:,.0f} MB, over cpxl's limit of "
                        f"{MAX_XML_BYTES / 2**20:,.0f} MB for one 903 return; is it the right file?")
    if size == 0:
        raise CpxlError(f"{file}: the file is empty")
    import defusedxml.sax
    from defusedxml import DefusedXmlException, DTDForbidden

    handler = _Handler(file)
    try:
        with open(path, "rb") as fh:
            defusedxml.sax.parse(fh, handler, forbid_dtd=False, forbid_entities=True,
                                 forbid_external=True)
    except _NotA903 as e:
        if not alone:
            return None
        raise CpxlError(f"{file}, line {handler.line()}: the XML's root element is <{e.root}>, "
                        f"not <{ROOT}>: this is not an SSDA903 return in the DfE's XML form") from None
    except xml.sax.SAXParseException as e:
        raise CpxlError(f"{file}, line {e.getLineNumber()}, column {e.getColumnNumber() + 1}: "
                        f"the XML is not well-formed ({e.getMessage()}); the file may be cut "
                        "short or damaged; export it again") from None
    except DTDForbidden:
        raise CpxlError(f"{file}, line {handler.line()}: the XML has a document type "
                        "declaration, which cpxl does not read") from None
    except DefusedXmlException as e:
        raise CpxlError(f"{file}, line {handler.line()}: the XML declares or refers to an "
                        f"entity ({type(e).__name__}: {e}); cpxl never expands entities or "
                        "fetches external ones, so it refuses the file; a 903 export has none")\
            from None
    except OSError as e:
        raise CpxlError(f"{file}: cannot be read ({e.strerror or type(e).__name__})") from None
    except (UnicodeError, ValueError) as e:   # e.g. an encoding the declaration names but Python lacks
        raise CpxlError(f"{file}: could not be read as XML ({e})") from None
    if handler.stack:
        raise CpxlError(f"{file}: the XML ends before <{handler.stack[0]}> is closed")
    if "header" not in handler.rows and "episodes" not in handler.rows:
        raise CpxlError(f"{file}: the {ROOT} return has no CHILD elements")
    tables = []
    for name, rows in handler.rows.items():
        tables.append(_raw_table(name, handler.elements[name], file, rows))
    if handler.ignored and tables:
        for gtag, line in handler.ignored.items():
            tables[0].problems.append(Problem(
                "warning", "", file, line, "",
                f"<{gtag}> elements (the first on line {line}) are not a table cpxl knows; "
                "passed over", "no", rule="xml_element_not_recognised"))
    return tables


def _raw_table(name: str, element: str, file: str, rows: list[tuple[int, dict]]) -> RawTable:
    table = TABLES[name]
    columns = list(table.columns)
    for _, fields in rows:
        for k in fields:
            if k not in columns:
                columns.append(k)
    lines = [line for line, _ in rows]
    by_line = len(set(lines)) == len(lines)
    data = {c: [fields.get(c, "") for _, fields in rows] for c in columns}
    frame = pd.DataFrame(data, columns=columns, dtype=object)
    frame["_row"] = lines if by_line else range(1, len(rows) + 1)
    label = f"{file} <{element}>" if by_line else f"{file} <{element}> (row = the element's number)"
    return RawTable(name, label, frame, 0)


# ----------------------------------------------------------------------------------------------
# writing (the synthetic sample in the XML form)
# ----------------------------------------------------------------------------------------------
def _el(tag: str, value) -> str:
    from xml.sax.saxutils import escape
    value = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return f"<{tag}>{escape(value)}</{tag}>" if value else f"<{tag} />"


def write_xml(tables: dict[str, pd.DataFrame], path) -> Path:
    """Write the SSDA903 tables (DataFrames of text, as the CSVs hold them) as one EXPSSDA903
    file, one element per line.  Tables the XML form does not hold (the local ones) are left to
    the caller.  A child with two rows in uasc, oc3 or ad1 cannot be written (the XML holds one)."""
    path = Path(path)
    by_child: dict[str, dict[str, list]] = {}
    order: list[str] = []

    def rows(name):
        t = tables.get(name)
        if t is None:
            return []
        return t.fillna("").astype(str).to_dict("records")

    for name in ["header", "uasc", "oc3", "ad1", "reviews", "missing", "placed_for_adoption",
                 "previous_permanence", "oc2", "sw_episodes", "episodes"]:
        for r in rows(name):
            cid = r["CHILD"]
            if cid not in by_child:
                by_child[cid] = {}
                order.append(cid)
            by_child[cid].setdefault(name, []).append(r)
    group_tag = {v: k for k, v in GROUPS.items()}
    group_tag["sw_episodes"] = "SW_EPISODE"
    out = ["<?xml version='1.0' encoding='utf-8'?>", f"<{ROOT}>"]
    for cid in order:
        c = by_child[cid]
        for name in FLAT:
            if len(c.get(name, [])) > 1:
                raise ValueError(f"child {cid} has {len(c[name])} {name} rows; the XML holds one")
        if len(c.get("header", [])) > 1:
            raise ValueError(f"child {cid} has {len(c['header'])} header rows")
        out.append("<CHILD>")
        out.append("<HEADER>")
        out.append(_el("CHILDID", cid))
        for h in c.get("header", []):
            out += [_el(k, h.get(k, "")) for k in HEADER_FIELDS]
        if "uasc" in c:
            out += [_el("UASC", "1"), _el("DUC", c["uasc"][0]["DUC"])]
        for name in ("oc3", "ad1"):
            for r in c.get(name, []):
                out += [_el(k, r.get(k, "")) for k in FLAT[name]]
        for name in ("reviews", "missing", "placed_for_adoption", "previous_permanence", "oc2",
                     "sw_episodes"):
            own = [k for k in TABLES[name].all_columns if k not in ("CHILD", "DOB", "SEX")]
            for r in c.get(name, []):
                tag = group_tag[name]
                out.append(f"<{tag}>" + "".join(_el(k, r[k]) for k in own if k in r) + f"</{tag}>")
        out.append("</HEADER>")
        for r in c.get("episodes", []):
            out.append("<EPISODE>" + "".join(_el("PL" if k == "PLACE" else k, r[k])
                                             for k in TABLES["episodes"].columns
                                             if k in r and k != "CHILD")
                       + "</EPISODE>")
        out.append("</CHILD>")
    out.append(f"</{ROOT}>")
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8", newline="\n")
    tmp.replace(path)
    return path


def derive_xml_sample(source, out, children: int = 40) -> Path:
    """A small XML copy of a CSV data folder (the bundled sample): the first ``children``
    children of its header table, their SSDA903 rows as one EXPSSDA903 file and their local rows
    as CSVs; tables not about children (areas, population, workers …) whole.  Returns ``out``."""
    import csv

    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    texts = {}
    for f in sorted(source.glob("*.csv")):
        texts[f.stem] = pd.read_csv(f, dtype=str, keep_default_na=False)
    keep = set(texts["header"]["CHILD"].iloc[:children])
    texts = {n: (t[t["CHILD"].isin(keep)] if "CHILD" in t.columns else t) for n, t in texts.items()}
    write_xml({n: t for n, t in texts.items() if TABLES[n].source == "SSDA903"}, out / "ssda903.xml")
    for n, t in texts.items():
        if TABLES[n].source != "SSDA903":
            with open(out / f"{n}.csv", "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(list(t.columns))
                w.writerows(t.itertuples(index=False))
    for extra in source.glob("*.toml"):
        (out / extra.name).write_bytes(extra.read_bytes())
    return out
