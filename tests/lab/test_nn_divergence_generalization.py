"""Experiment 7: seed 002, the neural-net distance's generalization gap shrinks with m."""

from __future__ import annotations

import math

import pytest


@pytest.mark.slow
def test_nn_divergence_generalizes(quick_result):
    r = quick_result("nn-divergence-generalization")
    assert r["holds"]
    tol = r["tolerance"]
    ms = r["ms"]
    c_fit = r["measured"]["C_fitted"]
    for c in r["measured"]["classes"]:
        for key in ("gap_same", "gap_shifted"):
            assert c[key][-1] <= tol["max_ratio"] * c[key][0]
        assert c["slope_same"] <= tol["max_slope"]
        # the fitted bound shape covers every gap of the P = Q case
        n = c["n_params"]
        assert all(g <= math.sqrt(c_fit * n * math.log(n) / m) + 1e-12 for m, g in zip(ms, c["gap_same"]))
    assert (r["_out"] / "nn_divergence_generalization.png").stat().st_size > 0
