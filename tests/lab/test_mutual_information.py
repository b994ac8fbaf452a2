"""mutual-information: I(X; Z) = JS_π and the classifier bound (GAN analysis slides, eqs. 14-17)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from divergan.lab import mutual_information as mi

IDENTITY, DISCRETE, TRAINED = 1e-6, 1e-12, 0.01


def test_mutual_information_is_js_pi(quick_result):
    r = quick_result("mutual-information")
    assert r["holds"]
    m = r["measured"]
    assert m["max_abs_mi_minus_js_pi_gaussian"] <= IDENTITY
    assert m["max_abs_bound_at_posterior_minus_mi"] <= IDENTITY
    assert m["max_abs_mi_minus_js_pi_discrete"] <= DISCRETE
    for row, gap in zip(m["trained_classifier"], m["trained_gap_mi_minus_bound"], strict=True):
        assert -IDENTITY <= gap <= TRAINED
        assert abs(row["bound_constant_q"]) <= 1e-9 < row["bound_trained"]
    first, last = m["trained_classifier"][0], m["trained_classifier"][-1]
    assert abs(first["mi"] - last["mi"]) < 1e-9  # π ↔ 1 − π symmetry for this pair of unit Gaussians


def test_negative_control_pi_swapped_posterior():
    """The posterior computed with 1 − π in place of π leaves a gap far above the 0.01 tolerance."""
    x = np.linspace(-12, 14, 13001)
    (mr, sr), (mg, sg) = mi.PAIRS[0]
    p_r, p_g = stats.norm.pdf(x, mr, sr), stats.norm.pdf(x, mg, sg)
    for pi in (0.1, 0.9):
        exact = mi.mi_gaussian((mr, sr), (mg, sg), pi, x)["mi"]
        swapped = (1 - pi) * p_r / ((1 - pi) * p_r + pi * p_g)
        assert exact - mi._bound(swapped, p_r, p_g, pi, x) > 10 * TRAINED
