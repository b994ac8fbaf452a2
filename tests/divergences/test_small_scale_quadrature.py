"""Quadrature between narrow, far-apart Gaussians: the ε → 0 limit of JS(N(a, ε²)‖N(b, ε²)) is log 2.

Bug fixed here: with breakpoints only at μ ± 3σ, a quadrature piece from μ + 3σ to the next breakpoint
(the midpoint, |Δμ|/2 away) is ~10⁴σ long at ε = 1e-4; Gauss-Kronrod's nodes then all fall where the
density is 0, so the 0.27 % of each law's mass beyond 3σ was dropped (JS = 0.99730·log 2 = 0.6913).

Oracles, independent of the quadrature:
* TV between N(0, σ²) and N(rσ, σ²) is 2Φ(r/2) − 1 exactly (the densities cross once, at the midpoint);
  scipy's normal CDF gives it.
* JS between two equal-σ Gaussians depends only on r = |Δμ|/σ (change of variables x → x/σ) and lies in
  log 2(1 − e^{−r²/8}) ≤ JS ≤ log 2·TV (the lower bound from the Bhattacharyya coefficient e^{−r²/8});
  for r ≥ 10⁴ both ends equal log 2 in float64.
* gan = 2·JS − log 4 (the GAN entry is JS rescaled, GAN analysis slides eq. 2).

Tolerance 1e-9: the quadrature asks rtol 1e-10, and near μ = 1 the point x has float64 spacing 2.2e-16,
an error of 2.2e-16/σ in the standardised coordinate, ≤ 2.2e-10 for σ ≥ 1e-6. The bug's error is 1.9e-3.
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from divergan.divergences import Normal, exact, f_divergence, f_divergence_quad, get

TOL = 1e-9
LOG2 = math.log(2.0)
SMALL = (1e-4, 1e-5, 1e-6)


def _pair(a: float, b: float, sigma: float) -> tuple[Normal, Normal]:
    return Normal((a,), (sigma,)), Normal((b,), (sigma,))


def limit_error(eps_values=SMALL) -> float:
    """max over ε of |JS(N(0, ε²)‖N(1, ε²)) − log 2| (r = 1/ε ≥ 10⁴, so the exact value is log 2)."""
    return max(abs(f_divergence("js", *_pair(0.0, 1.0, e)) - LOG2) for e in eps_values)


def test_js_of_narrow_far_gaussians_is_log_2():
    assert limit_error() <= TOL


@pytest.mark.parametrize("sigma", [1.0, 1e-2, 1e-4, 1e-6])
@pytest.mark.parametrize("r", [0.5, 2.0, 8.0, 1e3, 1e6])
def test_tv_by_quadrature_matches_the_normal_cdf(sigma, r):
    p, q = _pair(0.0, r * sigma, sigma)
    assert f_divergence_quad(get("tv"), p, q) == pytest.approx(2 * norm.cdf(r / 2) - 1, abs=TOL)


@pytest.mark.parametrize("r", [0.5, 2.0, 8.0])
@pytest.mark.parametrize("sigma", [1e-2, 1e-4, 1e-6])
def test_js_depends_only_on_r_and_sits_in_its_sandwich(r, sigma):
    unit = f_divergence("js", *_pair(0.0, r, 1.0))
    scaled = f_divergence("js", *_pair(1.0, 1.0 + r * sigma, sigma))
    assert scaled == pytest.approx(unit, abs=TOL)
    lower, upper = LOG2 * (1 - math.exp(-(r**2) / 8)), LOG2 * (2 * norm.cdf(r / 2) - 1)
    assert lower - TOL <= scaled <= upper + TOL


@pytest.mark.parametrize("eps", SMALL)
def test_gan_entry_is_twice_js_minus_log_4_at_small_scale(eps):
    p, q = _pair(-0.5, 0.5, eps)
    assert f_divergence("gan", p, q) == pytest.approx(2 * f_divergence("js", p, q) - math.log(4), abs=2 * TOL)
    assert f_divergence("gan", p, q) == pytest.approx(0.0, abs=2 * TOL)


def test_negative_control_breakpoints_at_three_sigma_only_lose_the_tails(monkeypatch):
    """The old rule (±3σ only) fails the same check: the mass beyond 3σ, 2Φ(−3) = 0.27 %, goes missing."""
    monkeypatch.setattr(exact, "SIGMA_STEPS", (3.0,))
    err = limit_error((1e-4,))
    assert err > 1e3 * TOL
    assert err == pytest.approx(LOG2 * 2 * norm.cdf(-3.0), rel=1e-3)
