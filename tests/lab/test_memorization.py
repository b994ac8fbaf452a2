"""Experiment 8: seed 002, a memorising generator fools a small critic while missing most modes."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_memoriser_fools_a_small_critic(quick_result):
    r = quick_result("memorization")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    row = next(x for x in m["memoriser"] if x["m"] == tol["m_claim"])
    assert row["d_nn"] <= m["noise_floor_d_nn"] + tol["fool"]
    assert row["mode_fraction"] <= tol["max_mode_fraction"]
    # it misses modes because it has only m points, not because they are off the data
    assert row["modes"] <= row["m"] and row["high_quality"] > 0.95
    assert m["half_modes_d_nn"] >= tol["detect"]
    assert m["half_modes_captured"] > row["modes"]
    assert (r["_out"] / "memorization.png").stat().st_size > 0
