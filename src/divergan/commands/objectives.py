"""``divergan objectives``: every objective with its formula and the divergence it minimises."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("objectives", help="list the GAN objectives with their formulas")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from divergan.commands._catalog_data import OBJECTIVES as rows  # torch-free (commands/catalog.py)

    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
        print(f"{r['name']}" + (f"   [{params}]" if params else ""))
        print(f"    {r['formula']}")
        print(f"    minimises: {r['divergence']}")
    return 0
