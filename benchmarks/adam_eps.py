"""Equal games, unequal outcomes: `fgan-js` against `non-saturating` on ring8, and Adam's ε.

`fgan-js`'s two losses are `non-saturating`'s times ½ plus constants, to the last bit (multiplying by ½ is
exact in floating point; tests/objectives/test_fgan_js_scaling.py). Adam's moments then scale by ½ and ¼
exactly, so m / (√v + ε) is unchanged if ε is halved as well: `fgan-js` with ``adam_eps=5e-9`` must
train bit for bit like `non-saturating` with the default 1e-8, and with the same ε it trains like
`non-saturating` with ε = 2e-8. This script checks both on the toy table's plain ring8 runs (1,000 steps,
benchmarks/toy_objectives.py ``config_for``), by a hash of the saved generator and critic weights, and
then asks what the table's seed-to-seed spread is made of: the same `non-saturating` run with ε moved
by factors that no theory says should matter (1e-9 … 1e-7).

    python benchmarks/adam_eps.py            # runs what benchmarks/results/adam_eps.jsonl lacks
    python benchmarks/adam_eps.py --write    # only rewrites the docs/benchmarks.md section
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from safetensors.torch import load_file

from _doc import ROOT, load_jsonl, machine, parse_seeds, write_section
from divergan.train import apply_overrides, train
from toy_objectives import config_for

RESULTS = ROOT / "benchmarks" / "results" / "adam_eps.jsonl"
#: (objective, ε): the pair that must coincide, the table's fgan-js row, and ε moved around the default
RUNS = [
    ("non-saturating", 1e-8),
    ("fgan-js", 5e-9),
    ("fgan-js", 1e-8),
    ("non-saturating", 2e-8),
    ("non-saturating", 1e-9),
    ("non-saturating", 1.1e-8),
    ("non-saturating", 1e-7),
]
STEPS = 1000


def weights_hash(run: Path) -> str:
    """A short hash of the final checkpoint's generator and critic weights (not the optimizer state)."""
    (ckpt,) = sorted(run.glob("**/step-*.safetensors"))[-1:]
    tensors = load_file(ckpt)
    h = hashlib.sha1()
    for key in sorted(k for k in tensors if k.startswith(("G.", "D."))):
        h.update(key.encode() + tensors[key].numpy().tobytes())
    return h.hexdigest()[:12]


def run_one(objective: str, eps: float, seed: int) -> dict:
    cfg = config_for("default", "ring8", objective, "plain", seed, [f"steps={STEPS}", f"eval_every={STEPS}"])
    cfg = apply_overrides(cfg, [f"adam_eps={eps!r}", f"checkpoint_every={STEPS}"])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    c0, t0 = usage.ru_utime + usage.ru_stime, time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        final = train(cfg, Path(tmp) / "run", progress=False)["direct"]
        digest = weights_hash(Path(tmp) / "run")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "objective": objective,
        "eps": eps,
        "seed": seed,
        "steps": STEPS,
        "weights": digest,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - c0,
        "wall_seconds": time.perf_counter() - t0,
        "load": os.getloadavg()[0],
        **{k: final[k] for k in ("modes", "high_quality", "reverse_kl", "w1")},
    }


def table(rows: list[dict]) -> str:
    seeds = sorted({r["seed"] for r in rows})
    by = {(r["objective"], r["eps"], r["seed"]): r for r in rows}
    head = "| objective | Adam ε | " + " | ".join(f"seed {s}: modes, HQ, weights" for s in seeds) + " |"
    out = [head, "|---|---|" + "---|" * len(seeds)]
    for objective, eps in RUNS:
        cells = []
        for s in seeds:
            r = by.get((objective, eps, s))
            cells.append(
                "—" if r is None else f"{r['modes']}, {100 * r['high_quality']:.0f} %, `{r['weights'][:8]}`"
            )
        out.append(f"| `{objective}` | {eps:g} | " + " | ".join(cells) + " |")
    pairs = [
        (("non-saturating", 1e-8), ("fgan-js", 5e-9)),
        (("non-saturating", 2e-8), ("fgan-js", 1e-8)),
    ]
    out.append("")
    for a, b in pairs:
        both = [s for s in seeds if (*a, s) in by and (*b, s) in by]
        same = [s for s in both if by[(*a, s)]["weights"] == by[(*b, s)]["weights"]]
        out.append(
            f"- `{a[0]}` ε = {a[1]:g} and `{b[0]}` ε = {b[1]:g}: "
            f"identical weights on {len(same)} of {len(both)} seeds."
        )
    cpu = [r["cpu_seconds"] for r in rows]
    out.append(
        f"- {len(rows)} runs of {STEPS} steps, {min(cpu):.0f}–{max(cpu):.0f} CPU s each (one thread); "
        f"{machine()}."
    )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0-2")
    ap.add_argument("--write", action="store_true", help="only rewrite the docs section")
    args = ap.parse_args()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not args.write:
        done = {(r["objective"], r["eps"], r["seed"]) for r in load_jsonl(RESULTS)}
        for seed in parse_seeds(args.seeds):
            for objective, eps in RUNS:
                if (objective, eps, seed) in done:
                    continue
                row = run_one(objective, eps, seed)
                with open(RESULTS, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(
                    f"{objective} eps {eps:g} seed {seed}: modes {row['modes']} HQ {100 * row['high_quality']:.1f}% "
                    f"weights {row['weights']} {row['cpu_seconds']:.0f} CPU s",
                    flush=True,
                )
    write_section("adam-eps", table(load_jsonl(RESULTS)))


if __name__ == "__main__":
    main()
