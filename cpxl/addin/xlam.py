"""Assemble ``cpxl.xlam``: workbook parts, settings sheet, VBA project, ribbon.

Package layout written (all parts are generated here from text)::

    [Content_Types].xml       workbook part typed as a macro-enabled *add-in*
    _rels/.rels               -> xl/workbook.xml, docProps/*, customUI/customUI14.xml
    docProps/core.xml         title/description: what Excel's Add-ins dialog shows
    docProps/app.xml
    customUI/customUI14.xml   macros/ribbon.xml
    xl/workbook.xml           one sheet, codeName="ThisWorkbook"
    xl/_rels/workbook.xml.rels -> sheet, styles, sharedStrings, vbaProject.bin
    xl/worksheets/sheet1.xml  the cpxl.conf settings sheet, codeName="Sheet1"
    xl/sharedStrings.xml, xl/styles.xml
    xl/vbaProject.bin         VBA project (vba.py + cfb.py)

The ``codeName`` attributes are what tie the workbook and the sheet to their
document modules ``ThisWorkbook`` and ``Sheet1`` in the VBA project; Excel
matches them by name when it loads the project.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from . import ribbon as ribbon_checks
from .opc import XML_DECLARATION, Package
from .sources import (
    PROJECT_NAME,
    read_macro,
    xlwings_dictionary_source,
    xlwings_module_source,
)
from .interpreter import AddinBuildError, check_interpreter, embedded_xlwings_version
from .udfgen import (
    DEFAULT_UDF_MODULE,
    UDF_MODULE_NAME,
    udf_registrations,
    udf_wrappers,
    workbook_module,
)
from .vba import WORKBOOK_BASE, WORKSHEET_BASE, VbaModule, VbaProject

__all__ = [
    "ADDIN_CPXL_KEY",
    "ADDIN_XLWINGS_KEY",
    "build_addin",
    "default_modules",
    "default_settings",
    "CONFIG_SHEET",
    "WORKBOOK_CODENAME",
    "SHEET_CODENAME",
]

CONFIG_SHEET = f"{PROJECT_NAME}.conf"
WORKBOOK_CODENAME = "ThisWorkbook"
SHEET_CODENAME = "Sheet1"

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CT_ADDIN_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"

REL_OFFICE_DOCUMENT = f"{_OFFICE_REL}/officeDocument"
REL_WORKSHEET = f"{_OFFICE_REL}/worksheet"
REL_STYLES = f"{_OFFICE_REL}/styles"
REL_SHARED_STRINGS = f"{_OFFICE_REL}/sharedStrings"
REL_APP = f"{_OFFICE_REL}/extended-properties"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
# customUI14.xml (Office 2010 schema) is found through this relationship
# type; the 2006 type would point at an Office 2007 customUI.xml instead.
REL_RIBBON_2010 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"

ADDIN_TITLE = "Corporate Parenting (cpxl)"
ADDIN_DESCRIPTION = (
    "Corporate Parenting performance indicators: load and validate children's social care "
    "data, insert scorecards and build district scorecards. Runs Python through xlwings."
)


#: Keys on the add-in's sheet recording what it was built with (read back by CPXL_STATUS and
#: the ribbon's About; xlwings never asks for them).
ADDIN_CPXL_KEY = "ADDIN_CPXL_VERSION"
ADDIN_XLWINGS_KEY = "ADDIN_XLWINGS_VERSION"


def default_settings(
    udf_module: str = DEFAULT_UDF_MODULE,
    interpreter: str | os.PathLike | None = None,
    xlwings_version: str | None = None,
) -> list[tuple[str, str]]:
    """Rows of the ``cpxl.conf`` sheet: (key, value), no header row, no blank values.

    xlwings reads the sheet from A1 down to the first empty cell in column A,
    upper-cases the keys, and takes a key from the *first* place that has it -
    the workbook's sheet, this sheet, ``cpxl.conf`` beside the workbook,
    ``%USERPROFILE%\\.cpxl\\cpxl.conf`` - even when its value there is blank.  A blank
    ``INTERPRETER_WIN`` here would therefore hide the user's file, so only keys
    with a value are written:

    * ``UDF Modules``: the Python module of the worksheet functions;
    * ``INTERPRETER_WIN``: the ``pythonw.exe`` the add-in was built for (when given);
    * ``ADDIN_CPXL_VERSION``/``ADDIN_XLWINGS_VERSION``: what it was built with.
    """
    from .. import __version__

    rows = [("UDF Modules", udf_module)]
    if interpreter is not None:
        rows.append(("INTERPRETER_WIN", str(interpreter)))
    rows.append((ADDIN_CPXL_KEY, __version__))
    if xlwings_version:
        rows.append((ADDIN_XLWINGS_KEY, xlwings_version))
    return rows


def default_modules(udf_module: str | Sequence[str] = DEFAULT_UDF_MODULE) -> dict[str, str]:
    """The modules of the add-in's VBA project, by module name.

    * ``ThisWorkbook``: ``Workbook_Open`` registering the function-wizard help
      (category, description, argument descriptions) with ``MacroOptions``,
      generated from the same metadata as the wrappers (``udfgen.py``);
    * ``xlwings``: xlwings' custom add-in runtime (RunPython, UDF calls),
      from ``xlwings/xlwings_custom_addin.bas`` of the installed package,
      with PROJECT_NAME set to "cpxl" (see ``sources.py``);
    * ``Dictionary``: ``xlwings/addin/Dictionary.cls``, which that module
      uses on macOS;
    * ``CpxlRibbon``: the ribbon dispatcher, ``macros/CpxlRibbon.bas``;
    * ``xlwings_udfs``: wrappers for the ``@xw.func`` functions of
      ``udf_module``, generated by xlwings' own generator.
    """
    return {
        WORKBOOK_CODENAME: workbook_module(udf_registrations(udf_module)),
        "xlwings": xlwings_module_source(),
        "Dictionary": xlwings_dictionary_source(),
        "CpxlRibbon": read_macro("CpxlRibbon.bas"),
        UDF_MODULE_NAME: udf_wrappers(udf_module),
    }


# ---------------------------------------------------------------------------
# Workbook parts
# ---------------------------------------------------------------------------


def _workbook_xml(code_name_guid: str) -> str:
    # fileVersion/@codeName is the GUID Excel writes for workbooks carrying
    # a VBA project; workbookPr/@codeName binds the ThisWorkbook module.
    return (
        f'{XML_DECLARATION}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_R_NS}">'
        f'<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27328" '
        f'codeName="{code_name_guid}"/>'
        f'<workbookPr codeName="{WORKBOOK_CODENAME}"/>'
        '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="16384" windowHeight="8192"/>'
        "</bookViews>"
        f'<sheets><sheet name={quoteattr(CONFIG_SHEET)} sheetId="1" r:id="rId1"/></sheets>'
        '<calcPr calcId="191029"/>'
        "</workbook>"
    )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_xml(rows: list[list[str]], strings: dict[str, int]) -> str:
    """The settings sheet: strings only, as shared strings in text format."""
    row_xml = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            if value == "":
                continue  # a blank value is an empty cell, as xlwings expects
            index = strings.setdefault(value, len(strings))
            cells.append(f'<c r="{_column_letter(c)}{r}" s="1" t="s"><v>{index}</v></c>')
        row_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    last_col = _column_letter(max((len(r) for r in rows), default=1) - 1)
    return (
        f'{XML_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_R_NS}">'
        f'<sheetPr codeName="{SHEET_CODENAME}"/>'
        f'<dimension ref="A1:{last_col}{max(len(rows), 1)}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        # Both columns are text-formatted so that paths and module names
        # typed in by an administrator are never turned into numbers/dates.
        '<cols><col min="1" max="1" width="22" style="1" customWidth="1"/>'
        '<col min="2" max="2" width="50" style="1" customWidth="1"/></cols>'
        f'<sheetData>{"".join(row_xml)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )


def _shared_strings_xml(strings: dict[str, int]) -> str:
    items = "".join(
        f'<si><t xml:space="preserve">{escape(s)}</t></si>'
        for s, _ in sorted(strings.items(), key=lambda kv: kv[1])
    )
    n = len(strings)
    return f'{XML_DECLARATION}<sst xmlns="{_MAIN_NS}" count="{n}" uniqueCount="{n}">{items}</sst>'


# Minimal stylesheet: xf 0 is Normal, xf 1 is Normal with the "@" (text)
# number format. No theme part is written, so fonts are named explicitly.
_STYLES_XML = (
    f'{XML_DECLARATION}<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" '
    'defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)


def _core_xml(created: dt.datetime) -> str:
    stamp = created.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{XML_DECLARATION}"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(ADDIN_TITLE)}</dc:title>"
        f"<dc:description>{escape(ADDIN_DESCRIPTION)}</dc:description>"
        "<dc:creator>cpxl</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app_xml() -> str:
    return (
        f"{XML_DECLARATION}"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity>"
        "<ScaleCrop>false</ScaleCrop>"
        "<HeadingPairs><vt:vector size=\"2\" baseType=\"variant\">"
        "<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4></vt:variant>"
        "</vt:vector></HeadingPairs>"
        f'<TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>{escape(CONFIG_SHEET)}</vt:lpstr>'
        "</vt:vector></TitlesOfParts>"
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0300</AppVersion>"
        "</Properties>"
    )


def _build_time() -> dt.datetime:
    # SOURCE_DATE_EPOCH (reproducible-builds.org) pins the document dates.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


# ---------------------------------------------------------------------------
# The VBA project
# ---------------------------------------------------------------------------


def _project(modules: Mapping[str, str]) -> VbaProject:
    """Document modules first (as Excel orders them), then the given ones.

    ``ThisWorkbook`` and ``Sheet1`` always exist, because the workbook and
    sheet XML name them as code names; code for them may be passed in
    ``modules`` like any other module, and their header attributes are
    always the document-module ones.
    """
    given = dict(modules)
    vba_modules = []
    for name, base in ((WORKBOOK_CODENAME, WORKBOOK_BASE), (SHEET_CODENAME, WORKSHEET_BASE)):
        text = given.pop(name, "")
        code = VbaModule.from_source(text, name=name, kind="document").code if text else ""
        vba_modules.append(VbaModule.document(name, base, code))
    for name, text in given.items():
        vba_modules.append(VbaModule.from_source(text, name=name))
    return VbaProject(PROJECT_NAME, vba_modules)


def build_addin(
    out_path: str | os.PathLike = "cpxl.xlam",
    modules: Mapping[str, str] | None = None,
    ribbon_xml: str | None = None,
    *,
    udf_module: str | Sequence[str] = DEFAULT_UDF_MODULE,
    settings: Sequence[tuple[str, str]] | None = None,
    interpreter: str | os.PathLike | None = None,
    dll_search: Sequence[Path] | None = None,
) -> Path:
    """Build the cpxl Excel add-in and return its path.

    ``modules`` maps VBA module names to source text (.bas/.cls as exported
    by the VBA editor); None means :func:`default_modules` for
    ``udf_module``. ``ThisWorkbook`` and ``Sheet1`` are always present as
    document modules; pass them in ``modules`` to give them code.
    ``ribbon_xml`` defaults to ``macros/ribbon.xml``; ``settings`` to
    :func:`default_settings`. Raises ``RibbonError`` if a ribbon callback
    has no public Sub in the standard modules.

    ``interpreter`` (the ``pythonw.exe`` Excel should start) is written as
    ``INTERPRETER_WIN`` after checking that the xlwings DLLs the embedded
    xlwings module declares are where Excel looks for them
    (:func:`cpxl.addin.interpreter.check_interpreter`; ``dll_search`` are
    other folders to mention if they are elsewhere). Raises
    :class:`~cpxl.addin.interpreter.AddinBuildError` if not.
    """
    out = Path(out_path)
    if modules is None:
        modules = default_modules(udf_module)
    if ribbon_xml is None:
        ribbon_xml = read_macro("ribbon.xml")
    xlwings_text = modules.get("xlwings")
    xlwings_version = embedded_xlwings_version(xlwings_text) if xlwings_text else None
    if interpreter is not None:
        if xlwings_version is None:
            raise AddinBuildError("an interpreter was given but the add-in has no xlwings module")
        interpreter = check_interpreter(interpreter, xlwings_version, dll_search).setting
    if settings is None:
        settings = default_settings(udf_module if isinstance(udf_module, str) else ";".join(udf_module),
                                    interpreter, xlwings_version)

    if any(not key for key, _ in settings):
        # xlwings stops reading column A at the first blank cell.
        raise ValueError("every cpxl.conf setting needs a key; a blank key hides the rows below it")
    blank = [key for key, value in settings if not str(value).strip()]
    if blank:
        # xlwings takes a key from the add-in's sheet even when blank, before the user's file.
        raise ValueError(f"cpxl.conf settings without a value ({', '.join(blank)}) would hide the "
                         "same keys in the user's cpxl.conf file; leave them out")
    project = _project(modules)
    ribbon_checks.check_ribbon(
        ribbon_xml, [m.code for m in project.modules if m.kind == "standard"]
    )

    strings: dict[str, int] = {}
    sheet = _sheet_xml([list(row) for row in settings], strings)
    code_name_guid = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:cpxl:workbook")).upper() + "}"

    package = Package()
    package.defaults["bin"] = CT_VBA_PROJECT
    package.add_part("xl/workbook.xml", _workbook_xml(code_name_guid), CT_ADDIN_MAIN)
    package.add_part("xl/worksheets/sheet1.xml", sheet, CT_WORKSHEET)
    package.add_part("xl/styles.xml", _STYLES_XML, CT_STYLES)
    package.add_part("xl/sharedStrings.xml", _shared_strings_xml(strings), CT_SHARED_STRINGS)
    package.add_part("xl/vbaProject.bin", project.to_bytes())
    package.add_part("customUI/customUI14.xml", ribbon_xml)
    package.add_part("docProps/core.xml", _core_xml(_build_time()), CT_CORE)
    package.add_part("docProps/app.xml", _app_xml(), CT_APP)

    package.relate("", REL_OFFICE_DOCUMENT, "xl/workbook.xml")
    package.relate("", REL_CORE, "docProps/core.xml")
    package.relate("", REL_APP, "docProps/app.xml")
    package.relate("", REL_RIBBON_2010, "customUI/customUI14.xml")
    # rId1 must be the worksheet: workbook.xml refers to it by that id.
    package.relate("xl/workbook.xml", REL_WORKSHEET, "xl/worksheets/sheet1.xml")
    package.relate("xl/workbook.xml", REL_STYLES, "xl/styles.xml")
    package.relate("xl/workbook.xml", REL_SHARED_STRINGS, "xl/sharedStrings.xml")
    package.relate("xl/workbook.xml", REL_VBA_PROJECT, "xl/vbaProject.bin")

    out.parent.mkdir(parents=True, exist_ok=True)
    package.write(out)
    return out
