"""``divergan train``: train a generator against any objective; writes a run folder."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from divergan.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a GAN (default: the main job, grid25)",
        description="Train a generator. With no arguments: the main job (grid25, preset 'default').",
    )
    from divergan.apps import APP_PRESETS
    from divergan.train.config import PRESETS

    p.add_argument(
        "--preset",
        default="default",
        help=f"named configuration ({', '.join(PRESETS)}; applications: {', '.join(APP_PRESETS)})",
    )
    p.add_argument("--objective", help="objective name ('divergan objectives' lists them)")
    p.add_argument(
        "--data",
        help="dataset name (grid25, ring8, mnist, digits, stacked-mnist, ...), a .npy/.csv file of "
        "shape (n, d), an image array (.npy/.npz) or a folder of PNG/JPEG images",
    )
    p.add_argument("--steps", type=int, help="generator iterations")
    p.add_argument("--seed", type=int, help="random seed (runs are exactly reproducible on CPU)")
    p.add_argument("--sampler", choices=["direct", "drs", "mh"], help="how final samples are drawn")
    p.add_argument("--device", help="auto (default: cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    p.add_argument("--out", help="run folder (default: runs/NNNNN-DATA-OBJECTIVE)")
    p.add_argument(
        "--resume", metavar="RUN", help="continue the run in this folder from its latest checkpoint"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (repeatable); objective.K=V and data.K=V set their parameters",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--profile",
        action="store_true",
        help="print where the time went (seconds per phase) on stderr at the end; results are unchanged",
    )
    p.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="start from this JSON config (a run folder's config.json, or --print-config output) "
        "instead of a preset; flags and --set apply on top",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        help="print the full resolved config as JSON (every key) and exit without training",
    )
    p.add_argument("--help-config", action="store_true", help="list every config key with its meaning")
    p.set_defaults(func=run)


def next_run_folder(root: Path, desc: str) -> Path:
    """runs/00007-desc (kept here for callers of the old place; the library's is in train.runs)."""
    from divergan.train.runs import next_run_folder as library_next_run_folder

    return library_next_run_folder(root, desc)


def run(args: argparse.Namespace) -> int:
    from divergan.train import dist

    try:
        return _run(args)
    finally:
        dist.teardown()


def resolve_config(args: argparse.Namespace):
    """The Config of a new run from --config or --preset, the flags and --set (validated, not built)."""
    from divergan.apps import preset
    from divergan.train import Config, apply_overrides
    from divergan.train.runs import read_config_json

    if args.config is not None:
        if args.preset != "default":
            raise UserError("give --preset or --config, not both")
        cfg = Config.from_json(read_config_json(Path(args.config)))
    else:
        cfg = preset(args.preset)
    if args.objective is not None and args.objective != cfg.objective:
        cfg.objective, cfg.objective_params = args.objective, {}
    if args.data is not None and args.data != cfg.data:
        cfg.data, cfg.data_params = args.data, {}
    for key in ("steps", "seed", "sampler", "device"):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    cfg = apply_overrides(cfg, args.set)
    if cfg.app:
        for flag in ("data", "sampler"):
            if getattr(args, flag) is not None:
                raise UserError(
                    f"the {cfg.app} application does not take --{flag} (see docs/applications.md)"
                )
    return cfg


def _run(args: argparse.Namespace) -> int:
    from divergan import apps
    from divergan.train import dist
    from divergan.train.perf import PhaseTimer
    from divergan.train.runs import new_run_folder, resume_config, write_config

    if args.help_config:
        from divergan.train.config import help_config

        print(help_config())
        return 0
    if args.steps is not None and args.steps < 0:
        raise UserError(f"--steps must not be negative, got {args.steps}")
    if args.resume:
        folder = Path(args.resume)
        changed = [
            flag
            for flag in ("preset", "objective", "data", "seed", "sampler", "out", "config")
            if getattr(args, flag) not in (None, "default")
        ]
        if changed:
            raise UserError(f"--resume continues a run as configured; it cannot change --{changed[0]}")
        cfg = resume_config(folder, args.steps, args.device, args.set)
        if args.print_config:
            print(json.dumps(cfg.to_json(), indent=2))
            return 0
        from divergan.train.devices import check_amp, resolve

        check_amp(cfg.amp, resolve(cfg.device))  # before config.json is rewritten
        dist.setup(cfg.device)
        dist.barrier()  # every rank has read config.json before rank 0 rewrites it
        if dist.is_main():
            write_config(folder, cfg)
    else:
        cfg = resolve_config(args)
        if args.print_config:
            print(json.dumps(cfg.to_json(), indent=2))
            return 0
        apps.check(cfg)  # fail on a bad objective/data/parameter/font before any folder is made
        from divergan.train.devices import check_amp, resolve

        check_amp(cfg.amp, resolve(cfg.device))  # an unavailable device is an error before any folder
        dist.setup(cfg.device)

        def choose() -> str:  # on rank 0 only: the others must not see the folder it creates
            desc = (
                args.preset if cfg.app and args.config is None else f"{Path(cfg.data).stem}-{cfg.objective}"
            )
            return str(new_run_folder(args.out, desc))

        folder = Path(dist.on_main(choose))
        if dist.is_main():  # the folder and its config.json first; train() writes the same file again
            folder.mkdir(parents=True, exist_ok=True)
            write_config(folder, cfg)
    progress = not args.quiet and sys.stderr.isatty()
    main = dist.is_main()
    timer = PhaseTimer(enabled=args.profile)
    t0 = time.perf_counter()
    final = apps.train(cfg, folder, resume=bool(args.resume), progress=progress, timer=timer)
    if not main:  # under torchrun only rank 0 reports
        return 0
    if args.profile:
        print(f"where the time went ({folder}):", file=sys.stderr)
        print(timer.table(time.perf_counter() - t0), file=sys.stderr)
    if args.json:
        print(json.dumps({"run": str(folder), **final}, indent=2, ensure_ascii=False))
    else:
        print(apps.summary(cfg, folder, final) or summary(folder, final))
    return 0


def summary(folder: Path, final: dict) -> str:
    lines = [f"run: {folder}", f"time: {final['seconds']:.1f} s ({final['train_seconds']:.1f} s training)"]
    for method in dict.fromkeys(["direct", final["sampler"]]):
        m = final[method]
        # the generator's own samples first; a density-ratio sampler is a labelled filter beside them
        parts = [
            f"sampler {method:<6}"
            + (" (G(z), the generator)" if method == "direct" else " (post-hoc filter)")
        ]
        if "high_quality" in m:
            parts.append(
                f"modes {m['modes']}  high-quality {100 * m['high_quality']:.1f}%  reverse KL {m['reverse_kl']:.3f}"
            )
        if "w1" in m:
            parts.append(f"W1 {m['w1']:.4f}  MMD {m['mmd']:.4f}")
        if "fd" in m:
            parts.append(
                f"FD {m['fd']:.3g}  KID {m['kid_mean']:.3g}  precision {m['precision']:.3f}  "
                f"recall {m['recall']:.3f}"
                + (
                    f"  classes {m['modes']}  KL(classes||uniform) {m['kl_uniform']:.3f}"
                    if "modes" in m
                    else ""
                )
                + (
                    f"  stacked modes {m['stacked_modes']}/{m['stacked_num_modes']}  KL {m['stacked_kl']:.3f}"
                    if "stacked_modes" in m
                    else ""
                )
                + (
                    f"  requested class recognised {100 * m['label_accuracy']:.1f}%"
                    if "label_accuracy" in m
                    else ""
                )
            )
        if "memorisation_ratio" in m:
            parts.append(
                f"nearest-training-image distance: samples {m['nn_fake_median']:.3f}, held-out "
                f"{m['nn_held_out_median']:.3f} (ratio {m['memorisation_ratio']:.2f}, "
                f"copies {100 * m['copy_fraction']:.1f}%)"
            )
        if "acceptance" in m:
            parts.append(f"acceptance {100 * m['acceptance']:.1f}%")
        lines.append("   ".join(parts))
    extra = ", interpolation.png, arithmetic.png, samples/" if "latent_arithmetic" in final else ""
    lines.append(
        f"files: {folder / 'final_metrics.json'}, samples.png, curves.png{extra}, metrics.jsonl, checkpoints/"
    )
    return "\n".join(lines)
