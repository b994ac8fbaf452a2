"""Every objective's losses against values computed by hand (scalar math) on fixed critic outputs."""

from __future__ import annotations

import math

import pytest
import torch
from scipy.special import lambertw

from divergan.objectives import get_objective, names

T_REAL = [1.0, -0.5]
T_FAKE = [0.0, 2.0]


def sp(x: float) -> float:
    """softplus, by hand."""
    return math.log1p(math.exp(x))


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


def fgan(g, fstar):
    """(critic, saddle generator, alt generator) of an f-GAN from scalar g_f and f*."""
    critic = -(mean(g(v) for v in T_REAL) - mean(fstar(g(v)) for v in T_FAKE))
    saddle = -mean(fstar(g(v)) for v in T_FAKE)
    alt = -mean(g(v) for v in T_FAKE)
    return critic, saddle, alt


def _jeffrey_star(t: float) -> float:
    w = float(lambertw(math.exp(1 - t)).real)
    return w + 1 / w + t - 2


def _alpha_star(a: float):
    return lambda t: ((1 + (a - 1) * t) ** (a / (a - 1)) - 1) / a


def _js_pi_g(pi: float):
    return lambda v: pi * math.log(sig(v) / pi)


def _js_pi_star(pi: float):
    return lambda t: -(1 - pi) * math.log((1 - pi * math.exp(t / pi)) / (1 - pi))


#: (name, params, g_f, f*) for every f-GAN entry: the f-GAN paper's table written out by hand
FGAN_CASES = [
    ("fgan-kl", {}, lambda v: v, lambda t: math.exp(t - 1)),
    ("fgan-reverse-kl", {}, lambda v: -math.exp(v), lambda t: -1 - math.log(-t)),
    ("fgan-pearson", {}, lambda v: v, lambda t: t * t / 4 + t if t >= -2 else -1.0),
    ("fgan-neyman", {}, lambda v: 1 - math.exp(v), lambda t: 2 - 2 * math.sqrt(1 - t)),
    ("fgan-squared-hellinger", {}, lambda v: 1 - math.exp(v), lambda t: t / (1 - t)),
    ("fgan-js", {}, lambda v: 0.5 * (math.log(2) - sp(-v)), lambda t: -0.5 * math.log(2 - math.exp(2 * t))),
    ("fgan-gan", {}, lambda v: -sp(-v), lambda t: -math.log(1 - math.exp(t))),
    ("fgan-tv", {}, lambda v: 0.5 * math.tanh(v), lambda t: t),
    ("fgan-jeffrey", {}, lambda v: v, _jeffrey_star),
    ("fgan-alpha", {}, lambda v: 2 - sp(-v), _alpha_star(0.5)),
    ("fgan-alpha", {"alpha": -1.0}, lambda v: 0.5 - sp(-v), _alpha_star(-1.0)),
    ("fgan-alpha", {"alpha": 3.0}, lambda v: v, _alpha_star(3.0)),
    ("fgan-js-pi", {}, _js_pi_g(0.5), _js_pi_star(0.5)),
    ("fgan-js-pi", {"pi": 0.2}, _js_pi_g(0.2), _js_pi_star(0.2)),
]


def _mmd2_by_hand(x: list[float], y: list[float], sigma: float = 1.0) -> float:
    def k(a: float, b: float) -> float:
        return math.exp(-((a - b) ** 2) / (2 * sigma**2))

    n, m = len(x), len(y)
    kxx = sum(k(a, b) for i, a in enumerate(x) for j, b in enumerate(x) if i != j) / (n * (n - 1))
    kyy = sum(k(a, b) for i, a in enumerate(y) for j, b in enumerate(y) if i != j) / (m * (m - 1))
    kxy = sum(k(a, b) for a in x for b in y) / (n * m)
    return kxx + kyy - 2 * kxy


_CRITIC = mean(sp(-v) for v in T_REAL) + mean(sp(v) for v in T_FAKE)  # −[E log D(x) + E log(1 − D(G(z)))]
_PI = 0.3

