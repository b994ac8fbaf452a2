"""Mode metrics on hand-made sample sets (VEEGAN/PacGAN protocol, docs/protocols.md)."""

from __future__ import annotations

import math

import pytest
import torch

from divergan.data import get_dataset
from divergan.errors import UserError
from divergan.metrics import mode_metrics


def test_all_samples_in_one_mode_of_grid25():
    d = get_dataset("grid25")
    samples = d.modes[7].expand(2500, 2) + 0.01 * torch.randn(
        2500, 2, generator=torch.Generator().manual_seed(0)
    )
    r = mode_metrics(samples, d.modes, d.std)
    assert r["modes"] == 1 and r["high_quality"] == 1.0
    assert r["reverse_kl"] == pytest.approx(math.log(25), abs=1e-12)
    assert r["histogram"][7] == 2500 and sum(r["histogram"]) == 2500


def test_perfect_samples_of_grid25():
    d = get_dataset("grid25")
    samples = d.modes.repeat(100, 1)  # 100 samples exactly on every centre
    r = mode_metrics(samples, d.modes, d.std)
    assert r["modes"] == 25 and r["high_quality"] == 1.0 and r["num_high_quality"] == 2500
    assert r["reverse_kl"] == pytest.approx(0.0, abs=1e-12)


def test_true_samples_of_ring8():
    d = get_dataset("ring8")
    r = mode_metrics(d.sample(2500, torch.Generator().manual_seed(0)), d.modes, d.std)
    assert r["modes"] == 8
    # ‖N(0, s²I₂)‖ ≤ 3s with probability 1 − e^{−9/2} ≈ 0.9889
    assert r["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert r["reverse_kl"] < 0.01


def test_hand_made_histogram():
    modes = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    s = 1.0
    samples = torch.tensor(
        [
            [0.0, 0.0],  # mode 0, HQ
            [0.0, 2.9],  # mode 0, HQ (2.9 ≤ 3)
            [10.0, 0.5],  # mode 1, HQ
            [10.0, 3.5],  # mode 1 but 3.5 > 3s: not HQ
            [5.0, 5.0],  # equidistant from all, far: not HQ
            [0.0, 13.0],  # mode 2, exactly 3s: HQ
        ]
    )
    r = mode_metrics(samples, modes, s)
    assert r["histogram"] == [2, 1, 1, 0]
    assert r["modes"] == 3 and r["num_high_quality"] == 4 and r["high_quality"] == pytest.approx(4 / 6)
    p = [0.5, 0.25, 0.25]
    assert r["reverse_kl"] == pytest.approx(sum(q * math.log(4 * q) for q in p), abs=1e-12)


def test_no_high_quality_sample_reports_the_worst_reverse_kl():
    d = get_dataset("ring8")
    r = mode_metrics(torch.full((10, 2), 50.0), d.modes, d.std)
    assert r["modes"] == 0 and r["high_quality"] == 0.0 and r["num_high_quality"] == 0
    assert r["reverse_kl"] == pytest.approx(math.log(8))


def test_non_finite_samples_are_never_high_quality():
    modes = torch.zeros(1, 2)
    r = mode_metrics(torch.tensor([[0.0, 0.0], [float("nan"), 0.0]]), modes, 1.0)
    assert r["num_high_quality"] == 1


def test_one_dimensional_samples():
    d = get_dataset("mixture1d")
    r = mode_metrics(torch.tensor([-2.0, -2.1, 2.0, 9.0]), d.modes, d.std)
    assert r["modes"] == 2 and r["num_high_quality"] == 3


@pytest.mark.parametrize(
    ("samples", "modes", "std"),
    [
        (torch.zeros(3, 2), torch.zeros(2, 3), 1.0),
        (torch.zeros(0, 2), torch.zeros(2, 2), 1.0),
        (torch.zeros(3, 2), torch.zeros(2, 2), 0.0),
        (torch.zeros(3, 2, 2), torch.zeros(2, 2), 1.0),
    ],
)
def test_bad_inputs(samples, modes, std):
    with pytest.raises(UserError):
        mode_metrics(samples, modes, std)
