"""benchmarks/apps_glyphs.py --missed: how far the missed characters' target glyphs lie from their sources."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("apps_glyphs") as module:
        yield module


def _glyphs(levels):
    """(n, 1, 4, 4) glyphs: row i all −1 except its first ``levels[i]`` pixels at +1."""
    x = -torch.ones(len(levels), 1, 4, 4)
    for i, k in enumerate(levels):
        x.view(len(levels), -1)[i, :k] = 1.0
    return x


def test_the_groups_read_exact_distances_and_ink(bench):
    chars = "abcd"
    source = _glyphs([0, 0, 0, 0])  # blank sources: the distance is 2 × the target's inked share
    target = _glyphs([8, 4, 2, 0])
    out = bench.gap(source, target, chars, every={"a"}, some={"a", "b"}, draws=200)
    assert out["missed_by_every_run"]["source_target_l1"] == pytest.approx(2 * 8 / 16)
    assert out["missed_by_every_run"]["target_ink"] == pytest.approx(8 / 16)
    assert out["missed_by_some_runs"] == {"n": 1, "source_target_l1": pytest.approx(0.5), "target_ink": 0.25}
    assert out["read_by_every_run"]["n"] == 2
    assert out["read_by_every_run"]["target_ink"] == pytest.approx((2 / 16 + 0) / 2)
    # "a" is the farthest of four: a random single character is as far with probability 1/4
    assert out["missed_by_every_run"]["p_source_target_l1"] == pytest.approx(0.25, abs=0.08)


def test_the_nearest_characters_get_p_one(bench):
    # the control: the group missed is the nearest to its sources, so every random set is at least as far
    out = bench.gap(_glyphs([0, 0, 0]), _glyphs([1, 5, 9]), "abc", every={"a"}, some={"a"}, draws=100)
    assert out["missed_by_every_run"]["p_source_target_l1"] == 1.0
    assert out["missed_by_every_run"]["p_target_ink"] == 1.0


def test_miss_counts_histogram(bench):
    runs = [{"a", "b"}, {"a"}, set()]
    assert bench.miss_counts("abcd", runs) == {"0": 2, "1": 1, "2": 1, "3": 0}  # c, d / b / a / none
