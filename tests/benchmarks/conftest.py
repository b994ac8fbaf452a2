"""The benchmark scripts live outside the package: a test imports one by its file name."""

from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@contextlib.contextmanager
def _script(name: str):
    """The module ``benchmarks/NAME.py`` (with ``benchmarks/`` on sys.path while it is in use)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="session")
def benchmark_script():
    """``with benchmark_script("NAME") as module:`` the module ``benchmarks/NAME.py``."""
    return _script
