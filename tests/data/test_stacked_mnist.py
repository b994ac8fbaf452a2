"""Stacked MNIST: shape, independent digits per channel, determinism, and the trainer's 1,000-mode count."""

from __future__ import annotations

import json

import numpy as np
import torch
from scipy import stats

from divergan.cli import main
from divergan.data import get_dataset
from divergan.data import images as im


def test_shape_range_and_labels():
    ds = get_dataset("stacked-mnist", n=300, holdout=0.1)
    assert ds.points.shape == (300, 3, 28, 28) and ds.held_out.shape == (30, 3, 28, 28)
    assert ds.shape == (3, 28, 28) and ds.dim == 3 * 784 and ds.num_classes == 1000 and ds.is_image
    assert ds.points.dtype == torch.float32 and ds.points.min() >= -1 and ds.points.max() <= 1
    assert ds.labels.shape == (300,) and 0 <= int(ds.labels.min()) and int(ds.labels.max()) <= 999
    small = get_dataset("stacked-mnist", n=10, size=16, holdout=0.0)
    assert small.points.shape == (10, 3, 16, 16) and small.held_out is None


def test_deterministic_given_the_seed():
    a, b = get_dataset("stacked-mnist", n=100), get_dataset("stacked-mnist", n=100)
    assert torch.equal(a.points, b.points) and torch.equal(a.labels, b.labels)
    assert torch.equal(a.held_out, b.held_out) and torch.equal(a.held_out_labels, b.held_out_labels)
    c = get_dataset("stacked-mnist", n=100, seed=1)
    assert not torch.equal(a.labels, c.labels)


def _chi2_independence(first: np.ndarray, second: np.ndarray) -> tuple[float, float]:
    """Pearson's χ² statistic of the 10 × 10 table of two digit columns, and its 99.9 % critical value."""
    table = np.zeros((10, 10))
    np.add.at(table, (first, second), 1)
    chi2, _, dof, _ = stats.chi2_contingency(table, correction=False)
    return chi2, stats.chi2.ppf(0.999, dof)


def test_channels_hold_independent_uniform_digits():
    ds = get_dataset("stacked-mnist", n=4000, holdout=0.0)
    y = ds.labels.numpy()
    digits = np.stack([y // 100, y // 10 % 10, y % 10], 1)  # (n, 3): the digit in each channel
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        chi2, critical = _chi2_independence(digits[:, a], digits[:, b])
        assert chi2 < critical
    for ch in range(3):  # each channel: uniform over the 10 digits (goodness of fit, 99.9 %)
        counts = np.bincount(digits[:, ch], minlength=10)
        assert stats.chisquare(counts).statistic < stats.chi2.ppf(0.999, 9)
    # negative control: a second channel that repeats the first is far from independent
    chi2, critical = _chi2_independence(digits[:, 0], digits[:, 0])
    assert chi2 > 10 * critical
    # the images of different channels are different digit images (drawn independently)
    assert not torch.equal(ds.points[:, 0], ds.points[:, 1])


def test_stack_digits_labels_are_the_channels_digits():
    x = np.arange(6, dtype=np.float32).reshape(6, 1, 1, 1)  # image i holds the value i
    y = np.array([0, 1, 2, 3, 4, 5])
    images, labels = im.stack_digits(x, y, 50, np.random.default_rng(0))
    assert images.shape == (50, 3, 1, 1)
    picked = images[:, :, 0, 0].astype(int)  # the image index of each channel
    assert np.array_equal(labels, 100 * picked[:, 0] + 10 * picked[:, 1] + picked[:, 2])


def test_trainer_counts_the_thousand_modes(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--preset", "digits-quick", "--data", "stacked-mnist", "--steps", "4", "--out", str(run)]
    args += ["--set", "data.n=64", "--set", "data.size=16", "--set", "eval_samples=40", "--quiet"]
    args += ["--set", "pack=2", "--set", "plot=false"]
    assert main(args) == 0
    final = json.loads((run / "final_metrics.json").read_text())["direct"]
    assert final["stacked_num_modes"] == 1000 and 1 <= final["stacked_modes"] <= 40
    assert "stacked modes" in capsys.readouterr().out
