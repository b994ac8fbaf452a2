"""``divergan sample RUN --n N --out FILE.npy`` or ``--out DIR --format png``: samples from a run's latest
checkpoint.

Flat data: (N, d) float32. Image runs: (N, C, H, W) float32 in [0, 1] (the generator's [−1, 1] mapped
by x ↦ (x + 1)/2); a conditional run draws the classes uniformly (a cluster-conditional one, `clusters=k`, each cluster at its share of the training images); a glyph run gives its translations of
the held-out characters, in the order of ``heldout.txt`` per target font (repeated beyond them). With ``--format png`` (image runs
only) ``DIR`` gets one 8-bit PNG per image (``000000.png``, ...; grayscale for 1 channel, RGB for 3), the
layout torch-fidelity and clean-fid read, plus the same samples as ``DIR/samples.npy``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from divergan.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write N samples of a trained run to a .npy file or a folder of PNGs")
    p.add_argument("run", metavar="RUN", help="run folder")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--out", required=True, help="output .npy file (--format npy) or folder (--format png)")
    p.add_argument(
        "--format",
        choices=["npy", "png"],
        default="npy",
        help="npy (default): one array; png (image runs): a folder of PNGs plus samples.npy",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the noise")
    p.add_argument(
        "--sampler",
        choices=["direct", "drs", "mh"],
        default="direct",
        help="direct: the generator G(z) (default); drs/mh: post-hoc filters with the run's ratio critic",
    )
    p.set_defaults(func=run)


def _check_out(out: Path, fmt: str) -> None:
    if fmt == "npy" and out.suffix != ".npy":
        raise UserError(f"--out must name a .npy file, got {str(out)!r} (for a folder of PNGs: --format png)")
    if fmt == "png":
        if out.suffix == ".npy" or out.is_file():
            raise UserError(f"--format png writes a folder; --out {str(out)!r} is a file name")
        if out.is_dir() and any(p.suffix.lower() == ".png" for p in out.iterdir()):
            raise UserError(f"{out} already holds PNG files; choose a new or empty folder")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from divergan.apps import load_run
    from divergan.data.images import save_png_folder
    from divergan.train.sampling import draw

    if args.n < 1:
        raise UserError(f"--n must be at least 1, got {args.n}")
    out = Path(args.out)
    _check_out(out, args.format)
    cfg, parts, meta, app = load_run(Path(args.run))
    if args.format == "png" and not parts.dataset.is_image:
        raise UserError(
            f"--format png needs an image run; {args.run} was trained on {cfg.data!r} "
            f"({parts.dataset.dim}-D points): use --format npy"
        )
    method = args.sampler
    if method != "direct" and not meta.get("final"):
        raise UserError(
            f"sampler {method!r} needs the run's final checkpoint (with its ratio critic); use --sampler direct"
        )
    if method != "direct" and parts.ratio is None:
        raise UserError(f"the run was trained with sampler 'direct' and has no ratio critic for {method!r}")
    torch.manual_seed(args.seed)
    rng = torch.Generator().manual_seed(args.seed)
    sample_fake = lambda n: app.sample(cfg, parts, n, rng)  # noqa: E731  (glyphs: held-out translations)
    x, info = draw(method, sample_fake, args.n, parts.ratio, cfg.mh_steps)
    if parts.dataset.is_image:
        x = ((x + 1) / 2).clamp(0, 1)  # (N, C, H, W) in [0, 1]
    array = x.numpy().astype(np.float32)
    try:
        if args.format == "png":
            paths = save_png_folder(out, array)
            np.save(out / "samples.npy", array)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            np.save(out, array)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    if args.format == "png":
        print(
            f"wrote {args.n} PNG images of shape {tuple(x.shape[1:])} to {out}/ ({paths[0].name} .. "
            f"{paths[-1].name}) and {out / 'samples.npy'} (sampler {info['sampler']})"
        )
        return 0
    print(f"wrote {args.n} samples of shape {tuple(x.shape[1:])} to {out} (sampler {info['sampler']})")
    return 0
