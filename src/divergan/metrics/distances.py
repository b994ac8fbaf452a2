r"""Distances between generated samples and held-out real samples (pure math on (N, d) tensors).

* :func:`w1`: the exact 1-Wasserstein distance between the two empirical measures (GAN analysis slides, eq. 8),
  solved by POT through :func:`divergan.estimators.wasserstein.wasserstein`.
* :func:`mmd`: the maximum mean discrepancy for an RBF kernel mixture (GAN analysis slides, eqs. 13 and 18),
  the biased (V-statistic) estimate, which is never negative, from :func:`divergan.estimators.mmd.mmd`.

Images and other shaped samples are flattened to vectors first.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from divergan.estimators.mmd import mmd as _mmd_estimate
from divergan.estimators.wasserstein import wasserstein as _exact_wasserstein


def _flat(x: Tensor) -> Tensor:
    x = torch.as_tensor(x).detach()
    return x.reshape(-1, 1) if x.dim() == 1 else x.flatten(1)


def w1(samples: Tensor, held_out: Tensor) -> float:
    r"""Exact W_1 between empirical measures, min over couplings γ of Σ γ_ij ‖x_i − y_j‖₂.

    Args:
        samples: (N, ...) generated samples.
        held_out: (M, ...) real samples not used in training.

    >>> round(w1(torch.zeros(3, 2), torch.ones(3, 2)), 6)  # every point moves by ‖(1, 1)‖ = √2
    1.414214
    """
    x, y = _flat(samples), _flat(held_out)
    return float(_exact_wasserstein(x.to(torch.float64).numpy(), y.to(torch.float64).numpy(), order=1))


def mmd(
    samples: Tensor,
    held_out: Tensor,
    bandwidths: Sequence[float] | str | None = None,
    chunk: int | None = None,
) -> float:
    r"""MMD = ‖mean φ(x_i) − mean φ(y_j)‖_H for the RBF mixture kernel (biased estimate, ≥ 0).

    Args:
        samples: (N, ...) generated samples.
        held_out: (M, ...) real samples.
        bandwidths: σ values, "median", or None for the estimator's default mixture.
        chunk: rows per block of kernel entries (None: automatic, blocks of 2^22 entries, so memory is
            bounded for any N and M: 32 MiB of float64 per block at 100,000 samples).
    """
    x, y = _flat(samples), _flat(held_out)
    return _mmd_estimate(
        x.to(torch.float64), y.to(torch.float64), kernel="rbf", bandwidths=bandwidths, chunk=chunk
    )
