"""The density-ratio samplers and the ratio critic on a 1-D problem whose ratio is known in closed form.

Proposal (the "generator") P_g = N(0, 2²), target (the "data") P_r = N(1/2, 1):

    log r(x) = log p_r(x)/p_g(x) = log 2 − (x − 1/2)²/2 + x²/8,

bounded above by log r(2/3) = log 2 + 1/24, so sup r = 2·e^{1/24} ≈ 2.085. Independent-proposal MH then
converges geometrically, TV after t steps <= (1 − 1/sup r)^t (Mengersen & Tweedie 1996): 1e-14 at
t = 50; rejection sampling with M >= sup r accepts with probability 1/M and returns exactly P_r.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from divergan.data.base import Dataset
from divergan.train.sampling import draw, fit_ratio_critic, ratio_critic

SUP_LOG_R = math.log(2) + 1 / 24
N = 20_000


def log_r(x: torch.Tensor) -> torch.Tensor:
    x = x[:, 0]
    return math.log(2) - (x - 0.5) ** 2 / 2 + x**2 / 8


def proposal(seed: int):
    g = torch.Generator().manual_seed(seed)
    return lambda n: 2.0 * torch.randn(n, 1, generator=g, dtype=torch.float64)


def assert_is_target(x: torch.Tensor) -> None:
    """Mean 1/2 and variance 1 within 5 standard errors (SE of the mean 1/√n, of the variance √(2/n))."""
    x = x[:, 0].double()
    assert abs(float(x.mean()) - 0.5) <= 5 / math.sqrt(len(x))
    assert abs(float(x.var()) - 1.0) <= 5 * math.sqrt(2 / len(x))


@pytest.mark.parametrize("method", ["mh", "drs"])
def test_samplers_turn_the_proposal_into_the_target(method):
    torch.manual_seed(0)  # the accept/reject uniforms come from the global generator
    x, info = draw(method, proposal(1), N, log_r, mh_steps=50)
    assert x.shape == (N, 1) and info["sampler"] == method
    assert_is_target(x)
    if method == "drs":  # accepted with probability r/M, M = sup r after the first chunk: rate 1/sup r
        assert info["acceptance"] == pytest.approx(math.exp(-SUP_LOG_R), abs=5 * math.sqrt(0.25 / 50_000))
    else:  # the stationary acceptance rate E min(1, r(x')/r(x)), x ~ P_r, x' ~ P_g (a 2-D integral)
        assert 0.0 < info["acceptance"] < 1.0


@pytest.mark.parametrize("method", ["mh", "drs"])
def test_a_flat_ratio_leaves_the_proposal_unchanged(method):
    """Negative control: with log r = 0 every proposal is accepted and the law stays N(0, 4)."""
    torch.manual_seed(0)
    x, info = draw(method, proposal(2), N, lambda x: torch.zeros(len(x), dtype=x.dtype), mh_steps=10)
    assert info["acceptance"] == 1.0
    assert abs(float(x.mean())) <= 5 * 2 / math.sqrt(N) and abs(float(x.var()) - 4) <= 5 * 4 * math.sqrt(
        2 / N
    )


def test_direct_ignores_the_ratio():
    x, info = draw("direct", proposal(3), 100, log_r)
    assert info == {"sampler": "direct"} and torch.equal(x, proposal(3)(100))


def bayes_loss() -> float:
    """min over V of E_r softplus(−V) + E_g softplus(V), attained at V = log r (by quadrature)."""
    lr = lambda x: math.log(2) - (x - 0.5) ** 2 / 2 + x**2 / 8  # noqa: E731
    e_r = integrate.quad(lambda x: stats.norm.pdf(x, 0.5, 1) * np.logaddexp(0, -lr(x)), -12, 12)[0]
    e_g = integrate.quad(lambda x: stats.norm.pdf(x, 0, 2) * np.logaddexp(0, lr(x)), -20, 20)[0]
    return e_r + e_g


def test_fit_ratio_critic_approaches_the_bayes_classifier():
    """The logistic loss of the fitted critic on fresh samples closes >= 90% of the gap between chance
    (log 4, V = 0) and the optimum V = log r; and it lies above the optimum (within noise)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(4)
    real = 0.5 + torch.randn(50_000, 1, generator=g)
    data = Dataset(name="N(1/2, 1)", dim=1, points=real)
    critic = ratio_critic(1, width=32, fourier=8, scale=1.0)
    fake = lambda n: 2.0 * torch.randn(n, 1, generator=g)  # noqa: E731
    losses = fit_ratio_critic(critic, fake, data, steps=400, batch=256, lr=3e-3, generator=g)
    assert len(losses) == 400
    with torch.no_grad():
        xr, xg = 0.5 + torch.randn(100_000, 1, generator=g), fake(100_000)
        fitted = float(
            torch.nn.functional.softplus(-critic(xr)).mean() + torch.nn.functional.softplus(critic(xg)).mean()
        )
    best, chance = bayes_loss(), math.log(4)
    assert best - 0.01 <= fitted, (fitted, best)  # 0.01 ≈ 5 SE of a mean of 100,000 losses
    assert fitted - best <= 0.1 * (chance - best), (fitted, best, chance)
