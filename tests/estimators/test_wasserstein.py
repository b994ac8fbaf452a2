"""Exact answers and identities for the empirical Wasserstein distances (GAN analysis slides, eq. 8), after POT's tests."""

from __future__ import annotations

import numpy as np
import pytest

from divergan.divergences import Normal
from divergan.divergences import wasserstein as exact_wasserstein
from divergan.errors import UserError
from divergan.estimators import sliced_wasserstein, wasserstein


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_two_point_example_by_hand():
    assert wasserstein([0.0, 1.0], [2.0, 3.0]) == pytest.approx(2.0, abs=1e-12)
    assert wasserstein([0.0, 1.0], [2.0, 3.0], order=2) == pytest.approx(2.0, abs=1e-12)
    # moving half the mass by 1 and the other half by 3: W1 = 2, W2 = sqrt(5)
    assert wasserstein([0.0, 0.0], [1.0, 3.0], order=2) == pytest.approx(np.sqrt(5.0), abs=1e-12)


@pytest.mark.parametrize("d", [1, 2])
def test_gaussians_ten_apart(d):
    # POT's check: N(0, 1) against N(10, 1) is W1 ≈ 10
    g = rng(1)
    x = g.normal(size=(400, d))
    y = g.normal(size=(400, d))
    y[:, 0] += 10.0
    assert wasserstein(x, y) == pytest.approx(10.0, abs=0.2)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("d", [1, 3])
def test_identical_samples_are_at_distance_zero(order, d):
    x = rng(2).normal(size=(100, d))
    assert wasserstein(x, x.copy(), order=order) == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_w2_dominates_w1(d):
    g = rng(3)
    x, y = g.normal(size=(150, d)), g.standard_t(3, size=(120, d))
    assert wasserstein(x, y, order=2) >= wasserstein(x, y, order=1) - 1e-12


def test_network_simplex_matches_the_sorted_1d_solution():
    # points (x, 0) in the plane: emd2 on the 2-D embedding equals wasserstein_1d on the line
    g = rng(4)
    x, y = g.normal(size=90), g.exponential(size=70)
    for order in (1, 2):
        plane = wasserstein(np.c_[x, np.zeros_like(x)], np.c_[y, np.zeros_like(y)], order=order)
        assert plane == pytest.approx(wasserstein(x, y, order=order), rel=1e-10)


def test_weights_equal_repeated_points():
    x, y = np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[3.0, 1.0], [0.0, 1.0], [2.0, 2.0]])
    weighted = wasserstein(x, y, a=[1, 3], b=[1, 1, 2])
    repeated = wasserstein(x[[0, 1, 1, 1]], y[[0, 1, 2, 2]])
    assert weighted == pytest.approx(repeated, rel=1e-12)


def test_translation_moves_w_by_the_shift_in_1d():
    x = rng(5).normal(size=300)
    assert wasserstein(x, x + 2.5) == pytest.approx(2.5, rel=1e-12)
    assert wasserstein(x, x + 2.5, order=2) == pytest.approx(2.5, rel=1e-12)


@pytest.mark.parametrize("order", [1, 2])
def test_sliced_equals_exact_in_1d(order):
    g = rng(6)
    x, y = g.normal(size=200), g.normal(2.0, 3.0, size=150)
    assert sliced_wasserstein(x, y, n_projections=7, order=order, seed=3) == pytest.approx(
        wasserstein(x, y, order=order), rel=1e-10
    )


@pytest.mark.parametrize("order", [1, 2])
def test_sliced_never_exceeds_exact(order):
    g = rng(7)
    x, y = g.normal(size=(120, 3)), g.normal(size=(120, 3)) * [1.0, 2.0, 0.5] + 1.0
    assert sliced_wasserstein(x, y, n_projections=100, order=order) <= wasserstein(x, y, order=order) + 1e-12


def test_sliced_is_deterministic_given_seed():
    g = rng(8)
    x, y = g.normal(size=(50, 4)), g.normal(size=(60, 4))
    assert sliced_wasserstein(x, y, seed=11) == sliced_wasserstein(x, y, seed=11)


@pytest.mark.parametrize(
    ("p", "q"),
    [(Normal((0.0,), (1.0,)), Normal((1.0,), (2.0,))), (Normal((0.0,), (1.0,)), Normal((-3.0,), (0.5,)))],
)
@pytest.mark.parametrize("order", [1, 2])
def test_empirical_matches_exact_gaussian_value_in_1d(p, q, order):
    g = rng(9)
    x, y = p.sample(20_000, g), q.sample(20_000, g)
    assert wasserstein(x, y, order=order) == pytest.approx(exact_wasserstein(p, q, order=order), abs=0.05)


def test_empirical_w2_matches_diagonal_gaussian_closed_form_in_2d():
    p, q = Normal((0.0, 0.0), (1.0, 1.0)), Normal((2.0, -1.0), (1.5, 0.5))
    g = rng(10)
    est = wasserstein(p.sample(800, g), q.sample(800, g), order=2)
    assert est == pytest.approx(exact_wasserstein(p, q, order=2), rel=0.05)


@pytest.mark.parametrize(
    ("x", "y", "kwargs"),
    [
        (np.zeros((3, 2)), np.zeros((3, 3)), {}),
        (np.zeros((0, 2)), np.zeros((3, 2)), {}),
        (np.array([[0.0], [np.nan]]), np.zeros((3, 1)), {}),
        (np.zeros((3, 1)), np.zeros((3, 1)), {"order": 0.5}),
        (np.zeros((3, 1)), np.zeros((3, 1)), {"a": [1.0, -1.0, 1.0]}),
        (np.zeros((3, 1)), np.zeros((3, 1)), {"b": [1.0, 1.0]}),
        (np.zeros((3, 2, 2)), np.zeros((3, 2, 2)), {}),
    ],
)
def test_bad_input_is_a_user_error(x, y, kwargs):
    with pytest.raises(UserError):
        wasserstein(x, y, **kwargs)
    with pytest.raises(UserError):
        sliced_wasserstein(x, y, **{k: v for k, v in kwargs.items()})
