r"""Distances between two samples on the line: Kolmogorov and histogram total variation (GAN analysis slides, eq. 18).

Both are integral probability metrics: Kolmogorov's over the indicators of half-lines
{1(x <= t)}, total variation over all measurable f with ‖f‖_∞ <= 1 (up to the factor ½).
"""

from __future__ import annotations

import numpy as np

from divergan.errors import UserError
from divergan.estimators.base import Samples, one_dimensional


def kolmogorov(x: Samples, y: Samples) -> float:
    r"""Kolmogorov(-Smirnov) distance between the empirical CDFs of two 1-D samples.

    .. math::

        K(\hat P, \hat Q) = \sup_t \big| F_n(t) - G_m(t) \big|,
        \qquad F_n(t) = \frac1n \#\{i : x_i \le t\}

    The supremum is attained at a sample point, so it is a maximum over the pooled sample; ties are
    handled exactly. It equals the statistic of ``scipy.stats.ks_2samp``.

    Args:
        x: samples of P, shape (n,) or (n, 1).
        y: samples of Q, shape (m,) or (m, 1).

    Returns:
        K in [0, 1].

    >>> kolmogorov([0.0, 1.0], [0.5, 2.0])
    0.5
    """
    xs, ys = np.sort(one_dimensional(x, "x")), np.sort(one_dimensional(y, "y"))
    t = np.concatenate([xs, ys])  # (n + m,)
    f = np.searchsorted(xs, t, side="right") / xs.size
    g = np.searchsorted(ys, t, side="right") / ys.size
    return float(np.max(np.abs(f - g)))


def total_variation_hist(x: Samples, y: Samples, bins: int | str = "auto") -> float:
    r"""Total variation between histogram density estimates of two 1-D samples on common bins.

    .. math::

        \widehat{TV} = \frac12 \sum_{k} \Big| \frac{\#\{x_i \in B_k\}}{n} - \frac{\#\{y_j \in B_k\}}{m} \Big|
        \;=\; \sup_A |\hat P_h(A) - \hat Q_h(A)|

    where B_1..B_K partition the range of the pooled sample (numpy's ``histogram_bin_edges`` rule
    ``bins``, applied to the pooled sample). TV between the raw empirical measures would be useless:
    two samples of continuous laws share no point almost surely, so TV(P̂, Q̂) = 1 whatever P and Q
    are (the "perfect discriminator" of the GAN analysis slides, Lemma 2). Smoothing by the histogram makes the
    estimate converge to TV(P, Q) = ½∫|p − q| as n, m → ∞ with suitably shrinking bins.

    Args:
        x: samples of P, shape (n,) or (n, 1).
        y: samples of Q, shape (m,) or (m, 1).
        bins: number of bins, or a numpy rule name ("auto", "fd", "sturges", ...).

    Returns:
        The estimate in [0, 1].

    >>> total_variation_hist([0.0, 0.1], [0.9, 1.0], bins=2)
    1.0
    """
    xs, ys = one_dimensional(x, "x"), one_dimensional(y, "y")
    pooled = np.concatenate([xs, ys])
    if isinstance(bins, bool) or not isinstance(bins, int | str) or (isinstance(bins, int) and bins < 1):
        raise UserError(f"bins must be a positive integer or a numpy rule name, got {bins!r}")
    try:
        edges = np.histogram_bin_edges(pooled, bins=bins)
    except ValueError as err:
        raise UserError(f"bad bins {bins!r}: {err}") from None
    px = np.histogram(xs, bins=edges)[0] / xs.size
    py = np.histogram(ys, bins=edges)[0] / ys.size
    return float(0.5 * np.abs(px - py).sum())
