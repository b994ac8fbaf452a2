"""``divergan lab list`` and ``divergan lab NAME [--quick] [--json] [--out DIR] [--seed S]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lab",
        help="run the theory lab: every claim of the source notes as an experiment",
        description="Run one experiment of the theory lab ('list' names them). Writes result.json and "
        "PNG figures to --out (default runs/lab/NAME).",
    )
    p.add_argument("name", metavar="NAME", help="an experiment name, or 'list'")
    p.add_argument("--quick", action="store_true", help="small sizes: finishes within a minute on 2 cores")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/lab/NAME)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random stream")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.name == "list":
        from divergan.commands._catalog_data import LAB as rows  # torch-free (commands/catalog.py)

        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for r in rows:
                print(f"{r['name']:<30} {r['title']}")
        return 0
    from divergan.lab import get_experiment, run_experiment

    experiment = get_experiment(args.name)
    result = run_experiment(experiment, quick=args.quick, seed=args.seed, out=args.out)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    out = args.out if args.out is not None else Path("runs") / "lab" / experiment.name
    print(
        f"{experiment.name}: {'HOLDS' if result['holds'] else 'DOES NOT HOLD'}  ({result['seconds']:.1f} s)"
    )
    if result["failing"]:
        print(f"failing:  {', '.join(result['failing'])}")
    print(f"claim:    {experiment.claim}")
    print(f"measured: {json.dumps(result['measured'], ensure_ascii=False)}")
    print(f"expected: {json.dumps(result['expected'], ensure_ascii=False)}")
    print(f"tolerance: {result['tolerance']}")
    print(f"written:  {out / 'result.json'}, " + ", ".join(str(out / f) for f in result.get("figures", [])))
    return 0
