"""The search: one worker of an Optuna study whose trials are ``divergan train`` runs.

Each trial draws its parameters from the space (Optuna's TPE sampler), trains into
``OUT/trials/NNNNN`` (a normal run folder), reports the logged mode metrics at each evaluation to the
pruner (Optuna's median pruner stops a trial that is worse than the median of earlier trials at the same
step), and returns the named final metric. The study's definition (space, metric, direction and base
config) is stored in the study, so that other workers join only the same search and ``--resume`` needs
no search options. After this worker's trials: ``best_config.json``, ``trials.csv``, ``report.html``.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from divergan.errors import Interrupted, UserError
from divergan.train.config import Config
from divergan.tune import metrics as M
from divergan.tune.space import Param, assign, parse_item, suggest
from divergan.tune.storage import fail_stale, open_storage

DEFINITION_KEY = "divergan"
#: per-worker settings: they may differ between the machines of one study
LOCAL_KEYS = ("threads", "device")


class TrialFailed(Exception):
    """A trial's run stopped with a user-level error (diverged, a bad combination): FAIL, search goes on."""


@dataclass
class Search:
    """What a worker needs: the definition (shared by the study) and its own settings."""

    base: Config
    space: list[Param]
    metric: str
    direction: str
    out: Path
    trials: int
    storage: str | None = None
    study: str = "divergan"
    pruner: str = "median"
    heartbeat: int = 20
    vmap: int = 0  # > 1: train this many trials at once in one vmapped sweep (no pruning)
    on_trial: Callable[[str], None] = field(default=lambda line: print(line, flush=True))

    def definition(self) -> dict[str, Any]:
        base = self.base.to_json()
        for key in LOCAL_KEYS:
            base.pop(key)
        return {
            "space": [p.spec for p in self.space],
            "metric": self.metric,
            "direction": self.direction,
            "base": base,
        }


def from_definition(stored: dict[str, Any], local: Config) -> tuple[Config, list[Param], str, str]:
    """(base, space, metric, direction) of a stored definition; threads/device from ``local``."""
    base = Config.from_json({**stored["base"], **{k: getattr(local, k) for k in LOCAL_KEYS}})
    return base, [parse_item(s) for s in stored["space"]], stored["metric"], stored["direction"]


def _first_difference(a: dict, b: dict) -> str:
    for key in ("space", "metric", "direction"):
        if a[key] != b[key]:
            return f"{key} {b[key]} here, {a[key]} in the study"
    for key in sorted(set(a["base"]) | set(b["base"])):
        if a["base"].get(key) != b["base"].get(key):
            return f"config {key}={b['base'].get(key)} here, {a['base'].get(key)} in the study"
    return "none"


def load_study(storage: Any, name: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def prepare(s: Search, storage: Any, resume: bool) -> optuna.Study:
    """Create, join or resume the study; checks that a joined study runs the same search."""
    existing = load_study(storage, s.study)
    if resume and existing is None:
        raise UserError(f"--resume: there is no study {s.study!r} in {s.storage or s.out} to continue")
    mine = s.definition()
    if existing is None:
        study = optuna.create_study(
            study_name=s.study, storage=storage, direction=s.direction, load_if_exists=True
        )
        if DEFINITION_KEY not in study.user_attrs:
            study.set_user_attr(DEFINITION_KEY, mine)
    else:
        study = existing
    stored = study.user_attrs.get(DEFINITION_KEY)
    for _ in range(50):  # a worker that has just created the study writes its definition next
        if stored is not None:
            break
        time.sleep(0.2)
        stored = study.user_attrs.get(DEFINITION_KEY)
    if stored is None:
        raise UserError(f"study {s.study!r} was not made by divergan tune; choose another --study")
    if stored != mine:
        raise UserError(
            f"study {s.study!r} already runs another search ({_first_difference(stored, mine)}); "
            "use another --study, or --resume without search options to continue it"
        )
    return study


def _pruner(name: str) -> optuna.pruners.BasePruner:
    if name == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)


