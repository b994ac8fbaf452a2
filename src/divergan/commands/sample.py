"""``divergan sample RUN --n N --out FILE.npy``: samples in data units from a run's latest checkpoint.

Flat data: (N, d) float32. Image runs: (N, C, H, W) float32 in [0, 1] (the generator's [−1, 1] mapped
by x ↦ (x + 1)/2); a conditional run draws the classes uniformly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from divergan.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write N samples of a trained run to a .npy file")
    p.add_argument("run", metavar="RUN", help="run folder")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--out", required=True, help="output .npy file")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise")
    p.add_argument("--sampler", choices=["direct", "drs", "mh"], help="default: the run's sampler")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from divergan.train import load_run
    from divergan.train.loop import sample_fake as sample_run
    from divergan.train.sampling import draw

    if args.n < 1:
        raise UserError(f"--n must be at least 1, got {args.n}")
    if not args.out.endswith(".npy"):
        raise UserError(f"--out must name a .npy file, got {args.out!r}")
    cfg, parts, meta = load_run(Path(args.run))
    method = args.sampler or cfg.sampler
    if method != "direct" and not meta.get("final"):
        raise UserError(
            f"sampler {method!r} needs the run's final checkpoint (with its ratio critic); use --sampler direct"
        )
    if method != "direct" and parts.ratio is None:
        raise UserError(f"the run was trained with sampler 'direct' and has no ratio critic for {method!r}")
    torch.manual_seed(args.seed)
    rng = torch.Generator().manual_seed(args.seed)
    sample_fake = lambda n: sample_run(cfg, parts, n, rng)  # noqa: E731
    x, info = draw(method, sample_fake, args.n, parts.ratio, cfg.mh_steps)
    if parts.dataset.is_image:
        x = ((x + 1) / 2).clamp(0, 1)  # (N, C, H, W) in [0, 1]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    import numpy as np  # here, not at the top: `divergan --help` stays free of numpy

    np.save(out, x.numpy().astype(np.float32))
    print(f"wrote {args.n} samples of shape {tuple(x.shape[1:])} to {out} (sampler {info['sampler']})")
    return 0
