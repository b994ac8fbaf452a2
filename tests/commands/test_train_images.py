"""Image runs through the CLI: the seconds-long digits-quick preset, its files, and ``divergan sample``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from divergan.cli import main
from divergan.nn.dcgan import DCGANCritic, DCGANGenerator
from divergan.train import apply_overrides, build, preset, train


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("img") / "run"
    before = torch.get_num_threads()
    assert main(["train", "--preset", "digits-quick", "--steps", "10", "--out", str(run), "--quiet"]) == 0
    assert torch.get_num_threads() == before  # the preset's threads=1 is undone after the run
    return run


def test_image_run_writes_grids_figures_and_memorisation(quick_run, capsys):
    files = {p.name for p in quick_run.iterdir()}
    assert {"samples.png", "interpolation.png", "arithmetic.png", "curves.png", "final_metrics.json"} <= files
    grids = sorted(p.name for p in (quick_run / "samples").iterdir())
    assert grids == ["step-00000010.png"]
    with Image.open(quick_run / "samples.png") as im:  # 8×8 grid of 16 px images, 2 px gaps, doubled
        assert im.size == (2 * (8 * 18 + 2), 2 * (8 * 18 + 2)) and im.mode == "L"
    with Image.open(quick_run / "interpolation.png") as im:
        assert im.size == (2 * (10 * 18 + 2), 2 * (6 * 18 + 2))
    final = json.loads((quick_run / "final_metrics.json").read_text())
    m = final["direct"]
    assert m["nn_fake_median"] > 0 and m["nn_held_out_median"] > 0 and 0 <= m["copy_fraction"] <= 1
    assert {"ink_before", "ink_after"} <= set(final["latent_arithmetic"])


def test_sample_writes_nchw_float32_in_unit_interval(quick_run, tmp_path, capsys):
    out = tmp_path / "x.npy"
    assert main(["sample", str(quick_run), "--n", "7", "--out", str(out)]) == 0
    x = np.load(out)
    assert x.shape == (7, 1, 16, 16) and x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    again = tmp_path / "y.npy"
    assert main(["sample", str(quick_run), "--n", "7", "--out", str(again)]) == 0
    assert (np.load(again) == x).all()  # same seed, same samples (eval-mode batch norm)
    one = tmp_path / "one.npy"
    assert main(["sample", str(quick_run), "--n", "1", "--out", str(one)]) == 0
    np.testing.assert_allclose(np.load(one)[0], x[0], atol=1e-6)  # batch-independent samples


def test_image_runs_are_deterministic_and_conditional_and_penalised_runs_train(tmp_path):
    base = ["steps=3", "plot=false", "eval_samples=20", "checkpoint_every=100"]
    a = train(apply_overrides(preset("digits-quick"), base), tmp_path / "a", progress=False)
    b = train(apply_overrides(preset("digits-quick"), base), tmp_path / "b", progress=False)
    assert a["direct"] == b["direct"]
    cond = apply_overrides(preset("digits-quick"), [*base, "conditional=true"])
    parts = build(cond)
    assert isinstance(parts.generator, DCGANGenerator) and parts.generator.embed.num_embeddings == 10
    assert parts.critic.embed is not None
    out = train(cond, tmp_path / "c", progress=False)["direct"]
    assert 0.0 <= out["label_accuracy"] <= 1.0  # the classifier against the classes asked for
    assert "label_accuracy" not in a["direct"]
    gp = apply_overrides(preset("digits-quick"), base)
    gp.objective = "wgan-gp"
    parts = build(gp)
    assert isinstance(parts.critic, DCGANCritic) and not parts.critic.batch_dependent
    assert np.isfinite(train(gp, tmp_path / "d", progress=False)["direct"]["nn_fake_median"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--data", "grid25", "--set", "conditional=true"], "needs labelled data"),
        (["--data", "grid25", "--set", "arch=dcgan"], "needs image data"),
        (["--set", "data.size=20"], "square images of side"),
        (["--set", "sampler=mh"], "image runs use --sampler direct"),
        (["--set", "d_norm=group"], "d_norm must be one of"),
    ],
)
def test_bad_image_configs_exit_2(tmp_path, capsys, args, needle):
    code = main(["train", "--preset", "digits-quick", *args, "--out", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and needle in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def test_mlp_on_images_works_on_flat_pixels(tmp_path):
    cfg = apply_overrides(
        preset("digits-quick"),
        [
            "arch=mlp",
            "g_width=16",
            "d_width=16",
            "g_depth=1",
            "d_depth=1",
            "steps=2",
            "plot=false",
            "eval_samples=10",
        ],
    )
    parts = build(cfg)
    z = torch.randn(3, cfg.z_dim)
    assert parts.generator(z).shape == (3, 1, 16, 16) and parts.critic(parts.generator(z)).shape == (3,)
    train(cfg, tmp_path / "m", progress=False)


def test_image_run_resumed_ends_bit_identical(tmp_path):
    from divergan.train import checkpoint as ckpt

    base = ["plot=false", "eval_samples=20", "checkpoint_every=2", "keep_checkpoints=5"]
    train(apply_overrides(preset("digits-quick"), [*base, "steps=4"]), tmp_path / "whole", progress=False)
    train(apply_overrides(preset("digits-quick"), [*base, "steps=2"]), tmp_path / "half", progress=False)
    train(
        apply_overrides(preset("digits-quick"), [*base, "steps=4"]),
        tmp_path / "half",
        resume=True,
        progress=False,
    )
    a, _ = ckpt.load(ckpt.latest(tmp_path / "whole"))
    b, _ = ckpt.load(ckpt.latest(tmp_path / "half"))
    for key in a:
        if key.startswith(("G.", "D.", "EMA.")):
            assert torch.equal(a[key], b[key]), key


def test_mnist_presets_train_and_report_their_class_balance(tmp_path, capsys):
    """The conditional `mnist` preset and its unconditional twin, a few steps each through the CLI."""
    assert preset("mnist").conditional and not preset("mnist-unconditional").conditional
    short = ["--steps", "3", "--set", "eval_samples=60", "--set", "plot=false", "--quiet", "--json"]
    assert main(["train", "--preset", "mnist", "--out", str(tmp_path / "c"), *short]) == 0
    cond = json.loads(capsys.readouterr().out)["direct"]
    assert sum(cond["class_histogram"]) == 60 and 0.0 <= cond["label_accuracy"] <= 1.0
    assert main(["train", "--preset", "mnist-unconditional", "--out", str(tmp_path / "u"), *short]) == 0
    plain = json.loads(capsys.readouterr().out)["direct"]
    assert "label_accuracy" not in plain and sum(plain["class_histogram"]) == 60
    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.full((28, 28), 60 * i, dtype=np.uint8)).save(folder / f"{i}.png")
    assert (
        main(["train", "--preset", "mnist", "--data", str(folder), "--out", str(tmp_path / "f"), *short]) == 2
    )
    assert "conditional=false" in capsys.readouterr().err  # an unlabelled folder: says what to do
