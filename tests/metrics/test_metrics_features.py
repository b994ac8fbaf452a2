"""Exact checks of the feature-space metrics: FD, KID, precision/recall/density/coverage, class modes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from divergan.errors import UserError
from divergan.metrics.features import (
    class_histogram_metrics,
    frechet_distance_from_features,
    frechet_distance_from_stats,
    kid_from_features,
    kl_to_uniform,
    knn_radii,
    paired_difference_se,
    prdc_from_features,
    precision_recall_density_coverage,
    stacked_mode_metrics,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _random_spd(d: int, seed: int) -> torch.Tensor:
    a = torch.randn(d, d, generator=_gen(seed), dtype=torch.float64)
    return a @ a.T / d + 0.1 * torch.eye(d, dtype=torch.float64)


# ---- Fréchet distance -------------------------------------------------------------------------------


def test_fd_of_identical_features_is_zero():
    x = torch.randn(300, 8, generator=_gen(0))
    assert frechet_distance_from_features(x, x) == pytest.approx(0.0, abs=1e-9)


def test_fd_diagonal_gaussians_closed_form():
    # commuting covariances: d² = ‖μ1 − μ2‖² + Σ_k (√a_k − √b_k)²
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, -1.0])
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 0.25])
    expected = float(((mu1 - mu2) ** 2).sum() + ((a.sqrt() - b.sqrt()) ** 2).sum())
    assert frechet_distance_from_stats(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(
        expected, rel=1e-12
    )


def test_fd_general_gaussians_matches_scipy_sqrtm_form():
    d = 6
    s1, s2 = _random_spd(d, 1), _random_spd(d, 2)
    mu1 = torch.randn(d, generator=_gen(3), dtype=torch.float64)
    mu2 = torch.randn(d, generator=_gen(4), dtype=torch.float64)
    covmean = scipy.linalg.sqrtm(s1.numpy() @ s2.numpy()).real
    expected = float(((mu1 - mu2) ** 2).sum()) + float(np.trace(s1.numpy() + s2.numpy() - 2 * covmean))
    assert frechet_distance_from_stats(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    # symmetric in its two arguments, and 0 against itself
    assert frechet_distance_from_stats(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance_from_stats(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-10)


def test_fd_from_samples_converges_to_the_closed_form():
    d, n = 3, 20000
    s1, s2 = _random_spd(d, 5), _random_spd(d, 6)
    mu2 = torch.tensor([0.5, -0.5, 1.0], dtype=torch.float64)
    x = torch.randn(n, d, generator=_gen(7), dtype=torch.float64) @ torch.linalg.cholesky(s1).T
    y = mu2 + torch.randn(n, d, generator=_gen(8), dtype=torch.float64) @ torch.linalg.cholesky(s2).T
    exact = frechet_distance_from_stats(torch.zeros(d), s1, mu2, s2)
    estimate = frechet_distance_from_features(x, y)
    assert estimate == pytest.approx(exact, rel=0.05)  # sampling error ~ 2 |Δμ| / √n per coordinate
    # and exactly the closed form at the sample moments (numpy's mean and unbiased covariance)
    xs, ys = x.numpy(), y.numpy()
    plug_in = frechet_distance_from_stats(
        torch.from_numpy(xs.mean(0)),
        torch.from_numpy(np.cov(xs.T)),
        torch.from_numpy(ys.mean(0)),
        torch.from_numpy(np.cov(ys.T)),
    )
    assert estimate == pytest.approx(plug_in, rel=1e-10)


def test_fd_singular_covariances_are_fine():
    # rank-1 covariances, N < D: no NaN, no imaginary part
    x = torch.randn(5, 20, generator=_gen(9))
    assert math.isfinite(frechet_distance_from_features(x, x + 1.0))
    # pure shift; round-off eigenvalues ~1e-15 of the singular product contribute their square roots
    assert frechet_distance_from_features(x, x + 1.0) == pytest.approx(20.0, abs=1e-5)


# ---- KID -----------------------------------------------------------------------------------------------


def _mmd2_unbiased_bruteforce(x: np.ndarray, y: np.ndarray) -> float:
    d, m = x.shape[1], x.shape[0]
    k = lambda a, b: (a @ b.T / d + 1.0) ** 3  # noqa: E731
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    np.fill_diagonal(kxx, 0.0)
    np.fill_diagonal(kyy, 0.0)
    return kxx.sum() / (m * (m - 1)) + kyy.sum() / (m * (m - 1)) - 2 * kxy.sum() / m**2


def test_kid_with_one_full_subset_is_the_unbiased_mmd2():
    x = torch.randn(30, 4, generator=_gen(0), dtype=torch.float64)
    y = torch.randn(30, 4, generator=_gen(1), dtype=torch.float64) + 0.3
    mean, std = kid_from_features(x, y, num_subsets=1, subset_size=30)
    assert mean == pytest.approx(_mmd2_unbiased_bruteforce(x.numpy(), y.numpy()), rel=1e-12)
    assert std == 0.0


def test_kid_is_unbiased_near_zero_for_one_law_and_positive_for_a_shift():
    # independent draws from one law: the unbiased estimates average to 0 (a biased V-statistic would
    # sit at a positive value of order 1/m)
    draws = [
        kid_from_features(
            torch.randn(200, 8, generator=_gen(2 * i)),
            torch.randn(200, 8, generator=_gen(2 * i + 1)),
            num_subsets=1,
            subset_size=200,
        )[0]
        for i in range(30)
    ]
    t = torch.tensor(draws, dtype=torch.float64)
    assert abs(float(t.mean())) < 3 * float(t.std()) / math.sqrt(len(draws))
    x = torch.randn(1000, 8, generator=_gen(100))
    y = torch.randn(1000, 8, generator=_gen(101))
    same_mean, same_std = kid_from_features(x, y, num_subsets=20, subset_size=300)
    shifted_mean, _ = kid_from_features(x, y + 0.5, num_subsets=20, subset_size=300)
    assert shifted_mean > 20 * max(abs(same_mean), same_std)
    # seeded: the same generator seed gives the same subsets
    again = kid_from_features(x, y, num_subsets=20, subset_size=300)
    assert again == (same_mean, same_std)


# ---- precision / recall / density / coverage ------------------------------------------------------------------


def _prdc_bruteforce(real: np.ndarray, fake: np.ndarray, k: int) -> dict:
    def dist(a, b):
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    drr, dff, drf = dist(real, real), dist(fake, fake), dist(real, fake)
    rr = np.sort(drr, axis=1)[:, k]  # column 0 is the point itself
    rf = np.sort(dff, axis=1)[:, k]
    inside = drf < rr[:, None]  # (N, M)
    return {
        "precision": inside.any(0).mean(),
        "recall": (drf < rf[None, :]).any(1).mean(),
        "density": inside.sum() / (k * fake.shape[0]),
        "coverage": inside.any(1).mean(),
    }


def test_prdc_worked_example_in_one_dimension():
    # reals {0, 1, 3}, fakes {0.5, 0.7, 10}, k = 1: radii 1, 1, 2 and 0.2, 0.2, 9.3
    real = torch.tensor([[0.0], [1.0], [3.0]])
    fake = torch.tensor([[0.5], [0.7], [10.0]])
    out = prdc_from_features(real, fake, k=1)
    assert out == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "density": 4 / 3, "coverage": 2 / 3})


@pytest.mark.parametrize("chunk", [None, 1, 7, 64])
def test_prdc_matches_a_bruteforce_definition_at_any_chunk(chunk):
    real = torch.randn(60, 5, generator=_gen(10), dtype=torch.float64)
    fake = 0.8 * torch.randn(45, 5, generator=_gen(11), dtype=torch.float64) + 0.3
    for k in (1, 3, 5):
        expected = _prdc_bruteforce(real.numpy(), fake.numpy(), k)
        assert prdc_from_features(real, fake, k=k, chunk=chunk) == pytest.approx(expected, abs=1e-12)
    both = precision_recall_density_coverage(real, fake, k_pr=3, k_dc=5, chunk=chunk)
    pr, dc = _prdc_bruteforce(real.numpy(), fake.numpy(), 3), _prdc_bruteforce(real.numpy(), fake.numpy(), 5)
    assert both == pytest.approx(
        {
            "precision": pr["precision"],
            "recall": pr["recall"],
            "density": dc["density"],
            "coverage": dc["coverage"],
        }
    )


def test_prdc_hits_are_the_indicators_precision_and_recall_average():
    # 1-D by hand, k = 1: reals 0, 1, 3 have radii 1, 1, 2 (open balls); fakes 0.5, 0.7, 10 have radii
    # 0.2, 0.2, 9.3. Fakes 0.5 and 0.7 lie in a real ball, 10 does not. Real 0 lies in no fake ball (0.5 and
    # 0.7 are too narrow, 10 is 10 away); real 1 and real 3 lie in fake 10's (9 and 7 < 9.3).
    real = torch.tensor([[0.0], [1.0], [3.0]])
    fake = torch.tensor([[0.5], [0.7], [10.0]])
    out = precision_recall_density_coverage(real, fake, k_pr=1, k_dc=1, hits=True)
    assert out["precision_hits"].tolist() == [True, True, False]
    assert out["recall_hits"].tolist() == [False, True, True]
    assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == pytest.approx(2 / 3)
    assert "precision_hits" not in precision_recall_density_coverage(real, fake, k_pr=1, k_dc=1)
    big_r = torch.randn(80, 4, generator=_gen(3))
    big_f = torch.randn(70, 4, generator=_gen(4)) + 0.5
    both = precision_recall_density_coverage(big_r, big_f, hits=True)
    assert both["precision"] == pytest.approx(float(both["precision_hits"].double().mean()))
    assert both["recall"] == pytest.approx(float(both["recall_hits"].double().mean()))


def test_paired_difference_se_by_hand():
    a = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.0])
    b = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])  # differences 0, -1, 0, 1, 0: mean 0, variance 2 / 4
    assert paired_difference_se(a, b) == pytest.approx(math.sqrt(0.5 / 5))
    assert paired_difference_se(a, a) == 0.0  # the same readings twice: no change, no error
    # the control: read unpaired, the two samples' SEs add up to more than the paired one
    unpaired = math.sqrt(a.var().item() / 5 + b.var().item() / 5)
    assert paired_difference_se(a, b) < unpaired
    with pytest.raises(UserError, match="paired difference"):
        paired_difference_se(a, b[:4])


@pytest.mark.parametrize("k", [1, 3, 5])
def test_prdc_of_identical_sets_is_exactly_one(k):
    x = torch.randn(200, 16, generator=_gen(12))
    assert prdc_from_features(x, x, k=k) == {"precision": 1.0, "recall": 1.0, "density": 1.0, "coverage": 1.0}


def test_prdc_of_far_apart_sets_is_zero():
    x = torch.randn(50, 4, generator=_gen(13))
    out = prdc_from_features(x, x + 100.0, k=3)
    assert out == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_prdc_small_version_of_the_reference_check():
    # N(0, I) vs N(0, I): precision and recall equal in law, coverage near 1, density near 1
    real = torch.randn(1500, 64, generator=_gen(14))
    fake = torch.randn(1500, 64, generator=_gen(15))
    out = prdc_from_features(real, fake, k=5)
    assert abs(out["precision"] - out["recall"]) < 0.06
    assert 0.9 < out["coverage"] <= 1.0
    assert 0.85 < out["density"] < 1.2


def test_knn_radii_leave_the_point_itself_out_and_keep_duplicates():
    x = torch.tensor([[0.0], [0.0], [2.0]])
    r = knn_radii(x, [1, 2])
    assert r[1].tolist() == [0.0, 0.0, 4.0]
    assert r[2].tolist() == [4.0, 4.0, 4.0]


# ---- class histograms and stacked MNIST ------------------------------------------------------------------------


def test_kl_to_uniform_extremes_and_a_value():
    assert kl_to_uniform(torch.tensor([3, 3, 3, 3])) == 0.0
    assert kl_to_uniform(torch.tensor([0, 7, 0, 0])) == pytest.approx(math.log(4))
    # p = (1/2, 1/2, 0, 0): log 4 − log 2
    assert kl_to_uniform(torch.tensor([1, 1, 0, 0])) == pytest.approx(math.log(2))


def test_class_histogram_metrics():
    out = class_histogram_metrics(torch.tensor([0, 1, 1, 9]), 10)
    assert out["class_histogram"] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    assert out["modes"] == 3
    p = np.array([0.25, 0.5, 0.25])
    assert out["kl_uniform"] == pytest.approx(float((p * np.log(10 * p)).sum()))
    with pytest.raises(UserError):
        class_histogram_metrics(torch.tensor([10]), 10)


def test_stacked_modes_all_thousand_and_one():
    digits = torch.arange(1000)
    labels = torch.stack([digits // 100, digits // 10 % 10, digits % 10], 1)  # every triple once
    out = stacked_mode_metrics(labels)
    assert out["stacked_modes"] == 1000 and out["stacked_num_modes"] == 1000
    assert out["stacked_kl"] == pytest.approx(0.0, abs=1e-12)
    collapsed = stacked_mode_metrics(torch.tensor([[1, 2, 3]] * 26))
    assert collapsed["stacked_modes"] == 1 and collapsed["stacked_kl"] == pytest.approx(math.log(1000))
    # the mode index is 100 c1 + 10 c2 + c3: (1, 2, 3) and (3, 2, 1) are different modes
    assert stacked_mode_metrics(torch.tensor([[1, 2, 3], [3, 2, 1]]))["stacked_modes"] == 2


def test_bad_feature_inputs_are_user_errors():
    x = torch.randn(10, 3)
    with pytest.raises(UserError, match="dimensions"):
        frechet_distance_from_features(x, torch.randn(10, 4))
    with pytest.raises(UserError, match="NaN"):
        kid_from_features(x, torch.full((10, 3), float("nan")))
    with pytest.raises(UserError, match="more than k"):
        prdc_from_features(x, x[:4], k=5)
    with pytest.raises(UserError, match=r"\(N, D\)"):
        prdc_from_features(torch.randn(10), x)
