"""What an installed cpxl needs is in the wheel, and what the tests need is in the test extra.

Static checks against pyproject.toml (cheap, every run); .ci/run also builds the wheel, installs
it into a fresh environment outside the checkout and runs the commands from there.
"""
from __future__ import annotations

import ast
import fnmatch
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def package_dir(package: str) -> Path:
    mapped = PYPROJECT["tool"]["setuptools"].get("package-dir", {})
    return ROOT / mapped[package] if package in mapped else ROOT / package.replace(".", "/")


def shipped(package: str, relative: str) -> bool:
    return any(fnmatch.fnmatch(relative, glob) for glob in SETUPTOOLS["package-data"].get(package, []))


def test_every_package_under_cpxl_is_listed():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "cpxl").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    assert set(SETUPTOOLS["packages"]) == found | {"cpxl.docs"}, \
        "add the new package to [tool.setuptools] packages in pyproject.toml"


def test_every_data_file_of_the_package_and_every_document_is_in_the_wheel():
    for package in SETUPTOOLS["packages"]:
        folder = package_dir(package)
        subpackages = {package_dir(p) for p in SETUPTOOLS["packages"] if p != package}
        for path in folder.rglob("*"):
            if (path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts
                    or path.name == ".gitattributes"
                    or any(s in path.parents for s in subpackages if s != folder)):
                continue
            rel = path.relative_to(folder).as_posix()
            assert shipped(package, rel), f"{path.relative_to(ROOT)} is not in the wheel"
    for needed in ("cpxl/macros/ribbon.xml", "cpxl/macros/CpxlRibbon.bas",
                   "cpxl/templates/cpxl_template.xlsx", "cpxl/data/comparators.csv"):
        assert (ROOT / needed).exists() and shipped("cpxl", needed.split("/", 1)[1]), needed


def test_the_documents_the_code_points_to_exist_and_ship():
    cited = set()
    for path in (ROOT / "cpxl").rglob("*.py"):
        cited |= set(re.findall(r"docs/([a-z_]+\.md)", path.read_text(encoding="utf-8")))
    assert "excel.md" in cited                       # the ribbon's Help
    for name in cited:
        assert (ROOT / "docs" / name).exists(), name
        assert shipped("cpxl.docs", name), name


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_every_module_the_tests_import_is_a_declared_dependency():
    project = PYPROJECT["project"]
    declared = requirement_names(project["dependencies"] + project["optional-dependencies"]["test"])
    local = ({p.stem for p in (ROOT / "tests").rglob("*.py")} | {"cpxl"}
             | {p.name for p in (ROOT / "tests").rglob("*") if p.is_dir()})   # tests/reference/
    distributions = metadata.packages_distributions()
    missing = {}
    for path in sorted((ROOT / "tests").glob("*.py")) + [ROOT / "scripts" / "readme_picture.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in local:
                    continue
                dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                if not dists & declared:
                    missing.setdefault(top, path.name)
    assert missing == {}, "add these to the test extra in pyproject.toml: " + str(missing)


def test_the_test_extra_has_the_linter_and_pyarrow_is_a_runtime_dependency():
    assert "ruff" in requirement_names(PYPROJECT["project"]["optional-dependencies"]["test"])
    assert {"pyarrow", "defusedxml"} <= requirement_names(PYPROJECT["project"]["dependencies"])
    assert PYPROJECT["tool"]["ruff"]["lint"]["select"]
