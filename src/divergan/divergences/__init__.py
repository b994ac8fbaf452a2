"""Divergences as data: the f-divergence table, known distributions, exact values.

The names below are loaded on first use (PEP 562): the objectives need only the table, and a
training run should not import scipy before it has written its folder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from divergan.divergences.distributions import Discrete, Distribution, Normal, parse_spec
    from divergan.divergences.exact import (
        f_divergence,
        f_divergence_quad,
        f_divergence_with_method,
        wasserstein,
    )
    from divergan.divergences.table import PARAMETERS, TABLE, FDivergence, get, names

_WHERE = {
    **dict.fromkeys(
        ["Discrete", "Distribution", "Normal", "parse_spec"], "divergan.divergences.distributions"
    ),
    **dict.fromkeys(
        ["f_divergence", "f_divergence_quad", "f_divergence_with_method", "wasserstein"],
        "divergan.divergences.exact",
    ),
    **dict.fromkeys(["PARAMETERS", "TABLE", "FDivergence", "get", "names"], "divergan.divergences.table"),
}

__all__ = [
    "PARAMETERS",
    "TABLE",
    "Discrete",
    "Distribution",
    "FDivergence",
    "Normal",
    "f_divergence",
    "f_divergence_quad",
    "f_divergence_with_method",
    "get",
    "names",
    "parse_spec",
    "wasserstein",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
