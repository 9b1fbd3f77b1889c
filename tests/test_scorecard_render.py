"""The scorecards rendered by LibreOffice headless to PDF and PNG: pages come out.

Skipped, with the reason, when LibreOffice (soffice) or poppler (pdftoppm) is not installed.  Each
conversion uses a private LibreOffice profile (-env:UserInstallation=file:///tmp/lo_<uuid>) and a
time limit.  (The README's picture is remade by scripts/readme_picture.py; see
tests/test_readme_picture.py.)
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cpxl.cli import main
from cpxl.scorecard import pdf

from test_scorecard_county import PERIOD_END, write_county

REPO = Path(__file__).resolve().parents[1]

needs_lo = pytest.mark.skipif(pdf.find_soffice() is None,
                              reason="LibreOffice (soffice) is not installed")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None,
                                   reason="poppler (pdftoppm, pdfinfo) is not installed")


def pages(pdf_path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, timeout=60)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


@needs_lo
@needs_poppler
def test_pdf_flag_renders_every_book_with_pages(tmp_path):
    data = write_county(tmp_path / "data", children=150)
    out = tmp_path / "out"
    assert main(["scorecards", str(data), "--period-end", PERIOD_END, "--out", str(out), "--pdf",
                 "--jobs", "2", "--districts", "Testshire,North,Aldermoor,Eastwick/Holme"]) == 0
    books = sorted(out.glob("*.xlsx"))
    pdfs = sorted(out.glob("*.pdf"))
    assert [p.stem for p in pdfs] == [b.stem for b in books] and len(pdfs) == 4
    assert not [p for p in out.iterdir() if p.name.startswith(".")]      # no temporary left
    authority = out / "2025-12_Scorecard_0_Testshire.pdf"
    # Scorecard (2 pages), Highlights, Trend (charts, table), Overview, Thresholds, Definitions,
    # Data quality
    assert pages(authority) >= 8
    assert pages(out / "2025-12_Scorecard_Aldermoor.pdf") >= 7
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(authority), "-"],
                          capture_output=True, text=True, timeout=60).stdout
    for words in ("Testshire: Corporate Parenting scorecard", "OFFICIAL-SENSITIVE", "RAG",
                  "England", "Dec", "not rated"):
        assert words in text
    png = pdf.render_png(authority, tmp_path / "first.png")
    assert png.stat().st_size > 20_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_lo
@needs_poppler
def test_private_profile_and_time_limit(tmp_path, monkeypatch):
    seen = {}
    real = subprocess.run

    def spy(cmd, *a, **k):
        if "--convert-to" in cmd:
            seen["cmd"], seen["timeout"] = cmd, k.get("timeout")
        return real(cmd, *a, **k)
    monkeypatch.setattr(pdf.subprocess, "run", spy)
    data = write_county(tmp_path / "data", children=40)
    assert main(["scorecards", str(data), "--period-end", PERIOD_END, "--out", str(tmp_path / "o"),
                 "--pdf", "--districts", "Aldermoor"]) == 0
    profile = [c for c in seen["cmd"] if c.startswith("-env:UserInstallation=file://")]
    assert profile and "/lo_" in profile[0]
    assert not Path(profile[0].split("file://", 1)[1]).exists()           # removed afterwards
    assert seen["timeout"] and seen["timeout"] > 0
