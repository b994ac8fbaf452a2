"""jsd-saturation: the blurred-lines JS sandwich, W = |θ|, and Arjovsky & Bottou's gradient bound."""

from __future__ import annotations

import math

import pytest

from divergan.lab import jsd_saturation as js

LOG2 = math.log(2)
QUAD = 1e-7
#: M = (E‖J_ψ G‖_F²)^{1/2} with J = [[1, 0, 0], [0, z, 1]], z ~ U[0, 1]: 2 + E z² = 7/3
M = math.sqrt(7 / 3)


@pytest.mark.slow
def test_parallel_lines_and_vanishing_gradient(quick_result):
    r = quick_result("jsd-saturation")
    assert r["holds"] and all(r["measured"]["checks"].values())
    for row in r["js_table"]:
        assert row["lower"] - QUAD <= row["js"] <= row["upper"] + QUAD
        if row["theta"] == 0:
            assert abs(row["js"]) <= QUAD
    assert all(abs(v - LOG2) <= QUAD for v in r["measured"]["js_limit_r40"])
    assert r["measured"]["max_abs_w_minus_abs_theta"] <= 1e-9
    gan = r["curves"]["gan"]
    for g, e in zip(gan["minimax"], gan["eps"], strict=True):
        assert e >= 1 or g <= M * e / (1 - e) * (1 + 1e-9)
    assert gan["eps"][-1] <= 0.01 and gan["minimax"][-1] <= M * 0.01 / 0.99
    ns_peak, ns_last = r["measured"]["grad_non_saturating_peak_last"]
    assert ns_last >= 0.1 * ns_peak and ns_last > M * gan["eps"][-1] / (1 - gan["eps"][-1])


def test_negative_control_theta_blind_js_breaks_the_sandwich():
    table = js.js_table([-0.5, -0.01, 0.0, 0.01, 0.5], [0.1], js_fn=js.theta_blind_js)
    assert not table["checks"]["js_within_sandwich"]


@pytest.mark.slow
def test_negative_control_overlapping_supports_keep_the_gradient():
    """Both laws blurred by N(0, 1) across the line: D* is not 0 on the samples, ε_T stays large."""
    gan = js.gradient_decay("gan", 300, 256, seed=0, overlap=1.0)
    checks = js.bound_checks(gan)
    assert not checks["critic_perfect_in_c1"]
    assert gan["minimax"][-1] >= 0.1 * max(gan["minimax"])
