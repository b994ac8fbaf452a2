"""Feature metrics and the Kolmogorov distance against independent implementations: torchmetrics (FID
and KID with an identity feature network, so both see the same features), the ``prdc`` package of
Naeem et al. 2020 (precision, recall, density, coverage) and scipy's two-sample KS statistic."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prdc import compute_prdc
from scipy import stats
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from divergan.estimators import kolmogorov
from divergan.metrics.features import frechet_distance_from_features, kid_from_features, prdc_from_features

D = 8


class Identity(torch.nn.Module):
    """A 'feature network' that returns its input: torchmetrics then measures the features given."""

    num_features = D

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def features(seed: int, n: int, shift: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(D, D, generator=g) / D**0.5 + torch.eye(D)  # correlated coordinates
    return (torch.randn(n, D, generator=g, dtype=torch.float64) @ mix.double()) * scale + shift


@pytest.mark.parametrize(("shift", "scale"), [(0.0, 1.0), (0.5, 1.0), (0.2, 1.5)])
def test_frechet_distance_equals_torchmetrics(shift, scale):
    real, fake = features(0, 400), features(1, 300, shift, scale)
    fid = FrechetInceptionDistance(feature=Identity())
    fid.update(real, real=True)
    fid.update(fake, real=False)
    ours = frechet_distance_from_features(real, fake)
    assert ours == pytest.approx(float(fid.compute()), rel=1e-6, abs=1e-6)
    if shift or scale != 1.0:
        assert ours > 0.1  # the laws differ by a shift of 0.5·√8 or a scale: far from 0


@pytest.mark.parametrize(("shift", "scale"), [(0.0, 1.0), (0.5, 1.0), (0.2, 1.5)])
@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save all extracted features")
def test_kid_on_the_whole_sample_equals_torchmetrics(shift, scale):
    """With the subset size equal to the sample size every subset is the whole sample (a permutation),
    so the random subsets of the two implementations cannot differ: the values must agree."""
    n = 200
    real, fake = features(2, n), features(3, n, shift, scale)
    kid = KernelInceptionDistance(feature=Identity(), subsets=2, subset_size=n)
    kid.update(real, real=True)
    kid.update(fake, real=False)
    theirs, _ = kid.compute()
    ours, spread = kid_from_features(real, fake, num_subsets=2, subset_size=n)
    assert ours == pytest.approx(float(theirs), rel=1e-6, abs=1e-9)
    assert spread == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize(("shift", "scale"), [(0.0, 1.0), (0.7, 1.0), (0.0, 0.6)])
def test_prdc_equals_the_prdc_package(k, shift, scale):
    real, fake = features(4, 150), features(5, 120, shift, scale)
    theirs = compute_prdc(real.numpy(), fake.numpy(), nearest_k=k)
    ours = prdc_from_features(real, fake, k=k)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert ours[key] == pytest.approx(float(theirs[key]), abs=1e-12), key


@pytest.mark.parametrize(("n", "m", "shift"), [(50, 50, 0.0), (300, 170, 0.4), (1000, 999, 1.5)])
def test_kolmogorov_equals_scipy_ks_statistic(n, m, shift):
    g = np.random.default_rng(n)
    x, y = g.normal(size=n), g.normal(shift, 1.0, size=m)
    assert kolmogorov(x, y) == pytest.approx(stats.ks_2samp(x, y).statistic, abs=1e-15)


def test_kolmogorov_with_ties_equals_scipy():
    x, y = np.array([0.0, 1.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0, 2.0])
    assert kolmogorov(x, y) == pytest.approx(stats.ks_2samp(x, y).statistic, abs=1e-15)
