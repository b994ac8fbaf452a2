"""R1 = (γ/2) E‖∇_x V(x)‖² on real data: exact on a linear critic and a quadratic one."""

import pytest
import torch
from torch import nn

from divergan.objectives import r1_penalty


def test_r1_of_a_linear_critic_is_half_gamma_times_the_squared_weight_norm():
    critic = nn.Linear(3, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, -2.0, 2.0]]))  # ‖a‖² = 9 at every x
    real = torch.randn(5, 3)
    assert float(r1_penalty(lambda x: critic(x).squeeze(1), real, gamma=4.0).detach()) == pytest.approx(
        0.5 * 4.0 * 9.0
    )


def test_r1_of_a_quadratic_critic_averages_the_squared_norms():
    real = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # V(x) = ‖x‖²/2: ∇V = x, ‖x‖² = 1 and 4
    penalty = r1_penalty(lambda x: 0.5 * x.square().sum(dim=1), real, gamma=1.0)
    assert float(penalty.detach()) == pytest.approx(0.5 * (1.0 + 4.0) / 2)


def test_r1_trains_the_critic():
    critic = nn.Linear(2, 1)
    penalty = r1_penalty(lambda x: critic(x).squeeze(1), torch.randn(4, 2))
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad, critic.weight.detach())  # d/dw (1/2)‖w‖² = w
