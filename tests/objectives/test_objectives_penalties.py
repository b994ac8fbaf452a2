"""The WGAN-GP gradient penalty: one coefficient per sample, norms over all non-batch dimensions."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from divergan.objectives import get_objective, gradient_norms, gradient_penalty, interpolate


class Linear(nn.Module):
    """V(x) = <w, x> summed over every non-batch dimension: gradient w everywhere."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.w).flatten(1).sum(1)


class HalfSquare(nn.Module):
    """V(x) = ½‖x‖²: gradient x, so ‖∇V(x̂_i)‖ = ‖x̂_i‖ differs per sample."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (x**2).flatten(1).sum(1)


def _unit(shape, seed=0) -> torch.Tensor:
    w = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return w / w.norm()


@pytest.mark.parametrize("shape", [(3,), (2, 4, 4)], ids=["vectors", "images"])
def test_a_critic_with_unit_gradient_norm_has_zero_penalty(shape):
    g = torch.Generator().manual_seed(1)
    real = torch.randn(8, *shape, generator=g, dtype=torch.float64)
    fake = torch.randn(8, *shape, generator=g, dtype=torch.float64)
    critic = Linear(_unit(shape))
    assert float(gradient_penalty(critic, real, fake).detach()) == pytest.approx(0.0, abs=1e-20)
    # a 3-Lipschitz linear critic: (3 − 1)² = 4 for every sample, times λ = 10
    critic3 = Linear(3 * _unit(shape))
    assert float(gradient_penalty(critic3, real, fake).detach()) == pytest.approx(40.0, rel=1e-12)
    assert float(gradient_penalty(critic3, real, fake, weight=0.1).detach()) == pytest.approx(0.4, rel=1e-12)


def test_one_coefficient_per_sample_shapes():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(5, 3, 4, 4, generator=g), torch.randn(5, 3, 4, 4, generator=g)
    x_hat = interpolate(real, fake, generator=torch.Generator().manual_seed(3))
    # x̂ − fake = ε (real − fake) with one ε per sample: the ratio is constant within a sample
    ratio = ((x_hat - fake) / (real - fake)).flatten(1)
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio), atol=1e-5)
    eps = ratio[:, 0]
    assert ((eps >= 0) & (eps <= 1)).all() and eps.unique().numel() == 5
    assert not x_hat.requires_grad


def test_penalty_uses_per_sample_gradient_norms_over_all_non_batch_dims():
    real = torch.tensor(
        [[[3.0, 0.0], [0.0, 4.0]], [[1.0, 0.0], [0.0, 0.0]]], dtype=torch.float64
    )  # (2, 2, 2)
    fake = torch.zeros_like(real)
    eps = torch.tensor([0.5, 1.0], dtype=torch.float64)
    # x̂_0 = ½ real_0 (norm 2.5), x̂_1 = real_1 (norm 1): penalties (2.5 − 1)² and 0, mean 1.125
    norms = gradient_norms(HalfSquare(), interpolate(real, fake, epsilon=eps))
    assert torch.allclose(norms, torch.tensor([2.5, 1.0], dtype=torch.float64))
    value = gradient_penalty(HalfSquare(), real, fake, weight=1.0, epsilon=eps.reshape(2, 1, 1))
    assert float(value.detach()) == pytest.approx(1.125, rel=1e-12)


def test_penalty_backpropagates_into_the_critic():
    critic = Linear(torch.tensor([2.0, 0.0], dtype=torch.float64))
    real = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    fake = torch.zeros(4, 2, dtype=torch.float64, requires_grad=True)
    gradient_penalty(critic, real, fake).backward()
    # d/dw λ(‖w‖ − 1)² = 2λ(‖w‖ − 1) w/‖w‖ = 20·(1, 0)
    assert torch.allclose(critic.w.grad, torch.tensor([20.0, 0.0], dtype=torch.float64))
    assert fake.grad is None  # the penalty trains the critic only


def test_wgan_gp_objective_wires_the_penalty():
    obj = get_objective("wgan-gp", weight=2.5)
    real = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    assert obj.penalty is not None and obj.optimizer == "adam" and obj.clip is None
    assert float(obj.penalty(Linear(_unit((3,))), real, -real).detach()) == pytest.approx(0.0, abs=1e-20)
    assert float(obj.penalty(Linear(2 * _unit((3,))), real, -real).detach()) == pytest.approx(2.5, rel=1e-12)
    assert get_objective("wgan-gp").params == {"weight": 10.0}


def test_interpolate_rejects_mismatched_batches():
    with pytest.raises(ValueError):
        interpolate(torch.zeros(2, 3), torch.zeros(3, 3))
