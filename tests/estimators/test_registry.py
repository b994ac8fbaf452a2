"""IPMS: every CLI name returns an Estimate from (n, d) arrays; options and bad input are checked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divergan.errors import UserError
from divergan.estimators import IPMS, Estimate, kolmogorov, mmd2, sliced_wasserstein, wasserstein

NAMES = ["wasserstein-1", "wasserstein-2", "sliced-wasserstein", "mmd", "energy", "kolmogorov", "tv-hist"]


def _pair(d: int = 1, seed: int = 0):
    g = np.random.default_rng(seed)
    return g.normal(size=(120, d)), g.normal(1.0, 1.0, size=(100, d))


def test_registry_names():
    assert list(IPMS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_returns_an_estimate(name):
    x, y = _pair()
    est = IPMS[name](x, y)
    assert isinstance(est, Estimate)
    assert math.isfinite(est.value) and est.method
    assert est.extras["n"] == 120 and est.extras["m"] == 100 and est.extras["d"] == 1
    assert IPMS[name](x, y) == est  # deterministic


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_rejects_unknown_options_and_bad_samples(name):
    x, y = _pair()
    with pytest.raises(UserError):
        IPMS[name](x, y, nonsense=1)
    with pytest.raises(UserError):
        IPMS[name](x, np.zeros((5, 2)))
    with pytest.raises(UserError):
        IPMS[name](np.zeros((0, 1)), y)
    bad = x.copy()
    bad[3, 0] = np.nan
    with pytest.raises(UserError):
        IPMS[name](bad, y)


def test_entries_agree_with_the_functions():
    x, y = _pair(d=2)
    assert IPMS["wasserstein-1"](x, y).value == wasserstein(x, y)
    assert IPMS["wasserstein-2"](x, y).value == wasserstein(x, y, order=2)
    assert IPMS["sliced-wasserstein"](x, y, n_projections=10, seed=1).value == sliced_wasserstein(
        x, y, n_projections=10, seed=1
    )
    x1, y1 = _pair()
    assert IPMS["kolmogorov"](x1, y1).value == kolmogorov(x1, y1)


def test_mmd_entry_reports_unbiased_value_and_biased_extras():
    x, y = _pair(d=2)
    est = IPMS["mmd"](x, y, kernel="imq")
    assert "imq" in est.method
    assert est.value == pytest.approx(float(mmd2(x, y, kernel="imq")))
    assert est.extras["mmd2_biased"] == pytest.approx(float(mmd2(x, y, kernel="imq", unbiased=False)))
    assert est.extras["mmd"] == pytest.approx(math.sqrt(est.extras["mmd2_biased"]))
    with pytest.raises(UserError):
        IPMS["mmd"](x, y, unbiased=False)


@pytest.mark.parametrize("name", ["kolmogorov", "tv-hist"])
def test_univariate_entries_need_one_dimension(name):
    x, y = _pair(d=2)
    with pytest.raises(UserError):
        IPMS[name](x, y)
