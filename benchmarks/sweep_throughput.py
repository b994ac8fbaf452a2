"""Throughput of ``divergan sweep``: 16 small MLP GANs vmapped vs the same 16 trained one after another.

Three ways to train the same 16 configurations (quick preset on ring8, 4 seeds × 4 critic learning
rates, non-saturating), training time only (the final evaluation is the same for all three):

* ``trainer``: 16 ordinary ``divergan train`` runs (``divergan.train.train``) one after another;
* ``sweep-1``: 16 sweeps of one model each (the sweep's own code path, M = 1);
* ``sweep-16``: one sweep of the 16 models (one vmapped group).

Rounds alternate the three so that a shared, loaded machine slows each about equally; the medians of
model-steps per second are printed and appended to benchmarks/results/sweep_throughput.jsonl.

    .venv/bin/python benchmarks/sweep_throughput.py --rounds 3 --steps 100
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from divergan.train import apply_overrides, preset, train
from divergan.train.sweep import Group, expand

HERE = Path(__file__).parent


def configs(steps: int):
    base = apply_overrides(
        preset("quick"),
        [
            "data=ring8",
            "sampler=direct",
            f"steps={steps}",
            "eval_every=100000",
            "log_every=100000",
            "eval_samples=100",
        ],
    )
    axes = {"seed": ["0", "1", "2", "3"], "lr_d": ["1e-4", "2e-4", "3e-4", "4e-4"]}
    return [cfg for _, cfg in expand(base, axes)]


def sweep_seconds(cfgs) -> float:
    group = Group(cfgs, torch.device("cpu"))
    t0 = time.perf_counter()
    for step in range(cfgs[0].steps):
        group.train_step(step)
    return time.perf_counter() - t0


def trainer_seconds(cfgs) -> float:
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, cfg in enumerate(cfgs):
            total += train(cfg, Path(tmp) / str(i), progress=False)["train_seconds"]
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    cfgs = configs(args.steps)
    work = len(cfgs) * args.steps  # model-steps
    times: dict[str, list[float]] = {"trainer": [], "sweep-1": [], "sweep-16": []}
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        times["sweep-16"].append(sweep_seconds(cfgs))
        times["trainer"].append(trainer_seconds(cfgs))
        times["sweep-1"].append(sum(sweep_seconds([c]) for c in cfgs))
        print(f"round {r}: load {load:.1f}  " + "  ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()))
    median = {k: statistics.median(v) for k, v in times.items()}
    row = {
        "models": len(cfgs),
        "steps": args.steps,
        "rounds": args.rounds,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "loadavg_end": os.getloadavg()[0],
        "seconds": times,
        "model_steps_per_s": {k: work / v for k, v in median.items()},
        "speedup_vs_trainer": median["trainer"] / median["sweep-16"],
        "speedup_vs_sweep1": median["sweep-1"] / median["sweep-16"],
    }
    print(json.dumps(row, indent=2))
    out = HERE / "results" / "sweep_throughput.jsonl"
    out.parent.mkdir(exist_ok=True)
    with open(out, "a") as fh:
        fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
