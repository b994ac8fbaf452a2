"""The neural-network divergence d_NN (Zhang lecture notes): bounded by TV, ≈ 0 for P = Q, parameter count reported."""

from __future__ import annotations

import numpy as np
import pytest

from divergan.divergences import Normal, f_divergence
from divergan.errors import UserError
from divergan.estimators import nn_divergence

P, Q = Normal((0.0,), (1.0,)), Normal((1.0,), (1.0,))


def test_held_out_value_is_close_to_and_below_tv():
    # D = 1{x < ½} attains TV; a sigmoid critic approaches it from below
    g = np.random.default_rng(0)
    tv = f_divergence("tv", P, Q)
    est = nn_divergence(P.sample(2000, g), Q.sample(2000, g), holdout=0.5)
    assert tv - 0.05 < est.value < tv + 0.03
    assert est.ci[0] <= tv <= est.ci[1]


def test_equal_laws_give_about_zero():
    g = np.random.default_rng(1)
    est = nn_divergence(P.sample(2000, g), P.sample(2000, g), holdout=0.5)
    assert abs(est.value) < 0.04
    assert est.ci[0] <= 0.0 <= est.ci[1]


def test_empirical_value_and_parameter_count():
    g = np.random.default_rng(2)
    x_p, x_q = P.sample(500, g), Q.sample(500, g)
    est = nn_divergence(x_p, x_q, hidden=16, layers=1)
    assert est.extras["n_params"] == (1 * 16 + 16) + (16 * 1 + 1)
    assert 0.0 < est.value <= 1.0
    assert est.value == pytest.approx(est.extras["train_value"], abs=1e-6)  # no holdout: the training value
    assert nn_divergence(x_p, x_q, hidden=16, layers=1) == est  # deterministic given the seed
    wide = nn_divergence(np.c_[x_p, x_p], np.c_[x_q, x_q], hidden=8, layers=2)
    assert wide.extras["n_params"] == (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1)


def test_bad_input_is_a_user_error():
    with pytest.raises(UserError):
        nn_divergence(np.zeros((5, 1)), np.zeros((5, 2)))
    with pytest.raises(UserError):
        nn_divergence(np.zeros((2, 1)), np.zeros((2, 1)), holdout=0.5)  # nothing left to hold out
