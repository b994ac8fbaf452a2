"""Exact values between known distributions, against closed forms, quadrature and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from divergan.divergences import Discrete, Normal, f_divergence, f_divergence_quad, get, names, wasserstein
from divergan.errors import UserError

N01 = Normal((0.0,), (1.0,))
GAUSSIAN_PAIRS = [
    (N01, Normal((1.0,), (1.0,))),
    (N01, Normal((0.5,), (0.9,))),
    (Normal((0.0,), (0.3,)), Normal((1.0,), (1.2,))),
    (Normal((-1.0,), (2.0,)), Normal((0.7,), (1.6,))),
]
DISCRETE_PAIRS = [
    (Discrete((0.2, 0.5, 0.3)), Discrete((0.4, 0.4, 0.2))),
    (Discrete((0.1, 0.9)), Discrete((0.6, 0.4))),
    (Discrete((0.25, 0.25, 0.25, 0.25)), Discrete((0.7, 0.1, 0.1, 0.1))),
]
ALL = (
    [(n, {}) for n in names()]
    + [("alpha", {"alpha": a}) for a in (-0.5, 0.3, 2.0)]
    + [("js-pi", {"pi": p}) for p in (0.1, 0.99)]
)
IDS = [n + "".join(f"-{v}" for v in p.values()) for n, p in ALL]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


CLOSED = [(n, p) for n, p in ALL if get(n, **p).normal is not None]


def test_entries_without_a_closed_form_are_only_the_jensen_shannon_family():
    assert {n for n, p in ALL if get(n, **p).normal is None} == {"js", "gan", "js-pi"}


@pytest.mark.parametrize(
    "name,params", CLOSED, ids=[n + "".join(f"-{v}" for v in p.values()) for n, p in CLOSED]
)
@pytest.mark.parametrize("pair", range(len(GAUSSIAN_PAIRS)))
def test_closed_forms_agree_with_quadrature(name, params, pair):
    fdiv = get(name, **params)
    p, q = GAUSSIAN_PAIRS[pair]
    closed = f_divergence(fdiv, p, q)
    quad = f_divergence_quad(fdiv, p, q)
    if math.isinf(closed):
        assert math.isinf(quad)
    else:
        assert _rel(quad, closed) < 1e-6, (closed, quad)


@pytest.mark.parametrize("name,params", ALL, ids=IDS)
def test_divergence_is_minimal_exactly_at_p_equals_q(name, params):
    fdiv = get(name, **params)
    floor = fdiv.f_at_1  # 0 for all but gan (−log 4)
    for p, q in DISCRETE_PAIRS:
        assert f_divergence(fdiv, p, p) == pytest.approx(floor, abs=1e-12)
        assert f_divergence(fdiv, p, q) > floor + 1e-6
    for p, q in GAUSSIAN_PAIRS[:2]:
        assert f_divergence(fdiv, p, p) == pytest.approx(floor, abs=1e-9)
        assert f_divergence(fdiv, p, q) > floor + 1e-6


def test_hand_computed_discrete_values():
    p, q = Discrete((0.1, 0.9)), Discrete((0.6, 0.4))
    kl = 0.1 * math.log(0.1 / 0.6) + 0.9 * math.log(0.9 / 0.4)
    rkl = 0.6 * math.log(0.6 / 0.1) + 0.4 * math.log(0.4 / 0.9)
    m = (0.35, 0.65)
    js = 0.5 * (0.1 * math.log(0.1 / m[0]) + 0.9 * math.log(0.9 / m[1])) + 0.5 * (
        0.6 * math.log(0.6 / m[0]) + 0.4 * math.log(0.4 / m[1])
    )
    assert f_divergence("kl", p, q) == pytest.approx(kl, rel=1e-12)
    assert f_divergence("reverse-kl", p, q) == pytest.approx(rkl, rel=1e-12)
    assert f_divergence("jeffrey", p, q) == pytest.approx(kl + rkl, rel=1e-12)
    assert f_divergence("js", p, q) == pytest.approx(js, rel=1e-12)
    assert f_divergence("gan", p, q) == pytest.approx(2 * js - math.log(4), rel=1e-12)
    assert f_divergence("tv", p, q) == pytest.approx(0.5, rel=1e-12)
    assert f_divergence("pearson", p, q) == pytest.approx(0.25 / 0.6 + 0.25 / 0.4, rel=1e-12)
    assert f_divergence("neyman", p, q) == pytest.approx(0.25 / 0.1 + 0.25 / 0.9, rel=1e-12)
    hell = (math.sqrt(0.1) - math.sqrt(0.6)) ** 2 + (math.sqrt(0.9) - math.sqrt(0.4)) ** 2
    assert f_divergence("squared-hellinger", p, q) == pytest.approx(hell, rel=1e-12)


@pytest.mark.parametrize("pi", [0.1, 0.3, 0.5, 0.99])
def test_js_pi_is_the_mutual_information_of_a_bernoulli_label(pi):
    # GAN analysis slides, eqs. 14-15: Z ~ Ber(π), X|Z=1 ~ P, X|Z=0 ~ Q; I(X; Z) = KL(p(x, z) ‖ p(x) p(z))
    p, q = np.array([0.2, 0.5, 0.3]), np.array([0.4, 0.4, 0.2])
    joint = np.stack([(1 - pi) * q, pi * p])  # rows z = 0, 1
    px, pz = joint.sum(0), joint.sum(1)
    mi = float(np.sum(joint * np.log(joint / (pz[:, None] * px[None, :]))))
    assert f_divergence("js-pi", Discrete(tuple(p)), Discrete(tuple(q)), pi=pi) == pytest.approx(
        mi, rel=1e-12
    )


def test_alpha_family_relations():
    for p, q in DISCRETE_PAIRS + GAUSSIAN_PAIRS[:2]:
        assert f_divergence("alpha", p, q, alpha=2.0) == pytest.approx(
            f_divergence("pearson", p, q) / 2, rel=1e-9
        )
        assert f_divergence("alpha", p, q, alpha=-1.0) == pytest.approx(
            f_divergence("neyman", p, q) / 2, rel=1e-9
        )
        assert f_divergence("alpha", p, q, alpha=0.5) == pytest.approx(
            2 * f_divergence("squared-hellinger", p, q), rel=1e-9
        )
        assert f_divergence("alpha", p, q, alpha=1 - 1e-7) == pytest.approx(
            f_divergence("kl", p, q), rel=1e-5
        )


def test_gaussian_closed_forms_by_hand():
    p, q = N01, Normal((1.0,), (1.0,))
    assert f_divergence("kl", p, q) == pytest.approx(0.5, rel=1e-12)
    assert f_divergence("jeffrey", p, q) == pytest.approx(1.0, rel=1e-12)
    assert f_divergence("pearson", p, q) == pytest.approx(math.e - 1, rel=1e-12)  # exp(Δμ²/σ²) − 1
    assert f_divergence("squared-hellinger", p, q) == pytest.approx(2 - 2 * math.exp(-1 / 8), rel=1e-12)
    # equal variances: TV = 2Φ(|Δμ|/(2σ)) − 1
    assert f_divergence("tv", p, q) == pytest.approx(2 * stats.norm.cdf(0.5) - 1, rel=1e-8)
    # diagonal n-D: KL adds over coordinates
    p2, q2 = Normal((0.0, 0.0), (1.0, 2.0)), Normal((1.0, -1.0), (1.0, 1.0))
    kl2 = 0.5 + (math.log(0.5) + (4 + 1) / 2 - 0.5)
    assert f_divergence("kl", p2, q2) == pytest.approx(kl2, rel=1e-12)


def test_gan_is_twice_js_minus_log4_on_gaussians():
    for p, q in GAUSSIAN_PAIRS:
        assert f_divergence("gan", p, q) == pytest.approx(
            2 * f_divergence("js", p, q) - math.log(4), rel=1e-8
        )


def test_infinite_divergences_are_inf_not_nan():
    p, q = Discrete((0.5, 0.5, 0.0)), Discrete((0.0, 0.5, 0.5))
    assert f_divergence("kl", p, q) == math.inf
    assert f_divergence("reverse-kl", p, q) == math.inf
    assert f_divergence("pearson", p, q) == math.inf
    assert f_divergence("js", p, q) == pytest.approx(0.5 * math.log(2), rel=1e-12)
    disjoint_p, disjoint_q = Discrete((1.0, 0.0)), Discrete((0.0, 1.0))
    assert f_divergence("js", disjoint_p, disjoint_q) == pytest.approx(math.log(2), rel=1e-12)
    assert f_divergence("tv", disjoint_p, disjoint_q) == pytest.approx(1.0, rel=1e-12)
    assert f_divergence("kl", disjoint_p, disjoint_q) == math.inf
    # χ² between Gaussians diverges when 2σ_q² <= σ_p²
    assert f_divergence("pearson", Normal((0.0,), (2.0,)), N01) == math.inf
    assert f_divergence("neyman", N01, Normal((0.0,), (2.0,))) == math.inf
    # a density against point masses is singular: JS = log 2, TV = 1, KL = inf
    point = Discrete((0.5, 0.5))
    assert f_divergence("js", N01, point) == pytest.approx(math.log(2))
    assert f_divergence("tv", N01, point) == pytest.approx(1.0)
    assert f_divergence("kl", N01, point) == math.inf


def test_n_dimensional_quadrature_is_refused_with_a_clear_error():
    with pytest.raises(UserError, match="no closed form"):
        f_divergence("js", Normal((0.0, 0.0), (1.0, 1.0)), Normal((1.0, 0.0), (1.0, 1.0)))


def test_wasserstein_exact_values():
    assert wasserstein(N01, Normal((10.0,), (1.0,))) == pytest.approx(10.0, rel=1e-12)
    assert wasserstein(N01, Normal((10.0,), (1.0,)), order=2) == pytest.approx(10.0, rel=1e-12)
    # W2 between Gaussians: sqrt(Δμ² + Δσ²); W1 by quadrature of |F − G| is below it
    p, q = N01, Normal((1.0,), (2.0,))
    assert wasserstein(p, q, order=2) == pytest.approx(math.sqrt(2.0), rel=1e-12)
    assert wasserstein(p, q, order=1) < math.sqrt(2.0)
    # W2 from the quantile integral agrees with the closed form
    from scipy import integrate

    from divergan.divergences.exact import _quantile

    w2_quad = math.sqrt(integrate.quad(lambda t: (_quantile(p, t) - _quantile(q, t)) ** 2, 0, 1)[0])
    assert w2_quad == pytest.approx(math.sqrt(2.0), rel=1e-6)
    # discrete laws on 0..K−1: W1 = Σ |F_P − F_Q|
    a, b = Discrete((0.5, 0.5, 0.0)), Discrete((0.0, 0.5, 0.5))
    assert wasserstein(a, b) == pytest.approx(1.0, rel=1e-12)
    assert wasserstein(Discrete((1.0, 0.0, 0.0)), Discrete((0.0, 0.0, 1.0)), order=2) == pytest.approx(2.0)
    # a point mass against a narrow Gaussian at the same place is ~0 apart
    assert wasserstein(Discrete((0.0, 1.0)), Normal((1.0,), (1e-4,))) == pytest.approx(
        1e-4 * math.sqrt(2 / math.pi), rel=1e-3
    )


def test_wasserstein_matches_large_sample_transport():
    rng = np.random.default_rng(0)
    p, q = Normal((0.0,), (1.0,)), Normal((1.0,), (2.0,))
    x, y = np.sort(p.sample(200_000, rng)[:, 0]), np.sort(q.sample(200_000, rng)[:, 0])
    assert wasserstein(p, q) == pytest.approx(float(np.mean(np.abs(x - y))), rel=1e-2)


def test_distribution_validation():
    with pytest.raises(UserError):
        Normal((0.0,), (0.0,))
    with pytest.raises(UserError):
        Normal((0.0, 1.0), (1.0,))
    with pytest.raises(UserError):
        Discrete((0.5, 0.6))
    with pytest.raises(UserError):
        Discrete((-0.5, 1.5))
    with pytest.raises(UserError, match="differ in length"):
        f_divergence("kl", Discrete((0.5, 0.5)), Discrete((0.2, 0.3, 0.5)))


def test_float64_throughout():
    fdiv = get("kl")
    out = fdiv.perspective(torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([0.25, 0.75]).double())
    assert out.dtype == torch.float64
