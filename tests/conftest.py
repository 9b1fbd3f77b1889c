"""Shared test set-up.

- ``tests/builders.py`` is importable from every test module.
- Every test gets a private refresh token and user settings file: the real ones
  (``%TEMP%/cpxl-refresh.token``, ``~/.cpxl/cpxl.conf``) are shared with every other cpxl process
  on the machine, and a second process touching the token made cache tests count extra loads.
- With ``CPXL_NO_SKIPS=1`` (``.ci/run`` sets it in CI, where LibreOffice, poppler, python-uno and
  ../shared are all installed) a skipped test fails the run: CI must run everything.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
# The parsed-data cache is off unless a test turns it on (tests/test_parsed_cache.py): a test
# that breaks a reader on purpose must not be handed an earlier test's load of the same files,
# and nothing is written beside the committed samples.
os.environ.setdefault("CPXL_NO_CACHE", "1")

# Before cpxl is imported (its UDF cache looks the token up once): even code that runs outside a
# test, at import or collection, never sees the machine's shared token.
_SESSION_DIR = tempfile.mkdtemp(prefix="cpxl-tests-")
os.environ["CPXL_REFRESH_TOKEN"] = str(Path(_SESSION_DIR) / "cpxl-refresh.token")

NO_SKIPS = "CPXL_NO_SKIPS"
_skipped: list[str] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a large or concurrent case (still run in CI; "
                            "deselect locally with -m 'not slow')")


@pytest.fixture(autouse=True)
def private_refresh_token(tmp_path, monkeypatch):
    """The UDF cache's refresh token and the user's settings file, private to this test."""
    from cpxl.xl import cache, service

    token = tmp_path / "cpxl-refresh.token"
    monkeypatch.setenv("CPXL_REFRESH_TOKEN", str(token))       # for cpxl processes the test starts
    if isinstance(getattr(cache, "_TOKEN", None), list):        # this process looked it up once
        monkeypatch.setattr(cache, "_TOKEN", [])
    monkeypatch.setattr(service, "USER_CONF", tmp_path / "home" / ".cpxl" / "cpxl.conf")
    yield token


def pytest_unconfigure(config):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get(NO_SKIPS) == "1" and _skipped and exitstatus == 0:
        print(f"\n{NO_SKIPS}=1 and {len(_skipped)} test(s) skipped:\n  " + "\n  ".join(_skipped),
              file=sys.stderr)
        session.exitstatus = 1
