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
