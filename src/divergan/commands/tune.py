"""``divergan tune``: a hyperparameter search on Optuna; several workers (processes, machines) share a study."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from divergan.errors import Interrupted, UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tune",
        help="search hyper-parameters (Optuna): pruning, resumable, several workers per study",
        description=(
            "Search a space of config values for the best final metric. Each trial is a training run in "
            "OUT/trials/NNNNN. Workers given the same --storage and --study share one study. "
            "Writes OUT/best_config.json, OUT/trials.csv and OUT/report.html. See docs/tune.md."
        ),
    )
    p.add_argument("--preset", default="default", help="the starting configuration (as for train)")
    p.add_argument("--data", help="dataset (as for train)")
    p.add_argument("--objective", help="objective (as for train; or search it: --space objective=choice:...)")
    p.add_argument("--steps", type=int, help="generator iterations of every trial")
    p.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="KEY=SPEC",
        help="a searched key (repeatable): log:A..B, float:A..B, int:A..B or choice:X,Y,... for any --set key",
    )
    p.add_argument("--space-file", metavar="FILE", help="JSON (or YAML) mapping keys to SPECs")
    p.add_argument(
        "--metric",
        help="final metric to optimise: modes, high_quality, reverse_kl, w1, mmd, fd, "
        "kid_mean, ...; SAMPLER.NAME (mh.high_quality) for a density-ratio sampler's",
    )
    p.add_argument("--direction", choices=["maximize", "minimize"], help="default: the metric's natural one")
    p.add_argument("--trials", type=int, required=True, help="how many trials this worker runs")
    p.add_argument(
        "--storage",
        help="an SQLAlchemy URL (sqlite:///t.db, postgresql://...) or journal:PATH "
        "(default: the journal file OUT/journal.log)",
    )
    p.add_argument("--study", default="divergan", help="study name (default: divergan)")
    p.add_argument(
        "--resume", action="store_true", help="continue an existing study (search options optional)"
    )
    p.add_argument(
        "--out", required=True, help="output folder: trials/, best_config.json, trials.csv, report.html"
    )
    p.add_argument("--pruner", choices=["median", "none"], default="median", help="default: median")
    p.add_argument(
        "--heartbeat",
        type=int,
        default=20,
        metavar="SECONDS",
        help="a running trial's heartbeat; one silent for 3 beats is marked failed (default 20)",
    )
    p.add_argument(
        "--vmap",
        type=int,
        default=0,
        metavar="K",
        help="train K trials at once as one vmapped sweep (flat data, one architecture; no pruning)",
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed config override")
    p.set_defaults(func=run)


def base_config(args: argparse.Namespace, metric_sampler: str):
    """The config every trial starts from: preset, flags, then tune's defaults (no plots, no TensorBoard,
    the metric's sampler), then --set."""
    from divergan.train import apply_overrides, preset

    cfg = preset(args.preset)
    if args.objective is not None and args.objective != cfg.objective:
        cfg.objective, cfg.objective_params = args.objective, {}
    if args.data is not None and args.data != cfg.data:
        cfg.data, cfg.data_params = args.data, {}
    if args.steps is not None:
        cfg.steps = args.steps
    cfg.plot, cfg.tensorboard, cfg.sampler = False, False, metric_sampler
    return apply_overrides(cfg, args.set)


