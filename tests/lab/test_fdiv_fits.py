"""fdiv-fits: covering/seeking argmins, JS_π limits, f-GAN fits identified by nearest argmin."""

from __future__ import annotations

import math

import pytest

from divergan.lab import fdiv_fits

#: the closed forms: KL's argmin is (0, √4.25); Nelder-Mead with xatol 1e-5 on a 6001-point trapezoid
CLOSED_FORM = 1e-3
#: reverse KL's argmin sits within 0.05 of the mode (2, ½): the other mode's mass at 2 is e^{-32}
MODE = 0.05


@pytest.mark.slow
def test_fits_cover_or_seek_modes(quick_result):
    r = quick_result("fdiv-fits")
    assert r["holds"] and all(r["measured"]["checks"].values())
    exact = r["measured"]["exact_argmin"]
    assert abs(exact["kl"]["mu"]) <= CLOSED_FORM
    assert abs(exact["kl"]["sigma"] - math.sqrt(4.25)) <= CLOSED_FORM
    assert abs(exact["reverse-kl"]["mu"] - 2) <= MODE and abs(exact["reverse-kl"]["sigma"] - 0.5) <= MODE
    assert exact["js-pi 0.1"]["sigma"] > exact["js-pi 0.5"]["sigma"] > exact["js-pi 0.99"]["sigma"]
    # each f-GAN fit is nearest its own argmin: in particular KL's and JS's (0.02 apart in σ) are told apart
    assert set(r["measured"]["fgan_fit"]) == {"kl", "js"}
    for label, nearest in r["measured"]["fgan_nearest_argmin"].items():
        assert label in nearest and ("kl" not in nearest or nearest == ["kl"])
    assert abs(exact["kl"]["sigma"] - exact["js"]["sigma"]) > 0.01


@pytest.mark.slow
def test_negative_control_swapped_label_is_not_nearest(quick_result):
    """The JS f-GAN fit judged as if it had optimised KL, and the KL fit as JS: nearest says no to both."""
    r = quick_result("fdiv-fits")
    fits, exact = r["measured"]["fgan_fit"], r["measured"]["exact_argmin"]
    assert "kl" not in fdiv_fits.nearest_argmin(fits["js"], exact)
    assert "js" not in fdiv_fits.nearest_argmin(fits["kl"], exact)


def test_js_pi_limits_and_swapped_pi_control():
    ok = fdiv_fits.js_pi_limits()
    assert ok["ok"]
    # O(π): the error at π = 0.001 is ≤ 1% and about a tenth of the error at 0.01
    assert ok["rel_error_pi_to_0"][-1] <= 0.01 and ok["rel_error_pi_to_1"][-1] <= 0.01
    swapped = fdiv_fits.js_pi_limits(lambda p, m, s: fdiv_fits.objective("js-pi", {"pi": 1 - p}, m, s))
    assert not swapped["ok"]
