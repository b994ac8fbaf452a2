"""nn-divergence-generalization: d_NN's rate in m and n, W₁ failing the same criterion (d = 16)."""

from __future__ import annotations

import math

import pytest

from divergan.lab import nn_divergence_generalization as nd

#: half the bound's rate −½
SLOPE = -0.25


@pytest.mark.slow
def test_d_nn_generalizes_w_does_not(quick_result):
    r = quick_result("nn-divergence-generalization")
    assert r["holds"] and all(r["measured"]["checks"].values())
    ms, classes = r["ms"], r["measured"]["classes"]
    assert [c["n_params"] for c in classes] == [19, 73, 289]  # (16 + 1)·w + w + 1
    for c in classes:
        assert nd.slope(ms, c["gap"]) <= SLOPE
    assert nd.slope(r["w_ms"], r["measured"]["w1_gap"]) > SLOPE
    # C from the narrowest class only, recomputed here, covers the wider ones
    n0 = classes[0]["n_params"]
    c = max(g**2 * m / (n0 * math.log(n0)) for m, g in zip(ms, classes[0]["gap"], strict=True))
    for cl in classes[1:]:
        n = cl["n_params"]
        assert all(g <= math.sqrt(c * n * math.log(n) / m) for m, g in zip(ms, cl["gap"], strict=True))


def test_negative_control_w1_gaps_fail_the_criterion():
    """W₁ between two N(0, I₁₆) samples: 3.98, 3.47, 3.18 at m = 64, 256, 1024 (slope −0.08)."""
    assert not nd.generalizes([64, 256, 1024], [3.98, 3.47, 3.18])
    # and an m^(−1/2) sequence passes it
    assert nd.generalizes([64, 256, 1024], [0.4, 0.2, 0.1])
