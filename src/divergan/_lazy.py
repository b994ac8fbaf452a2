"""Lazy re-exports (PEP 562): a package names where each public name lives and imports it on first use.

Keeps ``import divergan`` and ``divergan --help`` free of torch, scipy and POT (docs/benchmarks.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy(
    namespace: dict[str, Any], where: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__``: ``where`` maps a name to the module that defines it.

    A name is imported once and then stored in ``namespace`` (the package's ``globals()``).
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *where])

    return __getattr__, __dir__
