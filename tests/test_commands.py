"""`cpxl validate` writes personal data only where asked; `cpxl template` copies the workbook out;
each test's UDF refresh token is its own."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cpxl.cli import main
from builders import sample_county

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cpxl" / "templates" / "cpxl_template.xlsx"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return sample_county(tmp_path_factory.mktemp("commands") / "data")


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_validate_without_out_prints_the_summary_and_writes_nothing(data, tmp_path, monkeypatch,
                                                                   capfd):
    bad = tmp_path / "data"
    shutil.copytree(data, bad)
    with open(bad / "episodes.csv", "a", encoding="utf-8") as f:    # a row for the report
        f.write("999999,31/02/2025,S,C2,N1,U1,PR1,,,,,,\n")
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    before = files_under(tmp_path)
    assert main(["validate", str(bad)]) == 0
    out = capfd.readouterr().out
    assert out.startswith("Tables: ") and "episodes.DECOM: date_not_readable" in out
    assert "No report written: add --out" in out
    assert files_under(tmp_path) == before                          # nothing new, anywhere


def test_validate_with_out_names_the_personal_data_file(data, tmp_path, capfd):
    report = tmp_path / "report.csv"
    assert main(["validate", str(data), "--out", str(report)]) == 0
    assert f"Full report (personal data): {report}" in capfd.readouterr().out
    assert report.read_text(encoding="utf-8-sig").splitlines()[0].lower().count("personal")


def test_template_copies_the_shipped_workbook(tmp_path, capsys):
    out = tmp_path / "Board.xlsx"
    assert main(["template", str(out)]) == 0
    assert out.read_bytes() == TEMPLATE.read_bytes()
    assert str(out) in capsys.readouterr().out
    folder = tmp_path / "packs"
    folder.mkdir()
    assert main(["template", str(folder)]) == 0
    assert (folder / "cpxl_template.xlsx").read_bytes() == TEMPLATE.read_bytes()


def test_template_never_overwrites_a_workbook(tmp_path, capsys):
    out = tmp_path / "Board.xlsx"
    out.write_bytes(b"the analyst's own work")
    assert main(["template", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"the analyst's own work"
    assert main(["template", str(tmp_path / "Board.csv")]) == 2
    assert not (tmp_path / "Board.csv").exists()


def test_the_refresh_token_is_private_to_the_test(tmp_path, private_refresh_token):
    from cpxl.xl import cache

    shared = Path(tempfile.gettempdir()) / "cpxl-refresh.token"
    before = shared.stat().st_mtime_ns if shared.exists() else None
    assert cache.refresh_token() == private_refresh_token == tmp_path / "cpxl-refresh.token"
    assert os.environ["CPXL_REFRESH_TOKEN"] == str(private_refresh_token)
    cache.signal_refresh()
    assert private_refresh_token.exists()
    assert (shared.stat().st_mtime_ns if shared.exists() else None) == before
