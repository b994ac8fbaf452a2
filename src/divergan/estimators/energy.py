r"""Energy distance between two samples (Székely & Rizzo 2013).

.. math::

    \mathcal E(P, Q) = 2\,\mathbb{E}\|X - Y\| - \mathbb{E}\|X - X'\| - \mathbb{E}\|Y - Y'\|,
    \qquad X, X' \sim P,\ Y, Y' \sim Q \text{ independent},

is 0 iff P = Q. It is twice the squared MMD of the distance-induced kernel
k(x, y) = ‖x‖ + ‖y‖ − ‖x − y‖ (Sejdinovic et al. 2013), so it belongs with the IPMs of the GAN analysis slides,
eq. 18; in 1-D it equals 2∫(F_P − F_Q)² dx (Cramér's distance, doubled).
"""

from __future__ import annotations

import torch
from torch import Tensor

from divergan.errors import UserError
from divergan.estimators._pairwise import pair_sum
from divergan.estimators.base import Samples, pair_tensors


def _identity(t: Tensor) -> Tensor:
    return t


def energy_distance(x: Samples, y: Samples, unbiased: bool = False, chunk: int | None = None) -> Tensor:
    r"""Energy distance between samples x ~ P and y ~ Q, differentiable and chunked.

    .. math::

        \hat{\mathcal E} = \frac{2}{nm} \sum_{i,j} \|x_i - y_j\|
        - \frac{1}{n^2} \sum_{i,i'} \|x_i - x_{i'}\| - \frac{1}{m^2} \sum_{j,j'} \|y_j - y_{j'}\|

    This V-statistic is the energy distance between the two empirical laws and is always >= 0. With
    ``unbiased=True`` the within-sample sums are divided by n(n − 1) and m(m − 1) instead (an
    unbiased estimate of the population value, which can be negative).

    Args:
        x: samples of P, shape (n, d) or (n,); a tensor keeps its dtype, device and graph.
        y: samples of Q, shape (m, d) or (m,).
        unbiased: U-statistic within samples instead of the V-statistic.
        chunk: rows per block (None: automatic); the value does not depend on it.

    Returns:
        A 0-dim tensor in the dtype of the inputs.

    >>> float(energy_distance(torch.tensor([0.0]), torch.tensor([1.0])))
    2.0
    """
    x, y = pair_tensors(x, y)
    n, m = x.shape[0], y.shape[0]
    if unbiased and (n < 2 or m < 2):
        raise UserError(f"the unbiased energy distance needs at least 2 samples of each, got {n} and {m}")
    centre = torch.cat([x, y]).detach().mean(0)
    x, y = x - centre, y - centre
    dxy = pair_sum(x, y, _identity, squared=False, chunk=chunk)
    dxx = pair_sum(x, x, _identity, squared=False, same=True, chunk=chunk)
    dyy = pair_sum(y, y, _identity, squared=False, same=True, chunk=chunk)
    nx, ny = (n * (n - 1), m * (m - 1)) if unbiased else (n * n, m * m)
    value = 2.0 * dxy / (n * m) - dxx / nx - dyy / ny
    return value.to(x.dtype)
