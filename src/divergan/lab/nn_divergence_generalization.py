r"""Experiment 7, ``nn-divergence-generalization``: the neural-net distance generalizes, at a rate set by n.

Claim (seed 002, Arora et al. 2017): for critics D_w = σ ∘ V_w with n parameters (Lipschitz in w),

.. math::

    d_{NN}(P, Q) = \sup_w \; \mathbb E_P D_w - \mathbb E_Q D_w, \qquad
    |d_{NN}(P, Q) - d_{NN}(\hat P_m, \hat Q_m)| \le \varepsilon
    \quad\text{w.h.p. once}\quad m \ge C\, n \log n / \varepsilon^2,

so the generalization gap shrinks like √(n log n / m), unlike JS or W (experiment 6).

Measured with :func:`divergan.estimators.nn_divergence` (full-batch Adam over SiLU MLP critics, a lower
bound on the empirical sup) for two critic classes (hidden width 4 and 32, n = 17 and 129 parameters on
R²), over m, averaged over repeats:

* P = Q = N(0, I₂): the population d_NN is exactly 0, so the gap is d_NN(P̂_m, Q̂_m) itself;
* P = N(0, I₂), Q = N((1, 0), I₂): the population d_NN is estimated once on a large held-out sample
  (m_ref), and the gap is |d_NN(P̂_m, Q̂_m) − d_NN^ref|.

Beside it the bound's shape ε_C(m) = √(C n log n / m) with the smallest C that covers every measured gap
of the P = Q case, and the fitted slope of log gap against log m (−½ for the bound's rate).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure

from divergan.estimators import nn_divergence
from divergan.lab.base import Context, Experiment

#: critic classes: hidden width of the one-hidden-layer critic
WIDTHS = (4, 32)
#: the gap at the largest m must be at most this fraction of the gap at the smallest m
MAX_RATIO = 0.25
#: and the fitted log-log slope at most this (the bound's rate is −½)
MAX_SLOPE = -0.25
SHIFT = 1.0


def slope(ms, gaps) -> float:
    """Least-squares slope of log gap against log m."""
    return float(np.polyfit(np.log(ms), np.log(np.maximum(gaps, 1e-12)), 1)[0])


def measure(ctx: Context) -> dict:
    ms = (
        [32, 128, 512, 2048, 8192]
        if ctx.quick
        else [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
    )
    repeats = 3 if ctx.quick else 10
    m_ref = 16384 if ctx.quick else 65536
    g = ctx.generator(1)
    shift = torch.tensor([SHIFT, 0.0])
    classes = []
    for width in WIDTHS:
        xr, yr = torch.randn(m_ref, 2, generator=g), torch.randn(m_ref, 2, generator=g) + shift
        ref = nn_divergence(xr, yr, hidden=width, steps=500, seed=ctx.seed, holdout=0.5)
        same, diff, n_params = [], [], None
        for m in ms:
            vs, vd = [], []
            for r in range(repeats):
                x, y, y2 = (torch.randn(m, 2, generator=g) for _ in range(3))
                e = nn_divergence(x, y, hidden=width, steps=300, seed=ctx.seed + r)
                n_params = e.extras["n_params"]
                vs.append(e.value)
                vd.append(
                    abs(
                        nn_divergence(x, y2 + shift, hidden=width, steps=300, seed=ctx.seed + r).value
                        - ref.value
                    )
                )
            same.append(float(np.mean(vs)))
            diff.append(float(np.mean(vd)))
        classes.append(
            {
                "hidden": width,
                "n_params": n_params,
                "gap_same": same,
                "gap_shifted": diff,
                "reference_shifted": ref.value,
                "slope_same": slope(ms, same),
                "slope_shifted": slope(ms, diff),
            }
        )
    c_fit = max(
        gap**2 * m / (c["n_params"] * math.log(c["n_params"]))
        for c in classes
        for m, gap in zip(ms, c["gap_same"])
    )
    holds = all(
        c["gap_same"][-1] <= MAX_RATIO * c["gap_same"][0]
        and c["gap_shifted"][-1] <= MAX_RATIO * c["gap_shifted"][0]
        and c["slope_same"] <= MAX_SLOPE
        for c in classes
    )

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    mm = np.geomspace(ms[0], ms[-1], 50)
    for i, c in enumerate(classes):
        n = c["n_params"]
        ax1.loglog(ms, c["gap_same"], f"C{i}o-", label=f"n = {n} (hidden {c['hidden']})")
        ax1.loglog(
            mm, np.sqrt(c_fit * n * math.log(n) / mm), f"C{i}--", lw=1, label=f"√(C n log n / m), n = {n}"
        )
        ax2.loglog(ms, c["gap_shifted"], f"C{i}s-", label=f"n = {n}: ref d_NN = {c['reference_shifted']:.3f}")
    ax1.set_xlabel("m (samples of each law)")
    ax1.set_ylabel("d_NN(P̂_m, Q̂_m)  (true d_NN = 0)")
    ax1.set_title(f"P = Q = N(0, I₂); C = {c_fit:.3g} fitted to cover all gaps", fontsize=9)
    ax1.legend(fontsize=7)
    ax2.set_xlabel("m")
    ax2.set_ylabel("|d_NN(P̂_m, Q̂_m) − d_NN(P, Q)|")
    ax2.set_title(f"P = N(0, I₂), Q = N(({SHIFT:g}, 0), I₂); reference from m = {m_ref} held out", fontsize=9)
    ax2.legend(fontsize=7)
    fig.suptitle("The neural-net distance generalizes (seed 002: m ≥ C n log n / ε²)", fontsize=10)
    return {
        "measured": {
            "classes": [{k: v for k, v in c.items()} for c in classes],
            "C_fitted": c_fit,
        },
        "expected": {
            "gap": "decreasing in m, like √(C n log n / m)",
            "ratio_largest_to_smallest_m": f"≤ {MAX_RATIO}",
            "slope": f"≤ {MAX_SLOPE} (bound: −0.5)",
        },
        "tolerance": {"max_ratio": MAX_RATIO, "max_slope": MAX_SLOPE},
        "holds": bool(holds),
        "figures": [ctx.save(fig, "nn_divergence_generalization.png")],
        "ms": ms,
        "repeats": repeats,
    }


EXPERIMENT = Experiment(
    name="nn-divergence-generalization",
    title="|d_NN(P, Q) − d_NN(P̂_m, Q̂_m)| shrinks with m, beside the m ≥ C n log n / ε² bound",
    claim=(
        "For critic classes with n parameters the neural-net distance generalizes: "
        "|d_NN(P, Q) − d_NN(P̂_m, Q̂_m)| ≤ ε once m ≥ C n log n / ε² (seed 002)."
    ),
    measure=measure,
)
