"""garcia-lemmas: Lemma 1.1 (weak density, rate 1/k), Lemma 1.2 (D_X + D_G = 2), JS formula = 2·JS."""

from __future__ import annotations

import math

from scipy import integrate, stats

from divergan.lab import garcia_lemmas as gl

QUAD = 1e-8
#: 2 log 2 φ(0): ∫ σ(−|v|) dv = 2 log 2, times the density of Z at 0
RATE = 2 * math.log(2) / math.sqrt(2 * math.pi)


def test_lemmas(quick_result):
    r = quick_result("garcia-lemmas")
    assert r["holds"] and all(r["measured"]["checks"].values())
    m = r["measured"]
    assert all(b < a for a, b in zip(m["w1"], m["w1"][1:], strict=False))
    assert abs(m["k_times_w1_last"] / RATE - 1) <= 0.01
    assert m["lemma_1_2_max_abs_sum_minus_2"] <= 1e-12
    assert all(abs(v - 2) <= 1e-6 for v in m["rhs_over_js"])


def test_w1_by_an_independent_quadrature():
    """W₁ = ∫_0^1 |F_k − F| with F_k(x) = Φ(logit(x)/k) and F = ½ on [0, 1)."""
    for k in (1.0, 8.0):
        direct, _ = integrate.quad(
            lambda x, k=k: abs(stats.norm.cdf(math.log(x / (1 - x)) / k) - 0.5), 0, 1, points=[0.5], limit=200
        )
        assert abs(direct - gl.w1_sigmoid_to_bernoulli(k)) <= 1e-7


def test_negative_controls():
    # the unnormalised "mixture" X + G: densities sum to 1, not 2
    assert not gl.lemma_1_2(mixture_weight=1.0)["ok"]
    # Garcia's statement taken literally (RHS = JS) fails on every pair
    assert not gl.factor_two(factor=1.0)["ok"]
    # a sequence that does not approach X: the constant map G_k(z) = ½, W₁(δ_½, Bernoulli(½)) = ½ for every k
    ev = gl.evaluate([1, 4, 16], w1=lambda k: 0.5)
    assert not ev["checks"]["lemma_1_1_w1_decreasing_to_0"]
    assert ev["holds"] is False
