"""``divergan tune`` end to end on ring8 with tiny runs: two workers sharing a study, a killed worker,
a resumed study, SQLite through a URL, pruning through train's ``on_eval``, and the error contract."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import optuna
import pytest

from divergan import cli
from divergan.train import Config, preset, train
from divergan.tune.storage import open_storage

#: a few seconds per trial on one thread
TINY = [
    "--preset", "ring8", "--steps", "40",
    "--set", "threads=1", "--set", "eval_every=20", "--set", "log_every=10", "--set", "eval_samples=300",
    "--set", "g_width=32", "--set", "d_width=32", "--set", "g_depth=2", "--set", "d_depth=2",
]  # fmt: skip
SPACE = ["--space", "lr_d=log:1e-4..1e-3", "--space", "critic_steps=int:1..2", "--metric", "high_quality"]


def _env() -> dict[str, str]:
    src = str(Path(cli.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _spawn(args: list[str], **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "divergan", "tune", *args]
    return subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _trials(out: Path, storage: str | None = None, study: str = "divergan") -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=study, storage=open_storage(storage, out, 20)).get_trials()


def _states(trials) -> list[str]:
    return [t.state.name for t in sorted(trials, key=lambda t: t.number)]


def test_one_worker_writes_a_best_config_that_train_reads_and_a_row_per_trial(tmp_path, capsys):
    out = tmp_path / "search"
    assert cli.main(["tune", *TINY, *SPACE, "--trials", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    trials = _trials(out)
    assert _states(trials) == ["COMPLETE"] * 3
    values = [t.value for t in trials]
    best = max(trials, key=lambda t: (t.value, -t.number))
    assert f"best: trial {best.number}, high_quality {best.value:.6g}" in printed
    # the best config is a full config: it loads as a run folder's config.json does, with the drawn values
    cfg = Config.from_json(json.loads((out / "best_config.json").read_text()))
    run_cfg = Config.from_json(
        json.loads((out / "trials" / f"{best.number:05d}" / "config.json").read_text())
    )
    assert (cfg.lr_d, cfg.critic_steps) == (best.params["lr_d"], best.params["critic_steps"])
    assert (cfg.plot, cfg.tensorboard) == (True, True)  # back on for the real run
    cfg.plot = cfg.tensorboard = False
    assert cfg == run_cfg  # otherwise exactly the trial's config
    # and `divergan train --config` trains it
    again = tmp_path / "again"
    extra = ["--set", "plot=false", "--set", "tensorboard=false", "--quiet"]
    assert cli.main(["train", "--config", str(out / "best_config.json"), "--out", str(again), *extra]) == 0
    assert Config.from_json(json.loads((again / "config.json").read_text())) == run_cfg
    assert json.loads((again / "final_metrics.json").read_text())["direct"]["high_quality"] == best.value
    # each trial's value is its run's final metric
    for t in trials:
        final = json.loads((out / "trials" / f"{t.number:05d}" / "final_metrics.json").read_text())
        assert t.value == final["direct"]["high_quality"]
        assert sorted(t.intermediate_values) == [20, 40]  # the pruner was fed at each evaluation
    rows = list(csv.DictReader((out / "trials.csv").read_text().splitlines()))
    assert [(int(r["number"]), r["state"], float(r["high_quality"])) for r in rows] == [
        (t.number, "COMPLETE", v) for t, v in zip(trials, values, strict=True)
    ]
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 2  # matplotlib figures (plotly is not installed here)
    assert "<pre>" in page and f"trial {best.number}" in page


@pytest.mark.slow  # separate processes: ~15 s on 2 loaded cores
def test_two_workers_share_one_study_and_each_runs_its_own_trials(tmp_path):
    out = tmp_path / "search"
    args = [*TINY, *SPACE, "--trials", "2", "--out", str(out)]
    workers = [_spawn(args), _spawn(args)]
    for w in workers:
        stdout, stderr = w.communicate(timeout=120)
        assert w.returncode == 0, stderr
        assert stdout.count("trial ") >= 2
    trials = _trials(out)
    assert _states(trials) == ["COMPLETE"] * 4  # 2 + 2: --trials counts a worker's own
    beats = {t.system_attrs["divergan:heartbeat"]["pid"] for t in trials}
    assert beats == {w.pid for w in workers}  # both workers ran trials of the one study
    assert sorted(p.name for p in (out / "trials").iterdir()) == [f"{i:05d}" for i in range(4)]


def _kill_in_first_trial(w: subprocess.Popen, out: Path) -> None:
    metrics = out / "trials" / "00000" / "metrics.jsonl"
    deadline = time.time() + 60
    while not (metrics.is_file() and metrics.read_text()) and time.time() < deadline:
        time.sleep(0.2)
    assert w.poll() is None, w.communicate()[1]
    w.send_signal(signal.SIGKILL)
    w.communicate(timeout=30)


@pytest.mark.slow  # separate processes: ~15 s on 2 loaded cores
def test_a_killed_workers_trial_is_marked_failed_by_the_next_worker(tmp_path):
    out = tmp_path / "search"
    slow = [a if a != "40" else "100000" for a in TINY]  # a trial that would not end on its own
    _kill_in_first_trial(_spawn([*slow, *SPACE, "--trials", "1", "--out", str(out)]), out)
    assert _states(_trials(out)) == ["RUNNING"]  # what a killed worker leaves
    # the next worker to start (here with 0 trials of its own) fails it: its process is gone
    resumed = _spawn(["--resume", "--trials", "0", "--out", str(out)])
    stdout, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr
    assert "trial 0: failed (its worker stopped)" in stdout
    assert _states(_trials(out)) == ["FAIL"]
    assert (out / "trials" / "00000" / "config.json").is_file()  # its run folder is left as it was


@pytest.mark.slow  # separate processes: ~15 s on 2 loaded cores
def test_sigterm_fails_the_running_trial_writes_the_files_and_says_how_to_continue(tmp_path):
    out = tmp_path / "search"
    slow = [a if a != "40" else "100000" for a in TINY]
    w = _spawn([*slow, *SPACE, "--trials", "3", "--out", str(out)])
    metrics = out / "trials" / "00000" / "metrics.jsonl"
    deadline = time.time() + 60
    while not (metrics.is_file() and metrics.read_text()) and time.time() < deadline:
        time.sleep(0.2)
    w.send_signal(signal.SIGTERM)
    stdout, stderr = w.communicate(timeout=60)
    assert w.returncode == 128 + signal.SIGTERM, stderr
    assert (
        stderr.strip().splitlines()[-1]
        == f"divergan: interrupted; continue with: divergan tune --out {out} --resume --trials N"
    )
    assert _states(_trials(out)) == ["FAIL"]  # the interrupted trial; no other started
    assert "study divergan: 1 trials (fail 1)" in stdout
    row = next(csv.DictReader((out / "trials.csv").read_text().splitlines()))
    assert row["state"] == "FAIL" and row["error"].startswith("SIGTERM: stopped after step ")
    assert (out / "trials.csv").is_file() and not (out / "best_config.json").exists()
    assert (out / "trials" / "00000" / "checkpoints").is_dir()  # its run stopped with a checkpoint


def test_an_orphaned_trial_is_failed_and_the_study_goes_on(tmp_path):
    out = tmp_path / "search"
    args = [*TINY, *SPACE, "--out", str(out)]
    assert cli.main(["tune", *args, "--trials", "1"]) == 0
    storage = open_storage(None, out, 20)
    study = optuna.load_study(study_name="divergan", storage=storage)
    with warnings.catch_warnings():  # "heartbeats are meant for Study.optimize": here we fake a worker
        warnings.simplefilter("ignore", UserWarning)
        orphan, alive = study.ask(), study.ask()  # left RUNNING by ...
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # ... a process of this machine, now gone
    dead.wait()
    beat = {"time": time.time(), "host": socket.gethostname(), "pid": dead.pid}
    storage.set_trial_system_attr(orphan._trial_id, "divergan:heartbeat", beat)
    storage.set_trial_system_attr(alive._trial_id, "divergan:heartbeat", {**beat, "pid": os.getpid()})
    assert cli.main(["tune", *args, "--trials", "1"]) == 0
    assert _states(_trials(out)) == ["COMPLETE", "FAIL", "RUNNING", "COMPLETE"]
    # a beat older than the grace period (3 heartbeats) fails a trial of another machine too
    storage.set_trial_system_attr(
        alive._trial_id, "divergan:heartbeat", {**beat, "host": "elsewhere", "time": time.time() - 61}
    )
    assert cli.main(["tune", *args, "--trials", "0"]) == 0
    assert _states(_trials(out)) == ["COMPLETE", "FAIL", "FAIL", "COMPLETE"]


def test_resume_continues_the_study_and_a_different_search_is_refused(tmp_path, capsys):
    out = tmp_path / "search"
    assert cli.main(["tune", *TINY, *SPACE, "--trials", "1", "--out", str(out)]) == 0
    assert cli.main(["tune", "--resume", "--trials", "1", "--set", "threads=1", "--out", str(out)]) == 0
    assert _states(_trials(out)) == ["COMPLETE", "COMPLETE"]
    capsys.readouterr()
    other = [a.replace("1e-4..1e-3", "1e-5..1e-3") for a in SPACE]
    assert cli.main(["tune", *TINY, *other, "--trials", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already runs another search (space" in err
    assert cli.main(["tune", "--resume", "--steps", "5", "--trials", "1", "--out", str(out)]) == 2
    assert cli.main(["tune", "--resume", "--trials", "1", "--out", str(tmp_path / "empty")]) == 2
    assert "no study 'divergan'" in capsys.readouterr().err
    assert not (tmp_path / "empty").exists()  # an error leaves nothing behind
    assert _states(_trials(out)) == ["COMPLETE", "COMPLETE"]


@pytest.mark.slow  # separate processes: ~15 s on 2 loaded cores
def test_sqlite_url_storage_with_heartbeat_fails_a_killed_workers_trial(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'tune.db'}"
    out = tmp_path / "search"
    slow = [a if a != "40" else "100000" for a in TINY]
    common = [*slow, *SPACE, "--storage", db, "--study", "s1", "--heartbeat", "1"]
    _kill_in_first_trial(_spawn([*common, "--trials", "1", "--out", str(out)]), out)
    time.sleep(5)  # past the grace period of 3 heartbeats (SQLite's clock counts whole seconds)
    # a second worker with its own folder (as on another machine) joins the study through the URL
    assert cli.main(["tune", *common, "--trials", "0", "--out", str(tmp_path / "other")]) == 0
    assert "trial 0: failed (its worker stopped)" in capsys.readouterr().out
    assert _states(_trials(out, db, "s1")) == ["FAIL"]
    assert not (out / "journal.log").exists()  # the URL, not a journal file, held the study


def test_pruning_stops_a_run_cleanly_and_leaves_a_resumable_folder(tmp_path):
    cfg = preset("ring8")
    cfg.steps, cfg.eval_every, cfg.log_every, cfg.eval_samples, cfg.threads = 40, 20, 10, 200, 1
    cfg.g_width = cfg.d_width = 32
    cfg.plot = cfg.tensorboard = False
    seen = []

    def on_eval(step: int, row: dict) -> None:
        seen.append((step, sorted(row)))
        raise optuna.TrialPruned("stop")

    run = tmp_path / "run"
    with pytest.raises(optuna.TrialPruned):
        train(cfg, run, progress=False, on_eval=on_eval)
    assert seen == [(20, sorted(["step", "loss_d", "loss_g", "divergence_estimate", "grad_norm_g",
                                 "grad_norm_d", "seconds", "modes", "high_quality", "reverse_kl"]))]  # fmt: skip
    assert not (run / "final_metrics.json").exists()
    assert (run / "checkpoints").is_dir() and any((run / "checkpoints").iterdir())
    assert [json.loads(r)["step"] for r in (run / "metrics.jsonl").read_text().splitlines()] == [10, 20]
    final = train(cfg, run, resume=True, progress=False)  # the folder is a valid run: it resumes
    whole = train(cfg, tmp_path / "whole", progress=False)
    assert final["direct"] == whole["direct"]  # and ends where an uninterrupted run does


@pytest.mark.parametrize(
    "args, message",
    [
        ([*TINY, "--space", "lr_d=log:1e-3..1e-5", "--metric", "w1"], "the range must have A < B"),
        ([*TINY, "--space", "lr_x=log:1e-5..1e-3", "--metric", "w1"], "unknown config key 'lr_x'"),
        ([*TINY, "--space", "lr_d=log:1e-5..1e-3", "--metric", "fd"], "--metric fd: unknown for ring8"),
        (["--preset", "digits-quick", "--space", "lr_d=log:1e-5..1e-3", "--metric", "kid_std"], "no default direction"),
        ([*TINY, "--space", "lr_d=log:1e-5..1e-3"], "give --metric"),
        ([*TINY, "--metric", "w1"], "give at least one --space"),
        ([*TINY], "give a search"),
        ([*TINY, "--space", "objective=choice:hinge,nope", "--metric", "w1"], "objective=nope"),
        ([*TINY, "--space", "lr_d=log:1e-5..1e-3", "--metric", "w1", "--storage", "nowhere"], "SQLAlchemy URL"),
        ([*TINY, "--space", "lr_d=log:1e-5..1e-3", "--metric", "w1", "--storage", "postgresql://u@localhost/x"],
         "--storage postgresql://u@localhost/x"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "search"
    assert cli.main(["tune", *args, "--trials", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert not out.exists()  # nothing was made


def test_vmap_trains_a_batch_of_trials_as_one_sweep_equal_to_single_runs(tmp_path, capsys):
    out = tmp_path / "search"
    space = ["--space", "lr_d=log:1e-4..1e-3", "--space", "lr_g=log:1e-4..1e-3", "--metric", "w1"]
    # the sweep trains plain MLPs: no minibatch-std critic, no latent cells (the ring8 preset has both)
    plain = ["--set", "d_mbstd=0", "--set", "g_cells=0"]
    assert cli.main(["tune", *TINY, *plain, *space, "--trials", "3", "--vmap", "2", "--out", str(out)]) == 0
    trials = sorted(_trials(out), key=lambda t: t.number)
    assert _states(trials) == ["COMPLETE"] * 3  # a batch of 2, then 1
    assert [t.user_attrs["run"] for t in trials] == ["(vmapped with trials 0, 1)"] * 2 + [
        "(vmapped with trials 2)"
    ]
    assert not (out / "trials").exists()  # a sweep keeps no run folders
    # the sweep's model is the trainer's run of the same config, up to float rounding
    cfg = Config.from_json(trials[0].user_attrs["config"])
    single = train(cfg, tmp_path / "single", progress=False)["direct"]["w1"]
    assert trials[0].value == pytest.approx(single, rel=1e-3, abs=1e-4)
    capsys.readouterr()
    # what a sweep cannot batch is refused before any trial
    bad = [
        [*plain, "--space", "g_width=int:16..32", "--metric", "w1"],  # another architecture
        [*plain, "--space", "lr_d=log:1e-4..1e-3", "--metric", "mh.w1"],  # a ratio sampler
        ["--space", "lr_d=log:1e-4..1e-3", "--metric", "w1"],  # the mbstd critic
    ]
    for args in bad:
        x = str(tmp_path / "x")
        assert cli.main(["tune", *TINY, *args, "--trials", "2", "--vmap", "2", "--out", x]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: --vmap") and err.count("\n") == 1, err
