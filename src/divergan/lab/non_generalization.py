r"""Experiment 6, ``non-generalization``: JS and W between empirical laws do not generalize.

Claim (Zhang lecture notes, Theorem 3.1; Arora et al. 2017): for μ = ν = N(0, I/d) and empirical versions μ̂, ν̂
of m samples each, when log m ≪ d, with high probability

.. math::

    d_{JS}(\mu, \nu) = 0,\ d_{JS}(\hat\mu, \hat\nu) = \log 2, \qquad
    d_W(\mu, \nu) = 0,\ d_W(\hat\mu, \hat\nu) \ge 1.1,

and for the Gaussian-smoothed μ̃ = μ̂ * N(0, σ²I/d), ν̃ likewise, d_JS(μ̃, ν̃) > log 2 − 1/m as long as
σ < c/√(log m).

Measured: the exact JS between the two empirical laws (:func:`divergan.divergences.f_divergence` on the
2m distinct atoms), the exact W₁ (optimal transport with POT, :func:`divergan.estimators.wasserstein`)
over a grid of d and m, and the JS between the smoothed mixtures by Monte Carlo with exact mixture
densities (log-sum-exp), against σ.

What can fail: the empirical JS is log 2 whenever the two samples share no atom — true for any law with
a density, in every dimension (d = 2 included), so that half only shows that JS cannot see two samples
of one continuous law as close; a law with atoms (the negative control in the tests: both samples from
four points) gives JS < log 2. W ≥ 1.1 is checked in the regime d ≥ 10·log m (a reading of "log m ≪ d";
W falls below 1.1 outside it, e.g. d = 2), and the smoothed JS must stay above log 2 − 1/m for
σ ≤ 0.5/√log m and fall below it at the largest σ.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure

from divergan.divergences import Discrete, f_divergence
from divergan.estimators import wasserstein
from divergan.lab.base import Context, Experiment

LOG2 = math.log(2)
#: "log m ≪ d" is taken as d ≥ RATIO · log m
RATIO = 10.0
W_BOUND = 1.1
TOL_EXACT = 1e-12


def empirical_js(x: np.ndarray, y: np.ndarray) -> float:
    """Exact JS between the uniform laws on the rows of x and of y (atoms pooled; shared atoms merged)."""
    atoms, inverse = np.unique(np.concatenate([x, y]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    p = np.bincount(inverse[: len(x)], minlength=len(atoms)) / len(x)
    q = np.bincount(inverse[len(x) :], minlength=len(atoms)) / len(y)
    return f_divergence("js", Discrete(tuple(p)), Discrete(tuple(q)))


def smoothed_js(x: np.ndarray, y: np.ndarray, sigma: float, n_mc: int, gen: torch.Generator) -> float:
    r"""JS(μ̃‖ν̃) for μ̃ = (1/m) Σ N(x_i, σ²I/d), ν̃ likewise, by Monte Carlo with exact densities.

    JS = log 2 − ½ E_μ̃ softplus(log ν̃/μ̃) − ½ E_ν̃ softplus(log μ̃/ν̃).
    """
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    m, d = xt.shape
    scale = sigma / math.sqrt(d)

    def log_density(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
        # up to the constant shared by both mixtures (same σ, same m)
        return torch.logsumexp(-(torch.cdist(points, centres) ** 2) / (2 * scale**2), dim=1)  # (n,)

    def draw(centres: torch.Tensor) -> torch.Tensor:
        idx = torch.randint(m, (n_mc,), generator=gen)
        return centres[idx] + scale * torch.randn(n_mc, d, generator=gen, dtype=centres.dtype)

    a, b = draw(xt), draw(yt)
    r_a = log_density(a, yt) - log_density(a, xt)  # log ν̃/μ̃ at samples of μ̃
    r_b = log_density(b, xt) - log_density(b, yt)
    sp = torch.nn.functional.softplus
    return float(LOG2 - 0.5 * sp(r_a).mean() - 0.5 * sp(r_b).mean())


def measure(ctx: Context) -> dict:
    ds = [2, 8, 32, 128, 512] if ctx.quick else [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    ms = [32, 128, 512] if ctx.quick else [16, 64, 256, 1024, 2048]
    rng = ctx.rng()
    grid = []
    for m in ms:
        for d in ds:
            x = rng.normal(0, 1 / math.sqrt(d), size=(m, d))
            y = rng.normal(0, 1 / math.sqrt(d), size=(m, d))
            grid.append(
                {
                    "m": m,
                    "d": d,
                    "log_m_over_d": math.log(m) / d,
                    "js": empirical_js(x, y),
                    "w": wasserstein(x, y),
                }
            )
    regime = [g for g in grid if g["d"] >= RATIO * math.log(g["m"])]

    m_s, d_s = (64, 64) if ctx.quick else (256, 256)
    sigmas = np.geomspace(0.02, 4.0, 10 if ctx.quick else 30)
    x = rng.normal(0, 1 / math.sqrt(d_s), size=(m_s, d_s))
    y = rng.normal(0, 1 / math.sqrt(d_s), size=(m_s, d_s))
    gen = ctx.generator(1)
    smooth = [smoothed_js(x, y, float(s), 2000 if ctx.quick else 20000, gen) for s in sigmas]
    c_used = 0.5
    sigma_small = c_used / math.sqrt(math.log(m_s))
    above = [s for s, v in zip(sigmas, smooth) if v > LOG2 - 1 / m_s]
    small_ok = all(v > LOG2 - 1 / m_s for s, v in zip(sigmas, smooth) if s <= sigma_small)

    checks = {
        "empirical_js_is_log2": all(abs(g["js"] - LOG2) <= TOL_EXACT for g in grid),
        "empirical_w_at_least_bound_in_regime": all(g["w"] >= W_BOUND for g in regime),
        "smoothed_js_near_log2_for_small_sigma": small_ok,
        "smoothed_js_falls_for_large_sigma": smooth[-1] < LOG2 - 1 / m_s,
    }

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for m in ms:
        rows = [g for g in grid if g["m"] == m]
        ax1.semilogx([g["d"] for g in rows], [g["w"] for g in rows], "o-", label=f"W(μ̂, ν̂), m = {m}")
    ax1.axhline(W_BOUND, color="k", ls="--", lw=1, label="1.1 (Theorem 3.1)")
    ax1.axhline(0, color="gray", lw=1, label="W(μ, ν) = 0")
    ax1.set_xlabel("dimension d")
    ax1.set_ylabel("exact W₁ between the empirical laws")
    ax1.set_title(f"μ = ν = N(0, I/d); empirical JS = log 2 in all {len(grid)} cases", fontsize=9)
    ax1.legend(fontsize=7)
    ax2.semilogx(sigmas, smooth, "C3o-", label="JS(μ̃, ν̃)")
    ax2.axhline(LOG2, color="k", lw=1, label="log 2")
    ax2.axhline(LOG2 - 1 / m_s, color="k", ls="--", lw=1, label="log 2 − 1/m")
    ax2.axvline(sigma_small, color="gray", ls=":", label=f"σ = {c_used}/√log m")
    ax2.set_xlabel("σ (smoothing N(0, σ²I/d))")
    ax2.set_title(f"Gaussian-smoothed empirical laws, m = {m_s}, d = {d_s}", fontsize=9)
    ax2.legend(fontsize=7)
    fig.suptitle("JS and W do not generalize (Zhang lecture notes, Theorem 3.1)", fontsize=10)
    return {
        "measured": {
            "checks": checks,
            "empirical_js_min_max": [min(g["js"] for g in grid), max(g["js"] for g in grid)],
            "empirical_w_min_in_regime": min(g["w"] for g in regime),
            "empirical_w_min_overall": min(g["w"] for g in grid),
            "regime": f"d ≥ {RATIO:g}·log m: {len(regime)} of {len(grid)} (m, d) pairs",
            "smoothed_js": dict(zip([f"{s:.3g}" for s in sigmas], smooth)),
            "largest_sigma_with_js_above_log2_minus_1_over_m": float(max(above)) if above else None,
            "true_distances": {"js": 0.0, "w": 0.0},
        },
        "expected": {
            "empirical_js": LOG2,
            "empirical_w_in_regime": f"≥ {W_BOUND}",
            "smoothed_js": f"> log 2 − 1/m for σ ≤ {c_used}/√log m = {sigma_small:.3g}",
        },
        "tolerance": {"exact_js": TOL_EXACT, "w_bound": W_BOUND, "regime_ratio": RATIO},
        "figures": [ctx.save(fig, "non_generalization.png")],
        "grid": grid,
    }


EXPERIMENT = Experiment(
    name="non-generalization",
    title="two m-samples of N(0, I/d): empirical JS = log 2, empirical W ≥ 1.1, true distances 0",
    claim=(
        "For μ = ν = N(0, I/d) and m-sample empirical laws with log m ≪ d: d_JS(μ̂, ν̂) = log 2 and d_W(μ̂, ν̂) ≥ 1.1 "
        "while d_JS(μ, ν) = d_W(μ, ν) = 0; smoothed by N(0, σ²I/d) with σ < c/√log m, d_JS > log 2 − 1/m "
        "(Zhang lecture notes, Theorem 3.1; Arora et al. 2017). Checked: exact empirical JS = log 2 on every "
        "(m, d) of the grid (true for any continuous law), exact W₁ ≥ 1.1 wherever d ≥ 10·log m, smoothed JS "
        "> log 2 − 1/m for σ ≤ 0.5/√log m and below it at the largest σ."
    ),
    measure=measure,
)
