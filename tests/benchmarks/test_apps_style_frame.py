"""benchmarks/apps_style.py: the border guard on "the fine source sets the stroke width", the truncation
trend beyond its noise, and the FD target read over ten draws."""

from __future__ import annotations

import json

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


def _row(psi, p, r, se_p=0.0, se_r=0.0, first_p=0.0, first_r=0.0):
    return {
        "psi": psi,
        "precision": p,
        "recall": r,
        "precision_se_step": se_p,
        "recall_se_step": se_r,
        "precision_se_first": first_p,
        "recall_se_first": first_r,
    }


def test_the_truncation_trend_counts_changes_beyond_three_standard_errors(bench):
    rise = [{"psi": 1.0, "precision": 0.92, "recall": 0.53}]
    tie = [
        *rise,
        _row(0.6, 0.972, 0.19, 0.003, 0.01, 0.004, 0.01),
        _row(0.5, 0.971, 0.1, 0.003, 0.01, 0.004, 0.01),
    ]
    assert bench.monotone(tie)  # a fall of 0.001 against a standard error of 0.003: noise
    assert not bench.monotone(tie, 0.0)  # read strictly, the tie fails (CU3 seed 0's table)
    fall = [
        *rise,
        _row(0.6, 0.972, 0.19, 0.003, 0.01, 0.004, 0.01),
        _row(0.5, 0.95, 0.1, 0.003, 0.01, 0.004, 0.01),
    ]
    assert not bench.monotone(fall)  # the control: a fall of 0.022, seven standard errors
    flat = [*rise, _row(0.5, 0.925, 0.1, 0.003, 0.01, 0.004, 0.01)]
    assert not bench.monotone(flat)  # a rise of 0.005 over the table is within 3 × 0.004: no trend
    recall_up = [*rise, _row(0.5, 0.97, 0.56, 0.003, 0.005, 0.004, 0.005)]
    assert not bench.monotone(recall_up)  # recall must fall
    old = [{"psi": 1.0, "precision": 0.9, "recall": 0.5}, {"psi": 0.5, "precision": 0.899, "recall": 0.2}]
    assert not bench.monotone(old)  # a table without standard errors is read strictly
    zero = [{"psi": 1.0, "precision": 0.9, "recall": 0.0}, _row(0.5, 0.95, 0.0, 0.003, 0.0, 0.003, 0.0)]
    assert not bench.monotone(zero)  # a recall of 0 throughout cannot fall
    assert "Strictly at every step: no" in bench.trend_sentence(tie)
    assert "**met**" in bench.trend_sentence(tie) and "**not met**" in bench.trend_sentence(fall)


def _draws(values):
    import statistics

    return {"fd": {"mean": statistics.fmean(values), "sd": statistics.stdev(values), "all": values}}


def test_the_fd_target_reads_both_sides_over_ten_draws(bench):
    dcgan = ("DCGAN mnist-unconditional, seed 0", _draws([0.07, 0.078] * 5))  # mean 0.074: bound 0.111
    d = {"fd": 0.108}  # the run's own single draw, over 1.5 × 0.056 = 0.084
    met = bench.fd_sentence(d, {"draws": _draws([0.09, 0.108] * 5)}, 0.056, dcgan)
    assert "0.099" in met and "0.111" in met and "**met**" in met and "(over)" in met
    over = bench.fd_sentence(d, {"draws": _draws([0.11, 0.118] * 5)}, 0.056, dcgan)
    assert "**not met**" in over  # the control: a mean of 0.114 over ten draws
    # without ten draws on both sides the single draws decide
    assert "**not met**" in bench.fd_sentence(d, {}, 0.056, dcgan)
    assert "**not met**" in bench.fd_sentence(d, {"draws": _draws([0.09, 0.1] * 5)}, 0.056, None)
    assert "**met**" in bench.fd_sentence({"fd": 0.08}, {}, 0.056, None)


def test_the_dcgan_reference_is_the_newest_dcgan_row_of_fd_draws(bench, tmp_path):
    path = tmp_path / "fd_draws.json"
    assert bench.dcgan_over_draws(path) is None  # no file: no reference
    rows = {
        "style, a": {"fd": 1},
        "DCGAN mnist-unconditional, old": {"fd": 2},
        "DCGAN mnist-unconditional, new": {"fd": 3},
    }
    path.write_text(json.dumps({"draws": 10, "runs": rows}))
    assert bench.dcgan_over_draws(path) == ("DCGAN mnist-unconditional, new", {"fd": 3})
    path.write_text(json.dumps({"draws": 10, "runs": {"style, a": {"fd": 1}}}))
    assert bench.dcgan_over_draws(path) is None
