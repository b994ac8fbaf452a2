r"""Toy distributions with known structure: Gaussian mixtures with known modes, a swiss roll, a manifold.

All samplers draw a whole batch in a few tensor operations from an explicit ``torch.Generator``
(same generator state, same samples) and return float32 of shape (n, dim).

Protocols (docs/protocols.md, "2-D Gaussian mixtures"):

* ``ring8``: 8 Gaussians, centres (cos 2πi/8, sin 2πi/8), i = 0..7, std 0.01 (VEEGAN/PacGAN). The
  angles are 2πi/8, *not* ``linspace(0, 2π, 8)`` (which repeats the centre at angle 0).
* ``grid25``: 25 Gaussians, means {−4, −2, 0, 2, 4}², std 0.05 (VEEGAN/PacGAN).
* ``wgan-gp-8gaussians`` / ``wgan-gp-25gaussians`` / ``wgan-gp-swissroll``: the toy data of the
  WGAN-GP code (igul222/improved_wgan_training, ``gan_toy.py``, ``inf_train_gen``). Read there with
  care, the scale factor is applied *after* the noise: each point is centre + std·N(0, I) and then
  the whole point is divided (``dataset /= 1.414`` resp. ``/= 2.828``, literally those decimals, not
  √2 and 2√2). So the mixture has centres c/1.414 and std 0.02/1.414 (8 Gaussians, c on the radius-2
  circle at multiples of 45°), resp. centres 2·(i, j)/2.828, i, j ∈ {−2..2}, and std 0.05/2.828
  (25 Gaussians). Their 25-Gaussian iterator cycles through a fixed, balanced set of 100,000 points;
  here every batch is fresh i.i.d. draws with uniform mode probabilities (the same distribution).
  Their swiss roll is sklearn's ``make_swiss_roll(noise=0.25)`` keeping coordinates (x, z), divided
  by 7.5: t = 1.5π(1 + 2U), (t cos t, t sin t) + 0.25·N(0, I₂), all over 7.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from divergan.data.base import Dataset

Sampler = Callable[[int, torch.Generator], Tensor]


def gaussian_mixture(name: str, modes: Tensor, std: float) -> Dataset:
    r"""Equal-weight mixture of isotropic Gaussians, (1/K) Σ_k N(μ_k, std²·I).

    Args:
        name: registry name.
        modes: (K, d) centres μ_k.
        std: the common standard deviation.

    Returns:
        A :class:`Dataset` that knows its ``modes`` and ``std``.
    """
    modes = modes.to(torch.float32)
    k, d = modes.shape

    def sample(n: int, generator: torch.Generator) -> Tensor:
        idx = torch.randint(k, (n,), generator=generator)  # (n,) component of each sample
        noise = torch.randn(n, d, generator=generator)  # (n, d)
        return modes[idx] + std * noise

    return Dataset(name=name, dim=d, modes=modes, std=float(std), sampler=sample)


def ring_modes(k: int = 8, radius: float = 1.0) -> Tensor:
    """(k, 2) centres radius·(cos 2πi/k, sin 2πi/k), i = 0..k−1 (float64)."""
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def grid_modes(values: Sequence[float]) -> Tensor:
    """(len(values)², 2) centres of the grid values × values, row-major (x outer, y inner)."""
    v = torch.tensor(values, dtype=torch.float64)
    xx, yy = torch.meshgrid(v, v, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


def ring8() -> Dataset:
    """8 Gaussians on the unit circle at angles 2πi/8, std 0.01 (VEEGAN/PacGAN protocol)."""
    return gaussian_mixture("ring8", ring_modes(8, 1.0), 0.01)


def grid25() -> Dataset:
    """25 Gaussians at {−4, −2, 0, 2, 4}², std 0.05 (VEEGAN/PacGAN protocol)."""
    return gaussian_mixture("grid25", grid_modes([-4.0, -2.0, 0.0, 2.0, 4.0]), 0.05)


def wgan_gp_8gaussians() -> Dataset:
    """WGAN-GP toy 8 Gaussians: radius-2 ring, std 0.02, every point divided by 1.414."""
    s = 1.0 / math.sqrt(2.0)
    unit = torch.tensor(
        [(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)], dtype=torch.float64
    )  # the order of gan_toy.py
    return gaussian_mixture("wgan-gp-8gaussians", 2.0 * unit / 1.414, 0.02 / 1.414)


def wgan_gp_25gaussians() -> Dataset:
    """WGAN-GP toy 25 Gaussians: centres 2·{−2..2}², std 0.05, every point divided by 2.828."""
    return gaussian_mixture(
        "wgan-gp-25gaussians", grid_modes([-4.0, -2.0, 0.0, 2.0, 4.0]) / 2.828, 0.05 / 2.828
    )


def swissroll(noise: float = 0.25, scale: float = 7.5, name: str = "swissroll") -> Dataset:
    r"""2-D swiss roll as in the WGAN-GP toy code (sklearn's ``make_swiss_roll``, coordinates x and z).

    .. math::

        t = \tfrac{3\pi}{2}(1 + 2U),\ U \sim U[0, 1]; \qquad
        x = \big(t\cos t + \text{noise}\cdot\varepsilon_1,\ t \sin t + \text{noise}\cdot\varepsilon_2\big) / \text{scale}
    """

    def sample(n: int, generator: torch.Generator) -> Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))  # (n,)
        eps = torch.randn(n, 2, generator=generator)  # (n, 2)
        x = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) + noise * eps
        return x / scale

    return Dataset(name=name, dim=2, sampler=sample)


def mixture1d(means: Sequence[float] = (-2.0, 2.0), std: float = 0.5) -> Dataset:
    """Equal-weight 1-D Gaussian mixture (default bimodal ½N(−2, 0.5²) + ½N(2, 0.5²)), samples (n, 1)."""
    modes = torch.tensor(list(means), dtype=torch.float64).reshape(-1, 1)
    return gaussian_mixture("mixture1d", modes, std)


def embedding(dim: int, seed: int = 0) -> Tensor:
    """(dim, 2) matrix with orthonormal columns, from a fixed seed (QR of a Gaussian matrix, float64)."""
    g = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(dim, 2, generator=g, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))  # sign fix makes the factorisation unique


def manifold(dim: int = 32, intrinsic: int = 1, noise: float = 0.0, seed: int = 0) -> Dataset:
    r"""A known low-dimensional manifold isometrically embedded in R^dim (Arjovsky & Bottou 2017).

    With A the (dim, 2) orthonormal :func:`embedding`:

    * ``intrinsic=1``: the unit circle A·(cos 2πU, sin 2πU), U ~ U[0, 1] (a closed 1-D curve);
    * ``intrinsic=2``: the flat square A·u, u ~ U[−1, 1]² (a 2-D plane patch);

    plus ``noise``·N(0, I_dim) (0 by default: the support is exactly the manifold, so P_r has no
    density in R^dim and a generator's P_g is almost surely singular to it). Because A is an isometry,
    distances on the manifold equal distances in R^dim.
    """
    a = embedding(dim, seed).to(torch.float32)  # (dim, 2)

    def sample(n: int, generator: torch.Generator) -> Tensor:
        if intrinsic == 1:
            theta = 2 * math.pi * torch.rand(n, generator=generator)
            latent = torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)  # (n, 2)
        else:
            latent = 2 * torch.rand(n, 2, generator=generator) - 1  # (n, 2)
        x = latent @ a.T  # (n, dim)
        if noise > 0:
            x = x + noise * torch.randn(n, dim, generator=generator)
        return x

    return Dataset(name="manifold", dim=dim, sampler=sample)
