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


def test_explained_share_is_eta_squared(bench):
    ids = torch.tensor([0, 0, 1, 1])
    # by hand: values 1, 3 | 5, 7: total 20, within (1 + 1) + (1 + 1) = 4 -> 1 - 4/20
    assert bench.explained_share(torch.tensor([1.0, 3.0, 5.0, 7.0]), ids) == pytest.approx(0.8)
    assert bench.explained_share(torch.tensor([2.0, 2.0, 9.0, 9.0]), ids) == pytest.approx(1.0)
    assert bench.explained_share(torch.tensor([1.0, 5.0, 5.0, 1.0]), ids) == pytest.approx(0.0)


def test_explained_share_of_clusters_drawn_apart_from_the_values_is_small(bench):
    g = torch.Generator().manual_seed(0)
    values = torch.randn(2000, generator=g)
    ids = torch.randint(20, (2000,), generator=g)
    assert bench.explained_share(values, ids) < 0.03  # about 19/1999 for independent ids
    assert bench.explained_share(values + 10 * ids, ids) > 0.99  # the control: values set by the cluster