def run(args: argparse.Namespace) -> int:
    from divergan.tune import metrics as M
    from divergan.tune.space import check, load_file, parse_item

    if args.trials < 0:
        raise UserError(f"--trials must not be negative, got {args.trials}")
    if args.steps is not None and args.steps < 0:
        raise UserError(f"--steps must not be negative, got {args.steps}")
    if args.vmap < 0:
        raise UserError(f"--vmap must not be negative, got {args.vmap}")
    if args.heartbeat < 1:
        raise UserError(f"--heartbeat must be at least 1 second, got {args.heartbeat}")
    items = list(args.space) + (load_file(args.space_file) if args.space_file else [])
    defined = bool(items or args.metric)
    if not defined and not args.resume:
        raise UserError(
            "give a search: --space KEY=SPEC ... and --metric NAME (or --resume to continue a study)"
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder")
    if defined:
        if not items:
            raise UserError("give at least one --space KEY=SPEC (or --space-file)")
        if not args.metric:
            raise UserError("give --metric NAME (e.g. high_quality, w1, fd)")
        sampler, name = M.parse(args.metric)
        space = [parse_item(i) for i in items]
        base = base_config(args, sampler)
        check(space, base)
        _check_base(base, sampler, name)
        direction = args.direction or M.default_direction(name)
    else:  # --resume with no search: the study's own definition, read once it is open
        from divergan.train import Config, apply_overrides

        local = [s for s in args.set if s.partition("=")[0].strip() not in ("threads", "device")]
        flags = [
            f
            for f in ("preset", "data", "objective", "steps", "direction")
            if getattr(args, f) not in (None, "default")
        ]
        if local or flags or args.space_file:
            what = f"--{flags[0]}" if flags else ("--space-file" if args.space_file else f"--set {local[0]}")
            raise UserError(
                f"--resume without --space continues the study as defined; {what} cannot change "
                "it (only --set threads=N and --set device=D may)"
            )
        base, space, direction = apply_overrides(Config(), args.set), [], "maximize"
    from divergan.tune import output
    from divergan.tune.search import DEFINITION_KEY, Search, best_trial, from_definition, load_study, summary
    from divergan.tune.search import run as run_search
    from divergan.tune.storage import open_storage

    search = Search(
        base=base,
        space=space,
        metric=args.metric or "",
        direction=direction,
        out=out,
        trials=args.trials,
        storage=args.storage,
        study=args.study,
        pruner=args.pruner,
        heartbeat=args.heartbeat,
        vmap=args.vmap,
    )
    if not defined:
        from divergan.tune.storage import JOURNAL_NAME

        missing = args.storage is None and not (out / JOURNAL_NAME).is_file()
        study = None if missing else load_study(open_storage(args.storage, out, args.heartbeat), args.study)
        if study is None:
            raise UserError(
                f"--resume: there is no study {args.study!r} in {args.storage or out} to continue"
            )
        stored = study.user_attrs.get(DEFINITION_KEY)
        if stored is None:
            raise UserError(f"study {args.study!r} was not made by divergan tune; choose another --study")
        search.base, search.space, search.metric, search.direction = from_definition(stored, base)
    interrupted = None
    try:
        study = run_search(search, resume=args.resume)
    except Interrupted as exc:  # SIGINT/SIGTERM in a trial: it is marked failed; the study is intact
        interrupted = exc
        study = load_study(open_storage(args.storage, out, args.heartbeat), args.study)
    name = M.parse(search.metric)[1]
    files = output.write(study, out, name, search.direction)
    print(summary(study, name), end="")
    best = best_trial(study)
    if best is not None:
        print(f"best: trial {best.number}, {name} {best.value:.6g}")
    print("files: " + ", ".join(str(p) for p in files.values()))
    if interrupted is not None:
        print(
            f"divergan: interrupted; continue with: divergan tune --out {out} --resume --trials N"
            + (f" --storage {args.storage}" if args.storage else "")
            + (f" --study {args.study}" if args.study != "divergan" else ""),
            file=sys.stderr,
            flush=True,
        )
        return interrupted.exit_code
    return 0


def _check_base(base, sampler: str, name: str) -> None:
    """The base config builds, and the metric exists for its data: errors before any trial."""
    from divergan.train import build
    from divergan.tune import metrics as M

    data = build(base).dataset
    names = M.available(
        data.is_image, data.modes is not None, sampler, base.conditional, data.held_out is not None
    )
    if name not in names:
        raise UserError(f"--metric {name}: unknown for {base.data}; choose from {', '.join(names)}")
