"""Experiment 6: seed 002 Theorem 3.1, empirical JS = log 2 and W ≥ 1.1 between samples of one law."""

from __future__ import annotations

import math


def test_js_and_w_do_not_generalize(quick_result):
    r = quick_result("non-generalization")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    assert all(abs(v - math.log(2)) <= tol["exact_js"] for v in m["empirical_js_min_max"])
    assert m["empirical_w_min_in_regime"] >= tol["w_bound"]
    for g in r["grid"]:
        if g["d"] >= tol["regime_ratio"] * math.log(g["m"]):
            assert g["w"] >= tol["w_bound"]
    # outside the regime (d = 2) the empirical W is small: the theorem needs log m ≪ d
    assert m["empirical_w_min_overall"] < 0.5
    sigmas = {float(k): v for k, v in m["smoothed_js"].items()}
    assert all(v > math.log(2) - 1 / 64 for s, v in sigmas.items() if s <= 0.5 / math.sqrt(math.log(64)))
    assert min(sigmas.values()) < math.log(2) - 1 / 64
