"""``divergan sweep``: many toy GANs of one architecture at once (vmapped), one table of results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from divergan.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="train a grid of toy GANs at once (seeds × objectives × hyper-parameters)",
        description=(
            "Train every configuration of a grid in one process, the models of each objective stacked "
            "and vmapped. --set KEY=A,B makes an axis; --set KEY=V without a comma is shared."
        ),
    )
    p.add_argument("--preset", default="quick", help="the shared starting configuration (default: quick)")
    p.add_argument("--data", help="dataset (one for the whole sweep)")
    p.add_argument("--objectives", help="comma-separated objective names (an axis)")
    p.add_argument("--seeds", help="seeds, e.g. 0-3 or 0,4,7 (an axis)")
    p.add_argument("--steps", type=int, help="generator iterations of every model")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=V[,V...]", help="shared value or an axis"
    )
    p.add_argument("--out", required=True, help="output folder: sweep.json, results.jsonl, table.md")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from divergan.train import apply_overrides, preset
    from divergan.train.sweep import parse_axes, run_sweep, table

    if args.steps is not None and args.steps < 0:
        raise UserError(f"--steps must not be negative, got {args.steps}")
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} already exists and is not empty; choose another --out")
    base = preset(args.preset)
    base.sampler, base.plot = "direct", False
    if args.data is not None and args.data != base.data:
        base.data, base.data_params = args.data, {}
    if args.steps is not None:
        base.steps = args.steps
    if args.device is not None:
        base.device = args.device
    axes, shared = parse_axes(args.objectives, args.seeds, args.set)
    base = apply_overrides(base, shared)
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=base.steps, file=sys.stderr, dynamic_ncols=True, desc="sweep")

    def progress(step: int, steps: int) -> None:
        if bar is not None:
            if step == 1:
                bar.reset(total=steps)
            bar.update(1)

    rows = run_sweep(base, axes, out, progress=progress)
    if bar is not None:
        bar.close()
    names = list(axes)
    typed = {n: list(dict.fromkeys(r[n] for r in rows)) for n in names}
    print(table(typed, rows), end="")
    print(f"files: {out / 'sweep.json'}, results.jsonl, table.md")
    return 0
