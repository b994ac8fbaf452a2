"""Small helpers shared by the experiments: critics from :mod:`divergan.nn`, a 1-D classifier trainer."""

from __future__ import annotations

from collections.abc import Callable

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


def train_gaussian_classifier(
    real: tuple[float, float],
    fake: tuple[float, float],
    loss: Callable[[Tensor, Tensor], Tensor],
    steps: int,
    batch: int,
    seed: int,
) -> nn.Module:
    """A 1-D critic V (MLP 1-64-64-1, SiLU, float64) minimising ``loss(V(x_r), V(x_g))`` between Gaussians.

    Fresh batches x_r ~ N(real[0], real[1]²), x_g ~ N(fake[0], fake[1]²) of shape (batch, 1) every step;
    Adam 3e-3 with a cosine schedule over ``steps``; initial weights and batches drawn from ``seed``.
    """
    net = critic(1, width=64, depth=2, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x_r = real[0] + real[1] * torch.randn(batch, 1, generator=gen, dtype=torch.float64)
        x_g = fake[0] + fake[1] * torch.randn(batch, 1, generator=gen, dtype=torch.float64)
        value = loss(net(x_r), net(x_g))
        opt.zero_grad()
        value.backward()
        opt.step()
        sched.step()
    return net
