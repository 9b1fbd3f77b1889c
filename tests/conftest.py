"""Shared test set-up: make ``tests/builders.py`` importable from every test module."""
from __future__ import annotations

import os
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
# The parsed-data cache is off unless a test turns it on (tests/test_parsed_cache.py): a test
# that breaks a reader on purpose must not be handed an earlier test's load of the same files,
# and nothing is written beside the committed samples.
os.environ.setdefault("CPXL_NO_CACHE", "1")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a large or concurrent case (still run in CI; "
                            "deselect locally with -m 'not slow')")
