"""The thread policy's decisions (divergan/threads.py) and the FLOP count it reads; no timings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from divergan import threads
from divergan.threads import SMALL_STEP_FLOPS, choose_threads
from divergan.train.perf import forward_flops

BIG = 1e10  # a step far above the small-step threshold


def test_explicit_settings_win():
    assert choose_threads(BIG, cpus=2, busy=0.0, requested=3) == (3, "threads setting")
    assert choose_threads(1.0, cpus=16, busy=15.0, requested=8)[0] == 8  # even tiny and busy
    assert choose_threads(BIG, cpus=2, busy=0.0, env_threads=1) == (1, "OMP_NUM_THREADS")
    assert choose_threads(BIG, cpus=2, busy=0.0, requested=2, env_threads=1)[0] == 2  # setting over env


def test_idle_machine_uses_every_core_for_a_large_step():
    assert choose_threads(BIG, cpus=2, busy=0.0)[0] == 2
    assert choose_threads(BIG, cpus=16, busy=0.0)[0] == 16
    assert choose_threads(0.0, cpus=4, busy=0.0)[0] == 4  # unknown size counts as large


def test_a_small_step_gets_one_thread():
    assert choose_threads(SMALL_STEP_FLOPS / 2, cpus=16, busy=0.0) == (1, "small step")
    assert choose_threads(SMALL_STEP_FLOPS, cpus=16, busy=0.0)[0] == 16  # at the threshold: large


@pytest.mark.parametrize(
    ("cpus", "busy", "expected"),
    [
        (2, 1.0, 1),  # one busy single-threaded process on 2 cores: the free core only
        (2, 0.95, 1),
        (2, 0.6, 1),  # 60 % of a core is a taken core
        (2, 0.55, 2),  # noise below that is not
        (2, 0.2, 2),
        (2, 2.0, 1),  # everything busy: still one thread
        (2, 7.0, 1),  # overloaded
        (16, 1.0, 15),
        (16, 3.7, 12),
        (1, 0.0, 1),
        (0, 0.0, 1),  # a nonsense core count still gives one thread
        (2, -0.5, 2),  # a negative reading (clock skew) counts as idle
    ],
)
def test_busy_cores_are_left_alone(cpus, busy, expected):
    assert choose_threads(BIG, cpus=cpus, busy=busy)[0] == expected


def test_policy_off_and_env(monkeypatch):
    monkeypatch.setenv("DIVERGAN_THREAD_POLICY", "off")
    assert not threads.enabled()
    assert threads.threads_for(0, lambda: pytest.fail("the policy is off: nothing is counted")) == 0
    assert threads.threads_for(3, lambda: 0.0) == 3
    monkeypatch.setenv("DIVERGAN_THREAD_POLICY", "")
    assert threads.enabled()
    monkeypatch.setenv("OMP_NUM_THREADS", "2,1")
    assert threads.env_threads() == 2
    assert threads.threads_for(0, lambda: pytest.fail("OMP_NUM_THREADS decides")) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    assert threads.env_threads() == 0


def test_threads_for_measures_the_machine(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "affinity", lambda: [0, 1])
    monkeypatch.setattr(threads, "busy_cores", lambda: 1.0)
    assert threads.threads_for(0, lambda: BIG) == 1
    monkeypatch.setattr(threads, "busy_cores", lambda: 0.0)
    assert threads.threads_for(0, lambda: BIG) == 2
    assert threads.threads_for(0, lambda: 1e3) == 1
    assert threads.threads_for(0, lambda: BIG, current=2) == 2  # torch's default: the policy decides
    # a caller's own torch.set_num_threads(1) is kept (0: leave it), unless the run asks for threads
    assert threads.threads_for(0, lambda: pytest.fail("the caller chose"), current=1) == 0
    assert threads.threads_for(2, lambda: BIG, current=1) == 2


def test_busy_cores_reads_a_plausible_value(monkeypatch):
    monkeypatch.setattr(threads, "_mark", None)  # no mark: a window of its own
    busy = threads.busy_cores(window=0.05)
    assert 0.0 <= busy <= len(threads.affinity()) + 1e-6


def test_busy_cores_counts_others_not_itself(monkeypatch):
    """The arithmetic of the window on made-up snapshots: (busy ticks, total ticks), own CPU s, wall s."""
    monkeypatch.setattr(threads, "affinity", lambda: [0, 1])
    start = ((1000, 4000), 5.0, 100.0)
    # over 2 s: 400 of 400 ticks busy (both cores), this process used 2 CPU seconds: one other core busy
    assert threads._others(start, ((1400, 4400), 7.0, 102.0)) == pytest.approx(1.0)
    # the same ticks but this process used nothing: two other cores busy
    assert threads._others(start, ((1400, 4400), 5.0, 102.0)) == pytest.approx(2.0)
    # idle machine, this process busy on one core: nobody else
    assert threads._others(start, ((1200, 4400), 7.0, 102.0)) == pytest.approx(0.0)
    assert threads._others(start, start) == 0.0  # no time passed


def test_busy_cores_uses_the_mark_when_recent(monkeypatch):
    monkeypatch.setattr(threads, "affinity", lambda: [0, 1])
    snaps = iter([((1400, 4400), 5.0, 102.0)])
    monkeypatch.setattr(threads, "_snapshot", lambda: next(snaps))
    monkeypatch.setattr(threads.os, "times", lambda: type("T", (), {"elapsed": 102.0})())
    monkeypatch.setattr(threads.time, "sleep", lambda s: pytest.fail("a recent mark needs no pause"))
    monkeypatch.setattr(threads, "_mark", ((1000, 4000), 5.0, 100.0))
    assert threads.busy_cores() == pytest.approx(2.0)


def test_wait_policy_is_left_to_openmp_and_the_user():
    code = "from divergan.threads import configure_openmp; configure_openmp(); import os; print(os.environ.get('OMP_WAIT_POLICY'))"
    drop = ("OMP_WAIT_POLICY", "DIVERGAN_THREAD_POLICY", "GOMP_SPINCOUNT")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    run = lambda e: subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True).stdout  # noqa: E731
    assert run(env).strip() == "None"  # PASSIVE cost the idle main job 24 % (docs/benchmarks.md)
    assert run({**env, "OMP_WAIT_POLICY": "PASSIVE"}).strip() == "PASSIVE"
    assert run({**env, "OMP_WAIT_POLICY": "ACTIVE"}).strip() == "ACTIVE"


def test_forward_flops_counts_linear_and_convolutions_exactly():
    mlp = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 7))
    flops, out = forward_flops(mlp, torch.zeros(4, 3))
    assert out.shape == (4, 7)
    assert flops == 2 * 4 * (3 * 5 + 5 * 7)
    conv = nn.Conv2d(3, 8, 3)  # 5x5 -> 3x3
    assert forward_flops(conv, torch.zeros(2, 3, 5, 5))[0] == 2 * 2 * (8 * 3 * 3 * 3) * 9
    up = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1)  # each of the 3x3 inputs scatters 4·4·4 products
    assert forward_flops(up, torch.zeros(1, 8, 3, 3))[0] == 2 * (8 * 4 * 4 * 4) * 9
    assert not mlp[0]._forward_hooks  # the hooks are gone afterwards


def test_step_flops_of_the_wgan_gp_preset_is_the_analytic_count():
    from divergan.train import preset
    from divergan.train.loop import build_networks
    from divergan.train.perf import step_flops

    cfg = preset("wgan-gp-toy")  # MLPs 2-512-512-512-2 and 2-512-512-512-1, batch 256, 5 critic steps
    fg = 2 * (2 * 512 + 2 * 512 * 512 + 512 * 2)  # forward FLOPs per sample
    fd = 2 * (2 * 512 + 2 * 512 * 512 + 512 * 1)
    assert step_flops(cfg, build_networks) == 3 * 256 * (5 * (fg + 2 * fd) + (fg + fd))
    state = torch.get_rng_state()
    step_flops(cfg, build_networks)
    assert torch.equal(torch.get_rng_state(), state)  # counting draws no random numbers of the run


def test_step_flops_of_a_conditional_dcgan_and_of_a_failure():
    from divergan.train import preset
    from divergan.train.loop import build_networks
    from divergan.train.perf import step_flops

    cfg = preset("digits-quick")
    cfg.conditional = True  # digits are labelled: G(z, y) and D(x, y)
    assert step_flops(cfg, build_networks) > SMALL_STEP_FLOPS  # convolutions counted per position

    def broken(*args):
        raise RuntimeError("cannot build")

    assert step_flops(cfg, broken) == 0.0  # unknown: the policy treats it as large
