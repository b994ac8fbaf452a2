"""Chunked sums over all pairs, Σ_i Σ_j h(‖a_i − b_j‖²), in bounded memory and differentiable.

Rows of ``a`` are taken ``chunk`` at a time, so at most chunk × m distances exist at once. When a
gradient is needed each chunk is wrapped in :func:`torch.utils.checkpoint.checkpoint`, so backward
also keeps only one chunk alive (it recomputes the chunk instead of storing it). Chunking changes
only the order of floating-point additions, and partial sums are accumulated in float64.

A within-sample sum (``same=True``) is symmetric, h(‖x_i − x_j‖²) = h(‖x_j − x_i‖²), so it is taken
over the upper triangle: Σ_{i,j} = 2 Σ_{i<j} + Σ_{i=j}. Each chunk of rows [s, s + r) meets only the
columns j ≥ s, which evaluates h about n²/2 times instead of n² — as a function of x the same sum,
hence the same gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from divergan.errors import UserError

#: elements of one (chunk, m) block when ``chunk`` is None: 2^22 (32 MiB in float64)
BLOCK_ELEMENTS = 1 << 22


def rows_per_chunk(chunk: int | None, n: int, m: int) -> int:
    """The chunk size to use: ``chunk`` if given, else as many rows as fit in BLOCK_ELEMENTS."""
    if chunk is None:
        return max(1, min(n, BLOCK_ELEMENTS // max(m, 1)))
    if not isinstance(chunk, int) or chunk < 1:
        raise UserError(f"chunk must be a positive integer, got {chunk!r}")
    return min(chunk, n)


def squared_distances(a: Tensor, b: Tensor) -> Tensor:
    """‖a_i − b_j‖² for a (n, d) and b (m, d): shape (n, m), clamped at 0 against round-off."""
    sq = (a * a).sum(1, keepdim=True) + (b * b).sum(1).unsqueeze(0) - 2.0 * (a @ b.T)
    return sq.clamp(min=0.0)


def distances(a: Tensor, b: Tensor) -> Tensor:
    """‖a_i − b_j‖ for a (n, d) and b (m, d): shape (n, m), from coordinate differences.

    Not from the expansion ‖a‖² + ‖b‖² − 2a·b, whose round-off (~1e-16·‖a‖²) the square root would
    blow up to ~1e-8; autograd gives gradient 0 where a distance is exactly 0.
    """
    return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


def _accumulator_dtype(t: Tensor) -> torch.dtype:
    return t.dtype if t.device.type == "mps" else torch.float64


def pair_sum(
    a: Tensor,
    b: Tensor,
    h: Callable[[Tensor], Tensor],
    *,
    squared: bool = True,
    same: bool = False,
    skip_diagonal: bool = False,
    chunk: int | None = None,
) -> Tensor:
    """Σ_{i,j} h(‖a_i − b_j‖²) over a (n, d) and b (m, d), a 0-dim float64 tensor (input dtype on MPS).

    Args:
        a, b: the two samples (pass the same tensor twice with ``same=True`` for a within-sample sum).
        h: elementwise function of squared distances, e.g. a kernel.
        squared: pass h the squared distances (True) or the distances themselves (False).
        same: a and b are the same sample (the same tensor): the sum is taken over the upper triangle
            and the diagonal distances are set to exactly 0.
        skip_diagonal: with ``same``, leave the i = j terms out (U-statistics).
        chunk: rows of ``a`` per block (None: automatic).
    """
    n, m = a.shape[0], b.shape[0]
    rows = rows_per_chunk(chunk, n, m)
    acc = _accumulator_dtype(a)

    def block(a_rows: Tensor, b_all: Tensor, start: int) -> Tensor:
        if not same:
            sq = squared_distances(a_rows, b_all) if squared else distances(a_rows, b_all)  # (rows, m)
            return h(sq).sum(dtype=acc)
        # the upper triangle: rows i in [start, start + r) against columns j >= start
        b_right = b_all[start:]
        sq = (
            squared_distances(a_rows, b_right) if squared else distances(a_rows, b_right)
        )  # (rows, m - start)
        offset = torch.arange(b_right.shape[0], device=a_rows.device).unsqueeze(0) - torch.arange(
            a_rows.shape[0], device=a_rows.device
        ).unsqueeze(1)  # j - i
        diag = offset == 0
        values = h(sq.masked_fill(diag, 0.0))
        weight = torch.where(offset > 0, 2.0, 0.0 if skip_diagonal else 1.0).masked_fill(offset < 0, 0.0)
        return (values * weight.to(values.dtype)).sum(dtype=acc)

    needs_grad = torch.is_grad_enabled() and (a.requires_grad or b.requires_grad)
    total = torch.zeros((), dtype=acc, device=a.device)
    for start in range(0, n, rows):
        a_rows = a[start : start + rows]
        if needs_grad and rows < n:
            part = checkpoint(block, a_rows, b, start, use_reentrant=False)
        else:
            part = block(a_rows, b, start)
        total = total + part
    return total
