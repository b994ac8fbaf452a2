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


def assert_close_states(a, b, steps):
    """Gradients (Adam's moments) equal to float tolerance; parameters within what round-off can move.

    Adam divides the first moment by the root of the second: where a gradient is ~0 (a bias the
    Wasserstein loss hardly moves), a round-off difference of 1e-9 in it can flip a whole step of
    size lr. So parameters agree to lr·steps in the worst coordinate, the moments to 1e-6.
    """
    lr = 2e-4
    for name in a:
        if name.startswith("opt_"):
            torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-6, msg=name)
        elif name.split(".")[0] in ("G", "EMA", "D"):
            torch.testing.assert_close(a[name], b[name], rtol=0, atol=lr * steps, msg=name)
        elif name.startswith("rng."):
            assert torch.equal(a[name], b[name]), name


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
    for step in (2, 4):
        assert_close_states(
            tensors(ckpt.checkpoint_path(single, step)), tensors(ckpt.checkpoint_path(pair, step)), step
        )
    # a checkpoint written by 2 processes continues in 1 as if it had never stopped
    assert main(["train", "--resume", str(pair), "--steps", "6", "--quiet"]) == 0
    assert_close_states(tensors(ckpt.latest(single)), tensors(ckpt.latest(pair)), 6)