def run(s: Search, resume: bool = False) -> optuna.Study:
    """Run this worker's ``s.trials`` trials; returns the study (outputs are written by :func:`write`)."""
    from divergan.train import train

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if s.vmap > 1:
        check_vmap(s.space, s.base, s.metric)
    storage = open_storage(s.storage, s.out, s.heartbeat)
    study = prepare(s, storage, resume)
    study.pruner = _pruner(s.pruner)
    fail_stale(study)  # before this worker's first trial, even with --trials 0
    sampler_name, name = M.parse(s.metric)
    prune_on = name if name in M.LOGGED else None

    def objective(trial: optuna.Trial) -> float:
        values = suggest(trial, s.space, s.base)
        folder = s.out / "trials" / f"{trial.number:05d}"
        trial.set_user_attr("run", str(folder))
        try:
            cfg = assign(s.base, values)
        except UserError as exc:
            trial.set_user_attr("error", str(exc))
            raise TrialFailed(str(exc)) from None
        trial.set_user_attr("config", cfg.to_json())

        def on_eval(step: int, row: dict) -> None:
            if prune_on is None or row.get(prune_on) is None:
                return
            trial.report(float(row[prune_on]), step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"at step {step}: {prune_on} {row[prune_on]:.4g}")

        try:
            final = train(cfg, folder, progress=False, on_eval=on_eval)
        except UserError as exc:  # diverged, or a combination the data/objective refuse
            trial.set_user_attr("error", str(exc))
            raise TrialFailed(str(exc)) from None
        except Interrupted as exc:  # SIGINT/SIGTERM: this trial fails, the worker stops
            trial.set_user_attr("error", str(exc).split(";")[0])
            raise
        trial.set_user_attr("seconds", final["seconds"])
        return M.value(final, sampler_name, name)

    def report(study: optuna.Study, t: FrozenTrial) -> None:
        s.on_trial(trial_line(t, name))

    if s.vmap > 1:
        run_vmapped(s, study, name)
    else:
        study.optimize(objective, n_trials=s.trials, catch=(TrialFailed,), callbacks=[report])
    return study


def check_vmap(space: list[Param], base: Config, metric: str) -> None:
    """``--vmap K`` trains K trials as one vmapped sweep (:mod:`divergan.train.sweep`): flat data, one
    architecture, the direct sampler and a metric the sweep reports. UserError otherwise."""
    from divergan.train import sweep
    from divergan.tune.space import values

    sampler, name = M.parse(metric)
    if sampler != "direct" or name not in sweep.METRICS:
        raise UserError(
            f"--vmap: the sweep reports the direct sampler's {', '.join(sweep.METRICS)}; not {metric}"
        )
    from divergan.data import get_dataset

    if get_dataset(base.data, **base.data_params).is_image:
        raise UserError("--vmap: the sweep trains MLPs on flat data, not images")
    if base.mix_components != 1:
        raise UserError("--vmap: the sweep trains one generator per model (mix_components=1)")
    for p in space:
        if p.key in sweep.ARCHITECTURE_FIELDS or p.key.startswith("data.") or p.key == "mix_components":
            raise UserError(
                f"--vmap: the models of a sweep share one architecture and dataset; {p.key} cannot vary"
            )
        for v in values(p):
            try:
                sweep.check([base, assign(base, {p.key: v})])
            except UserError as exc:
                raise UserError(f"--vmap: {exc}") from None


