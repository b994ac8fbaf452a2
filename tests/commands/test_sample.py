"""``divergan sample --sampler``: each sampler draws what the library's draw() draws for the run, and the
impossible requests are one error line with exit status 2."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from divergan.cli import main
from divergan.train import checkpoint as ckpt
from divergan.train import load_run
from divergan.train.loop import sample_fake
from divergan.train.sampling import draw

QUICK = [
    "--preset",
    "quick",
    "--quiet",
    "--set",
    "steps=20",
    "--set",
    "eval_samples=200",
    "--set",
    "threads=1",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    mh, direct = folder / "mh", folder / "direct"
    assert (
        main(["train", *QUICK, "--set", "sampler=mh", "--set", "checkpoint_every=10", "--out", str(mh)]) == 0
    )
    assert main(["train", *QUICK, "--out", str(direct)]) == 0
    return mh, direct


def expected(run, method: str, n: int, seed: int) -> np.ndarray:
    cfg, parts, _ = load_run(run)
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    x, _ = draw(method, lambda k: sample_fake(cfg, parts, k, rng), n, parts.ratio, cfg.mh_steps)
    return x.numpy().astype(np.float32)


@pytest.mark.parametrize("method", ["direct", "mh", "drs"])
def test_each_sampler_draws_what_draw_draws(runs, tmp_path, capsys, method):
    out = tmp_path / "x.npy"
    assert (
        main(["sample", str(runs[0]), "--sampler", method, "--n", "64", "--seed", "5", "--out", str(out)])
        == 0
    )
    assert f"(sampler {method})" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(out), expected(runs[0], method, 64, 5))


def test_samplers_differ(runs, tmp_path):
    got = {}
    for method in ("direct", "mh"):
        out = tmp_path / f"{method}.npy"
        assert main(["sample", str(runs[0]), "--sampler", method, "--n", "64", "--out", str(out)]) == 0
        got[method] = np.load(out)
    assert not np.array_equal(got["direct"], got["mh"])  # MH moved some chains


def test_a_ratio_sampler_needs_a_ratio_critic(runs, tmp_path, capsys):
    code = main(["sample", str(runs[1]), "--sampler", "mh", "--n", "4", "--out", str(tmp_path / "x.npy")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "no ratio critic" in err
    assert not (tmp_path / "x.npy").exists()


def test_a_ratio_sampler_needs_the_final_checkpoint(runs, tmp_path, capsys):
    import shutil

    part = tmp_path / "part"
    shutil.copytree(runs[0], part)
    ckpt.latest(part).unlink()  # as if killed before the end: the latest is step 10, without ratio critic
    code = main(["sample", str(part), "--sampler", "drs", "--n", "4", "--out", str(tmp_path / "x.npy")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "needs the run's final checkpoint" in err
    assert (
        main(["sample", str(part), "--sampler", "direct", "--n", "4", "--out", str(tmp_path / "x.npy")]) == 0
    )


def test_an_unknown_sampler_is_refused(runs, tmp_path, capsys):
    assert main(["sample", str(runs[0]), "--sampler", "gibbs", "--out", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "invalid choice: 'gibbs'" in err
