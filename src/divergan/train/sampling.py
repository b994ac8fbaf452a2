r"""Drawing samples from a trained generator, directly or sharpened by the optimal-discriminator identity.

The optimal discriminator between P_r and P_g is D*(x) = p_r(x) / (p_r(x) + p_g(x)) (GAN analysis slides, eq. 2;
Garcia, Lemma 1.3), so its logit is the log density ratio

.. math::

    \operatorname{logit} D^*(x) = \log \frac{p_r(x)}{p_g(x)} =: \log r(x).

Given r, samples of p_g can be turned into samples of p_g · r = p_r:

* ``drs`` — rejection sampling (Azadi et al. 2019): accept x ~ P_g with probability r(x) / M, where M
  is the running maximum of r seen so far.
* ``mh`` — Metropolis–Hastings with independent proposals from G (Turner et al. 2019): a chain moves
  from x to x' ~ P_g with probability min(1, r(x') / r(x)); its stationary law is p_r.

r comes from a *ratio critic*: a classifier between real samples and samples of the frozen generator,
trained after the GAN to (near) optimality — the "keep training D on a fixed G" calibration of DRS. Its
input goes through random Fourier features so that the steep log-ratios of sharp modes are reachable.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from divergan.data.base import Dataset
from divergan.nn import MLP

Generator = Callable[[int], Tensor]


def ratio_critic(dim: int, width: int, fourier: int, scale: float) -> MLP:
    """The network whose logit estimates log p_r/p_g (output shape (B,))."""
    return MLP(
        dim,
        1,
        width=width,
        depth=2,
        activation="leaky_relu",
        fourier=fourier,
        fourier_scale=scale,
        squeeze=True,
    )


def fit_ratio_critic(
    critic: nn.Module,
    sample_fake: Generator,
    dataset: Dataset,
    *,
    steps: int,
    batch: int,
    lr: float,
    generator: torch.Generator,
) -> list[float]:
    """Train ``critic`` as a logistic classifier real (1) vs fake (0) with the generator frozen.

    At the optimum of E_r log σ(V) + E_g log(1 − σ(V)), V = log p_r/p_g. Adam with a cosine schedule.
    Returns the loss per step.
    """
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.999))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    losses = []
    for _ in range(steps):
        real = dataset.sample(batch, generator)  # (B, d)
        with torch.no_grad():
            fake = sample_fake(batch)  # (B, d)
        v = critic(torch.cat([real, fake]))  # (2B,)
        loss = F.softplus(-v[:batch]).mean() + F.softplus(v[batch:]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def draw_direct(sample_fake: Generator, n: int) -> Tensor:
    return sample_fake(n)


@torch.no_grad()
def draw_mh(
    sample_fake: Generator, log_ratio: Callable[[Tensor], Tensor], n: int, steps: int
) -> tuple[Tensor, float]:
    """n independent MH chains of ``steps`` proposals each; returns (samples (n, d), acceptance rate)."""
    x = sample_fake(n)
    lr = log_ratio(x)  # (n,)
    accepted = 0
    for _ in range(steps):
        proposal = sample_fake(n)
        lr_new = log_ratio(proposal)
        accept = torch.rand(n) < torch.exp((lr_new - lr).clamp(max=0.0))
        x = torch.where(accept[:, None], proposal, x)
        lr = torch.where(accept, lr_new, lr)
        accepted += int(accept.sum())
    return x, accepted / max(n * steps, 1)


@torch.no_grad()
def draw_drs(
    sample_fake: Generator,
    log_ratio: Callable[[Tensor], Tensor],
    n: int,
    chunk: int = 50_000,
    max_chunks: int = 400,
) -> tuple[Tensor, float]:
    """Rejection sampling with the running maximum of log r; returns (samples (n, d), acceptance rate)."""
    kept: list[Tensor] = []
    have, proposed = 0, 0
    log_m = -torch.inf
    for _ in range(max_chunks):
        x = sample_fake(chunk)
        lr = log_ratio(x)
        log_m = max(log_m, float(lr.max()))
        keep = torch.rand(chunk) < torch.exp(lr - log_m)
        kept.append(x[keep])
        have += int(keep.sum())
        proposed += chunk
        if have >= n:
            break
    out = torch.cat(kept)[:n]
    if len(out) < n:  # r is so peaked that the budget ran out: say so rather than return fewer
        raise RuntimeError(f"rejection sampling accepted only {len(out)} of {n} after {proposed} proposals")
    return out, have / proposed


def draw(
    method: str,
    sample_fake: Generator,
    n: int,
    log_ratio: Callable[[Tensor], Tensor] | None = None,
    mh_steps: int = 200,
) -> tuple[Tensor, dict[str, float | str]]:
    """n samples by ``method`` ("direct", "drs" or "mh"); returns them and a description."""
    if method == "direct" or log_ratio is None:
        return draw_direct(sample_fake, n), {"sampler": "direct"}
    if method == "mh":
        x, rate = draw_mh(sample_fake, log_ratio, n, mh_steps)
        return x, {"sampler": "mh", "acceptance": rate, "mh_steps": mh_steps}
    x, rate = draw_drs(sample_fake, log_ratio, n)
    return x, {"sampler": "drs", "acceptance": rate}
