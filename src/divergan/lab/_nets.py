"""Small helpers shared by the experiments: critics from :mod:`divergan.nn`, a full-batch trainer."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from divergan.nn import MLP


def critic(in_dim: int, width: int = 64, depth: int = 2, seed: int = 0, dtype=torch.float64) -> nn.Module:
    """An MLP critic V: (B, in_dim) -> (B,), SiLU, initialised from ``seed`` (float64 by default)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = MLP(in_dim, 1, width=width, depth=depth, activation="silu", squeeze=True)
    return net.to(dtype)


def grad_norm(loss: Tensor, params: list[Tensor]) -> float:
    """‖∇ loss‖₂ over ``params`` (no graph kept)."""
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    total = sum(float(g.detach().pow(2).sum()) for g in grads if g is not None)
    return total**0.5
