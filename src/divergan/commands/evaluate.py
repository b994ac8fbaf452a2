"""``divergan eval RUN``: the metrics of a run's latest checkpoint, for the direct and its own sampler."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="compute a run's metrics (modes, high quality, reverse KL, W1, MMD)")
    p.add_argument("run", metavar="RUN", help="run folder")
    p.add_argument("--seed", type=int, default=0, help="seed of the evaluation samples")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from divergan.train import evaluate, load_run

    cfg, parts, meta = load_run(Path(args.run))
    if not meta.get("final"):
        cfg.sampler = "direct"  # an unfinished run has no calibrated ratio critic yet
    torch.manual_seed(args.seed)
    parts.rng.manual_seed(args.seed)
    metrics, _ = evaluate(cfg, parts, parts.ratio if meta.get("final") else None)
    out = {"run": args.run, "step": meta["step"], "sampler": cfg.sampler, **metrics}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"run {args.run} at step {meta['step']}")
    for method, m in metrics.items():
        print(
            f"  {method:<7} {'(G(z))' if method == 'direct' else '(post-hoc filter)'} "
            + "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items())
        )
    return 0
