"""The batch's arguments are checked in one place (cpxl.scorecard.batch), whoever calls it: the
command line and the typed API the ribbon uses refuse the same mistakes before any work."""
from __future__ import annotations

import pytest

from cpxl.cli import main
from cpxl.engine import MAX_MONTHS
from cpxl.errors import CpxlError
from cpxl.scorecard.batch import BatchOptions, run_scorecards


@pytest.mark.parametrize("months", ["100000", str(MAX_MONTHS + 1), "1", "0"])
def test_the_command_line_refuses_months_out_of_range(months, tmp_path, capsys):
    rc = main(["scorecards", str(tmp_path / "no-data"), "--period-end", "2025-12-31",
               "--out", str(tmp_path / "out"), "--months", months])
    assert rc != 0
    assert f"--months must be from 2 (the scorecard compares this month with last) to " \
           f"{MAX_MONTHS}; got {months}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("options, words", [
    (BatchOptions(months=100000), "--months must be from 2"),
    (BatchOptions(jobs=0), "--jobs must be 1 or more"),
    (BatchOptions(suppress=-1), "cannot be negative"),
    (BatchOptions(suppress=5, with_child_lists=True), "--with-child-lists cannot be used"),
])
def test_the_typed_api_refuses_the_same(options, words, tmp_path):
    with pytest.raises(CpxlError, match=words):
        run_scorecards(str(tmp_path / "no-data"), "2025-12-31", str(tmp_path / "out"), options)
    assert not (tmp_path / "out").exists()
