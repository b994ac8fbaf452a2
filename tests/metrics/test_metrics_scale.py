"""Metrics at scale: chunked MMD equals the one-block value, and blocks stay bounded at 100,000 samples.

The memory the metrics add at scale (precision/recall at 10,000 and 100,000 samples) is a measured target,
so it lives in ``benchmarks/train_step.py metrics`` and docs/benchmarks.md, not here."""

from __future__ import annotations

import pytest
import torch

from divergan.estimators._pairwise import BLOCK_ELEMENTS, rows_per_chunk
from divergan.metrics import mmd


@pytest.mark.parametrize("chunk", [1, 13, 500])
def test_chunked_mmd_equals_one_block(chunk):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(400, 2, generator=g), torch.randn(300, 2, generator=g) + 0.4
    whole = mmd(x, y, chunk=10_000)
    assert whole > 0.1
    assert mmd(x, y, chunk=chunk) == pytest.approx(whole, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("n", [1_000, 100_000, 1_000_000])
def test_automatic_blocks_are_bounded_whatever_the_sample_size(n):
    rows = rows_per_chunk(None, n, n)
    assert 1 <= rows <= n and rows * n <= max(BLOCK_ELEMENTS, n)
