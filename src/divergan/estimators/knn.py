r"""k-nearest-neighbour estimate of KL(P‖Q) from samples (Wang, Kulkarni & Verdú 2009).

No density is estimated: the ratio of the distances from x_i to its k-th neighbour among the other
x's and among the y's stands in for (q(x_i)/p(x_i))^{1/d}, and the estimator is consistent as
n, m → ∞ for fixed k.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from divergan.errors import UserError
from divergan.estimators.base import Samples, pair_arrays


def kl_knn(x: Samples, y: Samples, k: int = 1, chunk: int | None = None) -> float:
    r"""KL(P‖Q) from x ~ P and y ~ Q by k-nearest-neighbour distances.

    .. math::

        \widehat{KL}(P \,\|\, Q) = \frac{d}{n} \sum_{i=1}^{n} \log \frac{\nu_k(i)}{\rho_k(i)}
        + \log \frac{m}{n - 1}

    where ρ_k(i) is the Euclidean distance from x_i to its k-th nearest neighbour in
    {x_j : j ≠ i} and ν_k(i) the distance to its k-th nearest neighbour in {y_j}
    (Wang, Kulkarni & Verdú 2009, eq. 5; the GAN analysis slides list KL among the strong divergences).

    Args:
        x: samples of P, shape (n, d) or (n,), n > k.
        y: samples of Q, shape (m, d) or (m,), m >= k.
        k: the neighbour order.
        chunk: query the trees this many points of x at a time (None: all at once). The trees hold
            O((n + m)·d) numbers and each query O(chunk·k), so memory stays linear in the sample sizes
            (100,000 points of R² take a few MiB); the result does not depend on ``chunk``.

    Returns:
        The estimate (may be slightly negative when P ≈ Q).

    Raises:
        UserError: bad shapes, too few samples, or a point repeated so often that no neighbour order
            separates it. Ties (a value repeated a few times, as rounding makes) raise that point's
            neighbour order k_i until both distances are positive (Wang, Kulkarni & Verdú 2009, Sec. III).

    >>> round(kl_knn([0.0, 2.0, 4.0], [1.0, 3.0, 5.0]), 6)  # log(1/2) + log(3/2)
    -0.287682
    """
    xa, ya = pair_arrays(x, y)
    n, m, d = xa.shape[0], ya.shape[0], xa.shape[1]
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise UserError(f"k must be a positive integer, got {k!r}")
    if n <= k or m < k:
        raise UserError(f"kl_knn with k = {k} needs more than {k} samples of P and at least {k} of Q")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise UserError(f"chunk must be a positive integer, got {chunk!r}")
    tree_x, tree_y = cKDTree(xa), cKDTree(ya)
    rho, nu = np.empty(n), np.empty(n)
    step = chunk or n
    for start in range(0, n, step):
        rows = xa[start : start + step]
        rho[start : start + step] = tree_x.query(rows, k=[k + 1])[0][:, 0]  # the nearest is x_i itself
        nu[start : start + step] = tree_y.query(rows, k=[k])[0][:, 0]
    tied = np.flatnonzero((rho <= 0) | (nu <= 0))
    if tied.size:
        _untie(xa, tree_x, tree_y, tied, rho, nu, k, n, m)
    return float(d * np.mean(np.log(nu) - np.log(rho)) + math.log(m / (n - 1)))


def _untie(
    xa: np.ndarray,
    tree_x: cKDTree,
    tree_y: cKDTree,
    tied: np.ndarray,
    rho: np.ndarray,
    nu: np.ndarray,
    k: int,
    n: int,
    m: int,
) -> None:
    """Raise k_i for the points x_i whose k-th neighbour distance is 0 (repeated values).

    Wang, Kulkarni & Verdú (2009, Sec. III) allow a neighbour order k_i per point: with the same k_i in
    both samples their ψ(k_i) − ψ(l_i) correction vanishes and the estimator stays consistent. For a
    point with ρ_k = 0 or ν_k = 0 (a value repeated, e.g. by rounding) k_i is the smallest order ≥ k
    at which both distances are positive. ``rho`` and ``nu`` are updated in place.
    """
    for i in tied:
        kk = k
        while rho[i] <= 0 or nu[i] <= 0:
            kk += 1
            if kk >= n or kk > m:
                raise UserError(
                    "kl_knn needs samples of continuous laws: a point is repeated so often that no "
                    f"neighbour order below {min(n, m + 1)} separates it"
                )
            rho[i] = tree_x.query(xa[i], k=[kk + 1])[0][0]
            nu[i] = tree_y.query(xa[i], k=[kk])[0][0]
