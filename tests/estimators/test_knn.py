"""k-nearest-neighbour KL (Wang, Kulkarni & Verdú 2009) against the Gaussian closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divergan.divergences import Normal, f_divergence
from divergan.errors import UserError
from divergan.estimators import kl_knn


def test_by_hand():
    # ρ = 2, ν = 1 for every x_i: d/n Σ log(1/2) + log(3/2) = log(3/4)
    assert kl_knn([0.0, 2.0, 4.0], [1.0, 3.0, 5.0]) == pytest.approx(math.log(0.75))


@pytest.mark.parametrize(
    ("p", "q", "k"),
    [
        (Normal((0.0,), (1.0,)), Normal((1.0,), (1.0,)), 1),
        (Normal((0.0, 0.0), (1.0, 1.0)), Normal((1.0, 0.0), (1.0, 1.5)), 1),
        (Normal((0.0, 0.0), (1.0, 1.0)), Normal((1.0, 0.0), (1.0, 1.5)), 5),
        (Normal((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)), Normal((0.5, 0.0, -0.5), (1.2, 0.8, 1.0)), 3),
    ],
)
def test_close_to_gaussian_closed_form(p, q, k):
    g = np.random.default_rng(0)
    est = kl_knn(p.sample(5000, g), q.sample(5000, g), k=k)
    assert est == pytest.approx(f_divergence("kl", p, q), abs=0.08)


def test_near_zero_for_equal_laws():
    g = np.random.default_rng(1)
    p = Normal((0.0, 0.0), (1.0, 1.0))
    assert abs(kl_knn(p.sample(4000, g), p.sample(4000, g), k=3)) < 0.05


@pytest.mark.parametrize(
    ("x", "y", "k"),
    [
        (np.zeros((5, 2)), np.zeros((5, 3)), 1),
        (np.arange(3.0), np.arange(3.0) + 0.5, 3),
        (np.arange(3.0), np.arange(3.0) + 0.5, 0),
        (np.array([0.0, 0.0, 1.0]), np.array([0.5]), 1),  # repeated x: ρ = 0
        (np.array([0.0, 1.0, 2.0]), np.array([1.0]), 1),  # an x equal to a y: ν = 0
    ],
)
def test_bad_input_is_a_user_error(x, y, k):
    with pytest.raises(UserError):
        kl_knn(x, y, k=k)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_chunked_queries_equal_one_query(chunk):
    g = np.random.default_rng(1)
    x, y = g.normal(size=(300, 2)), g.normal(size=(250, 2)) + 0.3
    assert kl_knn(x, y, k=2, chunk=chunk) == kl_knn(x, y, k=2)


@pytest.mark.parametrize("chunk", [0, -3, 2.5, True])
def test_bad_chunk_is_a_user_error(chunk):
    with pytest.raises(UserError, match="chunk"):
        kl_knn([0.0, 1.0, 2.0], [0.5, 1.5], chunk=chunk)


def test_ties_raise_the_neighbour_order_of_the_tied_points_only():
    """x = (0, 0, 4), y = (1, 3, 6), k = 1. The two zeros have ρ₁ = 0, so their order becomes 2:
    ρ₂ = 4 (the other zero, then 4) and ν₂ = 3; the point 4 keeps k = 1: ρ₁ = 4, ν₁ = 1.
    KL = (1/3)(2 log(3/4) + log(1/4)) + log(3/2)   (Wang, Kulkarni & Verdú 2009, k_i = l_i)."""
    expected = (2 * math.log(3 / 4) + math.log(1 / 4)) / 3 + math.log(3 / 2)
    assert kl_knn([0.0, 0.0, 4.0], [1.0, 3.0, 6.0]) == pytest.approx(expected, rel=1e-12)


def test_an_x_equal_to_a_y_raises_the_order_too():
    """x = (0, 2, 5), y = (2, 3, 9): ν₁(2) = 0, so x = 2 uses order 2: ρ₂ = 3 (0 and 5 are 2 and 3 away),
    ν₂ = 1; x = 0: ρ₁ = 2, ν₁ = 2; x = 5: ρ₁ = 3, ν₁ = 2."""
    expected = (math.log(2 / 2) + math.log(1 / 3) + math.log(2 / 3)) / 3 + math.log(3 / 2)
    assert kl_knn([0.0, 2.0, 5.0], [2.0, 3.0, 9.0]) == pytest.approx(expected, rel=1e-12)


def test_float32_samples_with_a_few_ties_stay_close_to_the_closed_form():
    """20,000 N(0,1) draws cast to float32 repeat a few values; KL(N(0,1) ‖ N(1,1)) = 1/2 is still found.
    (Heavily discretised data, e.g. rounded to 2 decimals, breaks the estimator's assumption of
    continuous laws: ties are handled, the bias of lattice distances is not.)"""
    g = np.random.default_rng(3)
    x, y = g.normal(0, 1, 20_000).astype(np.float32), g.normal(1, 1, 20_000).astype(np.float32)
    assert len(np.unique(x)) < len(x)  # some ties
    assert kl_knn(x, y) == pytest.approx(0.5, abs=0.08)  # the tolerance of the untied cases above
