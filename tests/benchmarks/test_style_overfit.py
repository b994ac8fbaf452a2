"""benchmarks/style_overfit.py: ADA's overfitting heuristic and the held-out gap, on logits with exact answers."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("style_overfit") as module:
        yield module


def test_sign_means_and_the_gap_by_hand(bench):
    stats = bench.overfit_stats(
        torch.tensor([2.0, 1.0, 3.0, -1.0]),  # 3 called real, 1 fake: r_t = 0.5
        torch.tensor([1.0, -1.0, 0.0, -2.0]),  # 1 real, 2 fake, one undecided: -0.25
        torch.tensor([-1.0, -3.0]),
    )
    assert stats == pytest.approx({"r_train": 0.5, "r_held": -0.25, "r_fake": -1.0, "gap": 1.25 - (-0.5)})


def test_a_critic_that_generalises_shows_no_gap_and_one_that_memorises_does(bench):
    g = torch.Generator().manual_seed(0)
    train, held = torch.randn(4000, generator=g) + 0.3, torch.randn(4000, generator=g) + 0.3
    fair = bench.overfit_stats(train, held, -train)
    assert abs(fair["gap"]) < 0.1 and abs(fair["r_train"] - fair["r_held"]) < 0.05  # one distribution
    # negative control: the training digits pushed up by 1, as a critic that learnt them by heart
    memorised = bench.overfit_stats(train + 1.0, held, -train)
    assert memorised["gap"] > 0.9 and memorised["r_train"] - memorised["r_held"] > 0.25