#: (name, params, expected critic loss, expected generator loss), the non-f-GAN objectives
CASES = [
    ("minimax", {}, _CRITIC, mean(math.log(1 - sig(v)) for v in T_FAKE)),
    ("non-saturating", {}, _CRITIC, -mean(math.log(sig(v)) for v in T_FAKE)),
    (
        "lsgan",
        {},
        0.5 * mean((v - 1) ** 2 for v in T_REAL) + 0.5 * mean(v**2 for v in T_FAKE),
        0.5 * mean((v - 1) ** 2 for v in T_FAKE),
    ),
    (
        "lsgan",
        {"a": -1, "b": 1, "c": 0},
        0.5 * mean((v - 1) ** 2 for v in T_REAL) + 0.5 * mean((v + 1) ** 2 for v in T_FAKE),
        0.5 * mean(v**2 for v in T_FAKE),
    ),
    ("wgan", {}, mean(T_FAKE) - mean(T_REAL), -mean(T_FAKE)),
    ("wgan-gp", {}, 0.75, -1.0),
    ("hinge", {}, mean(max(0, 1 - v) for v in T_REAL) + mean(max(0, 1 + v) for v in T_FAKE), -1.0),
    (
        "js-pi",
        {"pi": _PI},
        -(
            _PI * mean(math.log(sig(v)) for v in T_REAL)
            + (1 - _PI) * mean(math.log(1 - sig(v)) for v in T_FAKE)
        ),
        (1 - _PI) * mean(math.log(1 - sig(v)) for v in T_FAKE),
    ),
    ("mmd-gan", {"bandwidths": "1"}, -_mmd2_by_hand(T_REAL, T_FAKE), _mmd2_by_hand(T_REAL, T_FAKE)),
    (  # paired: real i against fake i
        "rpgan",
        {},
        mean(sp(-(r - f)) for r, f in zip(T_REAL, T_FAKE)),
        mean(sp(-(f - r)) for r, f in zip(T_REAL, T_FAKE)),
    ),
]

for _name, _params, _g, _fstar in FGAN_CASES:
    _c, _saddle, _alt = fgan(_g, _fstar)
    CASES.append((_name, {**_params, "generator": "alt"}, _c, _alt))
    CASES.append((_name, {**_params, "generator": "saddle"}, _c, _saddle))


def _id(case) -> str:
    name, params = case[0], case[1]
    return name + "".join(f"-{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_losses_match_hand_computed_values(case):
    name, params, critic, generator = case
    obj = get_objective(name, **params)
    tr = torch.tensor(T_REAL, dtype=torch.float64)
    tf = torch.tensor(T_FAKE, dtype=torch.float64)
    if obj.critic_outputs > 1:  # a feature critic: the same numbers as (B, 1) features
        tr, tf = tr[:, None], tf[:, None]
    assert float(obj.critic_loss(tr, tf)) == pytest.approx(critic, rel=1e-12, abs=1e-12)
    assert float(obj.generator_loss(tr, tf)) == pytest.approx(generator, rel=1e-12, abs=1e-12)


def test_every_critic_objective_has_a_hand_computed_case():
    covered = {case[0] for case in CASES}
    assert set(names()) - covered == {"mmd"}  # critic-free: tested on samples below


def test_mmd_sample_loss_matches_hand_computed_value():
    obj = get_objective("mmd", bandwidths="1")
    x = torch.tensor(T_REAL, dtype=torch.float64)[:, None]
    y = torch.tensor(T_FAKE, dtype=torch.float64)[:, None]
    assert not obj.needs_critic
    assert float(obj.sample_loss(x, y)) == pytest.approx(_mmd2_by_hand(T_REAL, T_FAKE), rel=1e-12)
    with pytest.raises(RuntimeError):
        obj.critic_loss(x, y)


def test_mmd_sample_loss_flattens_images():
    obj = get_objective("mmd", bandwidths=[1.0, 4.0])
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 1, 2, 2, generator=g), torch.randn(5, 1, 2, 2, generator=g)
    assert float(obj.sample_loss(x, y)) == pytest.approx(float(obj.sample_loss(x.flatten(1), y.flatten(1))))


@pytest.mark.parametrize("name", [n for n in names() if n != "mmd"])
def test_losses_stay_finite_with_finite_gradients_for_large_outputs(name):
    obj = get_objective(name)
    shape = (4, obj.critic_outputs) if obj.critic_outputs > 1 else (4,)
    base = torch.tensor([-50.0, -5.0, 5.0, 50.0]).reshape(4, *([1] * (len(shape) - 1))).expand(shape)
    tr = base.clone().requires_grad_(True)
    tf = base.flip(0).clone().requires_grad_(True)
    for loss_fn in (obj.critic_loss, obj.generator_loss):
        loss = loss_fn(tr, tf)
        (gr, gf) = torch.autograd.grad(loss, (tr, tf), allow_unused=True, materialize_grads=True)
        assert torch.isfinite(loss), name
        assert torch.isfinite(gr).all() and torch.isfinite(gf).all(), name
