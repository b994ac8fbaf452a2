"""The README's main-job picture: the generator's own samples G(z) of a finished 2-D run over its critic.

    divergan train --out runs/main && python scripts/readme_figure.py runs/main [docs/images/grid25-samples.png]

Draws 2,500 samples of the run's EMA generator (the direct sampler: no density-ratio reweighting) from
the latest checkpoint, over 2,500 data points and the critic's contours, and saves the PNG.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from divergan.report.plots import samples_figure
from divergan.train import load_run

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "grid25-samples.png"


def main(argv: list[str]) -> None:
    run = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else OUT
    cfg, parts, meta = load_run(run)
    n = 2500
    real = parts.dataset.sample(n, torch.Generator().manual_seed(0))
    with torch.no_grad():
        fake = parts.ema(torch.randn(n, cfg.z_dim, generator=torch.Generator().manual_seed(1)))
    title = f"G(z) direct: {cfg.objective}, {cfg.data}, step {meta['step']}"
    fig = samples_figure(real, fake, parts.critic, title, size=5.0, dpi=100)
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
