"""benchmarks/fd_draws.py: one reading of the reference digits against themselves, and the unsure share.

No training here: the readings are checked against identities and against the style judge's own count.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("fd_draws") as module:
        yield module


@pytest.fixture(scope="module")
def reference(bench):
    from divergan.metrics.images import extract, resolve_feature_net

    net = resolve_feature_net("digits")
    ref, others = bench.reference()
    ref, others = ref[:400], others[:400]  # a smaller reference: the identities hold at any size
    features, logits = extract(ref, net)
    return net, ref, others, features, logits


def test_the_reference_is_the_style_judges(bench):
    # the style judge's reference: seed 0's permutation of the training digits, the first 2,000, in [0, 1]
    from divergan.apps.style import JUDGE_SAMPLES, StyleData, _unit
    from divergan.data.images import mnist

    ds = mnist(28)
    data = StyleData(train=ds.points, held_out=ds.held_out)
    g = torch.Generator().manual_seed(0)
    judge_real = _unit(data.train[torch.randperm(len(data.train), generator=g)[:JUDGE_SAMPLES]])
    ref, others = bench.reference()
    assert torch.equal(ref, judge_real)
    assert len(ref) + len(others) == len(ds.points) == 4500


def test_the_reference_against_itself_reads_fd_zero_and_its_own_unsure_share(bench, reference):
    from divergan.apps.style import clean_measure

    net, ref, others, features, logits = reference
    fd, unsure = bench.readings(ref, features, logits, net)
    assert abs(fd) < 1e-6
    assert unsure == clean_measure(ref, logits, ref, logits)["real_unsure"]
    # negative control: other digits, and the same digits inverted, read a larger distance
    assert bench.readings(others, features, logits, net)[0] > 1e-3
    assert (
        bench.readings(1 - ref, features, logits, net)[0] > bench.readings(others, features, logits, net)[0]
    )


def test_a_32_px_sample_is_read_as_its_28_px_digit(bench):
    from divergan.data.images import mnist

    x28, x32 = mnist(28).points[:5], mnist(32).points[:5]
    assert torch.equal(bench.at_28(x32), x28)  # the padding removed exactly
    assert bench.at_28(x28) is x28
