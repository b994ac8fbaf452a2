"""Where a toy generator puts its samples in transit, read off its latent plane; with and without latent cells.

For each run folder (a 2-D mixture trained with ``z_dim=2``): 100,000 samples G(z) of its EMA generator, the
share of them within 3 std of a mode (high quality), between 3 and 10 std, and farther than 10 std from every
mode (in transit), and a figure with two panels per run: the samples over the data, and the latent plane
[-3, 3]² coloured by the mode that G(z) lands nearest, grey where it lands more than 3 std from every mode.
A generator continuous in z has to draw grey bands between the coloured regions; with latent cells
(``g_cells=K``) the regions can end at the cells' borders (drawn in black). The modes are read for this
evaluation only, as in every mode metric.

    .venv/bin/python benchmarks/latent_cells.py RUN_A RUN_B --labels "ring8 preset" "g_cells=32" \
        --out docs/images/ring8-latent-cells.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from divergan.api import load_generator
from divergan.data import get_dataset
from divergan.metrics.modes import nearest_modes
from divergan.nn.remedies import LatentCells
from divergan.train.runs import read_config_json

SAMPLES = 100_000
GRID = 400  # latent pixels per side


def transit(G: torch.nn.Module, modes: torch.Tensor, std: float, n: int = SAMPLES) -> dict:
    """Shares of n samples G(z) by their distance to the nearest mode, in units of the mixture's std."""
    with torch.no_grad():
        x = G(torch.randn(n, 2, generator=torch.Generator().manual_seed(1)))
    r = nearest_modes(x, modes)[1] / std
    return {
        "within 3 std": float((r < 3).double().mean()),
        "3-10 std": float(((r >= 3) & (r < 10)).double().mean()),
        "beyond 10 std": float((r >= 10).double().mean()),
    }


def latent_grid() -> tuple[torch.Tensor, torch.Tensor]:
    """The axis t (GRID,) of [-3, 3] and the grid's latents (GRID², 2), rows (z1, z2) with z2 fastest."""
    t = torch.linspace(-3, 3, GRID)
    return t, torch.cartesian_prod(t, t)


def on_grid(values: torch.Tensor) -> torch.Tensor:
    """Per-latent values (GRID²,) of :func:`latent_grid` as an image (GRID, GRID) whose rows are z2."""
    return values.reshape(GRID, GRID).T


def latent_map(G: torch.nn.Module, modes: torch.Tensor, std: float) -> torch.Tensor:
    """(GRID, GRID) index of the nearest mode of G(z) on [-3, 3]², -1 where it is beyond 3 std."""
    with torch.no_grad():
        index, dist = nearest_modes(G(latent_grid()[1]), modes)
    index[dist / std >= 3] = -1
    return on_grid(index)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--labels", nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    labels = args.labels or [r.name for r in args.runs]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, len(args.runs), figsize=(4.2 * len(args.runs), 8.4), squeeze=False)
    print("| run | within 3 std | 3-10 std | beyond 10 std (in transit) |")
    print("|---|---|---|---|")
    for col, (run, label) in enumerate(zip(args.runs, labels, strict=True)):
        cfg = read_config_json(run / "config.json")
        data = get_dataset(cfg["data"], **cfg.get("data_params", {}))
        G = load_generator(run)
        shares = transit(G, data.modes, data.std)
        print(f"| {label} | " + " | ".join(f"{100 * v:.2f} %" for v in shares.values()) + " |")
        with torch.no_grad():
            x = G(torch.randn(2500, 2, generator=torch.Generator().manual_seed(2)))
        real = data.sample(2500, torch.Generator().manual_seed(3))
        ax = axes[0, col]
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.7", label="data")
        ax.scatter(x[:, 0], x[:, 1], s=2, c="tab:blue", alpha=0.5, label="G(z)")
        ax.set_title(f"{label}\n{100 * shares['within 3 std']:.1f} % within 3 std", fontsize=10)
        ax.set_aspect("equal")
        ax.legend(loc="upper right", fontsize=7, markerscale=4)
        k = len(data.modes)
        colours = ListedColormap(["0.55", *plt.get_cmap("tab20").colors[:k]])
        ax = axes[1, col]
        ax.imshow(latent_map(G, data.modes, data.std) + 1, origin="lower", extent=(-3, 3, -3, 3),
                  cmap=colours, vmin=0, vmax=k, interpolation="nearest")  # fmt: skip
        cells = next((m for m in G.modules() if isinstance(m, LatentCells)), None)
        if cells is not None:  # the cells' borders: where the nearest point changes between neighbours
            t, z = latent_grid()
            owner = on_grid(torch.cdist(z, cells.points).argmin(1))
            ax.contour(t, t, owner.float(), levels=torch.arange(len(cells.points)).float() + 0.5,
                       colors="k", linewidths=0.4)  # fmt: skip
        ax.set_title("latent plane z: nearest mode of G(z)\n(grey: beyond 3 std)", fontsize=10)
        ax.set_xlabel("z₁")
        ax.set_ylabel("z₂")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
