"""Identities at the optimal critic: game values equal divergences, critics recover density ratios."""

from __future__ import annotations

import math

import pytest
import torch

from divergan.divergences import TABLE, Discrete, f_divergence
from divergan.divergences import get as get_fdiv
from divergan.divergences import wasserstein as exact_wasserstein
from divergan.objectives import (
    conjugate_of_activation,
    get_objective,
    log_density_ratio,
    log_ratio_by_bisection,
)

# P and Q on {0, 1, 2} in eighths, so expectations are exact means over batches of 8 points
P_COUNTS = (1, 3, 4)
Q_COUNTS = (4, 2, 2)
P = Discrete(tuple(c / 8 for c in P_COUNTS))
Q = Discrete(tuple(c / 8 for c in Q_COUNTS))
RATIO = torch.tensor([p / q for p, q in zip(P_COUNTS, Q_COUNTS)], dtype=torch.float64)  # p/q per point

#: every f-GAN objective, with non-default family parameters too
FGANS = [(f"fgan-{d}", {}) for d in TABLE] + [
    ("fgan-alpha", {"alpha": 2.0}),
    ("fgan-alpha", {"alpha": -0.5}),
    ("fgan-js-pi", {"pi": 0.2}),
]


def _batches(v_at_points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Critic outputs on a real batch distributed as P and a fake batch distributed as Q."""
    real = torch.repeat_interleave(v_at_points, torch.tensor(P_COUNTS))
    fake = torch.repeat_interleave(v_at_points, torch.tensor(Q_COUNTS))
    return real, fake


def _invert_monotone(g, target: torch.Tensor, lo: float = -40.0, hi: float = 40.0) -> torch.Tensor:
    """Solve g(v) = target by bisection for a monotone g (−e^v and 1 − e^v decrease); ends at lo/hi
    where the target is out of reach."""
    sign = (
        1.0
        if float(g(torch.tensor(hi, dtype=torch.float64))) > float(g(torch.tensor(lo, dtype=torch.float64)))
        else -1.0
    )
    a, b = torch.full_like(target, lo), torch.full_like(target, hi)
    for _ in range(200):
        mid = (a + b) / 2
        below = sign * g(mid) < sign * target
        a, b = torch.where(below, mid, a), torch.where(below, b, mid)
    return (a + b) / 2


def _optimal_v(fdiv) -> torch.Tensor:
    """V* at each support point: g_f(V*) = T* = f'(p/q) (GAN analysis slides, eq. 6)."""
    return _invert_monotone(fdiv.activation, fdiv.f_prime(RATIO))


def _fdiv_of(name: str, params: dict):
    div = name.removeprefix("fgan-")
    return get_fdiv(div, **{k: v for k, v in params.items() if k != "generator"})


def _id(case) -> str:
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


def test_minimax_value_at_the_optimal_discriminator_is_2js_minus_log4():
    # V = logit(D*), D* = p/(p + q)  ⇒  V* = log(p/q)  (GAN analysis slides, eq. 2)
    obj = get_objective("minimax")
    real, fake = _batches(torch.log(RATIO))
    value = -float(obj.critic_loss(real, fake))
    assert value == pytest.approx(2 * f_divergence("js", P, Q) - math.log(4), abs=1e-12)
    assert value == pytest.approx(f_divergence("gan", P, Q), abs=1e-12)


def test_js_pi_value_at_the_optimal_classifier_is_js_pi_minus_entropy():
    pi = 0.3
    obj = get_objective("js-pi", pi=pi)
    v_star = torch.log(RATIO) + math.log(pi / (1 - pi))  # logit of π p/(π p + (1 − π) q)
    value = -float(obj.critic_loss(*_batches(v_star)))
    h = -pi * math.log(pi) - (1 - pi) * math.log(1 - pi)
    assert value == pytest.approx(f_divergence("js-pi", P, Q, pi=pi) - h, abs=1e-12)
    assert torch.allclose(obj.density_ratio(v_star), torch.log(RATIO), atol=1e-12)


@pytest.mark.parametrize("case", FGANS, ids=_id)
def test_fgan_critic_value_at_the_optimal_critic_is_the_divergence(case):
    name, params = case
    obj, fdiv = get_objective(name, **params), _fdiv_of(name, params)
    v_star = _optimal_v(fdiv)
    value = -float(obj.critic_loss(*_batches(v_star)))
    assert value == pytest.approx(f_divergence(fdiv, P, Q), abs=1e-9)


@pytest.mark.parametrize("case", FGANS, ids=_id)
def test_fgan_critic_value_is_a_lower_bound(case):
    # eq. 5: E_P T − E_Q f*(T) ≤ D_f for every critic
    name, params = case
    obj, fdiv = get_objective(name, **params), _fdiv_of(name, params)
    target = f_divergence(fdiv, P, Q)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        v = 3 * torch.randn(3, generator=g, dtype=torch.float64)
        assert -float(obj.critic_loss(*_batches(v))) <= target + 1e-12


@pytest.mark.parametrize("case", FGANS, ids=_id)
def test_fgan_density_ratio_inverts_the_optimal_critic(case):
    name, params = case
    obj, fdiv = get_objective(name, **params), _fdiv_of(name, params)
    if obj.density_ratio is None:
        assert fdiv.name == "tv"  # f' = ½ sign(u − 1) has no inverse
        return
    assert torch.allclose(obj.density_ratio(_optimal_v(fdiv)), torch.log(RATIO), atol=1e-8)
    # and agrees with bisection on f' over a range of raw outputs
    v = torch.linspace(-3, 3, 13, dtype=torch.float64)
    closed = obj.density_ratio(v)
    finite = torch.isfinite(closed)
    numeric = log_ratio_by_bisection(fdiv, fdiv.activation(v))
    assert torch.allclose(closed[finite], numeric[finite], atol=1e-8)


@pytest.mark.parametrize("case", FGANS, ids=_id)
def test_stable_conjugate_of_activation_equals_the_table_composition(case):
    name, params = case
    fdiv = _fdiv_of(name, params)
    v = torch.linspace(-4, 4, 33, dtype=torch.float64)
    stable = conjugate_of_activation(fdiv)(v)
    naive = fdiv.f_star(fdiv.activation(v))
    assert torch.allclose(stable, naive, rtol=1e-10, atol=1e-10)


def test_gan_js_and_js_pi_games_are_the_minimax_game_up_to_constants():
    tr = torch.tensor([1.0, -0.5, 3.0], dtype=torch.float64)
    tf = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64)
    minimax = float(get_objective("minimax").critic_loss(tr, tf))
    assert float(get_objective("fgan-gan").critic_loss(tr, tf)) == pytest.approx(minimax, abs=1e-12)
    # JS: E_P T − E_Q f*(T) = ½(E log D + E log(1 − D)) + log 2
    assert float(get_objective("fgan-js").critic_loss(tr, tf)) == pytest.approx(
        0.5 * minimax - math.log(2), abs=1e-12
    )
    # js-pi as an f-GAN differs from the classifier game by H(π)
    pi = 0.2
    h = -pi * math.log(pi) - (1 - pi) * math.log(1 - pi)
    fgan = float(get_objective("fgan-js-pi", pi=pi).critic_loss(tr, tf))
    assert fgan == pytest.approx(float(get_objective("js-pi", pi=pi).critic_loss(tr, tf)) - h, abs=1e-12)
    # the alternative f-GAN generator loss on the gan entry is exactly −log D
    ns = float(get_objective("non-saturating").generator_loss(tr, tf))
    assert float(get_objective("fgan-gan").generator_loss(tr, tf)) == pytest.approx(ns, abs=1e-12)


