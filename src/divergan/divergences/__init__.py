"""Divergences as data: the f-divergence table, known distributions, exact values.

The names below are loaded on first use (PEP 562): the objectives need only the table, and a
training run should not import scipy before it has written its folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from divergan._lazy import lazy

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


__getattr__, __dir__ = lazy(globals(), _WHERE)
