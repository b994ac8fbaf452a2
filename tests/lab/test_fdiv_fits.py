"""Experiment 4: f-divergence fits of a Gaussian to a bimodal law (seed 002 panels A-D)."""

from __future__ import annotations

import math

import pytest


@pytest.mark.slow
def test_fits_cover_or_seek_modes(quick_result):
    r = quick_result("fdiv-fits")
    assert r["holds"]
    exact, tol = r["measured"]["exact_argmin"], r["tolerance"]
    assert abs(exact["kl"]["mu"]) <= tol["kl_closed_form"]
    assert abs(exact["kl"]["sigma"] - math.sqrt(4.25)) <= tol["kl_closed_form"]
    assert abs(exact["reverse-kl"]["mu"] - 2) <= tol["reverse_kl_mode"]
    assert abs(exact["reverse-kl"]["sigma"] - 0.5) <= tol["reverse_kl_mode"]
    assert exact["js-pi 0.1"]["sigma"] > exact["js-pi 0.5"]["sigma"] > exact["js-pi 0.99"]["sigma"]
    for label in ("kl", "js"):
        err = r["measured"]["fit_error"][label]
        assert err["mu"] <= tol["fit"] and err["sigma"] <= tol["fit"]
