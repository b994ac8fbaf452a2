"""PNG plots of a run: data vs samples with the critic's contours, and the curves of metrics.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from divergan.data.base import Dataset


def samples_figure(
    real: Tensor,
    fake: Tensor,
    critic: nn.Module | None,
    title: str,
    *,
    size: float = 6.0,
    dpi: int = 110,
    resolution: int = 120,
    compact: bool = False,
) -> Figure:
    """2-D: scatter of real (grey) and generated (red) points over the critic's output contours, evaluated
    on a ``resolution`` × ``resolution`` grid. 1-D: histograms. Higher dimensions: the first two
    coordinates, no contours. ``compact``: no colour bar and fixed margins (cheaper to draw, for
    pictures taken during training). The figure is a plain :class:`~matplotlib.figure.Figure`, not
    registered with pyplot, so nothing here touches matplotlib's global backend or figure list."""
    fig = Figure(figsize=(size, size), dpi=dpi)
    ax = fig.subplots()
    real, fake = real.detach().cpu(), fake.detach().cpu()
    if real.shape[1] == 1:
        ax.hist(real[:, 0].numpy(), bins=120, density=True, alpha=0.5, color="0.4", label="data")
        ax.hist(fake[:, 0].numpy(), bins=120, density=True, alpha=0.5, color="tab:red", label="samples")
    else:
        both = torch.cat([real[:, :2], fake[:, :2]])
        lo, hi = both.quantile(0.001, dim=0), both.quantile(0.999, dim=0)
        pad = 0.1 * (hi - lo) + 1e-3
        lo, hi = lo - pad, hi + pad
        if critic is not None and real.shape[1] == 2:
            xs = torch.linspace(float(lo[0]), float(hi[0]), resolution)
            ys = torch.linspace(float(lo[1]), float(hi[1]), resolution)
            gx, gy = torch.meshgrid(xs, ys, indexing="xy")
            with torch.no_grad():
                v = getattr(critic, "pointwise", critic)(
                    torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)
                )  # packed: V(x, …, x)
            v = v if v.dim() == 1 else v.norm(dim=1)
            cs = ax.contourf(
                gx.numpy(),
                gy.numpy(),
                v.reshape(resolution, resolution).numpy(),
                levels=30,
                cmap="Blues",
                alpha=0.6,
            )
            if not compact:
                fig.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="critic V(x)")
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.3", alpha=0.5, label="data")
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:red", alpha=0.6, label="samples")
        ax.set_xlim(float(lo[0]), float(hi[0]))
        ax.set_ylim(float(lo[1]), float(hi[1]))
        ax.set_aspect("equal")
    ax.legend(loc="upper right", markerscale=4)
    ax.set_title(title.replace("$", r"\$"))  # a '$' in a file name is not mathtext
    if compact:
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.07, top=0.93)
    else:
        fig.tight_layout()
    return fig


def plot_samples(path: Path, real: Tensor, fake: Tensor, critic: nn.Module | None, title: str) -> None:
    """:func:`samples_figure` saved as a PNG at ``path``."""
    fig = samples_figure(real, fake, critic, title)
    fig.savefig(path)


def image_grid(images: Tensor, columns: int = 8, pad: int = 2) -> Tensor:
    """Tile images (N, C, H, W) or (N, H, W) into one (C, rows·(H+pad)+pad, columns·(W+pad)+pad) picture.

    Values are mapped to [0, 1]: images with a negative value are taken to lie in [-1, 1] (a tanh
    generator), others in [0, 1]; anything outside is clipped. Padding is white. C is 1 or 3.
    """
    x = images.detach().float().cpu()
    if x.dim() == 3:
        x = x[:, None]  # (N, 1, H, W)
    if x.dim() != 4 or len(x) == 0:
        raise ValueError(
            f"image_grid takes (N, C, H, W) or (N, H, W) images, got shape {tuple(images.shape)}"
        )
    if x.min() < 0:
        x = (x + 1) / 2
    x = x.clamp(0, 1)
    if x.shape[1] not in (1, 3):
        x = x[:, :1]
    n, c, h, w = x.shape
    columns = min(columns, n)
    rows = -(-n // columns)
    grid = torch.ones(c, rows * (h + pad) + pad, columns * (w + pad) + pad)
    for i in range(n):
        r, col = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[:, top : top + h, left : left + w] = x[i]
    return grid


def plot_curves(path: Path, rows: list[dict]) -> None:
    """Losses, gradient norms and mode metrics against the step."""
    keys = [
        ("loss_d", "loss_g"),
        ("grad_norm_d", "grad_norm_g"),
        ("modes",),
        ("high_quality",),
        ("reverse_kl",),
    ]
    keys = [group for group in keys if any(k in r for r in rows for k in group)]
    fig = Figure(figsize=(3.6 * len(keys), 3.2), dpi=110)
    axes = fig.subplots(1, len(keys), squeeze=False)
    for ax, group in zip(axes[0], keys, strict=True):
        for key in group:
            pts = [(r["step"], r[key]) for r in rows if key in r]
            if pts:
                ax.plot(*zip(*pts, strict=True), label=key)
        if group[0].startswith("grad"):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def plot_run(run: Path, data: Dataset, samples: Tensor, critic: nn.Module | None, title: str) -> None:
    """samples.png and curves.png in the run folder."""
    real = data.sample(len(samples), torch.Generator().manual_seed(0))
    plot_samples(run / "samples.png", real, samples, critic, title)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    if rows:
        plot_curves(run / "curves.png", rows)
