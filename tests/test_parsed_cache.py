"""The parsed-data cache (cpxl.parsed_cache): the same dataset back, and never a stale one."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import cpxl
from cpxl import parsed_cache, reading
from cpxl.cli import main
from cpxl.dataset import load

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "bad_inputs"))
import make_corpus


@pytest.fixture(autouse=True)
def cache_on(monkeypatch, tmp_path):
    monkeypatch.delenv(parsed_cache.ENV_OFF, raising=False)
    monkeypatch.delenv(parsed_cache.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "profile"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "profile"))


@pytest.fixture
def data(tmp_path) -> Path:
    """The corpus case with problems of several kinds (its report is not empty)."""
    root = make_corpus.materialise("dec_before_decom", tmp_path / "case")
    return root / "data"


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if folder.is_dir() else []


def assert_same(a, b):
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True, obj=name)
    pd.testing.assert_frame_equal(a.report(), b.report(), check_exact=True)
    assert a.problems == b.problems
    assert a.files == b.files and a.columns_present == b.columns_present
    assert list(a.skipped_files) == list(b.skipped_files)
    assert [s.reason for s in a.skipped_files] == [s.reason for s in b.skipped_files]


def count_reads(monkeypatch) -> list:
    calls = []
    real = reading.read_source

    def counting(path):
        calls.append(path)
        return real(path)
    monkeypatch.setattr("cpxl.dataset.read_source", counting)
    return calls


def test_second_load_is_read_from_the_cache_and_is_the_same(data, monkeypatch):
    (data / "notes.txt").write_text("not a table", encoding="utf-8")      # a skipped file
    reads = count_reads(monkeypatch)
    fresh = load(data, cache=False)
    first = load(data)
    assert len(reads) == 2 and len(entries(data / parsed_cache.FOLDER)) == 1
    again = load(data)
    assert len(reads) == 2                                          # not read again
    assert fresh.problems and fresh.skipped_files
    assert_same(again, fresh)
    assert_same(first, fresh)
    assert again.config == fresh.config and again.path == data
    # And what is computed from it is the same to the last digit.
    pd.testing.assert_frame_equal(cpxl.compute(again, "2025-12-31", months=3),
                                  cpxl.compute(fresh, "2025-12-31", months=3), check_exact=True)


def test_the_sample_county_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv(parsed_cache.ENV_DIR, str(tmp_path / "cache"))
    sample = ROOT / "samples" / "northshire"
    beside = sample / parsed_cache.FOLDER
    before = sorted(beside.iterdir()) if beside.exists() else []
    fresh = load(sample, cache=False)
    load(sample)
    reads = count_reads(monkeypatch)
    assert_same(load(sample), fresh)
    assert reads == []
    assert len(entries(tmp_path / "cache")) >= 1                     # CPXL_CACHE_DIR was used
    assert (sorted(beside.iterdir()) if beside.exists() else []) == before   # and nothing beside


def test_a_child_is_one_str_object_across_the_tables_read_from_the_cache(tmp_path, monkeypatch):
    """As the reader makes it (cpxl.columnar.SharedText): memory, and the engine's factorizing."""
    monkeypatch.setenv(parsed_cache.ENV_DIR, str(tmp_path / "cache"))
    sample = ROOT / "samples" / "northshire"
    for dataset in (load(sample, cache=False), load(sample), load(sample)):   # fresh, kept, read
        objects = {}
        for name, t in dataset.tables.items():
            if "CHILD" in t.columns:
                for child in t["CHILD"]:
                    assert objects.setdefault(child, child) is child, (name, child)
        assert len(objects) > 100


def test_any_change_to_a_file_misses_even_with_the_same_size_and_time(data, monkeypatch):
    load(data)
    episodes = data / "episodes.csv"
    st = episodes.stat()
    text = episodes.read_bytes()
    i = text.index(b"01/")
    episodes.write_bytes(text[:i] + b"02/" + text[i + 3:])                # same length
    os.utime(episodes, ns=(st.st_atime_ns, st.st_mtime_ns))               # same time
    reads = count_reads(monkeypatch)
    changed = load(data)
    assert len(reads) == 1
    assert_same(changed, load(data, cache=False))


