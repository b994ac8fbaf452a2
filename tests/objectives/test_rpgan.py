"""The relativistic pairing loss (R3GAN) at known logits, and R1/R2 against hand-computed gradient norms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from divergan.errors import UserError
from divergan.nn.remedies import PackedCritic
from divergan.objectives import (
    get_objective,
    gradient_norms,
    r1_penalty,
    r2_penalty,
    rpgan_discriminator_loss,
    rpgan_generator_loss,
    zero_centred_penalty,
)

A = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64)  # symmetric: V(x) = ½ xᵀAx, ∇V = Ax


def value(t: torch.Tensor) -> float:
    return float(t.detach())


def quadratic(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((x @ A) * x).sum(dim=1)


def test_rpgan_at_equal_logits_is_log_2_for_both_players():
    t = torch.tensor([-3.0, 0.0, 5.0], dtype=torch.float64)
    assert float(rpgan_discriminator_loss(t, t)) == pytest.approx(math.log(2), rel=1e-15)
    assert float(rpgan_generator_loss(t, t)) == pytest.approx(math.log(2), rel=1e-15)


def test_rpgan_at_known_margins():
    real = torch.tensor([2.0, 0.0], dtype=torch.float64)
    fake = torch.tensor([0.0, 1.0], dtype=torch.float64)  # margins V(x_r) − V(x_f) = 2, −1
    d = (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(1.0))) / 2
    g = (math.log1p(math.exp(2.0)) + math.log1p(math.exp(-1.0))) / 2
    assert float(rpgan_discriminator_loss(real, fake)) == pytest.approx(d, rel=1e-14)
    assert float(rpgan_generator_loss(real, fake)) == pytest.approx(g, rel=1e-14)
    # the generator's loss is the critic's with the roles swapped
    assert float(rpgan_generator_loss(real, fake)) == float(rpgan_discriminator_loss(fake, real))


def test_rpgan_pairs_by_position():
    """Unlike a loss of the two batch means, swapping the fakes' order changes the paired loss."""
    real = torch.tensor([1.0, -1.0], dtype=torch.float64)
    fake = torch.tensor([1.0, -1.0], dtype=torch.float64)
    assert float(rpgan_discriminator_loss(real, fake)) == pytest.approx(math.log(2))
    assert float(rpgan_discriminator_loss(real, fake.flip(0))) != pytest.approx(math.log(2))


def test_r1_and_r2_equal_the_hand_computed_gradient_norms_of_a_quadratic_critic():
    real = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], dtype=torch.float64)
    fake = torch.tensor([[2.0, 0.0], [-1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    # ∇V(x) = Ax: (2, 1), (1, 3), (1, −2) on real; (4, 2), (−1, 2), (0, 0) on fake
    r1 = (5 + 10 + 5) / 3
    r2 = (20 + 5 + 0) / 3
    assert value(r1_penalty(quadratic, real, gamma=0.4)) == pytest.approx(0.5 * 0.4 * r1, rel=1e-14)
    assert value(r2_penalty(quadratic, fake, gamma=3.0)) == pytest.approx(0.5 * 3.0 * r2, rel=1e-14)
    both = zero_centred_penalty(quadratic, real, fake, r1=0.4, r2=3.0)
    assert value(both) == pytest.approx(0.5 * 0.4 * r1 + 0.5 * 3.0 * r2, rel=1e-14)
    # each weight switches its own term: R1 reads only real, R2 only fake
    assert value(zero_centred_penalty(quadratic, real, fake, r1=0.0, r2=3.0)) == pytest.approx(1.5 * r2)
    assert value(zero_centred_penalty(quadratic, real, fake, r1=0.4, r2=0.0)) == pytest.approx(0.2 * r1)
    assert value(zero_centred_penalty(quadratic, real, fake, r1=0.0, r2=0.0)) == 0.0


def test_r2_trains_the_critic_and_not_the_generator():
    critic = nn.Linear(2, 1)
    fake = torch.randn(4, 2, requires_grad=True)
    penalty = r2_penalty(lambda x: critic(x).squeeze(1), fake)
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad, critic.weight.detach())  # d/dw (1/2)‖w‖² = w
    assert fake.grad is None


class HalfSquaredNorm(nn.Module):
    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return 0.5 * v.square().sum(dim=1)


def test_a_packed_critic_has_one_gradient_norm_per_pack():
    """Packing m = 2 rows: the norm is over the packed input (4 numbers), sqrt of the rows' squares summed."""
    packed = PackedCritic(HalfSquaredNorm(), 2)  # V(v) = ‖v‖²/2 on (B/2, 4): ∇ = v
    x = torch.tensor([[3.0, 0.0], [0.0, 4.0], [1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    norms = gradient_norms(packed, x)
    torch.testing.assert_close(norms, torch.tensor([5.0, 1.0], dtype=torch.float64))


def test_the_rpgan_objective():
    obj = get_objective("rpgan", r1=0.5, r2=0.0)
    assert obj.generator_uses_real and obj.params == {"r1": 0.5, "r2": 0.0}
    real = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    assert value(obj.penalty(quadratic, real, real * 7)) == pytest.approx(0.25 * 5)  # R1 only
    assert get_objective("rpgan", r1=0, r2=0).penalty is None
    with pytest.raises(UserError, match="r1"):
        get_objective("rpgan", r1=-1)
    with pytest.raises(UserError, match="gamma"):
        get_objective("rpgan", gamma=1)


def test_non_saturating_takes_r1_and_r2():
    """Mescheder et al. 2018's GAN + R1: the same zero-centred penalties, off by default."""
    plain = get_objective("non-saturating")
    assert plain.penalty is None and plain.params == {}
    obj = get_objective("non-saturating", r1=0.4, r2=3.0)
    assert obj.penalty_on == "batches" and obj.params == {"r1": 0.4, "r2": 3.0}
    assert not obj.generator_uses_real  # the generator's loss is unchanged
    real = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], dtype=torch.float64)
    fake = torch.tensor([[2.0, 0.0], [-1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    # the hand-computed norms of the quadratic critic above: E_r ‖∇V‖² = 20/3, E_g ‖∇V‖² = 25/3
    assert value(obj.penalty(quadratic, real, fake)) == pytest.approx(0.2 * 20 / 3 + 1.5 * 25 / 3, rel=1e-14)
    only_r1 = get_objective("non-saturating", r1=0.4).penalty
    assert value(only_r1(quadratic, real, fake)) == pytest.approx(0.2 * 20 / 3, rel=1e-14)
    assert "0.4/2·E_r ‖∇V‖²" in obj.formula and "E_r ‖∇V‖²" not in plain.formula
    with pytest.raises(UserError, match="r2"):
        get_objective("non-saturating", r2=-1)
