"""Experiment 12: an MMD-only generator learns ring8; P = Q iff every moment discrepancy is 0 (seed 000)."""

from __future__ import annotations

import itertools

import pytest


@pytest.mark.slow
def test_moment_matching(quick_result):
    r = quick_result("moment-matching")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    assert m["modes"] >= tol["min_modes"]
    assert m["high_quality"] >= tol["min_high_quality"]
    shift = list(m["shift_max_abs_delta"].values())
    assert all(b < a for a, b in itertools.pairwise(shift))
    assert shift[-1] <= tol["zero"]
    mmd = list(m["shift_mmd2"].values())
    assert all(b < a for a, b in itertools.pairwise(mmd)) and mmd[-1] == 0.0
    for g in m["gauss_hermite"]:
        assert g["max_abs_delta_up_to_2n_minus_1"] <= tol["zero"]
        assert abs(g["delta_2n"]) >= tol["min_gap"] and g["mmd2"] >= tol["min_gap"]
    assert (r["_out"] / "moment_matching.png").stat().st_size > 0
