"""Divergences as data: the f-divergence table, known distributions, exact values."""

from divergan.divergences.distributions import Discrete, Distribution, Normal, parse_spec
from divergan.divergences.exact import f_divergence, f_divergence_quad, f_divergence_with_method, wasserstein
from divergan.divergences.table import PARAMETERS, TABLE, FDivergence, get, names

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
