"""benchmarks/apps_style.py: the border guard on "the fine source sets the stroke width"."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("apps_style") as module:
        yield module


def _mix(frame_heavy: float, pairs: int = 1000) -> dict:
    return {"frame_heavy": frame_heavy, "frame_heavy_coarse": 0.02, "pairs": pairs}


DIRECT = {"real_frame_heavy": 0.034, "num_real": 2000}


def test_frame_bound_is_the_real_share_plus_three_sds_of_the_difference(bench):
    # by hand: 0.034 + 3 sqrt(0.034 * 0.966 * (1/2000 + 1/1000))
    assert bench.frame_bound(_mix(0.0), DIRECT) == pytest.approx(0.034 + 3 * 0.0070187, abs=1e-6)
    assert bench.frame_bound({"pairs": 1000}, DIRECT) is None  # a run judged before the guard


def test_blobbed_mixes_fail_the_width_and_clean_ones_pass(bench):
    assert not bench.frame_clean(_mix(0.62), DIRECT)  # the blobbed mixes of a screen: 62 %
    assert bench.frame_clean(_mix(0.04), DIRECT)  # the control: about the real digits' share
    assert bench.frame_clean({"pairs": 1000}, DIRECT)  # no reading: no guard
    assert "62.0 %" in bench.frame_sentence(_mix(0.62), DIRECT)
    assert bench.frame_sentence({"pairs": 1000}, DIRECT) == ""


def test_share_bound_of_the_unsure_digits_by_hand(bench):
    # the unsure share's bound: real 2.6 %, 2,000 samples each: 0.026 + 3 sqrt(0.026 * 0.974 * 2 / 2000)
    assert bench.share_bound(0.026, 2000, 2000, floor=1 / 2000) == pytest.approx(0.041097, abs=1e-6)
    # a real share of 0 leaves room through the floor, and none without it
    assert bench.share_bound(0.0, 2000, 2000, floor=1 / 2000) == pytest.approx(3 * (2 / 2000**2) ** 0.5)
    assert bench.share_bound(0.0, 2000, 2000) == 0.0


def test_the_judged_crossover_follows_the_cluster_conditioned_blocks(bench):
    assert bench.coarse_crossover([7, 14, 28], 0) == 28  # every block below the output is coarse
    assert bench.coarse_crossover([7, 14, 28], 7) == 14  # only the 7-px block reads the cluster
    assert bench.coarse_crossover([4, 8, 16, 32], 8) == 16
    final = {"mixing": [{"resolution": 14, "v": "a"}, {"resolution": 28, "v": "b"}], "coarse_crossover": 14}
    assert bench.coarse_mix(final)["v"] == "a"
    assert bench.coarse_mix({**final, "coarse_crossover": 28})["v"] == "b"  # the control
