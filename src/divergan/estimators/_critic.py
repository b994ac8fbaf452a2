"""Fitting a small MLP critic V by full-batch Adam, shared by the variational and d_NN estimators.

Deterministic given the seed: the seed drives the train/held-out split and the initial weights, the
global RNG is left as it was (``torch.random.fork_rng``), and everything runs on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from divergan.errors import UserError
from divergan.estimators.base import Samples, pair_arrays

#: (V on P-samples (n,), V on Q-samples (m,)) -> the objective the critic maximises
CriticObjective = Callable[[Tensor, Tensor], Tensor]
#: the critic's raw output is softly clamped to (−OUTPUT_BOUND, OUTPUT_BOUND) by c·tanh(v/c), so that
#: exponential output activations (−exp(v), 1 − exp(v)) neither overflow nor round onto an open end of
#: dom f*, where f*'s gradient is infinite
OUTPUT_BOUND = 20.0


class SoftClamp(nn.Module):
    """v -> c·tanh(v/c): the identity near 0, bounded by c."""

    def __init__(self, bound: float) -> None:
        super().__init__()
        self.bound = bound

    def forward(self, v: Tensor) -> Tensor:
        return self.bound * torch.tanh(v / self.bound)


@dataclass(frozen=True)
class FittedCritic:
    """A trained critic and the held-out samples to evaluate it on (standardised like its inputs)."""

    critic: nn.Module
    eval_p: Tensor  # (n_eval, d)
    eval_q: Tensor  # (m_eval, d)
    train_value: float
    n_train: tuple[int, int]
    n_params: int


def mlp(d: int, hidden: int, layers: int = 2, bound: float | None = OUTPUT_BOUND) -> nn.Sequential:
    """d -> hidden -> ... -> 1 with ``layers`` hidden SiLU layers, softly clamped to ±bound; output (B, 1)."""
    mods: list[nn.Module] = []
    width = d
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), nn.SiLU()]
        width = hidden
    mods.append(nn.Linear(width, 1))
    if bound is not None:
        mods.append(SoftClamp(bound))
    return nn.Sequential(*mods)


def check_training_options(hidden: int, steps: int, lr: float, holdout: float) -> None:
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise UserError(f"hidden must be a positive integer, got {hidden!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise UserError(f"steps must be a non-negative integer, got {steps!r}")
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise UserError(f"lr must be a positive number, got {lr!r}")
    if not (isinstance(holdout, int | float) and 0.0 <= holdout < 1.0):
        raise UserError(f"holdout must lie in [0, 1), got {holdout!r}")


def _split(n: int, holdout: float, gen: torch.Generator, what: str) -> tuple[Tensor, Tensor]:
    perm = torch.randperm(n, generator=gen)
    n_eval = round(n * holdout)
    if holdout > 0 and (n_eval < 2 or n - n_eval < 1):
        raise UserError(f"{what} has {n} samples: too few to hold out a fraction {holdout:g}")
    if holdout == 0:
        return perm, perm
    return perm[n_eval:], perm[:n_eval]


def fit_critic(
    x_p: Samples,
    x_q: Samples,
    objective: CriticObjective,
    *,
    hidden: int,
    steps: int,
    lr: float,
    seed: int,
    holdout: float,
    layers: int = 2,
) -> FittedCritic:
    """Train V = mlp(d, hidden) to maximise objective(V(x_p), V(x_q)) on the training part of each sample.

    Inputs are standardised with the mean and standard deviation of the pooled training samples;
    with ``holdout`` = 0 the evaluation samples are the training samples.
    """
    check_training_options(hidden, steps, lr, holdout)
    xp, xq = pair_arrays(x_p, x_q)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        tp, ep = _split(xp.shape[0], holdout, gen, "x_p")
        tq, eq = _split(xq.shape[0], holdout, gen, "x_q")
        p_all = torch.from_numpy(xp)
        q_all = torch.from_numpy(xq)
        pooled = torch.cat([p_all[tp], q_all[tq]])
        mean, std = pooled.mean(0), pooled.std(0)
        std = torch.where(std > 0, std, torch.ones_like(std))  # a constant coordinate stays as it is
        p_all, q_all = (p_all - mean) / std, (q_all - mean) / std
        train_p, train_q = p_all[tp], q_all[tq]
        critic = mlp(xp.shape[1], hidden, layers).double()
        opt = torch.optim.Adam(critic.parameters(), lr=lr)
        # one forward pass over both samples (the critic acts row by row): half the calls for small nets
        train_pq, k = torch.cat([train_p, train_q]), train_p.shape[0]
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            v = critic(train_pq)[:, 0]
            loss = -objective(v[:k], v[k:])
            loss.backward()
            opt.step()
        with torch.no_grad():
            train_value = float(objective(critic(train_p)[:, 0], critic(train_q)[:, 0]))
    n_params = sum(p.numel() for p in critic.parameters())
    return FittedCritic(critic, p_all[ep], q_all[eq], train_value, (len(tp), len(tq)), n_params)


def mean_difference_ci(
    a: np.ndarray, b: np.ndarray, z: float = 1.959963984540054
) -> tuple[float, float, float]:
    """mean(a) − mean(b) and the normal-approximation 95% CI from the two means' standard errors."""
    value = float(a.mean() - b.mean())
    var_a = a.var(ddof=1) / a.size if a.size > 1 else math.nan
    var_b = b.var(ddof=1) / b.size if b.size > 1 else math.nan
    half = z * math.sqrt(var_a + var_b)
    return value, value - half, value + half
