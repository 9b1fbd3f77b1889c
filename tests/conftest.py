"""Shared test set-up: make ``tests/builders.py`` importable from every test module."""
from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a large or concurrent case (still run in CI; "
                            "deselect locally with -m 'not slow')")
