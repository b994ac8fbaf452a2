r"""Mode coverage of samples from a mixture with known centres (VEEGAN / PacGAN protocol).

For samples y_1..y_N and centres μ_1..μ_K of a mixture of isotropic Gaussians with std s:

* each sample is assigned to its **nearest centre** k(y) = argmin_k ‖y − μ_k‖₂;
* it is **high quality** (HQ) if ‖y − μ_{k(y)}‖₂ ≤ 3·s;
* a mode k is **captured** if at least one HQ sample is nearest to it;
* with h_k the number of HQ samples nearest to μ_k and p_k = h_k / Σ_j h_j, the **reverse KL** is

  .. math::

      \mathrm{KL}(p \,\|\, U_K) = \sum_{k : p_k > 0} p_k \log(K p_k) = \log K - H(p) \in [0, \log K].

  It is 0 iff HQ samples spread evenly over all modes and log K iff they all sit in one mode.
  **No HQ sample** leaves p undefined; we then report log K, the worst value any histogram can have
  (a generator with no sample near any mode scores no better than total collapse onto one mode), so
  the number stays finite and averages over runs stay meaningful. ``num_high_quality`` = 0 flags it.

Pure math on tensors: no feature extraction, no sampling.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from divergan.errors import UserError

#: samples per block when computing distances to the centres
_CHUNK = 65536


def nearest_modes(samples: Tensor, modes: Tensor) -> tuple[Tensor, Tensor]:
    """Index of the nearest centre (N,) and the distance to it (N,), float64, in blocks of rows."""
    x = torch.as_tensor(samples).detach().to(torch.float64)
    m = torch.as_tensor(modes).detach().to(torch.float64)
    index, dist = [], []
    for block in x.split(_CHUNK):
        d = torch.cdist(block, m)  # (b, K)
        best, arg = d.min(dim=1)
        index.append(arg)
        dist.append(best)
    return torch.cat(index), torch.cat(dist)


def mode_metrics(samples: Tensor, modes: Tensor, std: float, threshold: float = 3.0) -> dict:
    """Modes captured, fraction of high-quality samples and reverse KL (see the module docstring).

    Args:
        samples: (N, d) generated samples (a (N,) tensor is read as N points on the line).
        modes: (K, d) mixture centres.
        std: the components' standard deviation s.
        threshold: HQ radius in units of s (3 in the protocol).

    Returns:
        A dict of plain numbers: ``modes`` (int, captured), ``high_quality`` (fraction in [0, 1]),
        ``reverse_kl`` (nats), ``num_samples``, ``num_modes``, ``num_high_quality`` and ``histogram``
        (list of the K counts h_k).

    >>> r = mode_metrics(torch.zeros(4, 2), torch.tensor([[0.0, 0.0], [5.0, 5.0]]), 0.1)
    >>> r["modes"], r["high_quality"], round(r["reverse_kl"], 6) == round(math.log(2), 6)
    (1, 1.0, True)
    """
    x = torch.as_tensor(samples)
    m = torch.as_tensor(modes)
    if x.dim() == 1:
        x = x.reshape(-1, 1)
    if m.dim() == 1:
        m = m.reshape(-1, 1)
    if x.dim() != 2 or m.dim() != 2:
        raise UserError(
            f"mode metrics need samples (N, d) and modes (K, d), got {tuple(x.shape)} and {tuple(m.shape)}"
        )
    if x.shape[1] != m.shape[1]:
        raise UserError(f"samples have {x.shape[1]} dimensions but the modes have {m.shape[1]}")
    if x.shape[0] == 0 or m.shape[0] == 0:
        raise UserError("mode metrics need at least one sample and one mode")
    if not (math.isfinite(std) and std > 0) or not (math.isfinite(threshold) and threshold > 0):
        raise UserError(f"mode metrics need std > 0 and threshold > 0, got {std} and {threshold}")
    n, k = x.shape[0], m.shape[0]
    index, dist = nearest_modes(x, m)
    hq = dist <= threshold * std  # non-finite samples are never HQ
    counts = torch.bincount(index[hq], minlength=k)  # (K,)
    total = int(counts.sum())
    if total == 0:
        rkl = math.log(k)
    else:
        p = counts[counts > 0].to(torch.float64) / total
        rkl = float((p * torch.log(p * k)).sum())
    return {
        "modes": int((counts > 0).sum()),
        "high_quality": total / n,
        "reverse_kl": max(rkl, 0.0),
        "num_samples": n,
        "num_modes": k,
        "num_high_quality": total,
        "histogram": [int(c) for c in counts],
    }
