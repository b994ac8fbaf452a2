"""weight-clipping: weights pile at ±c; the Lipschitz-normalised estimate is a duality lower bound on W₁."""

from __future__ import annotations

import pytest

from divergan.lab import weight_clipping as wc

#: W₁(N(0, 1), N(2, ½²)) = E|2 − Z/2| by the quantile coupling = 2.0000071
W1_LOW, W1_HIGH = 1.99, 2.01


@pytest.mark.slow
def test_clipped_critic(quick_result):
    r = quick_result("weight-clipping")
    assert r["holds"] and all(r["measured"]["checks"].values())
    m = r["measured"]
    assert m["piled_initial"] <= 0.02 and m["piled_final"] >= 0.1
    assert W1_LOW <= m["w1"] <= W1_HIGH
    assert 3 * m["se"] < m["estimate"] <= m["w1"] + 3 * m["se"]


@pytest.mark.slow
def test_negative_control_no_clipping_does_not_pile():
    net = wc.train(None, 300, seed=0)
    assert wc.piled_fraction(net, wc.CLIP) < 0.1


@pytest.mark.slow
def test_negative_control_unnormalised_value_exceeds_w1():
    net = wc.train(1.0, 300, seed=0, init=1.0)
    est = wc.estimate(net, 0, normalise=False)
    assert est["estimate"] > est["w1"] + 3 * est["se"]
