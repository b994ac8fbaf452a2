"""Toy datasets match the published protocols exactly, and sampling is deterministic."""

from __future__ import annotations

import math

import pytest
import torch

from divergan.data import get_dataset, names
from divergan.errors import UserError

N = 200_000


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _per_mode_std(x: torch.Tensor, modes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts per nearest mode and the pooled per-coordinate std of the residuals."""
    nearest = torch.cdist(x.double(), modes.double()).argmin(1)
    resid = x.double() - modes.double()[nearest]
    return torch.bincount(nearest, minlength=len(modes)), resid.std()


def test_ring8_centres_are_at_angles_2pi_i_over_8():
    d = get_dataset("ring8")
    angles = [2 * math.pi * i / 8 for i in range(8)]
    expected = torch.tensor([(math.cos(a), math.sin(a)) for a in angles])
    assert torch.allclose(d.modes, expected, atol=1e-7)
    assert d.std == 0.01 and d.dim == 2
    assert torch.cdist(d.modes, d.modes).add(torch.eye(8)).min() > 0.7  # 8 distinct centres


def test_grid25_means():
    d = get_dataset("grid25")
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(m) for m in d.modes.tolist()} == expected and len(d.modes) == 25
    assert d.std == 0.05


@pytest.mark.parametrize(
    ("name", "std"),
    [
        ("ring8", 0.01),
        ("grid25", 0.05),
        ("wgan-gp-8gaussians", 0.02 / 1.414),
        ("wgan-gp-25gaussians", 0.05 / 2.828),
    ],
)
def test_measured_std_and_balance(name, std):
    d = get_dataset(name)
    x = d.sample(N, _gen())
    assert x.shape == (N, 2) and x.dtype == torch.float32
    counts, measured = _per_mode_std(x, d.modes)
    assert measured == pytest.approx(std, rel=0.01)
    k = len(d.modes)
    # multinomial counts: within 5 standard deviations of N/k
    assert (counts - N / k).abs().max() < 5 * math.sqrt(N / k)


def test_wgan_gp_scalings_put_the_factor_after_the_noise():
    eight = get_dataset("wgan-gp-8gaussians")
    assert torch.allclose(eight.modes.norm(dim=1), torch.full((8,), 2 / 1.414))
    angles = torch.atan2(eight.modes[:, 1], eight.modes[:, 0]).remainder(2 * math.pi).sort().values
    assert torch.allclose(angles, torch.arange(8) * math.pi / 4, atol=1e-6)
    assert eight.std == pytest.approx(0.02 / 1.414)
    grid = get_dataset("wgan-gp-25gaussians")
    assert torch.allclose(grid.modes, get_dataset("grid25").modes / 2.828)
    assert grid.std == pytest.approx(0.05 / 2.828)


def test_swissroll_matches_the_wgan_gp_construction():
    x = get_dataset("swissroll", noise=0).sample(5000, _gen())
    # without noise, 7.5·x = t (cos t, sin t) with t ∈ [1.5π, 4.5π]: radius t, angle ≡ t mod 2π
    r = (7.5 * x.double()).norm(dim=1)
    assert r.min() >= 1.5 * math.pi - 1e-4 and r.max() <= 4.5 * math.pi + 1e-4
    angle = torch.atan2(x[:, 1].double(), x[:, 0].double())
    assert torch.allclose(torch.cos(angle - r), torch.ones_like(r), atol=1e-4)
    noisy = get_dataset("swissroll").sample(5000, _gen())
    assert noisy.shape == (5000, 2) and not torch.equal(noisy, x)


def test_mixture1d_is_bimodal():
    d = get_dataset("mixture1d")
    x = d.sample(N, _gen())
    assert x.shape == (N, 1) and d.modes.tolist() == [[-2.0], [2.0]]
    assert float((x > 0).double().mean()) == pytest.approx(0.5, abs=0.01)
    assert float(x[x > 0].std()) == pytest.approx(0.5, rel=0.02)
    three = get_dataset("mixture1d", means="-3,0,3", std=0.1)
    assert three.modes.flatten().tolist() == [-3.0, 0.0, 3.0] and three.std == 0.1


@pytest.mark.parametrize("intrinsic", [1, 2])
def test_manifold_is_a_known_low_dimensional_set(intrinsic):
    d = get_dataset("manifold", dim=16, intrinsic=intrinsic)
    x = d.sample(2000, _gen()).double()
    assert x.shape == (2000, 16) and d.dim == 16
    s = torch.linalg.svdvals(x - (0 if intrinsic == 1 else x.mean(0)))
    assert (s[2:] < 1e-4 * s[0]).all()  # rank 2: the points span one 2-plane
    if intrinsic == 1:
        assert torch.allclose(
            x.norm(dim=1), torch.ones(2000, dtype=torch.float64), atol=1e-5
        )  # the unit circle
    # the same plane for every sample and every generator: it depends on the seed parameter only
    y = d.sample(50, _gen(7)).double()
    basis = torch.linalg.svd(x, full_matrices=False).Vh[:2]  # (2, 16)
    assert torch.allclose(y @ basis.T @ basis, y, atol=1e-5)


@pytest.mark.parametrize("name", names())
def test_sampling_is_deterministic_and_fast(name):
    d = get_dataset(name)
    a = d.sample(1000, _gen(3))
    b = d.sample(1000, _gen(3))
    c = d.sample(1000, _gen(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (1000, *(d.shape or (d.dim,))) and a.dtype == torch.float32 and torch.isfinite(a).all()
    assert a[0].numel() == d.dim


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("nope", {}),
        ("ring8", {"std": 0.1}),
        ("swissroll", {"noise": -1}),
        ("mixture1d", {"std": 0}),
        ("mixture1d", {"means": "a,b"}),
        ("manifold", {"dim": 1}),
        ("manifold", {"intrinsic": 3}),
        ("manifold", {"dim": 2.5}),
        ("ring8.npy", {"x": 1}),
    ],
)
def test_bad_names_and_params_raise_one_line_user_errors(name, params):
    with pytest.raises(UserError) as info:
        get_dataset(name, **params)
    assert "\n" not in str(info.value)
