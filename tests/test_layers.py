"""The layers, read from the source: the core (everything but the adapters) never imports an
adapter; the adapters never import the command line; no module imports another's private name.
The adapters are cpxl/scorecard, cpxl/xl, cpxl/addin and cpxl/cli.py (with cpxl/__main__.py,
which only runs it)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cpxl"
ADAPTERS = ("cpxl.scorecard", "cpxl.xl", "cpxl.addin", "cpxl.cli", "cpxl.__main__")


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_adapter(name: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in ADAPTERS)


def imports(path: Path):
    """(importing module, imported module, imported name or None) of every cpxl import."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "cpxl" or target.startswith("cpxl."):
                for alias in node.names:
                    yield me, target, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "cpxl" or alias.name.startswith("cpxl."):
                    yield me, alias.name, None


def all_imports():
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in imports(path)]


def test_the_scan_sees_the_imports():
    found = all_imports()
    assert ("cpxl.engine", "cpxl.catalogue", "CATALOGUE") in found
    assert ("cpxl.xl.ribbon", "cpxl.scorecard.batch", "run_scorecards") in found
    assert len(found) > 200


def test_no_private_name_is_imported_across_modules():
    bad = [f"{me}: from {target} import {name}" for me, target, name in all_imports()
           if name and name.startswith("_") and not name.startswith("__")]
    assert bad == []


def test_the_core_never_imports_an_adapter():
    bad = [f"{me} imports {target}.{name}" for me, target, name in all_imports()
           if not _is_adapter(me)
           and (_is_adapter(target) or (name and _is_adapter(f"{target}.{name}")))]
    assert bad == []


def test_the_adapters_never_import_the_command_line():
    bad = [f"{me} imports {target}.{name}" for me, target, name in all_imports()
           if _is_adapter(me) and me not in ("cpxl.cli", "cpxl.__main__")
           and (target == "cpxl.cli" or f"{target}.{name}" == "cpxl.cli")]
    assert bad == []


def test_the_validator_is_below_the_geography_and_the_indicators():
    """Validation reads the contract (tables, codes), not the geography; no indicator reads the
    validator."""
    found = all_imports()
    assert not [i for i in found if i[0] == "cpxl.validation" and i[1] == "cpxl.geography"]
    assert not [i for i in found if i[0].startswith("cpxl.indicators") and i[1] == "cpxl.validation"]


def test_no_test_machinery_ships():
    """unittest.mock and the pywin32 test stand-ins live under tests/, not in the wheel."""
    shipped = [p for p in PACKAGE.rglob("*.py")
               if "unittest" in p.read_text(encoding="utf-8") or p.name == "winharness.py"]
    assert shipped == []
