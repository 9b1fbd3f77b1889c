"""docs/data.md, the data contract users read, says what the code does.

Every table and column the readers know (cpxl/tables.py) is in the document with the same "must
have" columns, and nothing else is; the output columns are the engine's, in order; the
configuration example loads into the values it describes.
"""
from __future__ import annotations

import re
from pathlib import Path

from cpxl.config import load_config
from cpxl.engine import OUTPUT_COLUMNS
from cpxl.tables import TABLES

DOC = Path(__file__).resolve().parents[1] / "docs" / "data.md"


def section(text: str, number: int) -> str:
    m = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, f"docs/data.md has no section {number}"
    return m.group(0)


def rows(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header row starts with ``header``."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith(header):
            inside = True
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and line.startswith("|"):
            out.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif inside:
            inside = False
    return out


def names(cell: str) -> list[str]:
    return [c.strip() for c in cell.split(",")]


def documented_tables() -> dict[str, tuple[list[str], list[str], str]]:
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for number, source in ((1, "SSDA903"), (2, "local")):
        for table, columns, must, what in rows(section(text, number), "| table | columns | must have"):
            assert table not in found, f"{table} is documented twice"
            found[table] = (names(columns), names(must), source)
            assert what, f"docs/data.md: say what the {table} table is"
    return found


def test_every_table_and_column_the_readers_know_is_documented_and_nothing_else():
    doc = documented_tables()
    assert sorted(doc) == sorted(TABLES)
    for name, table in TABLES.items():
        columns, must, source = doc[name]
        assert columns == list(table.all_columns), name
        assert must == list(table.required), name
        assert source == table.source, f"{name} is in the wrong section of docs/data.md"


def test_the_output_columns_are_the_engines():
    text = section(DOC.read_text(encoding="utf-8"), 5)
    assert [r[0] for r in rows(text, "| column | meaning")] == OUTPUT_COLUMNS


def test_the_configuration_example_loads(tmp_path):
    text = section(DOC.read_text(encoding="utf-8"), 3)
    example = re.search(r"```toml\n(.*?)```", text, flags=re.S).group(1)
    path = tmp_path / "cpxl.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path)
    assert config.authority_name == "Northshire" and config.la_code == 888
    assert config.areas == {"North": ["Hollowmere", "Cragsby"]}
    assert config.visit_interval_days == 42
    assert config.thresholds == {"visits_in_time_pct": {"green": 90, "amber": 80}}


def test_the_documents_send_no_one_outside_the_repository():
    """The product carries its own contract: no document points at the developers' ../shared."""
    root = DOC.parents[1]
    docs = [root / "README.md", *sorted((root / "docs").rglob("*.md")),
            *sorted((root / "cpxl").rglob("*.md")), *sorted((root / "cpxl").rglob("*.py"))]
    for path in docs:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/spec" not in text, path
        assert not re.search(r"(?<!docs/)\bspec/(data|indicators)\.md", text), path
