"""Experiment 2: JS saturates on parallel lines while W = |θ|; the minimax gradient vanishes."""

from __future__ import annotations

import math


def test_parallel_lines_and_vanishing_gradient(quick_result):
    r = quick_result("jsd-saturation")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    assert all(abs(v - math.log(2)) <= tol["exact"] for v in m["js_off_zero"])
    assert all(abs(v - 1.0) <= tol["exact"] for v in m["tv_off_zero"])
    assert m["kl_off_zero_all_infinite"]
    assert m["max_abs_w_minus_abs_theta"] <= tol["exact"]
    assert m["at_theta_0"] == {"js": 0.0, "kl": 0.0, "tv": 0.0, "w": 0.0}
    assert m["final_accuracy"] >= tol["accuracy"]
    assert m["grad_minimax_decay_factor"] >= tol["min_decay"]
    # −log D and the WGAN critic keep (or grow) their gradients
    ns_peak, ns_last = m["grad_non_saturating_peak_last"]
    w_peak, w_last = m["grad_wgan_peak_last"]
    assert ns_last >= tol["min_kept"] * ns_peak and w_last >= tol["min_kept"] * w_peak
    assert ns_last > 100 * m["grad_minimax_peak_last"][1]