def run_vmapped(s: Search, study: optuna.Study, name: str) -> None:
    """This worker's trials in batches of ``s.vmap``: asked together, trained as one vmapped sweep, told.

    No run folders and no pruning (the sweep has no per-evaluation hook); heartbeats as for single trials.
    """
    import torch
    from optuna.storages._heartbeat import get_heartbeat_thread

    from divergan.train.sweep import train_sweep

    left = s.trials
    while left > 0:
        fail_stale(study)
        k = min(s.vmap, left)
        left -= k
        trials, cfgs = [], []
        for _ in range(k):
            with warnings.catch_warnings():  # "heartbeats are for Study.optimize": this loop beats too
                warnings.filterwarnings("ignore", message="Heartbeat of storage", category=UserWarning)
                trial = study.ask()
            try:
                cfg = assign(s.base, suggest(trial, s.space, s.base))
            except UserError as exc:
                trial.set_user_attr("error", str(exc))
                study.tell(trial, state=TrialState.FAIL)
                s.on_trial(trial_line(study._storage.get_trial(trial._trial_id), name))
                continue
            trial.set_user_attr("config", cfg.to_json())
            trials.append(trial)
            cfgs.append(cfg)
        if not trials:
            continue
        together = ", ".join(str(t.number) for t in trials)
        for t in trials:
            t.set_user_attr("run", f"(vmapped with trials {together})")
        beats = [get_heartbeat_thread(t._trial_id, study._storage) for t in trials]
        for b in beats:
            b.start()
        t0 = time.perf_counter()
        before = torch.get_num_threads()
        if s.base.threads:  # as train() does for a single run
            torch.set_num_threads(s.base.threads)
        try:
            rows, _ = train_sweep(cfgs)
        except BaseException as exc:  # an interrupt or an error: none of the batch completes
            for t in trials:
                t.set_user_attr("error", f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
                study.tell(t, state=TrialState.FAIL)
            raise
        finally:
            torch.set_num_threads(before)
            for b in beats:
                b.join()
        seconds = time.perf_counter() - t0
        for t, row in zip(trials, rows, strict=True):
            t.set_user_attr("seconds", seconds)
            value = row.get(name)
            if row.get("diverged") or value is None or not math.isfinite(value):
                t.set_user_attr("error", str(row.get("diverged") or f"{name} is {value}"))
                study.tell(t, state=TrialState.FAIL)
            else:
                study.tell(t, float(value))
            s.on_trial(trial_line(study._storage.get_trial(t._trial_id), name))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _seconds(t: FrozenTrial) -> float | None:
    if t.datetime_start is None or t.datetime_complete is None:
        return None
    return (t.datetime_complete - t.datetime_start).total_seconds()


def trial_line(t: FrozenTrial, metric: str) -> str:
    """One line per finished trial, as a worker prints it."""
    params = " ".join(f"{k}={_fmt(v)}" for k, v in t.params.items())
    secs = _seconds(t)
    took = f" ({secs:.1f} s)" if secs is not None else ""
    if t.state == TrialState.COMPLETE:
        return f"trial {t.number}: {metric} {_fmt(t.value)}  {params}{took}"
    if t.state == TrialState.PRUNED:
        last = max(t.intermediate_values) if t.intermediate_values else None
        at = f" at step {last}: {metric} {_fmt(t.intermediate_values[last])}" if last is not None else ""
        return f"trial {t.number}: pruned{at}  {params}{took}"
    why = t.user_attrs.get("error", "")
    return f"trial {t.number}: {t.state.name.lower()}{': ' + why if why else ''}  {params}{took}"


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return study.best_trial if done else None


def best_config(t: FrozenTrial) -> dict[str, Any]:
    """The best trial's config as ``divergan train --config`` reads it (plots and TensorBoard back on:
    they do not change what is trained)."""
    cfg = Config.from_json(copy.deepcopy(t.user_attrs["config"]))
    cfg.plot, cfg.tensorboard = True, True
    return cfg.to_json()


def summary(study: optuna.Study, metric: str, limit: int = 15) -> str:
    """The table printed at the end: the best trials first, then counts by state."""
    from divergan.tune.output import sorted_trials, text_table

    trials = study.get_trials(deepcopy=False)
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    head = ", ".join(f"{n} {c}" for n, c in counts.items() if c)
    rows = sorted_trials(study)[:limit]
    return f"study {study.study_name}: {len(trials)} trials ({head})\n" + text_table(rows, metric)
