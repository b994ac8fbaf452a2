"""Faults: a run killed with SIGKILL at any point and resumed ends bit-identical to the uninterrupted run;
SIGTERM/SIGINT save a checkpoint and exit cleanly; leftovers of a kill never break a resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from divergan.train import checkpoint as ckpt

ARGS = [
    "--preset",
    "quick",
    "--quiet",
    "--set",
    "steps=120",
    "--set",
    "checkpoint_every=10",
    "--set",
    "keep_checkpoints=50",
    "--set",
    "sampler=mh",
]


def divergan(*argv: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "divergan", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def final_state(run: Path) -> tuple[dict, dict]:
    tensors, _ = ckpt.load(ckpt.latest(run))
    return tensors, json.loads((run / "final_metrics.json").read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict, dict]:
    run = tmp_path_factory.mktemp("ref") / "run"
    code, _, err = finish(divergan("train", *ARGS, "--out", str(run)))
    assert code == 0, err
    return final_state(run)


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.005)


def assert_same(run: Path, reference: tuple[dict, dict]) -> None:
    tensors, metrics = final_state(run)
    ref_tensors, ref_metrics = reference
    for name, value in ref_tensors.items():
        if name.startswith(("G.", "EMA.", "D.", "R.", "opt_")):
            assert torch.equal(tensors[name], value), name
    assert {k: v for k, v in metrics.items() if "seconds" not in k} == {
        k: v for k, v in ref_metrics.items() if "seconds" not in k
    }


@pytest.mark.slow
@pytest.mark.parametrize("checkpoints_before_kill", [0, 1, 9])  # none yet, the first, 9 of 12
def test_sigkill_then_resume_is_bit_identical(tmp_path, reference, checkpoints_before_kill):
    run = tmp_path / "run"
    proc = divergan("train", *ARGS, "--out", str(run))
    if checkpoints_before_kill == 0:
        wait_for(lambda: (run / "config.json").exists())
    else:
        wait_for(
            lambda: len(ckpt.list_checkpoints(run)) >= checkpoints_before_kill or proc.poll() is not None
        )
    assert proc.poll() is None, "the run ended before it could be killed; lengthen ARGS' steps"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)  # reap it and close its pipes (an open pipe is a ResourceWarning)
    assert proc.returncode == -signal.SIGKILL  # it died of the kill, not of a normal exit
    assert not (run / "final_metrics.json").exists()  # killed mid-run, before the final evaluation
    code, _, err = finish(divergan("train", "--resume", str(run), "--quiet"))
    assert code == 0, err
    assert_same(run, reference)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_save_and_exit_cleanly(tmp_path, reference, sig):
    run = tmp_path / "run"
    proc = divergan("train", *ARGS, "--out", str(run))
    wait_for(lambda: len(ckpt.list_checkpoints(run)) >= 2 or proc.poll() is not None)
    assert proc.poll() is None, "the run ended before the signal could be sent; lengthen ARGS' steps"
    proc.send_signal(sig)
    code, _, err = finish(proc)
    assert code == 128 + sig, err  # 0 would mean the handler let the run finish: a failure, not a skip
    assert "Traceback" not in err and f"{signal.Signals(sig).name}: stopped after step" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = finish(divergan("train", "--resume", str(run), "--quiet"))
    assert code == 0, err
    assert_same(run, reference)


def test_resume_ignores_a_torn_log_line_and_a_half_written_checkpoint(tmp_path):
    from divergan.train import apply_overrides, preset, train

    cfg = apply_overrides(preset("quick"), ["steps=60", "checkpoint_every=20", "keep_checkpoints=10"])
    full = train(cfg, tmp_path / "full", progress=False)
    part = tmp_path / "part"
    train(
        apply_overrides(preset("quick"), ["steps=40", "checkpoint_every=20", "keep_checkpoints=10"]),
        part,
        progress=False,
    )
    (part / "config.json").write_text(json.dumps(cfg.to_json()))
    with open(part / "metrics.jsonl", "a") as fh:
        fh.write('{"step": 41, "loss_d": 0.')  # a write cut short by a kill
    (part / "checkpoints" / ".step-00000060.safetensors.tmp-123").write_bytes(b"partial")
    resumed = train(cfg, part, resume=True, progress=False)
    assert resumed["direct"] == full["direct"]
    assert not list((part / "checkpoints").glob(".step-*"))
    assert all(json.loads(line) for line in (part / "metrics.jsonl").read_text().splitlines())


def test_atomic_write_leaves_the_old_file_when_the_new_one_fails(tmp_path, monkeypatch):
    path = tmp_path / "checkpoints" / "step-00000001.safetensors"
    ckpt.save(path, {"x": torch.zeros(3)}, {"step": 1})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        ckpt.save(path, {"x": torch.ones(3)}, {"step": 1})
    tensors, meta = ckpt.load(path)
    assert torch.equal(tensors["x"], torch.zeros(3)) and meta["step"] == 1
