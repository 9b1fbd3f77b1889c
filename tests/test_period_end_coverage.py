"""Period ends outside the data (issue 10, part 4): refused by the commands, or allowed with
``--allow-beyond-data``, which writes a note on every row and a warning line on stderr.

The data below: C1 looked after from 01/03/2019, open; C2 from 01/02/2020 to 01/10/2020.  The
last event is 15/11/2020 (a visit, later than any episode date), so the latest period end the
data can answer for is 2020-11-30 (the end of that month); the first episode is 01/03/2019.
"""
from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import openpyxl
import pandas as pd
import pytest

import cpxl
from cpxl.cli import main
from cpxl.coverage import BEYOND_DATA_NOTE
from builders import ep, kid, pick, write_dataset


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coverage") / "data"
    write_dataset(folder, header=[kid("C1", "01/01/2012"), kid("C2", "01/01/2012")],
                  episodes=[ep("C1", "01/03/2019"), ep("C2", "01/02/2020", dec="01/10/2020")],
                  visits=[("C1", "15/11/2020")])
    return folder


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def test_compute_refuses_or_notes_when_asked(data_folder):
    data = cpxl.load(data_folder)
    # The end of the last event's month is answered, without a note.
    out = cpxl.compute(data, "2020-11-30", months=1, allow_beyond_data=False)
    assert not out["note"].str.contains(BEYOND_DATA_NOTE).any()
    with pytest.raises(cpxl.CpxlError, match=r"2020-12-31 is after the data.*2020-11-30"):
        cpxl.compute(data, "2020-12-31", months=1, allow_beyond_data=False)
    out = cpxl.compute(data, "2020-12-31", months=3, allow_beyond_data=True)
    want = f"{BEYOND_DATA_NOTE} (2020-11-15)"
    assert out["note"].str.endswith(want).all()
    # A note the row had already is kept, the coverage note after it.
    na = out.loc[out["indicator"] == "missing_pct", "note"]
    assert na.str.startswith("not available: no missing table").all()
    # Before the first episode: refused, even when allowed past the end.
    with pytest.raises(cpxl.CpxlError, match="before the data's first episode"):
        cpxl.compute(data, "2019-02-28", months=1, allow_beyond_data=True)
    # Not asked (the default): computed as before, without a note (C1 is looked after on any D
    # from 01/03/2019).
    out = cpxl.compute(data, "2030-12-31", months=1)
    assert pick(out, "cla_count")["value"] == 1 and pick(out, "cla_count")["note"] == ""


def test_trend_may_begin_before_the_first_episode(data_folder):
    # Period end 2019-03-31 (C1 came into care on 01/03/2019): the 13 months run from
    # 2018-03-31, before the first episode.  Allowed: nobody was looked after then, which is
    # true (0, not blank), and the last month counts C1.
    out = cpxl.compute(cpxl.load(data_folder), "2019-03-31", months=13, allow_beyond_data=False)
    assert pick(out, "cla_count", period_end="2018-03-31")["value"] == 0
    assert pick(out, "cla_count", period_end="2019-02-28")["value"] == 0
    assert pick(out, "cla_count", period_end="2019-03-31")["value"] == 1


def test_indicators_command_refuses_a_period_end_past_the_data(data_folder, tmp_path):
    target = tmp_path / "ind.csv"
    rc, _out, err = cli("indicators", data_folder, "--period-end", "2030-12-31", "--out", target)
    assert rc == 2
    assert err.startswith("cpxl: period end 2030-12-31 is after the data")
    assert "2020-11-30" in err and "--allow-beyond-data" in err and "Traceback" not in err
    assert not target.exists()
    rc, _out, err = cli("indicators", data_folder, "--period-end", "2019-01-31", "--out", target)
    assert rc == 2 and "before the data's first episode (2019-03-01)" in err
    assert not target.exists()


def test_indicators_command_allowed_past_the_data(data_folder, tmp_path):
    target = tmp_path / "ind.csv"
    rc, _out, err = cli("indicators", data_folder, "--period-end", "2030-12-31", "--months", "2",
                       "--allow-beyond-data", "--out", target)
    assert rc == 0, err
    warning = [line for line in err.splitlines() if line.startswith("cpxl: warning:")]
    assert len(warning) == 1 and "2030-12-31 is after the data" in warning[0]
    table = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(table) > 0
    assert table["note"].str.contains(f"{BEYOND_DATA_NOTE} (2020-11-15)", regex=False).all()


def test_update_workbook_refuses_and_allows(data_folder, tmp_path):
    book = tmp_path / "Board.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "front"
    wb.save(book)
    before = book.read_bytes()
    rc, _out, err = cli("update-workbook", book, "--sheet", "indicators", "--data", data_folder,
                       "--period-end", "2021-06-30", "--months", "1")
    assert rc == 2 and "is after the data" in err
    assert book.read_bytes() == before                  # untouched
    rc, _out, err = cli("update-workbook", book, "--sheet", "indicators", "--data", data_folder,
                       "--period-end", "2021-06-30", "--months", "1", "--allow-beyond-data")
    assert rc == 0, err
    assert "cpxl: warning:" in err
    ws = openpyxl.load_workbook(book)["indicators"]
    header = [c.value for c in ws[1]]
    notes = [row[header.index("note")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert notes and all(BEYOND_DATA_NOTE in (n or "") for n in notes)


def test_scorecards_command_refuses_before_writing(data_folder, tmp_path):
    out_dir = tmp_path / "cards"
    rc, _out, err = cli("scorecards", data_folder, "--period-end", "2021-01-31", "--out", out_dir)
    assert rc == 2 and "is after the data" in err and "--allow-beyond-data" in err
    assert not out_dir.exists() or not any(out_dir.iterdir())
