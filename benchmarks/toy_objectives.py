"""Every objective and every remedy on the 2-D toy mixtures, from G(z) alone; writes docs/benchmarks.md.

Two sweeps over a base preset (``--base``, default ``default``: the grid25 main job), each run one
``train`` with ``threads=1``, the generator's own (EMA) samples evaluated on the VEEGAN/PacGAN
protocol (2,500 samples; modes, high quality, reverse KL) plus W1 to 2,000 held-out points:

* ``--what objectives``: every objective of ``divergan objectives`` with the remedies of the preset
  switched off (``plain``: pack 1, no batch norm in G, no maxout, no minibatch std, no Fourier features,
  constant learning rate, the objective's own default parameters, so no R1/R2) and as the preset ships
  them (``preset``), the objective swapped in;
* ``--what remedies``: the preset with one remedy changed at a time (:data:`VARIANTS`).

Results are appended to benchmarks/results/toy_objectives.jsonl (re-running skips what is there). The
table between the markers in docs/benchmarks.md is rewritten from that file, and seed 0's samples
(1,000 points, float16, benchmarks/results/toy_samples/) make the figure docs/images/toy-objectives-*.png.
A reduced run (``--set steps=N`` below the preset's steps, fewer seeds) is labelled as such in the table
by its steps and seed count.

    python benchmarks/toy_objectives.py --what objectives --data grid25,ring8 --seeds 0-2
    python benchmarks/toy_objectives.py --what remedies --data grid25,ring8 --seeds 0-2
    python benchmarks/toy_objectives.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from _doc import ROOT, load_jsonl, machine, mean_sd, parse_seeds, write_section
from divergan.objectives import names as objective_names
from divergan.train import apply_overrides, load_run, preset, train

RESULTS = ROOT / "benchmarks" / "results" / "toy_objectives.jsonl"
SAMPLES = ROOT / "benchmarks" / "results" / "toy_samples"
FIGURES = ROOT / "docs" / "images"

#: the remedies off: the plain MLP GAN of the same size
PLAIN = [
    "pack=1",
    "g_norm=none",
    "d_maxout=0",
    "d_mbstd=0",
    "d_fourier=0",
    "lr_schedule=constant",
    "mix_components=1",
]
#: one remedy changed at a time from the preset
VARIANTS = {
    "preset": [],
    "plain": PLAIN,
    "pack 1": ["pack=1"],
    "pack 2": ["pack=2"],
    "pack 8": ["pack=8"],
    "no batch norm in G": ["g_norm=none"],
    "batch norm in G": ["g_norm=batch"],
    "minibatch std (group 4)": ["d_mbstd=4"],
    "maxout critic (5 pieces)": ["d_maxout=5"],
    "no Fourier features": ["d_fourier=0"],
    "no R1/R2": ["objective.r1=0", "objective.r2=0"],
    "constant learning rate": ["lr_schedule=constant"],
    "no EMA": ["ema_half_life=0"],
    "MIX+GAN K=4": ["mix_components=4", "pack=1", "d_mbstd=0"],
}
#: published rows, generators alone (ring modes, ring HQ %, ring rKL, grid modes, grid HQ %, grid rKL)
PUBLISHED = [
    ("GAN (PacGAN T1)", 6.3, 98.2, 0.45, 17.3, 94.8, 0.70),
    ("Unrolled, 5 steps (VEEGAN T1)", 7.6, 35.6, None, 23.6, 16.0, None),
    ("VEEGAN (VEEGAN T1)", 8, 52.9, None, 24.6, 40.0, None),
    ("WGAN-GP (GDPP T1)", 6.8, 59.6, None, 24.2, 28.7, None),
    ("GDPP (GDPP T1)", 8.0, 71.7, None, 24.8, 68.5, None),
    ("PacGAN2 (PacGAN T1)", 7.9, 95.6, 0.07, 23.8, 91.3, 0.13),
    ("PacGAN4 (PacGAN T1)", 7.8, 95.9, 0.07, 24.8, 93.6, 0.04),
]


def _slug(variant: str) -> str:
    """A file-name form of a variant's label: "MIX+GAN K=4" -> "mix-gan-k-4"."""
    return "-".join("".join(c if c.isalnum() else " " for c in variant.lower()).split())


def _data_preset(base: str, data: str) -> str:
    """The base preset for grid25; for ring8 the ring8 preset when the base is the default."""
    return "ring8" if data == "ring8" and base == "default" else base


def run_one(base: str, data: str, objective: str | None, variant: str, seed: int, extra: list[str]) -> dict:
    cfg = preset(_data_preset(base, data))
    sets = [
        f"data={data}",
        f"seed={seed}",
        "threads=1",
        "plot=false",
        "tensorboard=false",
        *VARIANTS[variant],
    ]
    if objective is not None and (objective != cfg.objective or variant == "plain"):
        cfg.objective, cfg.objective_params = objective, {}  # its own defaults: no R1/R2 when plain
    cfg = apply_overrides(cfg, [*sets, *extra])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        error = None
        try:
            final = train(cfg, Path(tmp) / "run", progress=False)
        except Exception as exc:  # a diverged objective is a result too
            final, error = None, str(exc).splitlines()[0]
        wall = time.perf_counter() - t0
        if final is not None and seed == 0:
            _, parts, _ = load_run(Path(tmp) / "run")
            with torch.no_grad():
                z = torch.randn(1000, cfg.z_dim, generator=torch.Generator().manual_seed(0))
                x = parts.ema(z).numpy().astype(np.float16)
            SAMPLES.mkdir(parents=True, exist_ok=True)
            np.save(SAMPLES / f"{data}--{cfg.objective}--{_slug(variant)}.npy", x)
    row = {
        "base": base,
        "data": data,
        "objective": cfg.objective,
        "variant": variant,
        "seed": seed,
        "steps": cfg.steps,
        "extra": extra,
        "wall_seconds": wall,
        "load": os.getloadavg()[0],
        "error": error,
    }
    if final is not None:
        d = final["direct"]
        row.update({k: d[k] for k in ("modes", "high_quality", "reverse_kl", "w1")})
    return row


