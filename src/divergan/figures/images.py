r"""Image figures of a run, as PNG files written with Pillow: sample grids, latent interpolation and
latent vector arithmetic (DCGAN, Radford et al. 2016; Sun (PaperWeekly), §5.2).

All functions take images (N, C, H, W) with values in [−1, 1] (the generator's Tanh range).

Latent arithmetic. DCGAN averages the z of a few samples showing a concept (e.g. "smiling woman") and
shows that G(z̄_A − z̄_B + z̄_C) combines the concepts. Digits have no labelled attributes, so the
concept here is one that can be measured on every sample: stroke weight (ink, the mean intensity).
Among samples of the generator, A = the heaviest quarter, B = the lightest quarter, and C = a few
individual latents; G(z_C + z̄_A − z̄_B) should draw C's digits with heavier strokes. The figure shows
that, and :func:`latent_arithmetic` returns the measured ink of G(z_C) and G(z_C + z̄_A − z̄_B).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor


def to_unit(images: Tensor) -> Tensor:
    """[−1, 1] -> [0, 1], clamped."""
    return ((images.detach().float() + 1) / 2).clamp(0, 1)


def save_grid(images: Tensor, path: Path, nrow: int | None = None, scale: int = 2) -> None:
    """Sample grid PNG of (N, C, H, W) images in [−1, 1], white gaps: :func:`divergan.figures.grids.save_grid`."""
    from divergan.figures.grids import save_grid as write

    write(images, path, nrow, scale, pad_value=1.0)


Generate = Callable[[Tensor], Tensor]  # z (n, z_dim) -> images (n, C, H, W)


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    r"""Spherical interpolation of latents (White 2016): for Gaussian z it keeps ‖z‖ typical.

    slerp(a, b; t) = sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, cos Ω = ⟨a, b⟩/(‖a‖‖b‖);
    a, b (d,), t (k,) -> (k, d). Linear when a ∥ b.
    """
    cos = torch.dot(a, b) / (a.norm() * b.norm())
    omega = torch.arccos(cos.clamp(-1, 1))
    if float(omega.sin().abs()) < 1e-6:
        return (1 - t)[:, None] * a + t[:, None] * b
    return (torch.sin((1 - t) * omega)[:, None] * a + torch.sin(t * omega)[:, None] * b) / omega.sin()


@torch.no_grad()
def interpolation(
    path: Path, generate: Generate, z_dim: int, generator: torch.Generator, rows: int = 6, steps: int = 10
) -> None:
    """``rows`` strips of G along slerp paths between two random latents, ``steps`` images each."""
    t = torch.linspace(0, 1, steps)
    z = torch.cat(
        [
            slerp(torch.randn(z_dim, generator=generator), torch.randn(z_dim, generator=generator), t)
            for _ in range(rows)
        ]
    )  # (rows·steps, z_dim)
    save_grid(generate(z), path, nrow=steps)


def ink(images: Tensor) -> Tensor:
    """(N,) mean intensity in [0, 1] of (N, C, H, W) images in [−1, 1]: stroke weight for digits."""
    return to_unit(images).flatten(1).mean(dim=1)


@torch.no_grad()
def latent_arithmetic(
    path: Path, generate: Generate, z_dim: int, generator: torch.Generator, pool: int = 2000, show: int = 8
) -> dict[str, float]:
    """The figure of the module docstring; returns mean ink of G(z_C) and G(z_C + z̄_A − z̄_B).

    Rows of the PNG: ``show`` heavy samples (A), ``show`` light samples (B), G(z_C), G(z_C + z̄_A − z̄_B).
    """
    z = torch.randn(pool, z_dim, generator=generator)  # (pool, z_dim)
    x = torch.cat([generate(chunk) for chunk in z.split(500)])
    order = ink(x).argsort()
    quarter = max(1, pool // 4)
    light, heavy = order[:quarter], order[-quarter:]
    direction = z[heavy].mean(0) - z[light].mean(0)  # z̄_A − z̄_B
    z_c = torch.randn(show, z_dim, generator=generator)
    before, after = generate(z_c), generate(z_c + direction)
    rows = torch.cat([x[heavy[-show:]], x[light[:show]], before, after])
    save_grid(rows, path, nrow=show)
    return {"ink_before": float(ink(before).mean()), "ink_after": float(ink(after).mean())}
