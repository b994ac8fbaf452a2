"""Experiment 11: W, TV and MMD through their critic classes against exact values (seed 000 eq. 18)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_ipms_by_their_critic_classes(quick_result):
    r = quick_result("ipm-family")
    assert r["holds"]
    tol = r["tolerance"]
    for row in r["measured"]["pairs"]:
        assert abs(row["w_critic"] - row["w_exact"]) <= tol["w_relative"] * row["w_exact"]
        assert abs(row["two_tv_critic"] - row["two_tv_exact"]) <= tol["two_tv"]
        assert abs(row["mmd_witness"] - row["mmd_exact"]) <= tol["mmd"]
        # ordering of the three metrics on these pairs: MMD (bounded kernel) < 2·TV (≤ 2)
        assert row["mmd_exact"] < row["two_tv_exact"] <= 2