def test_a_new_file_the_config_or_cpxls_version_misses(data, monkeypatch):
    load(data)
    reads = count_reads(monkeypatch)
    load(data)
    assert len(reads) == 0
    (data / "extra.csv").write_text("nothing,here\n1,2\n", encoding="utf-8")
    load(data)
    assert len(reads) == 1
    config = data / "cpxl.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    load(data)
    assert len(reads) == 2
    other = data.parent / "other.toml"
    other.write_text('[authority]\nname = "Elsewhere"\n', encoding="utf-8")
    assert load(data, config=other).authority_name == "Elsewhere"
    assert len(reads) == 3
    load(data)
    assert len(reads) == 3                                          # the earlier entry is there
    monkeypatch.setattr(cpxl, "__version__", cpxl.__version__ + ".post1")
    load(data)
    assert len(reads) == 4
    monkeypatch.setattr(parsed_cache, "code_digest", lambda: "a changed rule")
    load(data)
    assert len(reads) == 5


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "delete a table", "bad meta"])
def test_a_damaged_entry_is_ignored_and_rebuilt(data, monkeypatch, damage):
    fresh = load(data, cache=False)
    load(data)
    [entry] = entries(data / parsed_cache.FOLDER)
    table = entry / "t1.parquet"
    if damage == "flip a byte":
        b = bytearray(table.read_bytes())
        b[len(b) // 2] ^= 0x55
        table.write_bytes(bytes(b))
    elif damage == "truncate":
        table.write_bytes(table.read_bytes()[:100])
    elif damage == "delete a table":
        table.unlink()
    else:
        (entry / "meta.json").write_text("{not json", encoding="utf-8")
    reads = count_reads(monkeypatch)
    assert_same(load(data), fresh)
    assert len(reads) == 1
    assert_same(load(data), fresh)                                   # rebuilt, and used
    assert len(reads) == 1


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_entries_are_private_to_the_user(data):
    load(data)
    folder = data / parsed_cache.FOLDER
    [entry] = entries(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o700
    for f in entry.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_where_it_lives_beside_the_data_else_the_profile_never_temp(data, tmp_path, monkeypatch):
    places = parsed_cache.folders(data)
    assert places[0] == data / parsed_cache.FOLDER
    assert places[1].is_relative_to(tmp_path / "profile")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("LOCALAPPDATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    assert not parsed_cache.profile_root().is_relative_to(Path(tempfile.gettempdir()) / "cpxl")
    assert parsed_cache.profile_root().is_relative_to(tmp_path / "home")


def test_a_folder_that_cannot_be_written_uses_the_profile(data, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setattr(parsed_cache, "_beside", lambda path: blocker / parsed_cache.FOLDER)
    load(data)
    profile = parsed_cache.folders(data)[1]
    assert len(entries(profile)) == 1
    reads = count_reads(monkeypatch)
    load(data)
    assert reads == []


def test_no_cache_and_cache_clear_on_the_command_line(data, tmp_path, capsys):
    out = tmp_path / "out.csv"
    args = ["indicators", str(data), "--period-end", "2025-12-31", "--months", "2", "--out", str(out)]
    assert main([*args, "--no-cache"]) == 0
    assert not (data / parsed_cache.FOLDER).exists()
    without = out.read_bytes()
    assert main(args) == 0
    assert len(entries(data / parsed_cache.FOLDER)) == 1
    assert main(args) == 0                                          # from the cache
    assert out.read_bytes() == without
    assert main(["validate", str(data), "--out", str(tmp_path / "r.csv"), "--no-cache"]) == 0
    capsys.readouterr()
    assert main(["cache", "clear", str(data)]) == 0
    assert "Cleared" in capsys.readouterr().out
    assert not (data / parsed_cache.FOLDER).exists()
    assert main(["cache", "clear"]) == 0


def test_environment_switch_and_env_folder(data, tmp_path, monkeypatch):
    monkeypatch.setenv(parsed_cache.ENV_OFF, "1")
    load(data)
    assert not (data / parsed_cache.FOLDER).exists()
    monkeypatch.delenv(parsed_cache.ENV_OFF)
    monkeypatch.setenv(parsed_cache.ENV_DIR, str(tmp_path / "elsewhere"))
    load(data)
    assert not (data / parsed_cache.FOLDER).exists()
    assert len(entries(tmp_path / "elsewhere")) == 1


def test_a_failed_load_is_not_kept(tmp_path):
    root = make_corpus.materialise("episodes_missing_column", tmp_path / "case")
    with pytest.raises(cpxl.CpxlError):
        load(root / "data")
    assert entries(root / "data" / parsed_cache.FOLDER) == []


def test_loads_in_two_processes_at_once_agree(data):
    code = ("import sys, cpxl; d = cpxl.load(sys.argv[1]); "
            "print(len(d.problems), sum(len(t) for t in d.tables.values()))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(parsed_cache.ENV_OFF, None)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(data)], stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]
    outs = {p.communicate(timeout=120)[0] for p in procs}
    assert len(outs) == 1 and all(p.returncode == 0 for p in procs)
    fresh = load(data, cache=False)
    assert outs == {f"{len(fresh.problems)} {sum(len(t) for t in fresh.tables.values())}\n"}
    assert_same(load(data), fresh)
    assert not [p for p in (data / parsed_cache.FOLDER).iterdir() if p.name.endswith(".tmp")]
    shutil.rmtree(data / parsed_cache.FOLDER)


# --- kept outputs: `cpxl indicators` run again on the same files ---------------------------------

def _indicators(data: Path, out: Path, *extra: str) -> list[str]:
    return ["indicators", str(data), "--period-end", "2027-12-31", "--months", "3",
            "--allow-beyond-data", "--out", str(out), *extra]


def _outputs(data: Path) -> list[Path]:
    return sorted((data / parsed_cache.FOLDER).glob("*/outputs/*.out"))


def test_a_rerun_writes_the_kept_output_without_loading_or_computing(data, tmp_path, capsys,
                                                                    monkeypatch):
    fresh, first, again = (tmp_path / n for n in ("fresh.csv", "first.csv", "again.csv"))
    assert main(_indicators(data, fresh, "--no-cache")) == 0
    assert _outputs(data) == []                                  # --no-cache keeps nothing
    assert main(_indicators(data, first)) == 0
    assert len(_outputs(data)) == 1
    capsys.readouterr()
    reads = count_reads(monkeypatch)
    monkeypatch.setattr("cpxl.engine.compute", lambda *a, **k: pytest.fail("computed again"))
    assert main(_indicators(data, again)) == 0
    printed = capsys.readouterr()
    assert reads == []
    assert again.read_bytes() == first.read_bytes() == fresh.read_bytes()
    assert "kept in the parsed-data cache" in printed.out and "validation problem(s)" in printed.out
    assert "after the data" in printed.err          # --allow-beyond-data's warning, said again


def test_a_replay_imports_no_pandas(data, tmp_path):
    out = tmp_path / "out.csv"
    assert main(_indicators(data, out)) == 0
    code = ("import sys; from cpxl.cli import main; code = main(sys.argv[1:]); "
            "print('pandas' in sys.modules, code)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code, *_indicators(data, tmp_path / "2.csv")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.splitlines()[-1] == "False 0", done.stderr
    assert (tmp_path / "2.csv").read_bytes() == out.read_bytes()


def test_other_arguments_a_changed_file_or_no_cache_compute_again(data, tmp_path, monkeypatch):
    main(_indicators(data, tmp_path / "a.csv"))
    computed = []
    real = cpxl.engine.compute

    def counting(*a, **k):
        computed.append(1)
        return real(*a, **k)
    monkeypatch.setattr("cpxl.engine.compute", counting)
    main(_indicators(data, tmp_path / "b.csv"))
    assert computed == []
    main(_indicators(data, tmp_path / "c.csv", "--months", "4"))           # another request
    main(_indicators(data, tmp_path / "d.xlsx"))                            # another format
    main(_indicators(data, tmp_path / "e.csv", "--no-cache"))
    assert len(computed) == 3
    episodes = data / "episodes.csv"
    text = episodes.read_bytes()
    i = text.index(b"01/")
    episodes.write_bytes(text[:i] + b"02/" + text[i + 3:])
    main(_indicators(data, tmp_path / "f.csv"))
    main(_indicators(data, tmp_path / "g.csv", "--no-cache"))
    assert len(computed) == 5
    assert (tmp_path / "f.csv").read_bytes() == (tmp_path / "g.csv").read_bytes()


def test_a_damaged_kept_output_is_not_used(data, tmp_path, monkeypatch):
    main(_indicators(data, tmp_path / "fresh.csv", "--no-cache"))
    main(_indicators(data, tmp_path / "first.csv"))
    (kept,) = _outputs(data)
    body = bytearray(kept.read_bytes())
    body[len(body) // 2] ^= 0x01
    kept.write_bytes(bytes(body))
    computed = []
    real = cpxl.engine.compute
    monkeypatch.setattr("cpxl.engine.compute", lambda *a, **k: computed.append(1) or real(*a, **k))
    assert main(_indicators(data, tmp_path / "again.csv")) == 0
    assert computed == [1]
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "fresh.csv").read_bytes()
    assert stat.S_IMODE(_outputs(data)[0].stat().st_mode) == 0o600


def test_a_replay_still_refuses_to_write_over_an_input(data, tmp_path, capsys):
    main(_indicators(data, tmp_path / "first.csv"))
    before = (data / "episodes.csv").read_bytes()
    assert main(_indicators(data, data / "episodes.csv")) == 2
    assert "episodes.csv" in capsys.readouterr().err
    assert (data / "episodes.csv").read_bytes() == before
