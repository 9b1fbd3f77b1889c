"""The README's picture is what the README's main job makes.

scripts/readme_picture.py runs the main job (the README's own commands), renders the authority's
workbook with LibreOffice and records the page count and the headline numbers beside the picture
(docs/img/authority_scorecard.json).  Here the same steps run again: when the scorecards or the
sample change, the record (and so the picture) is stale until the script is re-run.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from cpxl.scorecard import pdf

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "readme_picture.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("readme_picture", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_runs_the_main_job_on_the_bundled_county(script):
    jobs = script.main_job()
    assert jobs["indicators"][1] == jobs["scorecards"][1] == "samples/northshire"
    assert (ROOT / jobs["scorecards"][1] / "cpxl.toml").exists()
    record = json.loads(script.SIDECAR.read_text(encoding="utf-8"))
    assert record["command"] == "cpxl " + " ".join(jobs["scorecards"])
    assert script.readme_pages() == record["pages"], \
        "README.md's page count is not the picture's: run python scripts/readme_picture.py"
    assert script.PICTURE.stat().st_size > 50_000


@pytest.mark.skipif(pdf.find_soffice() is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) and poppler (pdfinfo) are needed")
def test_the_picture_record_is_what_the_main_job_makes(script, tmp_path):
    made, _ = script.make(tmp_path)
    record = json.loads(script.SIDECAR.read_text(encoding="utf-8"))
    assert made == record, "the README picture is stale: run python scripts/readme_picture.py"
    assert made["headline"]["cla_count"] == 500          # the README's "500-child county"
