"""Image runs through the CLI: the seconds-long digits-quick preset, its files, and ``divergan sample``."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.spatial import cKDTree

from divergan.cli import main
from divergan.metrics import images as image_module
from divergan.metrics import memorisation as memorisation_module
from divergan.metrics.feature_net import load_feature_net
from divergan.nn.dcgan import DCGANCritic, DCGANGenerator
from divergan.train import apply_overrides, build, preset, train


@contextlib.contextmanager
def spy(module, name: str):
    """Record the arguments of every call of ``module.name`` (the training loop imports the metric
    functions when it evaluates, so it calls the recording wrapper)."""
    calls: list = []
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, name, wrapper)
        yield calls


def classifier_agreement(fake: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of images the shipped digit classifier assigns to the class asked for, computed here
    from its logits (not through the metrics code)."""
    with torch.no_grad():
        _, logits = load_feature_net("digits").eval()(fake.float())
    return float((logits.argmax(-1).reshape(-1) == labels).double().mean())


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    run = tmp_path_factory.mktemp("img") / "run"
    before = torch.get_num_threads()
    with spy(memorisation_module, "memorisation") as calls:
        assert main(["train", "--preset", "digits-quick", "--steps", "10", "--out", str(run), "--quiet"]) == 0
    assert torch.get_num_threads() == before  # the preset's threads=1 is undone after the run
    return run, calls


@pytest.fixture(scope="module")
def quick_run(quick):
    return quick[0]


def lower_median(d: np.ndarray) -> float:
    """torch's median: the lower of the two middle values for an even count."""
    return float(np.sort(d)[(d.size - 1) // 2])


def test_image_run_writes_grids_figures_and_memorisation(quick, capsys):
    quick_run, calls = quick
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
    # the memorisation numbers recomputed with scipy's k-d tree on the images the run judged: its 100
    # samples, the 1,000 training digits and the held-out digits, mapped to [0, 1]. Fails if the run
    # measured distances to the held-out set instead of the training set, reported a mean instead of
    # the median, or took τ from the samples' own distances.
    ((fake, train_x, held), _), *_ = calls
    data = build(preset("digits-quick")).dataset
    assert fake.shape == (100, 1, 16, 16) and float(fake.min()) >= 0 and float(fake.max()) <= 1
    assert torch.equal(train_x, (data.points + 1) / 2) and torch.equal(held, (data.held_out + 1) / 2)
    tree = cKDTree(train_x.flatten(1).double().numpy())
    d_fake = tree.query(fake.flatten(1).double().numpy())[0]
    d_held = tree.query(held.flatten(1).double().numpy())[0]
    assert m["nn_fake_median"] == pytest.approx(lower_median(d_fake), rel=1e-6)
    assert m["nn_held_out_median"] == pytest.approx(lower_median(d_held), rel=1e-6)
    assert m["memorisation_ratio"] == pytest.approx(lower_median(d_fake) / lower_median(d_held), rel=1e-6)
    tau = np.quantile(d_held, 0.01)  # linear interpolation, as torch.quantile
    assert m["copy_fraction"] == pytest.approx(float(np.mean(d_fake < tau)), abs=1e-12)
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
    with spy(image_module, "image_metrics") as calls:
        out = train(cond, tmp_path / "c", progress=False)["direct"]
    # the classifier against the classes asked for, recomputed from its logits on the judged samples;
    # fails if the run compared against other labels (e.g. the real batch's) or left the labels out
    ((_, fake), kwargs), *_ = calls
    labels = kwargs["fake_labels"]
    assert labels.shape == (20,) and out["label_accuracy"] == classifier_agreement(fake, labels)
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
    with spy(image_module, "image_metrics") as calls:
        assert main(["train", "--preset", "mnist", "--out", str(tmp_path / "c"), *short]) == 0
    cond = json.loads(capsys.readouterr().out)["direct"]
    ((_, fake), kwargs), *_ = calls
    assert sum(cond["class_histogram"]) == 60
    assert cond["label_accuracy"] == classifier_agreement(fake, kwargs["fake_labels"])
    # the histogram counts the classifier's labels of the same 60 samples
    with torch.no_grad():
        _, logits = load_feature_net("digits").eval()(fake.float())
    assert (
        cond["class_histogram"] == np.bincount(logits.argmax(-1).reshape(-1).numpy(), minlength=10).tolist()
    )
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
