"""``divergan eval RUN``: the metrics of a run's latest checkpoint, for the direct and its own sampler."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: how each row is labelled: the generator's own samples, the post-hoc filters; other rows are baselines
LABELS = {"direct": "(G(z))", "drs": "(post-hoc filter)", "mh": "(post-hoc filter)"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="compute a run's metrics (modes, high quality, reverse KL, W1, MMD)")
    p.add_argument("run", metavar="RUN", help="run folder")
    p.add_argument("--seed", type=int, default=0, help="seed of the evaluation samples")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from divergan.apps import load_run

    cfg, parts, meta, app = load_run(Path(args.run))
    if not meta.get("final"):
        cfg.sampler = "direct"  # an unfinished run has no calibrated ratio critic yet
    torch.manual_seed(args.seed)
    parts.rng.manual_seed(args.seed)
    metrics, _ = app.evaluate(cfg, parts, parts.ratio if meta.get("final") else None)
    out = {"run": args.run, "step": meta["step"], "sampler": cfg.sampler, **metrics}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"run {args.run} at step {meta['step']}")
    for method, m in metrics.items():
        print(
            f"  {method:<7} {LABELS.get(method, '(baseline)')} "
            + "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items())
        )
    return 0
