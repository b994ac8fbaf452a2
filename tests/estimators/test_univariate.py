"""Kolmogorov distance (= scipy's KS statistic) and histogram total variation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from divergan.divergences import Normal, f_divergence
from divergan.errors import UserError
from divergan.estimators import kolmogorov, total_variation_hist


@pytest.mark.parametrize("seed", range(5))
def test_kolmogorov_equals_scipy(seed):
    g = np.random.default_rng(seed)
    x, y = g.normal(size=g.integers(5, 200)), g.normal(0.3, 1.5, size=g.integers(5, 200))
    assert kolmogorov(x, y) == pytest.approx(stats.ks_2samp(x, y).statistic, abs=1e-15)


def test_kolmogorov_with_ties_equals_scipy():
    g = np.random.default_rng(9)
    x, y = g.integers(0, 5, size=60).astype(float), g.integers(1, 7, size=45).astype(float)
    assert kolmogorov(x, y) == pytest.approx(stats.ks_2samp(x, y).statistic, abs=1e-15)


def test_kolmogorov_extremes():
    x = np.arange(10.0)
    assert kolmogorov(x, x[::-1].copy()) == 0.0
    assert kolmogorov(x, x + 100) == 1.0
    assert kolmogorov(x[:, None], x[:, None] + 100) == 1.0  # (n, 1) is accepted


def test_tv_hist_extremes():
    x = np.random.default_rng(0).normal(size=500)
    assert total_variation_hist(x, x.copy()) == 0.0
    assert total_variation_hist(x, x + 100.0, bins=50) == 1.0


def test_tv_hist_by_hand():
    # bins [0, 1), [1, 2]: P puts (3/4, 1/4), Q puts (1/4, 3/4): TV = ½(½ + ½) = ½
    assert total_variation_hist([0.1, 0.2, 0.3, 1.5], [0.1, 1.2, 1.5, 2.0], bins=2) == pytest.approx(0.5)


def test_tv_hist_approaches_the_gaussian_value():
    p, q = Normal((0.0,), (1.0,)), Normal((1.0,), (1.0,))
    g = np.random.default_rng(1)
    x, y = p.sample(50_000, g), q.sample(50_000, g)
    assert total_variation_hist(x, y, bins=60) == pytest.approx(f_divergence("tv", p, q), abs=0.02)


def test_bad_input_is_a_user_error():
    with pytest.raises(UserError):
        kolmogorov(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(UserError):
        kolmogorov([], [1.0])
    with pytest.raises(UserError):
        total_variation_hist([np.nan], [1.0])
    with pytest.raises(UserError):
        total_variation_hist([0.0, 1.0], [1.0], bins=0)
    with pytest.raises(UserError):
        total_variation_hist([0.0, 1.0], [1.0], bins="nonsense")
