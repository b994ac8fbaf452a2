"""Energy distance: non-negativity, its 1-D Cramér identity, a Gaussian closed form, chunking, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from divergan.errors import UserError
from divergan.estimators import energy_distance

F64 = torch.float64


def _cramer(x: np.ndarray, y: np.ndarray) -> float:
    """2 ∫ (F_n − G_m)² dx, exactly, as a sum over the gaps of the pooled sorted sample."""
    t = np.sort(np.concatenate([x, y]))
    f = np.searchsorted(np.sort(x), t[:-1], side="right") / len(x)
    g = np.searchsorted(np.sort(y), t[:-1], side="right") / len(y)
    return float(2 * np.sum((f - g) ** 2 * np.diff(t)))


def test_two_points_by_hand():
    assert float(energy_distance(torch.tensor([0.0]), torch.tensor([1.0]))) == 2.0
    # x = {0, 2}, y = {1}: 2·1 − (0 + 2 + 2 + 0)/4 − 0 = 1
    assert float(energy_distance(torch.tensor([0.0, 2.0]), torch.tensor([1.0]))) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(3))
def test_equals_twice_cramer_distance_in_1d(seed):
    g = np.random.default_rng(seed)
    x, y = g.normal(size=80), g.exponential(size=55)
    assert float(energy_distance(x, y)) == pytest.approx(_cramer(x, y), rel=1e-10)


def test_matches_scipy_energy_distance_in_1d():
    # scipy's energy_distance is sqrt(2 ∫ (F − G)²)
    g = np.random.default_rng(3)
    x, y = g.normal(size=100), g.normal(0.5, 2.0, size=70)
    assert math.sqrt(float(energy_distance(x, y))) == pytest.approx(stats.energy_distance(x, y), rel=1e-10)


def test_non_negative_and_zero_on_identical_samples():
    g = np.random.default_rng(4)
    for _ in range(10):
        x, y = g.normal(size=(15, 3)), g.normal(size=(11, 3))
        assert float(energy_distance(x, y)) >= -1e-12
    x = g.normal(size=(40, 2))
    assert float(energy_distance(x, x.copy())) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_closed_form_and_p_equals_q():
    # X − Y ~ N(μ, 2): E|X − Y| = 2/√π·exp(−μ²/4) + μ(1 − 2Φ(−μ/√2)); E|X − X'| = 2/√π
    g = np.random.default_rng(5)
    mu = 1.0
    e_xy = 2 / math.sqrt(math.pi) * math.exp(-(mu**2) / 4) + mu * (1 - 2 * stats.norm.cdf(-mu / math.sqrt(2)))
    exact = 2 * e_xy - 2 * 2 / math.sqrt(math.pi)
    x, y = g.normal(size=3000), g.normal(mu, 1.0, size=3000)
    assert float(energy_distance(x, y, unbiased=True)) == pytest.approx(exact, abs=0.02)
    same = float(energy_distance(g.normal(size=3000), g.normal(size=3000), unbiased=True))
    assert abs(same) < 0.01


@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("chunk", [1, 9])
def test_chunked_equals_unchunked(unbiased, chunk):
    g = torch.Generator().manual_seed(6)
    x, y = torch.randn(50, 4, generator=g, dtype=F64), torch.randn(37, 4, generator=g, dtype=F64)
    torch.testing.assert_close(
        energy_distance(x, y, unbiased=unbiased, chunk=chunk),
        energy_distance(x, y, unbiased=unbiased),
        rtol=1e-12,
        atol=1e-14,
    )


def test_gradient_is_finite_even_with_repeated_points():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(20, 2, generator=g, dtype=F64)
    x = torch.cat([x, x[:3]]).requires_grad_(True)  # exact duplicates: zero distances off the diagonal
    y = torch.randn(15, 2, generator=g, dtype=F64)
    energy_distance(x, y, chunk=4).backward()
    assert torch.isfinite(x.grad).all() and float(x.grad.abs().max()) > 0


def test_bad_input_is_a_user_error():
    with pytest.raises(UserError):
        energy_distance(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(UserError):
        energy_distance(np.zeros((1, 2)), np.zeros((3, 2)), unbiased=True)
    with pytest.raises(UserError):
        energy_distance([np.inf, 0.0], [0.0])