def load() -> list[dict]:
    return load_jsonl(RESULTS)


def table(rows: list[dict]) -> str:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["data"], r["variant"], r["objective"], r["steps"]), []).append(r)
    out = [
        "| data | remedies | objective | steps | seeds | modes | high quality | reverse KL | W1 | wall s | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (data, variant, objective, steps), rs in sorted(groups.items()):
        ok = [r for r in rs if r["error"] is None]
        failed = f" ({len(rs) - len(ok)} diverged)" if len(ok) < len(rs) else ""
        out.append(
            f"| {data} | {variant} | {objective} | {steps} | {len(rs)}{failed} | "
            f"{mean_sd([r['modes'] for r in ok], '.1f')} | {mean_sd([100 * r['high_quality'] for r in ok], '.1f')}% | "
            f"{mean_sd([r['reverse_kl'] for r in ok], '.3f')} | {mean_sd([r['w1'] for r in ok], '.3f')} | "
            f"{mean_sd([r['wall_seconds'] for r in rs], '.0f')} | {statistics.fmean(r['load'] for r in rs):.1f} |"
        )
    out.append("\nPublished (generators alone): ring modes / HQ / rKL, grid modes / HQ / rKL\n")
    out.append(
        "| method | ring modes | ring HQ | ring rKL | grid modes | grid HQ | grid rKL |\n|---|---|---|---|---|---|---|"
    )
    for label, *v in PUBLISHED:
        out.append("| " + " | ".join([label, *("—" if x is None else str(x) for x in v)]) + " |")
    out.append(f"\nMachine: {machine()} (2 cores shared with other jobs: wall times are inflated).")
    return "\n".join(out)


def figure(data: str, variant: str) -> Path | None:
    """Seed 0's samples of every objective under one variant: one panel each, data in grey."""
    files = sorted(SAMPLES.glob(f"{data}--*--{_slug(variant)}.npy"))
    if not files:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from divergan.data import get_dataset

    real = get_dataset(data).sample(1000, torch.Generator().manual_seed(0)).numpy()
    cols = 6
    rows = (len(files) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.2 * rows), squeeze=False)
    lim = float(np.abs(real).max()) * 1.4
    for ax in axes.flat:
        ax.axis("off")
    for ax, path in zip(axes.flat, files, strict=False):
        x = np.load(path).astype(np.float32)
        ax.scatter(real[:, 0], real[:, 1], s=1, c="0.7")
        ax.scatter(x[:, 0], x[:, 1], s=1, c="tab:red", alpha=0.5)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(path.stem.split("--")[1], fontsize=8)
    fig.suptitle(f"{data}, remedies: {variant}; G(z), 1,000 samples (red) over data (grey)", fontsize=9)
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    out = FIGURES / f"toy-objectives-{data}-{_slug(variant)}.png"
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--what", choices=["objectives", "remedies"], default="objectives")
    ap.add_argument("--base", default="default", help="the preset every run starts from")
    ap.add_argument("--data", default="grid25,ring8")
    ap.add_argument("--objectives", default="all", help="comma-separated, or 'all'")
    ap.add_argument("--variants", default=None, help="comma-separated names of VARIANTS")
    ap.add_argument("--seeds", default="0-2")
    ap.add_argument("--set", action="append", default=[], help="extra overrides for every run (labelled)")
    ap.add_argument("--write", action="store_true", help="only rewrite the table and figures")
    args = ap.parse_args()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not args.write:
        if args.what == "objectives":
            objectives = objective_names() if args.objectives == "all" else args.objectives.split(",")
            variants = args.variants.split(",") if args.variants else ["plain", "preset"]
            jobs = [(o, v) for v in variants for o in objectives]
        else:
            variants = args.variants.split(",") if args.variants else list(VARIANTS)
            jobs = [(None, v) for v in variants]
        for data in args.data.split(","):
            for seed in parse_seeds(args.seeds):
                for objective, variant in jobs:
                    obj_name = objective or preset(_data_preset(args.base, data)).objective
                    key = (data, obj_name, variant, seed, tuple(args.set))
                    if any(
                        (r["data"], r["objective"], r["variant"], r["seed"], tuple(r["extra"])) == key
                        for r in load()
                    ):
                        continue
                    row = run_one(args.base, data, objective, variant, seed, args.set)
                    with open(RESULTS, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    print(
                        f"{data} {variant} {row['objective']} seed {seed}: "
                        + (
                            row["error"]
                            or f"modes {row['modes']} HQ {100 * row['high_quality']:.1f}% rKL {row['reverse_kl']:.3f}"
                        )
                        + f" {row['wall_seconds']:.0f} s",
                        flush=True,
                    )
    rows = load()
    for data in dict.fromkeys(r["data"] for r in rows):
        for variant in dict.fromkeys(r["variant"] for r in rows):
            figure(data, variant)
    write_section("toy-objectives", table(rows))


if __name__ == "__main__":
    main()
