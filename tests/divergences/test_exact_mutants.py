"""Checks written against mutation testing of ``divergences/exact.py`` and ``distributions.py``
(docs/testing.md, "Mutation testing"): exact error texts, the method names the CLI prints, boundaries
of the validity checks, and Wasserstein values derived by hand for the mixed (Gaussian against point
mass) and discrete cases that the other tests do not reach."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from divergan.divergences import Discrete, Normal, f_divergence_with_method, parse_spec, wasserstein
from divergan.divergences import exact as exact_module
from divergan.divergences import get as get_fdiv
from divergan.errors import UserError

N01 = Normal((0.0,), (1.0,))


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(UserError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- distributions ----------------------------------------------------------------------------------------
def test_normal_checks_and_texts():
    assert _message(Normal, (0.0, 1.0), (1.0,)) == "normal: mu has 2 coordinates but sigma has 1"
    assert _message(Normal, (0.0, 1.0), (1.0, 0.0)) == "normal: every sigma must be > 0, got 1, 0"
    assert _message(Normal, (0.0,), (-2.5,)) == "normal: every sigma must be > 0, got -2.5"
    assert _message(Normal, ("a",), (1.0,)) == "mu must be numbers, got ('a',)"
    assert _message(Normal, (), ()) == "mu must not be empty"
    assert _message(Normal, (0.0,), ()) == "sigma must not be empty"
    assert _message(Normal, (0.0,), (math.inf,)) == "sigma must be finite numbers, got inf"
    assert _message(Normal, (math.nan, 1.0), (1.0, 1.0)) == "mu must be finite numbers, got nan, 1"
    scalar = Normal(2, 3.5)  # a number is one coordinate
    assert scalar.mu == (2.0,) and scalar.sigma == (3.5,) and scalar.dim == 1
    assert Normal((0.0, 1.0), (1.0, 2.0)).dim == 2
    assert str(Normal((0.5, -1.0), (1.0, 2.0))) == "normal:0.5;-1,1;2"
    assert Normal((0.0,), (1e-300,)).sigma == (1e-300,)  # any sigma above 0


def test_normal_helpers_equal_scipy_and_numpy():
    p = Normal((1.5,), (2.0,))
    for x in (-1.0, 1.5, 4.0):
        assert float(p.logpdf(x)) == pytest.approx(stats.norm.logpdf(x, 1.5, 2.0), rel=1e-15)
        assert float(p.cdf(x)) == pytest.approx(stats.norm.cdf(x, 1.5, 2.0), rel=1e-15)
    # written out, not scipy's: equal to a few ulps on arrays, in the far tails and at small scales
    xs = np.array([-60.0, -3.3, 0.0, 1e-9, 2.5, 75.0])
    for mu, sigma in ((1.5, 2.0), (0.0, 1e-3), (-4.0, 30.0)):
        want = stats.norm.logpdf(xs, mu, sigma)
        np.testing.assert_allclose(Normal((mu,), (sigma,)).logpdf(xs), want, rtol=1e-14, atol=1e-14)
    assert float(p.logpdf(1.5)) != pytest.approx(float(Normal((1.5,), (2.1,)).logpdf(1.5)), rel=1e-6)
    assert float(p.ppf(0.3)) == pytest.approx(stats.norm.ppf(0.3, 1.5, 2.0), rel=1e-15)
    q = Normal((0.0, 10.0), (1.0, 0.5))
    got = q.sample(4, np.random.default_rng(3))
    want = np.random.default_rng(3).normal((0.0, 10.0), (1.0, 0.5), size=(4, 2))
    assert got.shape == (4, 2) and np.array_equal(got, want)


def test_discrete_checks_and_texts():
    assert _message(Discrete, (-0.5, 1.5)) == "discrete: probabilities must be >= 0, got -0.5, 1.5"
    assert _message(Discrete, (0.5, 0.6)) == "discrete: probabilities must sum to 1, they sum to 1.1"
    assert _message(Discrete, (0.5, 0.5 + 2e-6)) == (
        "discrete: probabilities must sum to 1, they sum to 1.000002"
    )
    assert Discrete((0.5, 0.5 + 5e-7)).probs == (0.5, 0.5000005)  # within SUM_TOLERANCE = 1e-6
    assert Discrete((0.0, 1.0)).probs == (0.0, 1.0)  # a zero probability is fine
    assert _message(Discrete, ()) == "probabilities must not be empty"
    assert Discrete(1).probs == (1.0,)
    d = Discrete((0.25, 0.0, 0.75))
    assert d.dim == 1 and d.support.tolist() == [0.0, 1.0, 2.0] and d.support.dtype == np.float64
    assert str(d) == "discrete:0.25,0,0.75"
    got = d.sample(5, np.random.default_rng(1))
    want = np.random.default_rng(1).choice(3, size=(5, 1), p=[0.25, 0.0, 0.75]).astype(np.float64)
    assert got.dtype == np.float64 and np.array_equal(got, want)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("normal", "bad spec 'normal': expected SCHEME:ARGS (normal:MU,SIGMA or discrete:P1,P2,...)"),
        ("normal:0", "bad spec 'normal:0': normal takes MU,SIGMA (use ';' between coordinates)"),
        ("normal:0,1,2", "bad spec 'normal:0,1,2': normal takes MU,SIGMA (use ';' between coordinates)"),
        ("normal:x,1", "bad MU in spec 'normal:x,1': 'x' is not a number"),
        ("normal:0,1;y", "bad SIGMA in spec 'normal:0,1;y': '1;y' is not a number"),
        ("normal:nan,1", "bad MU in spec 'normal:nan,1': numbers must be finite"),
        ("discrete:a", "bad spec 'discrete:a': probabilities must be numbers"),
        ("normal:0:1,1", "bad MU in spec 'normal:0:1,1': '0:1' is not a number"),  # split at the first ':'
        ("discrete:inf,0", "bad spec 'discrete:inf,0': probabilities must be finite"),
        (
            "gamma:1,2",
            "unknown scheme 'gamma' in spec 'gamma:1,2'; use normal:MU,SIGMA or discrete:P1,P2,...",
        ),
    ],
)
def test_spec_errors_word_for_word(spec, message):
    assert _message(parse_spec, spec) == message


def test_specs_with_spaces_and_case():
    assert parse_spec("Normal: 1 ; 2 , 3 ; 4") == Normal((1.0, 2.0), (3.0, 4.0))
    assert parse_spec("DISCRETE: 0.5 , 0.5") == Discrete((0.5, 0.5))
    assert (
        _message(parse_spec, 3) == "bad spec 3: expected SCHEME:ARGS (normal:MU,SIGMA or discrete:P1,P2,...)"
    )


# --- exact f-divergences: methods and errors ------------------------------------------------------------------
def test_method_names_and_errors():
    kl, js = get_fdiv("kl"), get_fdiv("js")
    assert f_divergence_with_method(kl, Discrete((0.5, 0.5)), Discrete((0.5, 0.5))) == (
        0.0,
        "exact sum over the support",
    )
    value, method = f_divergence_with_method(kl, N01, Normal((1.0,), (1.0,)))
    assert value == pytest.approx(0.5) and method == "closed form (Gaussians)"
    value, method = f_divergence_with_method(js, N01, N01)
    assert value == pytest.approx(0.0, abs=1e-12) and method == "adaptive quadrature (scipy.integrate.quad)"
    value, method = f_divergence_with_method(js, N01, Discrete((1.0,)))
    assert value == pytest.approx(math.log(2)) and method == "mutually singular supports: f(0) + lim f(u)/u"
    assert f_divergence_with_method(kl, Discrete((1.0,)), N01)[0] == math.inf
    assert _message(f_divergence_with_method, kl, N01, Normal((0.0, 0.0), (1.0, 1.0))) == (
        "P has 1 dimensions but Q has 2"
    )
    two = Normal((0.0, 0.0), (1.0, 1.0))
    assert _message(f_divergence_with_method, js, two, two) == (
        "no closed form for js between 2-D Gaussians; pass samples (.npy/.csv) to estimate it"
    )
    assert _message(exact_module.discrete_f_divergence, kl, Discrete((1.0,)), Discrete((0.5, 0.5))) == (
        "discrete distributions differ in length: 1 vs 2"
    )
    assert _message(exact_module.f_divergence_quad, js, two, two) == "quadrature needs 1-D distributions"
    assert _message(exact_module.f_divergence_quad, js, N01, two) == "quadrature needs 1-D distributions"


def test_clean():
    assert exact_module._clean(2.5) == 2.5
    assert exact_module._clean(1e300) == 1e300 and exact_module._clean(1.0000001e300) == math.inf
    with pytest.raises(ArithmeticError) as info:
        exact_module._clean(math.nan)
    assert str(info.value) == "divergence evaluated to NaN"


def test_breakpoints_of_the_quadrature():
    p, q = Normal((0.0,), (1.0,)), Normal((2.0,), (1.0,))  # equal variances: one crossing at 1
    # the means, the crossing, and μ ± kσ for k in SIGMA_STEPS (3 and 10)
    assert exact_module.SIGMA_STEPS == (3.0, 10.0)
    assert exact_module._breakpoints(p, q) == [-10.0, -8.0, -3.0, -1.0, 0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 12.0]
    assert exact_module._crossings(p, q) == [1.0]


def test_quadrature_of_the_tails_and_a_far_pair():
    # TV between N(0,1) and N(0,4) by hand: crossings at ±c, c² = 8 log 2 / 3; TV = 2(Φ(c) − Φ(c/2))
    c = math.sqrt(8 * math.log(2) / 3)
    tv = 2 * (stats.norm.cdf(c) - stats.norm.cdf(c / 2))
    assert exact_module.f_divergence_quad(get_fdiv("tv"), N01, Normal((0.0,), (2.0,))) == pytest.approx(
        tv, rel=1e-9
    )
    # 60 σ apart: TV = 1 − 2Φ(−30) and JS = log 2 to double precision
    far = Normal((60.0,), (1.0,))
    assert exact_module.f_divergence_quad(get_fdiv("tv"), N01, far) == pytest.approx(1.0, rel=1e-12)
    assert exact_module.f_divergence_quad(get_fdiv("js"), N01, far) == pytest.approx(math.log(2), rel=1e-12)
    # a divergent integral is +inf (KL of a wide law from a narrow one through the quadrature)
    assert exact_module.f_divergence_quad(get_fdiv("pearson"), Normal((0.0,), (3.0,)), N01) == math.inf


# --- Wasserstein -----------------------------------------------------------------------------------------------
def test_wasserstein_errors():
    assert _message(wasserstein, N01, N01, order=3) == "Wasserstein order must be 1 or 2, got 3"
    two = Normal((0.0, 0.0), (1.0, 1.0))
    assert _message(wasserstein, N01, two) == "P has 1 dimensions but Q has 2"
    assert _message(wasserstein, two, Normal((1.0, 0.0), (1.0, 2.0))) == (
        "W_1 between n-D Gaussians has no closed form; pass samples to estimate it"
    )


def test_wasserstein_gaussians():
    # equal σ in n-D: W_1 has no closed form there, W_2 = ‖Δμ‖
    a, b = Normal((0.0, 0.0), (1.0, 1.0)), Normal((3.0, 4.0), (1.0, 1.0))
    assert wasserstein(a, b, order=2) == pytest.approx(5.0, rel=1e-15)
    assert wasserstein(N01, Normal((-2.5,), (1.0,))) == 2.5
    # W_2² = Δμ² + Δσ² with diagonal covariances
    assert wasserstein(a, Normal((1.0, 0.0), (3.0, 1.0)), order=2) == pytest.approx(
        math.sqrt(1 + 4), rel=1e-15
    )
    # N(0, 1) against N(0, 4): W_1 = E|X − 2X| = E|X| = √(2/π) (the monotone map x -> 2x)
    assert wasserstein(N01, Normal((0.0,), (2.0,))) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-8)


def test_wasserstein_against_point_masses():
    delta0 = Discrete((1.0,))
    # W_1(N(0,1), δ_0) = E|X| = √(2/π);  W_2 = √(E X²) = 1
    assert wasserstein(N01, delta0) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-8)
    assert wasserstein(N01, delta0, order=2) == pytest.approx(1.0, rel=1e-8)
    assert wasserstein(delta0, N01, order=2) == pytest.approx(1.0, rel=1e-8)
    # N(0, 1) against ½δ_0 + ½δ_1: W_2² = ∫_0^½ Φ⁻¹(t)² dt + ∫_½^1 (Φ⁻¹(t) − 1)² dt
    # = E[X²; X < 0] + E[X²; X > 0] − 2 E[X; X > 0] + P(X > 0) = ½ + ½ − 2φ(0) + ½ = 3/2 − 2/√(2π)
    half = Discrete((0.5, 0.5))
    assert wasserstein(N01, half, order=2) == pytest.approx(
        math.sqrt(1.5 - 2 / math.sqrt(2 * math.pi)), rel=1e-7
    )
    # W_1 = ∫ |Φ(x) − F(x)| dx with F = 0 below 0, ½ on [0, 1), 1 above:
    # ∫_{−∞}^0 Φ + ∫_0^1 |Φ − ½| + ∫_1^∞ (1 − Φ) = φ(0) + (∫_0^1 Φ − ½) + (φ(1) − (1 − Φ(1)))
    phi, cdf = stats.norm.pdf, stats.norm.cdf
    int01 = (1 * cdf(1) + phi(1)) - (0 + phi(0))  # ∫ Φ = xΦ + φ
    w1 = phi(0) + (int01 - 0.5) + (phi(1) - (1 - cdf(1)))
    assert wasserstein(N01, half) == pytest.approx(w1, rel=1e-8)
    # discrete laws through POT: W_2 between δ_0 and ½δ_0 + ½δ_2 = √(½ · 4)
    assert wasserstein(Discrete((1.0, 0.0, 0.0)), Discrete((0.5, 0.0, 0.5)), order=2) == pytest.approx(
        math.sqrt(2.0)
    )


def test_quantiles_cdfs_and_jumps_of_a_discrete_law():
    d = Discrete((0.25, 0.0, 0.75))
    assert exact_module._quantile(d, np.array([0.1, 0.25, 0.3, 1.0])).tolist() == [0.0, 0.0, 2.0, 2.0]
    assert exact_module._cdf(d, np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 7.0])).tolist() == [
        0.0,
        0.25,
        0.25,
        0.25,
        1.0,
        1.0,
    ]
    assert exact_module._cdf_jumps(d) == [0.25, 0.25]
    assert exact_module._cdf_jumps(Discrete((1.0, 0.0))) == []
    assert exact_module._cdf_jumps(N01) == []
    assert exact_module._support_points(Normal((1.0,), (2.0,))) == [-5.0, 1.0, 7.0]
    assert exact_module._support_points(d) == [0.0, 1.0, 2.0]
