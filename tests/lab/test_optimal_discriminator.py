"""optimal-discriminator: trained D ≈ D*, V(G, D*) = 2·JS − log 4; the label-swapped D fails."""

from __future__ import annotations

import json
import math

import numpy as np
from scipy import stats

from divergan.divergences import Normal, f_divergence
from divergan.lab import optimal_discriminator as od

D_ERR, VALUE, IDENTITY = 0.03, 0.01, 1e-6


def test_trained_discriminator_matches_the_optimal_one(quick_result):
    r = quick_result("optimal-discriminator")
    assert r["holds"]
    for pair in r["measured"]["pairs"]:
        assert pair["mean_abs_error_D"] <= D_ERR
        assert abs(pair["value_optimal_D"] - pair["two_js_minus_log4"]) <= IDENTITY
        assert abs(pair["value_trained_D"] - pair["two_js_minus_log4"]) <= VALUE
        # the value tolerance is at most 1/20 of the gap to the uninformed D ≡ ½ (value −log 4)
        assert VALUE <= (pair["two_js_minus_log4"] + math.log(4)) / 20
    assert json.loads((r["_out"] / "result.json").read_text())["holds"] is True


def test_negative_control_label_swapped_discriminator():
    x = np.linspace(-12, 12, 12001)
    p_r, p_g = stats.norm.pdf(x, 0, 1), stats.norm.pdf(x, 1.5, 0.7)
    js = f_divergence("js", Normal((0.0,), (1.0,)), Normal((1.5,), (0.7,)))
    d_star = p_r / (p_r + p_g)
    assert od.score(d_star, p_r, p_g, x, js)["ok"]
    swapped = od.score(1 - d_star, p_r, p_g, x, js)
    assert not swapped["ok"] and swapped["mean_abs_error_D"] > 10 * D_ERR
    # D ≡ ½ (learned nothing) also fails
    assert not od.score(np.full_like(x, 0.5), p_r, p_g, x, js)["ok"]