@pytest.mark.parametrize("name", ["minimax", "non-saturating", "lsgan"])
def test_classifier_density_ratio(name):
    # D* = p/(p + q): minimax/non-saturating output V* = logit D*, LSGAN (a=0, b=1) outputs D* itself
    obj = get_objective(name)
    d_star = RATIO / (1 + RATIO)
    v_star = d_star if name == "lsgan" else torch.log(d_star / (1 - d_star))
    assert torch.allclose(obj.density_ratio(v_star), torch.log(RATIO), atol=1e-12)


def test_lsgan_optimal_critic_is_the_weighted_label_average():
    # V* = (b p + a q)/(p + q) minimises ½E_P(V − b)² + ½E_Q(V − a)²: zero gradient there
    a, b = -1.0, 1.0
    obj = get_objective("lsgan", a=a, b=b, c=0.0)
    v = ((b * RATIO + a) / (RATIO + 1)).requires_grad_(True)
    (grad,) = torch.autograd.grad(obj.critic_loss(*_batches(v)), v)
    assert torch.allclose(grad, torch.zeros(3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(obj.density_ratio(v.detach()), torch.log(RATIO), atol=1e-12)


def test_hinge_optimal_critic_value_is_two_minus_two_tv():
    obj = get_objective("hinge")
    v_star = torch.sign(RATIO - 1)  # sign(p − q)
    assert float(obj.critic_loss(*_batches(v_star))) == pytest.approx(
        2 - 2 * f_divergence("tv", P, Q), abs=1e-12
    )


def test_wasserstein_critic_value_of_a_1_lipschitz_critic_is_w1():
    # on {0, 1, 2} ⊂ R, P's CDF lies below Q's everywhere (P sits to the right), so the 1-Lipschitz
    # V*(x) = x attains the Kantorovich-Rubinstein supremum (GAN analysis slides, eq. 9)
    obj = get_objective("wgan")
    v_star = torch.arange(3, dtype=torch.float64)
    assert -float(obj.critic_loss(*_batches(v_star))) == pytest.approx(
        exact_wasserstein(P, Q, order=1), abs=1e-12
    )


def test_density_ratio_is_none_where_there_is_no_identity():
    for name in ("wgan", "wgan-gp", "hinge", "mmd", "mmd-gan", "fgan-tv"):
        assert get_objective(name).density_ratio is None, name
    assert log_density_ratio(get_fdiv("tv")) is None
