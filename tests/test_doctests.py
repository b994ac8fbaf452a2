"""Every example in divergan's docstrings runs and prints what it claims (one case per module that has
examples; a module listed here must run at least one, so a lost docstring example fails)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import divergan

ROOT = Path(divergan.__file__).parent


def _source(name: str) -> Path:
    rel = Path(*name.split(".")[1:])
    package = ROOT / rel / "__init__.py"
    return package if package.exists() else ROOT / rel.with_suffix(".py")


ALL = sorted(
    m.name
    for m in pkgutil.walk_packages(divergan.__path__, prefix="divergan.")
    if m.name != "divergan.__main__"
)
#: the modules whose source holds a docstring example (a line starting with ">>> ")
MODULES = [
    name
    for name in ALL
    if any(line.lstrip().startswith(">>> ") for line in _source(name).read_text().splitlines())
]


def test_the_modules_with_examples_are_found():
    assert all(_source(name).is_file() for name in ALL)
    assert len(MODULES) >= 10, MODULES  # 21 modules had examples when this was written


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has '>>> ' lines but doctest found no example"
    assert result.failed == 0
