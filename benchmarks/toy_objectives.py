"""Objectives × seeds on the 2-D toy mixtures; writes the table to docs/benchmarks.md.

Each run is ``divergan train`` with the ``default`` preset and one objective swapped in, so every row
reports both the direct sampler G(z) and the density-ratio sampler (MH with the calibrated critic).
Results are appended to benchmarks/results/toy_objectives.jsonl (re-running skips what is there), and the
markdown table between the markers in docs/benchmarks.md is rewritten from that file.

    python benchmarks/toy_objectives.py --seeds 10 --objectives default
    python benchmarks/toy_objectives.py --seeds 3 --objectives non-saturating,hinge,wgan-gp,lsgan
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from _doc import ROOT, write_section
from divergan.train import apply_overrides, preset, train

RESULTS = ROOT / "benchmarks" / "results" / "toy_objectives.jsonl"
PACGAN4 = {"modes": 24.8, "high_quality": 0.936, "reverse_kl": 0.04}


def run_one(objective: str, data: str, seed: int, overrides: list[str]) -> dict:
    cfg = preset("default")
    sets = [f"seed={seed}", f"data={data}", *overrides]
    if objective != "default":
        sets.append(f"objective={objective}")
    cfg = apply_overrides(cfg, sets)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        final = train(cfg, Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - t0
    return {
        "objective": objective,
        "data": data,
        "seed": seed,
        "overrides": overrides,
        "wall_seconds": wall,
        "direct": final["direct"],
        "sampled": final[final["sampler"]],
        "sampler": final["sampler"],
    }


def load() -> list[dict]:
    if not RESULTS.exists():
        return []
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line]


def table(rows: list[dict]) -> str:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["data"], r["objective"], " ".join(r["overrides"])), []).append(r)

    def stat(values: list[float], fmt: str) -> str:
        mean = statistics.fmean(values)
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{mean:{fmt}} ± {sd:{fmt}}"

    out = [
        "| data | objective | seeds | sampler | modes | high quality | reverse KL | W1 | wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (data, objective, extra), rs in sorted(groups.items()):
        name = objective + (f" ({extra})" if extra else "")
        for key, label in (("direct", "direct"), ("sampled", rs[0]["sampler"])):
            ms = [r[key] for r in rs]
            out.append(
                f"| {data} | {name} | {len(rs)} | {label} | {stat([m['modes'] for m in ms], '.1f')} | "
                f"{stat([100 * m['high_quality'] for m in ms], '.1f')}% | {stat([m['reverse_kl'] for m in ms], '.3f')} | "
                f"{stat([m['w1'] for m in ms], '.3f')} | {stat([r['wall_seconds'] for r in rs], '.0f')} |"
            )
    out.append(
        f"\nPacGAN4 (PacGAN T1, grid25): {PACGAN4['modes']} modes, {100 * PACGAN4['high_quality']:.1f}% "
        f"high quality, reverse KL {PACGAN4['reverse_kl']}."
    )
    return "\n".join(out)


def write_doc(rows: list[dict]) -> None:
    write_section("toy-objectives", table(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objectives", default="default", help="comma-separated; 'default' is the main job")
    ap.add_argument("--data", default="grid25")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--set", action="append", default=[], help="extra config overrides for every run")
    args = ap.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["objective"], r["data"], r["seed"], tuple(r["overrides"])) for r in load()}
    for objective in args.objectives.split(","):
        for seed in range(args.seeds):
            if (objective, args.data, seed, tuple(args.set)) in done:
                continue
            row = run_one(objective, args.data, seed, args.set)
            with open(RESULTS, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            s = row["sampled"]
            print(
                f"{objective} seed {seed}: {row['wall_seconds']:.0f} s, {row['sampler']}: modes {s['modes']} "
                f"HQ {100 * s['high_quality']:.1f}% rKL {s['reverse_kl']:.3f}",
                flush=True,
            )
    write_doc(load())


if __name__ == "__main__":
    main()
