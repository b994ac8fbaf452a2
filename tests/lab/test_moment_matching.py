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


def test_exact_moment_helpers():
    import math

    import numpy as np
    from scipy import stats

    from divergan.lab.moment_matching import (
        gauss_hermite,
        mmd2_normal_atoms,
        mmd2_normal_atoms_shift,
        normal_moment,
    )

    for k in range(1, 9):
        assert math.isclose(normal_moment(k, 0.7), stats.norm(0.7, 1).moment(k), rel_tol=1e-12)
    x, w = gauss_hermite(3)
    assert np.allclose([w @ x**k for k in range(6)], [normal_moment(k) for k in range(6)], atol=1e-12)
    # MMD²(N(0, 1), δ_0) = h/√(h² + 2) − 2h/√(h² + 1) + 1, and MMD²(P, P) = 0
    h = 1.0
    expected = h / math.sqrt(h**2 + 2) - 2 * h / math.sqrt(h**2 + 1) + 1
    assert math.isclose(mmd2_normal_atoms(np.zeros(1), np.ones(1)), expected, rel_tol=1e-12)
    assert mmd2_normal_atoms_shift(0.0) == 0.0 and mmd2_normal_atoms_shift(1.0) > 0
