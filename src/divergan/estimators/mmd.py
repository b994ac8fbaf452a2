r"""Maximum mean discrepancy between two samples (GAN analysis slides, eqs. 13 and 18).

MMD is the integral probability metric over the unit ball of a reproducing-kernel Hilbert space H
(GAN analysis slides, eq. 18, F = {f : ‖f‖_H <= 1}); with the kernel trick the squared distance between the
mean embeddings of eq. 13 needs only kernel evaluations:

.. math::

    \mathrm{MMD}^2(P, Q) = \big\| \mathbb{E}_P \phi(x) - \mathbb{E}_Q \phi(y) \big\|_H^2
    = \mathbb{E}\,k(x, x') + \mathbb{E}\,k(y, y') - 2\,\mathbb{E}\,k(x, y).

Kernels are small pure functions of the squared distance r² = ‖x − y‖², normalised so k(x, x) = 1.
Both are characteristic, so MMD(P, Q) = 0 iff P = Q (Gretton et al. 2012).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from divergan.errors import UserError
from divergan.estimators._pairwise import pair_sum
from divergan.estimators.base import Samples, pair_tensors

#: default bandwidths σ of the RBF mixture (and scales c of the IMQ mixture): two decades around 1
DEFAULT_BANDWIDTHS: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
#: multiples of the median pairwise distance used by ``bandwidths="median"``
MEDIAN_MULTIPLIERS: tuple[float, ...] = (0.5, 1.0, 2.0)
#: points of each sample used to compute the median heuristic
MEDIAN_POINTS = 1000


def rbf_kernel(sq_dist: Tensor, bandwidths: Sequence[float]) -> Tensor:
    r"""Mixture of Gaussian (RBF) kernels, averaged over bandwidths.

    .. math::

        k(x, y) = \frac{1}{|S|} \sum_{\sigma \in S} \exp\!\Big(-\frac{\|x - y\|^2}{2\sigma^2}\Big)

    Args:
        sq_dist: squared distances ‖x − y‖², any shape.
        bandwidths: the set S of σ > 0.

    Returns:
        k, same shape as ``sq_dist``, in (0, 1].

    >>> float(rbf_kernel(torch.tensor(0.0), [1.0, 2.0]))
    1.0
    """
    floor = exponent_floor(sq_dist.dtype)
    # the clamp (exponent_floor) costs a pass, so it is taken on the CPU only, and only for the bandwidths
    # whose exponent reaches below the floor somewhere in this block (one max over the block decides)
    clamp = sq_dist.device.type == "cpu" and sq_dist.numel() > 0 and floor > -math.inf
    largest = float(sq_dist.detach().max()) if clamp else 0.0
    if not (torch.is_grad_enabled() and sq_dist.requires_grad):  # metrics: two buffers, in place
        out, term = torch.zeros_like(sq_dist), torch.empty_like(sq_dist)
        for s in bandwidths:
            scale = -0.5 / (s * s)
            torch.mul(sq_dist, scale, out=term)
            if scale * largest < floor:
                term.clamp_(min=floor)
            out.add_(term.exp_())
        return out.div_(len(bandwidths))
    out = torch.zeros_like(sq_dist)
    for s in bandwidths:
        scale = -0.5 / (s * s)
        exponent = sq_dist * scale
        if scale * largest < floor:
            exponent = exponent.clamp(min=floor)
        out = out + torch.exp(exponent)
    return out / len(bandwidths)


def exponent_floor(dtype: torch.dtype) -> float:
    """The exponent below which exp(a) is not a normal number of ``dtype``, plus one: −86.3 in float32,
    −707.4 in float64 (−inf, no clamp, for the half-precision types, whose smallest normal is not
    negligible). On the CPU an RBF kernel's exponent −r²/2σ² is clamped here before ``exp`` wherever a
    block's exponents reach below it.

    Why: torch's vectorised CPU ``exp`` takes a slow path, about 10-15x slower per element, when its
    argument underflows (measured on 256 x 256 float32 and float64 blocks, one thread; docs/benchmarks.md
    "The RBF kernel's exponent"), and with bandwidths well below the data's spread most kernel entries
    do. Other devices have no such path and are not clamped (their entries there are 0 or subnormal).
    What it changes: each kernel entry below e^floor (< 3.3e-38 in float32, < 4.4e-308 in float64) reads
    e^floor instead, and its gradient 0 instead of the entry itself; both are below any sum of the
    kernel's other terms can resolve.
    """
    if dtype not in (torch.float32, torch.float64):
        return -math.inf
    return math.log(torch.finfo(dtype).tiny) + 1.0


def imq_kernel(sq_dist: Tensor, scales: Sequence[float]) -> Tensor:
    r"""Mixture of inverse multiquadric kernels (β = −½), averaged over scales.

    .. math::

        k(x, y) = \frac{1}{|S|} \sum_{c \in S} \Big(1 + \frac{\|x - y\|^2}{c^2}\Big)^{-1/2}

    Its heavy tails keep gradients alive between far-apart samples, where an RBF kernel vanishes
    (Gorham & Mackey 2017; Tolstikhin et al. 2018 use the β = −1 member).

    Args:
        sq_dist: squared distances, any shape.
        scales: the set S of c > 0.

    Returns:
        k, same shape as ``sq_dist``, in (0, 1].

    >>> float(imq_kernel(torch.tensor(3.0), [1.0]))
    0.5
    """
    out = torch.zeros_like(sq_dist)
    for c in scales:
        out = out + torch.rsqrt(1.0 + sq_dist / (c * c))
    return out / len(scales)


#: kernel name -> k(r², bandwidths)
KERNELS: dict[str, Callable[[Tensor, Sequence[float]], Tensor]] = {"rbf": rbf_kernel, "imq": imq_kernel}


def median_bandwidth(x: Tensor, y: Tensor) -> float:
    """The median heuristic: the median Euclidean distance between distinct points of the pooled sample.

    Computed without gradient on at most MEDIAN_POINTS evenly spaced points of each sample
    (deterministic). Returns 1.0 if every pooled point is the same.
    """
    with torch.no_grad():
        parts = [s[:: max(1, math.ceil(s.shape[0] / MEDIAN_POINTS))] for s in (x, y)]
        z = torch.cat(parts).to(torch.float64)
        iu = torch.triu_indices(z.shape[0], z.shape[0], offset=1)
        dist = torch.cdist(z, z)[iu[0], iu[1]]
        med = float(dist.median()) if dist.numel() else 0.0
    return med if med > 0 else 1.0


def resolve_bandwidths(x: Tensor, y: Tensor, bandwidths: Sequence[float] | str | None) -> tuple[float, ...]:
    """None -> DEFAULT_BANDWIDTHS; "median" -> median distance × MEDIAN_MULTIPLIERS; else checked floats."""
    if bandwidths is None:
        return DEFAULT_BANDWIDTHS
    if isinstance(bandwidths, str):
        if bandwidths != "median":
            raise UserError(f"bandwidths must be numbers or 'median', got {bandwidths!r}")
        med = median_bandwidth(x, y)
        return tuple(med * k for k in MEDIAN_MULTIPLIERS)
    try:
        values = tuple(float(s) for s in bandwidths)
    except (TypeError, ValueError):
        raise UserError(f"bandwidths must be numbers, got {bandwidths!r}") from None
    if not values or not all(math.isfinite(s) and s > 0 for s in values):
        raise UserError(f"bandwidths must be a non-empty list of positive numbers, got {bandwidths!r}")
    return values


def mmd2(
    x: Tensor,
    y: Tensor,
    kernel: str = "rbf",
    bandwidths: Sequence[float] | str | None = None,
    unbiased: bool = True,
    chunk: int | None = None,
) -> Tensor:
    r"""Squared MMD between samples x ~ P and y ~ Q, differentiable (GAN analysis slides, eq. 13).

    .. math::

        \widehat{\mathrm{MMD}}^2_u = \frac{1}{n(n-1)} \sum_{i \ne i'} k(x_i, x_{i'})
        + \frac{1}{m(m-1)} \sum_{j \ne j'} k(y_j, y_{j'}) - \frac{2}{nm} \sum_{i,j} k(x_i, y_j)

    is the unbiased U-statistic (may be slightly negative; its mean is exactly MMD²). With
    ``unbiased=False`` the V-statistic keeps the i = i' terms and divides by n² and m²; it is the
    squared RKHS distance between the two empirical mean embeddings, hence always >= 0.

    Rows are processed ``chunk`` at a time, so memory is O(chunk · max(n, m)) forward and, thanks to
    activation checkpointing, backward too; the result does not depend on ``chunk`` (up to round-off).

    Args:
        x: samples of P, shape (n, d) or (n,); a tensor keeps its dtype, device and graph.
        y: samples of Q, shape (m, d) or (m,).
        kernel: "rbf" (Gaussian mixture) or "imq" (inverse multiquadric mixture).
        bandwidths: σ (or c) values; None for DEFAULT_BANDWIDTHS; "median" for the median heuristic.
        unbiased: U-statistic (True) or V-statistic (False).
        chunk: rows per block (None: automatic, 2^22 kernel entries per block).

    Returns:
        A 0-dim tensor in the dtype of the inputs.

    >>> x = torch.zeros(3, 2)
    >>> float(mmd2(x, x, unbiased=False))
    0.0
    """
    u, v = mmd2_statistics(x, y, kernel, bandwidths, chunk, unbiased=unbiased)
    return u if unbiased else v


def mmd2_statistics(
    x: Tensor,
    y: Tensor,
    kernel: str = "rbf",
    bandwidths: Sequence[float] | str | None = None,
    chunk: int | None = None,
    *,
    unbiased: bool = True,
) -> tuple[Tensor, Tensor]:
    r"""Both squared MMDs of :func:`mmd2`, (U-statistic, V-statistic), from one pass over the pairs.

    The two differ only on the diagonal: the V-statistic's within-sample sums add the n terms
    k(x_i, x_i) = k(0) (and m for y), so Σ_{i,i'} = Σ_{i≠i'} + n·k(0). With ``unbiased=False`` fewer
    than 2 samples are allowed and the U-statistic returned is NaN.
    """
    if kernel not in KERNELS:
        raise UserError(f"unknown kernel {kernel!r}; choose from {', '.join(KERNELS)}")
    x, y = pair_tensors(x, y)
    n, m = x.shape[0], y.shape[0]
    if unbiased and (n < 2 or m < 2):
        raise UserError(f"the unbiased MMD² needs at least 2 samples of each, got {n} and {m}")
    sigmas = resolve_bandwidths(x, y, bandwidths)
    k_fn = KERNELS[kernel]

    def k(sq: Tensor) -> Tensor:
        return k_fn(sq, sigmas)

    # distances are translation invariant: centring on the pooled mean limits round-off
    centre = torch.cat([x, y]).detach().mean(0)
    x, y = x - centre, y - centre
    kxx = pair_sum(x, x, k, same=True, skip_diagonal=True, chunk=chunk)  # i ≠ i'
    kyy = pair_sum(y, y, k, same=True, skip_diagonal=True, chunk=chunk)
    kxy = pair_sum(x, y, k, chunk=chunk)
    k0 = k(torch.zeros((), dtype=kxy.dtype, device=kxy.device))
    cross = 2.0 * kxy / (n * m)
    u = (
        kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - cross
        if n > 1 and m > 1
        else torch.full_like(kxy, math.nan)
    )
    v = (kxx + n * k0) / (n * n) + (kyy + m * k0) / (m * m) - cross
    return u.to(x.dtype), v.to(x.dtype)


def mmd(
    x: Samples,
    y: Samples,
    kernel: str = "rbf",
    bandwidths: Sequence[float] | str | None = None,
    chunk: int | None = None,
) -> float:
    r"""MMD itself, from the biased (V-statistic) MMD², which is never negative.

    .. math::

        \widehat{\mathrm{MMD}} = \sqrt{\max(\widehat{\mathrm{MMD}}^2_b, 0)}
        = \Big\| \frac1n \sum_i \phi(x_i) - \frac1m \sum_j \phi(y_j) \Big\|_H

    Args:
        x, y: samples of shape (n, d) / (m, d) or (n,) / (m,), arrays or tensors.
        kernel, bandwidths, chunk: as in :func:`mmd2`.

    Returns:
        A float (no gradient).

    >>> mmd([0.0, 0.0], [0.0, 0.0])
    0.0
    """
    with torch.no_grad():
        value = float(mmd2(x, y, kernel=kernel, bandwidths=bandwidths, unbiased=False, chunk=chunk))
    return math.sqrt(max(value, 0.0))
