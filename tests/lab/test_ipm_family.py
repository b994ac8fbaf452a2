"""ipm-family: W, 2·TV and MMD through their critic classes against exact values; wrong-class control."""

from __future__ import annotations

import pytest

W_REL, TWO_TV, MMD = 0.1, 0.06, 0.02


@pytest.mark.slow
def test_ipms_by_their_critic_classes(quick_result):
    r = quick_result("ipm-family")
    assert r["holds"]
    for row in r["measured"]["pairs"]:
        assert abs(row["w_critic"] - row["w_exact"]) <= W_REL * row["w_exact"]
        assert abs(row["two_tv_critic"] - row["two_tv_exact"]) <= TWO_TV
        assert abs(row["mmd_witness"] - row["mmd_exact"]) <= MMD
        assert row["mmd_exact"] < row["two_tv_exact"] <= 2


@pytest.mark.slow
def test_negative_control_critic_of_the_wrong_class(quick_result):
    """Each critic's value judged against another metric's exact value fails that metric's tolerance."""
    for row in quick_result("ipm-family")["measured"]["pairs"]:
        assert abs(row["two_tv_critic"] - row["w_exact"]) > W_REL * row["w_exact"]
        assert abs(row["w_critic"] - row["two_tv_exact"]) > TWO_TV
        assert abs(row["two_tv_critic"] - row["mmd_exact"]) > MMD
