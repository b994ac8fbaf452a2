r"""Wasserstein distances between two empirical samples, solved exactly by POT (GAN analysis slides, eq. 8).

For empirical measures :math:`\hat P = \sum_i a_i \delta_{x_i}` and :math:`\hat Q = \sum_j b_j \delta_{y_j}`
the Kantorovich problem is a finite linear programme, which POT's network simplex (``ot.emd2``)
solves exactly; in 1-D the optimal plan is the monotone one and ``ot.wasserstein_1d`` gives it in
O(n log n). No transport solver is written here.
"""

from __future__ import annotations

import math

import numpy as np

from divergan.errors import UserError
from divergan.estimators.base import Samples, pair_arrays, weights

#: network-simplex iterations allowed per unit of n·m (POT's default 100,000 is too few past n ≈ 1,000)
_ITERATIONS_PER_PAIR = 50


def _check_order(order: float) -> float:
    if not isinstance(order, int | float) or not math.isfinite(order) or order < 1:
        raise UserError(f"Wasserstein order must be a number >= 1, got {order!r}")
    return float(order)


def wasserstein(
    x: Samples, y: Samples, order: float = 1, a: Samples | None = None, b: Samples | None = None
) -> float:
    r"""Exact p-Wasserstein distance between two weighted empirical samples.

    .. math::

        W_p(\hat P, \hat Q) = \Big( \min_{\gamma \in \Pi(a, b)} \sum_{i,j} \gamma_{ij}\,
        \|x_i - y_j\|_2^{\,p} \Big)^{1/p},
        \qquad \Pi(a, b) = \{\gamma \ge 0 : \gamma \mathbf 1 = a,\ \gamma^\top \mathbf 1 = b\}

    (GAN analysis slides, eq. 8, with the infimum over couplings of the two empirical laws). Order 1 uses the
    Euclidean cost, order 2 the squared Euclidean cost followed by a square root. In 1-D the
    monotone (quantile) coupling is optimal and POT's ``wasserstein_1d`` is used.

    Args:
        x: samples of P, shape (n, d) or (n,).
        y: samples of Q, shape (m, d) or (m,).
        order: p >= 1.
        a: optional weights of the x_i, shape (n,), normalised to sum to 1 (default uniform).
        b: optional weights of the y_j, shape (m,), likewise.

    Returns:
        W_p as a float.

    Raises:
        UserError: empty or non-finite samples, different dimensions, bad weights or order.

    >>> wasserstein([0.0, 1.0], [2.0, 3.0])
    2.0
    """
    import ot  # here, not at import: POT loads scikit-learn and pandas, seconds of every command's start-up

    p = _check_order(order)
    xa, ya = pair_arrays(x, y)
    n, m, d = xa.shape[0], ya.shape[0], xa.shape[1]
    wa, wb = weights(a, n, "a"), weights(b, m, "b")
    if d == 1:
        cost = ot.wasserstein_1d(xa[:, 0], ya[:, 0], wa, wb, p=p)
    else:
        wa = np.full(n, 1.0 / n) if wa is None else wa
        wb = np.full(m, 1.0 / m) if wb is None else wb
        metric = ot.dist(xa, ya, metric="euclidean")  # (n, m)
        if p != 1:
            metric = ot.dist(xa, ya, metric="sqeuclidean") if p == 2 else metric**p
        iterations = max(100_000, _ITERATIONS_PER_PAIR * n * m)
        cost = ot.emd2(wa, wb, metric, numItermax=iterations)
    return float(max(float(cost), 0.0) ** (1.0 / p))


def sliced_wasserstein(
    x: Samples,
    y: Samples,
    n_projections: int = 200,
    order: float = 1,
    seed: int | None = 0,
    a: Samples | None = None,
    b: Samples | None = None,
) -> float:
    r"""Monte Carlo sliced p-Wasserstein distance between two samples (POT's ``sliced_wasserstein_distance``).

    .. math::

        SW_p(\hat P, \hat Q) = \Big( \mathbb{E}_{\theta \sim \mathcal U(S^{d-1})}
        W_p^p(\theta_\# \hat P, \theta_\# \hat Q) \Big)^{1/p}
        \approx \Big( \frac1L \sum_{l=1}^{L} W_p^p(\theta_l^\top x, \theta_l^\top y) \Big)^{1/p}

    Each projection is a 1-D problem solved exactly by sorting. Since projections are 1-Lipschitz,
    SW_p <= W_p; in 1-D every direction is ±1 and SW_p equals W_p exactly.

    Args:
        x: samples of P, shape (n, d) or (n,).
        y: samples of Q, shape (m, d) or (m,).
        n_projections: L, the number of random directions.
        order: p >= 1 (default 1, like :func:`wasserstein`).
        seed: seed of the random directions (None: fresh randomness).
        a, b: optional sample weights as in :func:`wasserstein`.

    Returns:
        SW_p as a float.

    >>> sliced_wasserstein([0.0, 1.0], [2.0, 3.0], n_projections=3)
    2.0
    """
    p = _check_order(order)
    if not isinstance(n_projections, int) or n_projections < 1:
        raise UserError(f"n_projections must be a positive integer, got {n_projections!r}")
    xa, ya = pair_arrays(x, y)
    wa, wb = weights(a, xa.shape[0], "a"), weights(b, ya.shape[0], "b")
    import ot

    value = ot.sliced_wasserstein_distance(xa, ya, wa, wb, n_projections=n_projections, p=p, seed=seed)
    return float(value)
