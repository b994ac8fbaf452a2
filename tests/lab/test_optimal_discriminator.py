"""Experiment 1: a trained D matches D* and V(G, D*) = 2·JS − log 4 (seed 000 eqs. 1-2)."""

from __future__ import annotations

import json


def test_trained_discriminator_matches_the_optimal_one(quick_result):
    r = quick_result("optimal-discriminator")
    assert r["holds"]
    tol = r["tolerance"]
    for pair in r["measured"]["pairs"]:
        assert pair["mean_abs_error_D"] <= tol["mean_abs_error_D"]
        assert abs(pair["value_optimal_D"] - pair["two_js_minus_log4"]) <= tol["value_optimal_D"]
        # the trained D is a feasible point of a maximisation: never above the optimum
        assert pair["value_trained_D"] <= pair["two_js_minus_log4"] + tol["value_optimal_D"]
        assert abs(pair["value_trained_D"] - pair["two_js_minus_log4"]) <= tol["value_trained_D"]
    assert (r["_out"] / "optimal_discriminator.png").stat().st_size > 0
    assert json.loads((r["_out"] / "result.json").read_text())["holds"] is True
