"""``divergan train --preset glyphs|style-digits``: the application trainers (Sun (PaperWeekly), §5.3-5.4).

They have configs of their own (:class:`~divergan.train.translate.TranslateConfig`,
:class:`~divergan.train.style.StyleConfig`); ``divergan train`` hands such a preset here.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from pathlib import Path

from divergan.errors import UserError
from divergan.train.apps import APP_PRESETS, apply_overrides


def run(args: argparse.Namespace) -> int:
    from divergan.train.runs import next_run_folder

    for flag in ("data", "sampler", "resume", "config"):
        if getattr(args, flag) is not None:
            raise UserError(
                f"--preset {args.preset} does not take --{flag}; use --set (see docs/applications.md)"
            )
    module = importlib.import_module(f"divergan.train.{APP_PRESETS[args.preset]}")
    cfg = module.preset(args.preset)
    if args.objective is not None:
        cfg.objective = args.objective
    for key in ("steps", "seed"):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    cfg = apply_overrides(cfg, args.set)
    if args.print_config:
        print(json.dumps(dataclasses.asdict(cfg), indent=2))
        return 0
    if hasattr(module, "load_data"):
        module.load_data(cfg)  # fail on a missing font before any folder is made
    from divergan.objectives import get_objective

    get_objective(cfg.objective)
    folder = Path(args.out) if args.out else next_run_folder(Path("runs"), args.preset)
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder} already exists and is not empty; choose another --out")
    final = module.train(cfg, folder, progress=not args.quiet and sys.stderr.isatty())
    if args.json:
        print(json.dumps({"run": str(folder), **final}, indent=2, ensure_ascii=False))
    else:
        print(module.summary(folder, final))
    return 0
