"""Divergences and distances estimated from samples.

One function per distance (``wasserstein``, ``sliced_wasserstein``, ``mmd2``, ``energy_distance``,
``kolmogorov``, ``total_variation_hist``, ``kl_knn``, ``variational_bound``, ``nn_divergence``), and
:data:`IPMS`, the integral probability metrics of the GAN analysis slides, eq. 18 by CLI name, each called as
``IPMS[name](x, y, **options) -> Estimate`` on arrays of shape (n, d) and (m, d).

For ``mmd`` the reported value is the unbiased MMD² (U-statistic: its mean is the population MMD²,
so it is ≈ 0, possibly negative, when P = Q); ``extras`` hold the biased (V-statistic) MMD², which is
>= 0, and MMD = √max(biased, 0). ``kolmogorov`` and ``tv-hist`` need d = 1.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import torch

from divergan.errors import UserError
from divergan.estimators.base import Estimate, Samples, pair_arrays
from divergan.estimators.energy import energy_distance
from divergan.estimators.knn import kl_knn
from divergan.estimators.mmd import (
    DEFAULT_BANDWIDTHS,
    KERNELS,
    imq_kernel,
    median_bandwidth,
    mmd,
    mmd2,
    mmd2_statistics,
    rbf_kernel,
    resolve_bandwidths,
)
from divergan.estimators.nn_divergence import nn_divergence
from divergan.estimators.univariate import kolmogorov, total_variation_hist
from divergan.estimators.variational import fit_variational_bound, variational_bound
from divergan.estimators.wasserstein import sliced_wasserstein, wasserstein


def _check_options(
    fn: Callable[..., Any], options: dict[str, Any], name: str, fixed: tuple[str, ...] = ()
) -> None:
    accepted = [p for p in inspect.signature(fn).parameters if p not in ("x", "y", *fixed)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UserError(
            f"{name} takes no option {', '.join(unknown)}; it takes {', '.join(accepted) or 'none'}"
        )


def _sizes(x: Samples, y: Samples) -> dict[str, int]:
    xa, ya = pair_arrays(x, y)
    return {"n": int(xa.shape[0]), "m": int(ya.shape[0]), "d": int(xa.shape[1])}


def _ipm_wasserstein(order: int) -> Callable[..., Estimate]:
    def estimate(x: Samples, y: Samples, **options: Any) -> Estimate:
        _check_options(wasserstein, options, f"wasserstein-{order}", fixed=("order",))
        sizes = _sizes(x, y)
        how = "POT wasserstein_1d (exact, sorted)" if sizes["d"] == 1 else "POT emd2 (exact network simplex)"
        return Estimate(wasserstein(x, y, order=order, **options), f"W_{order}, {how}", extras=sizes)

    estimate.__doc__ = f"W_{order} between the two empirical samples (:func:`wasserstein`)."
    return estimate


def _ipm_sliced(x: Samples, y: Samples, **options: Any) -> Estimate:
    """Sliced W_p (:func:`sliced_wasserstein`); extras name the projections, order and seed."""
    _check_options(sliced_wasserstein, options, "sliced-wasserstein")
    value = sliced_wasserstein(x, y, **options)
    order = options.get("order", 1)
    extras = {
        **_sizes(x, y),
        "n_projections": options.get("n_projections", 200),
        "order": order,
        "seed": options.get("seed", 0),
    }
    return Estimate(value, f"sliced W_{order:g}, POT sliced_wasserstein_distance", extras=extras)


def _ipm_mmd(x: Samples, y: Samples, **options: Any) -> Estimate:
    """Unbiased MMD² as the value; biased MMD² and MMD in extras (:func:`mmd2`)."""
    _check_options(mmd2, options, "mmd", fixed=("unbiased",))  # both statistics are reported
    xt, yt = (torch.from_numpy(a) for a in pair_arrays(x, y))
    kernel = options.get("kernel", "rbf")
    sigmas = resolve_bandwidths(xt, yt, options.get("bandwidths"))
    rest = {k: v for k, v in options.items() if k not in ("kernel", "bandwidths")}
    with torch.no_grad():
        unbiased, biased = map(float, mmd2_statistics(xt, yt, kernel=kernel, bandwidths=sigmas, **rest))
    scale = "σ" if kernel == "rbf" else "c"
    method = f"unbiased MMD², {kernel} kernel mixture, {scale} ∈ {{{', '.join(f'{s:.3g}' for s in sigmas)}}}"
    extras = {**_sizes(x, y), "mmd2_biased": biased, "mmd": math.sqrt(max(biased, 0.0)), "bandwidths": sigmas}
    return Estimate(unbiased, method, extras=extras)


def _ipm_energy(x: Samples, y: Samples, **options: Any) -> Estimate:
    """Energy distance (:func:`energy_distance`), V-statistic unless ``unbiased=True``."""
    _check_options(energy_distance, options, "energy")
    xt, yt = (torch.from_numpy(a) for a in pair_arrays(x, y))
    with torch.no_grad():
        value = float(energy_distance(xt, yt, **options))
    kind = "U" if options.get("unbiased", False) else "V"
    return Estimate(
        value, f"energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| ({kind}-statistic)", extras=_sizes(x, y)
    )


def _ipm_kolmogorov(x: Samples, y: Samples, **options: Any) -> Estimate:
    """Kolmogorov distance sup |F_n − G_m| (:func:`kolmogorov`), 1-D only."""
    _check_options(kolmogorov, options, "kolmogorov")
    return Estimate(kolmogorov(x, y), "Kolmogorov sup_t |F_n(t) - G_m(t)|", extras=_sizes(x, y))


def _ipm_tv_hist(x: Samples, y: Samples, **options: Any) -> Estimate:
    """Total variation between histograms on common bins (:func:`total_variation_hist`), 1-D only."""
    _check_options(total_variation_hist, options, "tv-hist")
    bins = options.get("bins", "auto")
    value = total_variation_hist(x, y, **options)
    return Estimate(value, f"total variation between histograms (bins={bins})", extras=_sizes(x, y))


#: CLI name -> estimator (x, y, **options) -> Estimate on samples of shape (n, d) and (m, d)
IPMS: dict[str, Callable[..., Estimate]] = {
    "wasserstein-1": _ipm_wasserstein(1),
    "wasserstein-2": _ipm_wasserstein(2),
    "sliced-wasserstein": _ipm_sliced,
    "mmd": _ipm_mmd,
    "energy": _ipm_energy,
    "kolmogorov": _ipm_kolmogorov,
    "tv-hist": _ipm_tv_hist,
}

__all__ = [
    "DEFAULT_BANDWIDTHS",
    "IPMS",
    "KERNELS",
    "Estimate",
    "energy_distance",
    "fit_variational_bound",
    "imq_kernel",
    "kl_knn",
    "kolmogorov",
    "median_bandwidth",
    "mmd",
    "mmd2",
    "mmd2_statistics",
    "nn_divergence",
    "rbf_kernel",
    "resolve_bandwidths",
    "sliced_wasserstein",
    "total_variation_hist",
    "variational_bound",
    "wasserstein",
]
