"""PNG plots of a run: data vs samples with the critic's contours, and the curves of metrics.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from divergan.data.base import Dataset


def plot_samples(path: Path, real: Tensor, fake: Tensor, critic: nn.Module | None, title: str) -> None:
    """2-D: scatter of real (grey) and generated (red) points over the critic's output contours.
    1-D: histograms. Higher dimensions: the first two coordinates, no contours."""
    fig, ax = plt.subplots(figsize=(6, 6), dpi=110)
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
            xs = torch.linspace(float(lo[0]), float(hi[0]), 200)
            ys = torch.linspace(float(lo[1]), float(hi[1]), 200)
            gx, gy = torch.meshgrid(xs, ys, indexing="xy")
            with torch.no_grad():
                v = critic(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1))
            v = v if v.dim() == 1 else v.norm(dim=1)
            cs = ax.contourf(
                gx.numpy(), gy.numpy(), v.reshape(200, 200).numpy(), levels=30, cmap="Blues", alpha=0.6
            )
            fig.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, label="critic V(x)")
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.3", alpha=0.5, label="data")
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:red", alpha=0.6, label="samples")
        ax.set_xlim(float(lo[0]), float(hi[0]))
        ax.set_ylim(float(lo[1]), float(hi[1]))
        ax.set_aspect("equal")
    ax.legend(loc="upper right", markerscale=4)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.2), dpi=110, squeeze=False)
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
    plt.close(fig)


def plot_run(run: Path, data: Dataset, samples: Tensor, critic: nn.Module | None, title: str) -> None:
    """samples.png and curves.png in the run folder."""
    real = data.sample(len(samples), torch.Generator().manual_seed(0))
    plot_samples(run / "samples.png", real, samples, critic, title)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    if rows:
        plot_curves(run / "curves.png", rows)
