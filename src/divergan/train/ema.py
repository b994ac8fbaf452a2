"""The exponential moving average of the generator's weights: the one EMA update every trainer uses.

With half-life h (in steps), the average keeps the fraction β = 0.5^(1/h) of itself at every step,
θ_ema ← β θ_ema + (1 − β) θ (stylegan2-ada's ``ema_beta``, with the half-life counted in steps);
h = 0 turns the average off (β = 0: the copy follows the generator).

With a ramp-up r > 0 the half-life grows with training, h_t = min(h, r·t) after t steps (stylegan2-ada's
``ema_rampup``, there counted in images): the first update copies the generator (h_0 = 0), and what step s
put into the average is scaled by ∏_{t=s+1}^{T} β_t ≈ (s/T)^(ln 2 / r) by step T ≤ h/r (Σ 1/(r·t) ≈ ln(T/s)/r),
a power of the step rather than an exponential of it. So no share of the average is left to the initial
weights, which a long fixed half-life keeps (0.5^(T/h) of it: 6 % at T = 4h).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


def ema_beta(half_life: float, rampup: float = 0.0, step: int = 0) -> float:
    """β = 0.5^(1/h), the weight the average keeps per step; 0 for h = 0.

    With ``rampup`` r > 0 the half-life of the update after ``step`` finished steps is min(h, r·step).
    """
    if rampup > 0:
        half_life = min(half_life, rampup * step)
    return 0.5 ** (1.0 / half_life) if half_life > 0 else 0.0


def ema_weights(steps: int, half_life: float, rampup: float = 0.0) -> Tensor:
    """The average after ``steps`` updates as weights on the generators it was made of: (steps + 1,) float64,
    w[0] on the initial weights θ_0 and w[s] on θ_s, the generator after step s; they sum to 1.

    Update t (t = 0, 1, …) mixes in θ_{t+1} with β_t = :func:`ema_beta` (h, r, t), so
    w[0] = ∏_{t<T} β_t and w[s] = (1 − β_{s−1}) ∏_{s≤t<T} β_t. What the averages of docs/applications.md
    keep of the start (e.g. 0.5^(T/h) of θ_0 for a fixed half-life) is read from these.
    """
    betas = torch.tensor([ema_beta(half_life, rampup, t) for t in range(steps)], dtype=torch.float64)
    weights = torch.ones(steps + 1, dtype=torch.float64)  # first ∏_{s≤t<T} β_t (1 for s = T) ...
    if steps:
        weights[:-1] = torch.flip(torch.cumprod(torch.flip(betas, [0]), 0), [0])
    weights[1:] *= 1.0 - betas  # ... then times 1 − β_{s−1} for s ≥ 1
    return weights


@torch.no_grad()
def ema_lerp(averages: Iterable[Tensor], values: Iterable[Tensor], beta: float | Tensor) -> None:
    """a ← a + (1 − β)(v − a) for each pair, in place (β may broadcast, e.g. (M, 1, ..., 1) per model)."""
    for avg, value in zip(averages, values, strict=True):
        avg.lerp_(value, 1.0 - beta)


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, beta: float, buffers: Iterable[str] = ()) -> None:
    """Average ``model``'s parameters into ``ema``; copy the named ``buffers`` (e.g. StyleGAN's w̄).

    Batch-norm statistics are not copied: the EMA generator gets its own before it is sampled
    (:func:`divergan.train.loop.ready_ema`).
    """
    ema_lerp(ema.parameters(), model.parameters(), beta)
    if buffers:
        mine, theirs = dict(ema.named_buffers()), dict(model.named_buffers())
        for name in buffers:
            mine[name].copy_(theirs[name])
