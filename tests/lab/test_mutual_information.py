"""Experiment 10: I(X; Z) = JS_π and the classifier bound of seed 000 eq. 17."""

from __future__ import annotations


def test_mutual_information_is_js_pi(quick_result):
    r = quick_result("mutual-information")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    assert m["max_abs_mi_minus_js_pi_gaussian"] <= tol["identity"]
    assert m["max_abs_bound_at_posterior_minus_mi"] <= tol["identity"]
    assert m["max_abs_mi_minus_js_pi_discrete"] <= tol["discrete"]
    for row, gap in zip(m["trained_classifier"], m["trained_gap_mi_minus_bound"]):
        assert -tol["identity"] <= gap <= tol["trained"]
        assert row["bound_trained"] > row["bound_constant_q"]
    # JS_π is symmetric under (π, P, Q) -> (1 − π, Q, P); for this pair of unit Gaussians, in π ↔ 1 − π
    first, last = m["trained_classifier"][0], m["trained_classifier"][-1]
    assert abs(first["mi"] - last["mi"]) < 1e-9
