"""Checks written against mutation testing of ``metrics/features.py`` (docs/testing.md, "Mutation testing"):
exact error texts, the boundaries of the input checks, the KID spread over subsets, the open balls of
precision/recall at exact ties, and small cases derived by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from divergan.errors import UserError
from divergan.metrics.features import (
    class_histogram_metrics,
    frechet_distance_from_features,
    frechet_distance_from_stats,
    kid_from_features,
    kl_to_uniform,
    knn_radii,
    mean_and_covariance,
    prdc_from_features,
    precision_recall_density_coverage,
    stacked_mode_metrics,
)

F64 = torch.float64


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(UserError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_feature_checks_word_for_word():
    x = torch.zeros(3, 2)
    assert _message(frechet_distance_from_features, torch.zeros(3), x) == (
        "real features must be a (N, D) matrix, got shape (3,)"
    )
    assert _message(frechet_distance_from_features, x, torch.zeros(1, 2)) == (
        "fake features need at least 2 rows, got 1"
    )
    assert _message(frechet_distance_from_features, torch.zeros(1, 2), x) == (
        "real features need at least 2 rows, got 1"
    )
    assert _message(kid_from_features, torch.zeros(1, 2), x) == "real features need at least 2 rows, got 1"
    assert _message(kid_from_features, x, torch.zeros(1, 2)) == "fake features need at least 2 rows, got 1"
    assert (
        _message(prdc_from_features, x, torch.zeros(0, 2), k=1) == "fake features need at least 1 rows, got 0"
    )
    assert _message(frechet_distance_from_features, x, torch.zeros(3, 4)) == (
        "real features have 2 dimensions but fake features have 4"
    )
    assert _message(kid_from_features, x, torch.tensor([[0.0, math.inf]] * 3)) == (
        "fake features contain NaN or infinite values"
    )
    assert _message(mean_and_covariance, torch.zeros(1, 2)) == "input features need at least 2 rows, got 1"
    assert (
        _message(prdc_from_features, torch.zeros(0, 2), x, k=1) == "real features need at least 1 rows, got 0"
    )
    assert _message(
        frechet_distance_from_stats, torch.zeros(2), torch.eye(2), torch.zeros(3), torch.eye(2)
    ) == ("Fréchet distance needs means (D,) and covariances (D, D) of one D, got (2,), (2, 2), (3,), (2, 2)")
    assert _message(
        frechet_distance_from_stats, torch.zeros(2), torch.eye(3), torch.zeros(2), torch.eye(2)
    ) == ("Fréchet distance needs means (D,) and covariances (D, D) of one D, got (2,), (3, 3), (2,), (2, 2)")
    assert _message(
        frechet_distance_from_stats, torch.zeros(2), torch.eye(2), torch.zeros(2), torch.eye(3)
    ) == ("Fréchet distance needs means (D,) and covariances (D, D) of one D, got (2,), (2, 2), (2,), (3, 3)")


def test_mean_and_unbiased_covariance_by_hand():
    mu, sigma = mean_and_covariance(torch.tensor([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]]))
    # μ = (2, 2); deviations (−2, −1), (0, −1), (2, 2); Σ = Σ dev devᵀ / 2
    assert mu.tolist() == [2.0, 2.0] and mu.dtype == F64
    assert sigma.tolist() == [[4.0, 3.0], [3.0, 3.0]]
    # FD of two 1-D samples by hand: means 1 and 4, variances 2 and 8 -> 9 + 2 + 8 − 2·4 = 11
    assert frechet_distance_from_features(torch.tensor([[0.0], [2.0]]), torch.tensor([[2.0], [6.0]])) == (
        pytest.approx(11.0, rel=1e-14)
    )
    # a negative round-off is clamped: identical features give exactly 0
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert frechet_distance_from_features(x, x) == 0.0 or frechet_distance_from_features(x, x) < 1e-12


def test_frechet_distance_computes_in_float64():
    mu1, mu2 = torch.tensor([0.1, 0.2]), torch.tensor([0.3, -0.7])
    s1 = torch.tensor([[1.3, 0.2], [0.2, 0.7]])
    s2 = torch.tensor([[0.9, -0.1], [-0.1, 1.1]])
    d64 = frechet_distance_from_stats(mu1.double(), s1.double(), mu2.double(), s2.double())
    assert frechet_distance_from_stats(mu1, s1, mu2, s2) == pytest.approx(d64, rel=1e-13)


def test_psd_square_root_ignores_an_asymmetric_round_off():
    # Σ₁ slightly asymmetric: the symmetrised square root is used; d² = tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½)
    s1 = torch.tensor([[4.0, 1e-13], [0.0, 9.0]], dtype=F64)
    s2 = torch.tensor([[1.0, 0.0], [0.0, 4.0]], dtype=F64)
    # diagonal: (2 − 1)² + (3 − 2)² = 2
    assert frechet_distance_from_stats(torch.zeros(2), s1, torch.zeros(2), s2) == pytest.approx(
        2.0, rel=1e-12
    )
    # a singular covariance with a negative eigenvalue from round-off: clamped to 0
    s3 = torch.tensor([[1.0, 1.0], [1.0, 1.0 - 1e-15]], dtype=F64)
    assert frechet_distance_from_stats(torch.zeros(2), s3, torch.zeros(2), s3) == pytest.approx(0.0, abs=1e-7)


def _mmd2_cubic(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    m = x.shape[0]

    def k(a, b):
        return (a @ b.T / d + 1.0) ** 3

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / m**2


def test_kid_spread_is_the_population_standard_deviation_over_subsets():
    """With 3 reals, 3 fakes and subsets of 2, each subset value is one of the 9 MMD² of a pair of
    2-subsets; with 2 subsets the returned (mean, std) must be (v1 + v2)/2 and |v1 − v2|/2, so mean ± std
    are both among the 9 values. A sample standard deviation (÷ 1 instead of ÷ 2 under the root)
    would give mean ± std·√2, which is not."""
    x = torch.tensor([[0.0, 1.0], [2.0, -1.0], [1.0, 3.0]], dtype=F64)
    y = torch.tensor([[0.5, 0.5], [-2.0, 1.0], [3.0, 0.0]], dtype=F64)
    pairs = itertools.combinations(range(3), 2)
    values = [
        _mmd2_cubic(x[list(i)].numpy(), y[list(j)].numpy())
        for i, j in itertools.product(list(pairs), repeat=2)
    ]
    values = sorted(set(round(v, 9) for v in values))
    found, results = 0, set()
    for seed in range(6):
        mean, std = kid_from_features(
            x, y, num_subsets=2, subset_size=2, generator=torch.Generator().manual_seed(seed)
        )
        assert round(mean - std, 9) in values and round(mean + std, 9) in values
        found += std > 0
        results.add((mean, std))
    assert found and len(results) > 1  # the generator is used: seeds draw different subsets
    # subset_size is clipped to the smaller sample: 3 here, one subset -> the whole-sample value
    mean, std = kid_from_features(x, y, num_subsets=1, subset_size=1000)
    assert mean == pytest.approx(_mmd2_cubic(x.numpy(), y.numpy()), rel=1e-12) and std == 0.0
    # 100 subsets by default
    default = kid_from_features(x, y, subset_size=2)
    assert default == kid_from_features(x, y, num_subsets=100, subset_size=2)
    assert default != kid_from_features(x, y, num_subsets=101, subset_size=2)
    # the default generator is seeded with 0
    a = kid_from_features(x, y, num_subsets=4, subset_size=2)
    b = kid_from_features(x, y, num_subsets=4, subset_size=2, generator=torch.Generator().manual_seed(0))
    assert a == b


def test_kid_subset_size_is_clipped_to_each_sample():
    # 5 equal fakes: every 3-subset of them is the same set, so with 3 reals (m = 3) the value is fixed
    x = torch.tensor([[0.0, 1.0], [2.0, -1.0], [1.0, 3.0]], dtype=F64)
    same = torch.tensor([[0.5, 0.5]] * 5, dtype=F64)
    want = _mmd2_cubic(x.numpy(), same[:3].numpy())
    assert kid_from_features(x, same, num_subsets=1)[0] == pytest.approx(want, rel=1e-12)
    assert kid_from_features(same, x, num_subsets=1)[0] == pytest.approx(
        _mmd2_cubic(same[:3].numpy(), x.numpy()), rel=1e-12
    )
    # the default subset size is 1,000: 1,001 rows give a subset, not the whole sample
    g = torch.Generator().manual_seed(3)
    big_x, big_y = torch.randn(1001, 2, generator=g, dtype=F64), torch.randn(1001, 2, generator=g, dtype=F64)
    default = kid_from_features(big_x, big_y, num_subsets=1)
    assert default == kid_from_features(big_x, big_y, num_subsets=1, subset_size=1000)
    assert default != kid_from_features(big_x, big_y, num_subsets=1, subset_size=1001)


def test_kid_checks():
    x = torch.zeros(3, 2)
    for n in (0, -2, 1.0):
        assert _message(kid_from_features, x, x, num_subsets=n) == f"KID needs num_subsets >= 1, got {n!r}"
    assert _message(kid_from_features, x, x, subset_size=1) == "KID needs a subset size of at least 2, got 1"
    kid_from_features(x, x, num_subsets=1, subset_size=2)  # 2 is enough


def test_kid_in_blocks_of_subsets():
    """m = 1,000 puts two subsets in a block (2^23 / (4 m²) = 2), so three subsets take two blocks. A
    subset of all 1,000 rows is the whole sample permuted: every subset value is the whole-sample
    MMD², the mean is that and the spread 0 (fails if a block mixed rows of different subsets)."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1000, 2, generator=g, dtype=F64)
    y = torch.randn(1000, 2, generator=g, dtype=F64) + 0.2
    mean, std = kid_from_features(x, y, num_subsets=3, generator=torch.Generator().manual_seed(1))
    assert mean == pytest.approx(_mmd2_cubic(x.numpy(), y.numpy()), rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_knn_radii_checks_and_blocks():
    x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    assert _message(knn_radii, x, [4]) == "k-NN radii need 1 <= k < N, got k = 4 for N = 4"
    assert _message(knn_radii, x, [0, 2]) == "k-NN radii need 1 <= k < N, got k = 2 for N = 4"
    r = knn_radii(x, [1, 3], chunk=3)  # the last block has one row
    assert r[1].tolist() == [1.0, 1.0, 4.0, 16.0] and r[3].tolist() == [49.0, 36.0, 16.0, 49.0]
    assert r[3].dtype == F64


def test_prdc_checks_word_for_word():
    x = torch.zeros(4, 2)
    assert _message(prdc_from_features, x, torch.zeros(5, 2), k=4) == (
        "precision/recall need more than k = 4 real and fake samples, got 4 and 5"
    )
    assert _message(prdc_from_features, torch.zeros(6, 2), x, k=4) == (
        "precision/recall need more than k = 4 real and fake samples, got 6 and 4"
    )
    for k in (0, 1.0, "2"):
        assert _message(prdc_from_features, x, x, k=k) == f"k must be a positive integer, got {k!r}"


def test_balls_are_open_and_the_two_ks_are_kept_apart():
    # reals 0, 2, 4 (k = 1 radii 2, 2, 2); fakes 2, 4, 10 (radii 2, 2, 6). The fake at 4 lies at distance
    # exactly 2 from the real 2: on the sphere, so outside the open ball; it is inside the ball of
    # the real 4 (distance 0). Precision: fakes 2 (in balls of 2) and 4 are inside: 2/3.
    real = torch.tensor([[0.0], [2.0], [4.0]])
    fake = torch.tensor([[2.0], [4.0], [10.0]])
    out = prdc_from_features(real, fake, k=1)
    # balls: real 0 radius 2 holds no fake (2 is on the sphere); real 2 holds fake 2; real 4 holds fake 4
    # recall: real 0 is at distance 2 from fake 2 (radius 2): outside; real 2, 4 inside
    assert out == {"precision": 2 / 3, "recall": 2 / 3, "density": 2 / 3, "coverage": 2 / 3}
    # k_pr and k_dc come from their own k: density/coverage at k = 2 here
    both = precision_recall_density_coverage(real, fake, k_pr=1, k_dc=2)
    at2 = prdc_from_features(real, fake, k=2)
    assert both == {
        "precision": out["precision"],
        "recall": out["recall"],
        "density": at2["density"],
        "coverage": at2["coverage"],
    }
    assert at2["density"] != out["density"] or at2["coverage"] != out["coverage"]
    # defaults k_pr = 3, k_dc = 5
    g = torch.Generator().manual_seed(0)
    r, f = torch.randn(30, 2, generator=g), torch.randn(30, 2, generator=g)
    d = precision_recall_density_coverage(r, f)
    p3, p5 = prdc_from_features(r, f, k=3), prdc_from_features(r, f, k=5)
    assert d == {
        "precision": p3["precision"],
        "recall": p3["recall"],
        "density": p5["density"],
        "coverage": p5["coverage"],
    }
    assert prdc_from_features(r, f) == p5  # k = 5 by default


def test_histograms_and_kl_word_for_word():
    assert (
        _message(kl_to_uniform, torch.zeros(3)) == "KL to uniform needs a histogram with at least one count"
    )
    assert kl_to_uniform(torch.tensor([1.0])) == 0.0
    # p = (3/4, 1/4) over K = 2: ¾ log(3/2) + ¼ log(1/2)
    assert kl_to_uniform(torch.tensor([3, 1])) == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    assert _message(class_histogram_metrics, torch.tensor([], dtype=torch.long), 3) == (
        "the class histogram needs at least one sample"
    )
    assert (
        _message(class_histogram_metrics, torch.tensor([-1, 2]), 3)
        == "class labels must lie in [0, 3), got -1..2"
    )
    assert (
        _message(class_histogram_metrics, torch.tensor([0, 3]), 3)
        == "class labels must lie in [0, 3), got 0..3"
    )
    out = class_histogram_metrics(torch.tensor([[2, 2], [0, 2]]), 3)  # any shape is flattened
    assert out == {
        "class_histogram": [1, 0, 3],
        "modes": 2,
        "kl_uniform": pytest.approx(kl_to_uniform(torch.tensor([1, 0, 3]))),
    }
    assert class_histogram_metrics(torch.tensor([0, 2]), 3)["class_histogram"] == [1, 0, 1]
    assert class_histogram_metrics(torch.tensor([0, 0]), 3)["class_histogram"] == [2, 0, 0]  # K counts
    assert class_histogram_metrics(torch.tensor([1]), 3)["modes"] == 1  # one sample is enough
    assert (
        _message(stacked_mode_metrics, torch.tensor([1, 2, 3]))
        == "stacked modes need (N, C) channel labels, got shape (3,)"
    )
    assert (
        _message(stacked_mode_metrics, torch.zeros(0, 3))
        == "stacked modes need (N, C) channel labels, got shape (0, 3)"
    )
    # two channels of K = 4 classes: 16 modes; (1, 2) is mode 6 and (2, 1) mode 9
    two = stacked_mode_metrics(torch.tensor([[1, 2], [2, 1], [1, 2]]), num_classes=4)
    assert two["stacked_num_modes"] == 16 and two["stacked_modes"] == 2
    assert two["stacked_kl"] == pytest.approx(kl_to_uniform(torch.tensor([0] * 6 + [2, 0, 0, 1] + [0] * 6)))
    assert stacked_mode_metrics(torch.tensor([[9, 9, 9]]))["stacked_num_modes"] == 1000
