"""Data parallelism: torchrun with 2 CPU processes equals one process with the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from divergan.cli import main
from divergan.train import checkpoint as ckpt
from divergan.train import dist

ARGS = [
    "train", "--preset", "quick", "--data", "ring8", "--objective", "wgan-gp", "--quiet",
    "--set", "g_width=32", "--set", "d_width=32", "--set", "batch=64", "--set", "eval_samples=200",
    "--set", "checkpoint_every=2", "--set", "keep_checkpoints=5", "--set", "device=cpu",
]  # fmt: skip


def tensors(path):
    return ckpt.load(path)[0]


def parameter_order(path) -> dict[str, list[str]]:
    """The names of G's and D's parameters in optimizer order (opt_X.i belongs to the i-th)."""
    from divergan.train import Config, build

    parts = build(Config.from_json(ckpt.load(path)[1]["config"]))
    return {
        "G": [f"G.{n}" for n, _ in parts.generator.named_parameters()],
        "D": [f"D.{n}" for n, _ in parts.critic.named_parameters()],
    }


def assert_close_states(a, b, steps, order):
    """Adam's moments equal to float tolerance; parameters as close as Adam's update lets round-off go.

    Adam moves a coordinate by lr·m̂/(√v̂ + ε) per step, at most about lr. Where the gradient's RMS √v̂
    is far above the moments' round-off (1e-6, asserted first), a relative difference of at most
    rtol + atol/√v̂ <= 1e-4 + 1e-3 in the gradients changes each update by about that fraction of lr:
    those coordinates must agree to 1% of lr·steps (a margin of ~5). Only where the gradient is at
    round-off level (a bias the Wasserstein loss hardly moves) can a difference flip whole steps; there
    the bound is the whole movement lr·steps. The EMA, an average of G's iterates, uses G's moments.
    """
    lr = 2e-4
    for name in a:
        if name.startswith("opt_"):
            torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-6, msg=name)
        elif name.startswith("rng."):
            assert torch.equal(a[name], b[name]), name
    strict = total = 0
    for net, opt in (("G", "opt_G"), ("EMA", "opt_G"), ("D", "opt_D")):
        names = [n.replace("G.", "EMA.", 1) if net == "EMA" else n for n in order["D" if net == "D" else "G"]]
        assert names and all(n in a for n in names)
        for i, name in enumerate(names):
            t = float(a[f"{opt}.{i}.step"])
            rms = (a[f"{opt}.{i}.exp_avg_sq"] / (1 - 0.999**t)).sqrt()  # √v̂ (beta2 = 0.999)
            sure = rms > 1e-3
            diff = (a[name] - b[name]).abs()
            assert (diff <= lr * steps).all(), name
            assert (diff[sure] <= 0.01 * lr * steps).all(), (name, float(diff[sure].max()))
            strict, total = strict + int(sure.sum()), total + sure.numel()
    assert strict >= 0.5 * total, (strict, total)  # the strict bound covers most coordinates


def test_local_slices_are_the_halves_without_a_process_group():
    x = torch.arange(8)
    assert dist.world_size() == 1 and torch.equal(dist.local(x), x)


@pytest.mark.slow
def test_two_processes_equal_one_and_resume_under_another_world_size(tmp_path):
    single, pair = tmp_path / "single", tmp_path / "pair"
    assert main([*ARGS, "--steps", "6", "--out", str(single)]) == 0
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run(
        [*cmd, "-m", "divergan", *ARGS, "--steps", "4", "--out", str(pair)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("run: ") == 1  # only rank 0 reports
    # the 2-process run at steps 2 and 4 is the single-process run at steps 2 and 4
    order = parameter_order(ckpt.checkpoint_path(single, 2))
    for step in (2, 4):
        assert_close_states(
            tensors(ckpt.checkpoint_path(single, step)),
            tensors(ckpt.checkpoint_path(pair, step)),
            step,
            order,
        )
    # a checkpoint written by 2 processes continues in 1 as if it had never stopped
    assert main(["train", "--resume", str(pair), "--steps", "6", "--quiet"]) == 0
    assert_close_states(tensors(ckpt.latest(single)), tensors(ckpt.latest(pair)), 6, order)
