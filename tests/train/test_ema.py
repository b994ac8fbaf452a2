"""divergan.train.ema: the half-life, its ramp-up, and the average as weights on the generators it holds."""

from __future__ import annotations

import math

import pytest
import torch

from divergan.train.ema import ema_beta, ema_weights


@pytest.mark.parametrize(
    ("half_life", "rampup"), [(3.0, 0.0), (40.0, 0.0), (40.0, 0.5), (7.0, 2.0), (0.0, 0.0)]
)
def test_the_weights_are_the_recursion_unrolled(half_life, rampup):
    """Σ_s w[s] θ_s equals the trainer's lerp recursion on random scalars θ_0 … θ_T, and the weights sum to 1."""
    steps = 60
    theta = torch.randn(steps + 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    average = theta[0].clone()
    for t in range(steps):
        average = torch.lerp(average, theta[t + 1], 1.0 - ema_beta(half_life, rampup, t))
    w = ema_weights(steps, half_life, rampup)
    assert w.shape == (steps + 1,) and float(w.sum()) == pytest.approx(1.0, abs=1e-12)
    assert float(w @ theta) == pytest.approx(float(average), abs=1e-12)


def test_a_fixed_half_life_keeps_a_power_of_a_half_of_the_start():
    assert float(ema_weights(8000, 1000.0)[0]) == pytest.approx(0.5**8, rel=1e-9)  # 0.39 %
    assert float(ema_weights(8000, 2000.0)[0]) == pytest.approx(0.5**4, rel=1e-9)  # 6.25 %
    assert torch.equal(
        ema_weights(5, 0.0), torch.tensor([0.0, 0, 0, 0, 0, 1], dtype=torch.float64)
    )  # no average


def test_the_rampup_keeps_nothing_of_the_start_and_decays_as_a_power():
    w = ema_weights(8000, 2000.0, 0.25)
    assert float(w[0]) == 0.0  # the first update copies the generator (β_0 = 0)
    assert float(ema_weights(8000, 2000.0)[0]) > 0.06  # the control: without the ramp-up, 6.25 %
    # what step s put in is scaled by ∏_{s≤t<T} β_t ≈ (s/T)^(ln 2 / r) while r·t < h (here T = 8000 = h/r)
    s, steps = 4000, 8000
    kept = math.prod(ema_beta(2000.0, 0.25, t) for t in range(s, steps))
    assert kept == pytest.approx((s / steps) ** (math.log(2) / 0.25), rel=1e-3)
