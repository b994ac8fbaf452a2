"""benchmarks/style_clusters.py: the class purity of clusters, checked on cases with exact answers."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("style_clusters") as module:
        yield module


def test_purity_is_the_share_of_the_most_common_class(bench):
    ids = torch.tensor([0, 0, 0, 1, 1, 2])
    labels = torch.tensor([3, 3, 5, 2, 2, 9])
    pure = bench.purity(ids, labels, 4)
    assert torch.allclose(pure, torch.tensor([2 / 3, 1.0, 1.0, 0.0]))  # cluster 3 is empty: 0


def test_a_cluster_of_one_class_each_is_pure_and_shuffled_labels_are_not(bench):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(10, (1000,), generator=g)
    assert torch.equal(bench.purity(labels, labels, 10), torch.ones(10))  # clusters = classes
    # negative control: clusters drawn independently of the classes hold every class, about a tenth each
    ids = torch.randint(10, (1000,), generator=g)
    assert bench.purity(ids, labels, 10).max() < bench.PURE / 2
