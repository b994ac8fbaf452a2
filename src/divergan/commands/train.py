"""``divergan train``: train a generator against any objective; writes a run folder."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from divergan.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a GAN (default: the main job, grid25)",
        description="Train a generator. With no arguments: the main job (grid25, preset 'default').",
    )
    p.add_argument(
        "--preset", default="default", help="named configuration (default, wgan-gp-toy, ring8, quick)"
    )
    p.add_argument("--objective", help="objective name ('divergan objectives' lists them)")
    p.add_argument("--data", help="dataset name (grid25, ring8, ...) or a .npy/.csv file of shape (n, d)")
    p.add_argument("--steps", type=int, help="generator iterations")
    p.add_argument("--seed", type=int, help="random seed (runs are exactly reproducible on CPU)")
    p.add_argument("--sampler", choices=["direct", "drs", "mh"], help="how final samples are drawn")
    p.add_argument("--out", help="run folder (default: runs/NNNNN-DATA-OBJECTIVE)")
    p.add_argument(
        "--resume", metavar="RUN", help="continue the run in this folder from its latest checkpoint"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (repeatable); objective.K=V and data.K=V set their parameters",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--profile",
        action="store_true",
        help="print where the time went (seconds per phase) on stderr at the end; results are unchanged",
    )
    p.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    p.set_defaults(func=run)


def next_run_folder(root: Path, desc: str) -> Path:
    """runs/00007-desc: one more than the highest number already there."""
    numbers = (
        [int(m.group(1)) for d in root.glob("*") if (m := re.match(r"^(\d{5})-", d.name))]
        if root.is_dir()
        else []
    )
    return root / f"{max(numbers, default=-1) + 1:05d}-{desc}"


def run(args: argparse.Namespace) -> int:
    from divergan.train import Config, apply_overrides, preset, train
    from divergan.train.perf import PhaseTimer

    if args.steps is not None and args.steps < 0:
        raise UserError(f"--steps must not be negative, got {args.steps}")
    if args.resume:
        folder = Path(args.resume)
        changed = [
            flag
            for flag in ("preset", "objective", "data", "seed", "sampler", "out")
            if getattr(args, flag) not in (None, "default")
        ]
        if changed:
            raise UserError(f"--resume continues a run as configured; it cannot change --{changed[0]}")
        if not (folder / "config.json").is_file():
            raise UserError(f"{folder} is not a divergan run folder (no config.json)")
        try:
            cfg = Config.from_json(json.loads((folder / "config.json").read_text()))
        except ValueError as exc:
            raise UserError(f"{folder / 'config.json'} is unreadable: {str(exc).splitlines()[0]}") from None
        if args.steps is not None:
            cfg.steps = args.steps
        cfg = apply_overrides(cfg, args.set)
        (folder / "config.json").write_text(json.dumps(cfg.to_json(), indent=2) + "\n")
    else:
        cfg = preset(args.preset)
        if args.objective is not None and args.objective != cfg.objective:
            cfg.objective, cfg.objective_params = args.objective, {}
        if args.data is not None and args.data != cfg.data:
            cfg.data, cfg.data_params = args.data, {}
        for key in ("steps", "seed", "sampler"):
            if getattr(args, key) is not None:
                setattr(cfg, key, getattr(args, key))
        cfg = apply_overrides(cfg, args.set)
        from divergan.train import build

        build(cfg)  # fail on a bad objective/data/parameter before any folder is made
        desc = f"{Path(cfg.data).stem}-{cfg.objective}"
        folder = Path(args.out) if args.out else next_run_folder(Path("runs"), desc)
        if folder.exists() and any(folder.iterdir()):
            raise UserError(
                f"{folder} already exists and is not empty; use --resume {folder} or another --out"
            )
    progress = not args.quiet and sys.stderr.isatty()
    timer = PhaseTimer(enabled=args.profile)
    t0 = time.perf_counter()
    final = train(cfg, folder, resume=bool(args.resume), progress=progress, timer=timer)
    if args.profile:
        print(f"where the time went ({folder}):", file=sys.stderr)
        print(timer.table(time.perf_counter() - t0), file=sys.stderr)
    if args.json:
        print(json.dumps({"run": str(folder), **final}, indent=2))
    else:
        print(summary(folder, final))
    return 0


def summary(folder: Path, final: dict) -> str:
    lines = [f"run: {folder}", f"time: {final['seconds']:.1f} s ({final['train_seconds']:.1f} s training)"]
    for method in dict.fromkeys(["direct", final["sampler"]]):
        m = final[method]
        parts = [f"sampler {method:<6}"]
        if "modes" in m:
            parts.append(
                f"modes {m['modes']}  high-quality {100 * m['high_quality']:.1f}%  reverse KL {m['reverse_kl']:.3f}"
            )
        parts.append(f"W1 {m['w1']:.4f}  MMD {m['mmd']:.4f}")
        if "acceptance" in m:
            parts.append(f"acceptance {100 * m['acceptance']:.1f}%")
        lines.append("   ".join(parts))
    lines.append(
        f"files: {folder / 'final_metrics.json'}, samples.png, curves.png, metrics.jsonl, checkpoints/"
    )
    return "\n".join(lines)
