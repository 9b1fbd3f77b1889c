"""The catalogue's metadata and the definitions document kept beside the README."""
from pathlib import Path

import pytest

import cpxl
from cpxl.catalogue import CATALOGUE, KIND_OF_UNIT, POLARITIES, THEMES, get, markdown

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "indicators.md"


def test_every_indicator_has_its_metadata():
    cat = cpxl.catalogue()
    assert len(cat) == len(CATALOGUE) >= 60
    for ind in CATALOGUE.values():
        assert ind.unit in KIND_OF_UNIT and ind.polarity in POLARITIES and ind.theme in THEMES
        assert ind.title and len(ind.definition) > 30 and ind.tables


def test_docs_indicators_md_is_the_catalogue():
    doc = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"
    assert doc.read_text(encoding="utf-8") == markdown(), \
        "docs/indicators.md is stale: run 'cpxl list --markdown docs/indicators.md'"


def test_misspelt_id_suggests_the_right_one():
    with pytest.raises(KeyError, match="did you mean 'cla_count'"):
        get("cla_cont")


def spec_ids(text: str) -> set[str]:
    """Every indicator id in the spec's tables, with its shorthands expanded."""
    ids = set()
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| id ", "| table ", "| ---")):
            continue
        first = line.split("|")[1].strip()
        names = [n.strip() for n in first.split(",")]
        if not names or not names[0].replace("_", "").replace("{", "").replace("}", "").isalnum():
            continue
        stem = names[0].rsplit("_", 2)[0]           # cla_ethnicity_white_pct -> cla_ethnicity
        for n in names:
            n = f"{stem}{n}" if n.startswith("_") else n
            if "{ages}" in n:
                ids |= {n.replace("{ages}", g) for g in ("17_18", "19_21")}
            else:
                ids.add(n)
    return ids


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec is not beside the project")
def test_every_id_in_the_spec_is_in_the_catalogue():
    ids = spec_ids(SPEC.read_text(encoding="utf-8"))
    assert "cla_ethnicity_not_known_pct" in ids and "care_leavers_eet_pct_19_21" in ids
    assert sorted(ids - set(CATALOGUE)) == []
    assert sorted(set(CATALOGUE) - ids) == []


CONVENTION_TERMS = ["Period end", "The year to D", "episode is open on D", "looked after on D",
                    "period of care", "Placements", "looked after at any time in W", "open on D",
                    "Age", "Working days", "Within N months", "percentage", "rate per 10,000"]


def conventions(text: str) -> str:
    start = text.index("## Conventions")
    return text[start:text.index("\n## ", start + 1)]


def test_the_definitions_document_carries_the_conventions():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "indicators.md").read_text(encoding="utf-8")
    text = conventions(doc)
    for term in CONVENTION_TERMS:
        assert term in text, term
    assert "[data.md](data.md)" in text


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec is not beside the project")
def test_every_convention_of_the_spec_is_carried():
    import re
    spec_terms = re.findall(r"\*\*(.+?)\*\*", conventions(SPEC.read_text(encoding="utf-8")))
    text = conventions(markdown())
    assert spec_terms and all(t in text for t in spec_terms), \
        [t for t in spec_terms if t not in text]
