"""Check precision/recall/density/coverage against the reference numbers of Naeem et al.'s README.

docs/protocols.md: 10,000 real and 10,000 fake samples of N(0, I) in 1,000 dimensions, k = 5, give
precision ≈ 0.477, recall ≈ 0.471, density ≈ 1.056, coverage ≈ 0.974 (one draw). We draw the same
setting with several seeds and report mean ± standard deviation next to the reference, also timing
the computation (on this project's shared 2-core CPU), and rewrite the table between the markers in
docs/benchmarks.md.

    .venv/bin/python benchmarks/prdc_reference.py              # 3 seeds, a few minutes
    .venv/bin/python benchmarks/prdc_reference.py --seeds 1 --n 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from _doc import ROOT, write_section
from divergan.metrics.features import prdc_from_features

RESULTS = ROOT / "benchmarks" / "results" / "prdc_reference.json"
REFERENCE = {"precision": 0.477, "recall": 0.471, "density": 1.056, "coverage": 0.974}
KEYS = ("precision", "recall", "density", "coverage")


def table(runs: list[dict], n: int, dim: int, k: int) -> str:
    rows = [
        f"N(0, I) vs N(0, I), {n:,} vs {n:,} samples in {dim} dimensions, k = {k}, {len(runs)} seeds "
        "(mean ± standard deviation; the reference is one draw):",
        "",
        "| | " + " | ".join(KEYS) + " | seconds per seed |",
        "|---|" + "---|" * (len(KEYS) + 1),
    ]
    cells = []
    for key in KEYS:
        values = [r[key] for r in runs]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        cells.append(f"{statistics.fmean(values):.3f} ± {sd:.3f}")
    wall = statistics.fmean(r["wall_s"] for r in runs)
    rows.append("| divergan, mean | " + " | ".join(cells) + f" | {wall:.0f} |")
    for r in runs:
        rows.append(
            f"| divergan, seed {r['seed']} | "
            + " | ".join(f"{r[key]:.3f}" for key in KEYS)
            + f" | {r['wall_s']:.0f} |"
        )
    rows.append("| Naeem et al. README | " + " | ".join(f"{REFERENCE[key]:.3f}" for key in KEYS) + " | |")
    return "\n".join(rows)


def write_doc(text_table: str) -> None:
    heading = "## Precision, recall, density, coverage against the authors' reference (`benchmarks/prdc_reference.py`)"
    write_section("prdc-reference", text_table, heading)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--dim", type=int, default=1000)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--table-only", action="store_true", help="rewrite the doc table from the saved results")
    args = ap.parse_args()
    if args.table_only:
        saved = json.loads(RESULTS.read_text())
        write_doc(table(saved["runs"], saved["n"], saved["dim"], saved["k"]))
        return
    runs = []
    for seed in range(args.seeds):
        g = torch.Generator().manual_seed(seed)
        real = torch.randn(args.n, args.dim, generator=g, dtype=torch.float64)
        fake = torch.randn(args.n, args.dim, generator=g, dtype=torch.float64)
        start = time.time()
        out = prdc_from_features(real, fake, k=args.k)
        out["wall_s"] = time.time() - start
        out["seed"] = seed
        print(json.dumps(out), flush=True)
        runs.append(out)
    text_table = table(runs, args.n, args.dim, args.k)
    print(text_table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"n": args.n, "dim": args.dim, "k": args.k, "runs": runs}, indent=2) + "\n")
    if (args.n, args.dim, args.k) == (10000, 1000, 5):
        write_doc(text_table)


if __name__ == "__main__":
    main()
