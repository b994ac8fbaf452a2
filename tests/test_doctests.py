"""Every example in divergan's docstrings runs and prints what it claims (all modules, one table)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import divergan

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(divergan.__path__, prefix="divergan.")
    if m.name != "divergan.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
