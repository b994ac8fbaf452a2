r"""Experiment 1, ``optimal-discriminator``: a trained D matches D* and the game's value is 2·JS − log 4.

Claim (GAN analysis slides, eqs. 1-2; Garcia, Lemma 1.3; Goodfellow et al. 2014, Prop. 1): for fixed P_g the discriminator maximising

.. math::

    V(G, D) = \mathbb E_{P_r} \log D(x) + \mathbb E_{P_g} \log(1 - D(x))

is D*(x) = p_r(x)/(p_r(x) + p_g(x)), and V(G, D*) = 2·JS(P_r‖P_g) − 2 log 2.

Measured on 1-D Gaussians with known densities: a SiLU MLP critic D = σ(V) is trained by Adam on the
minimax discriminator loss (fresh batches every step); then, by quadrature on a fine grid, the mean
error E_M |D − D*| under M = (P_r + P_g)/2, the value V(G, D) of the trained D, and V(G, D*), against
2·JS − log 4 with JS computed exactly by :func:`divergan.divergences.f_divergence`.

Tolerances: E_M|D − D*| ≤ 0.03 and |V(G, D) − (2 JS − log 4)| ≤ 0.01 for the trained D; 0.01 is at most
1/20 of the gap 2·JS between the optimum and the uninformed D ≡ ½ (value −log 4) for every pair, so a
D that learned nothing fails by a wide margin. V(G, D*) = 2 JS − log 4 to 1e-6 (trapezoid on 12,001
points against the library's quadrature JS). Negative control (in the tests): the label-swapped
discriminator 1 − D* fails every check.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from scipy import stats

from divergan.divergences import Normal, f_divergence
from divergan.lab._nets import train_gaussian_classifier
from divergan.lab.base import Context, Experiment
from divergan.objectives.losses import minimax_discriminator_loss

#: P_r and the generators it is compared with (mean, std)
REAL = (0.0, 1.0)
GENERATORS = [(1.5, 0.7), (-1.0, 2.0), (0.5, 1.0)]
#: tolerances: mean |D − D*| under M, and |V(G, D) − (2 JS − log 4)| for the trained D
TOL_D = 0.03
TOL_VALUE = 0.01
#: exactness of the identity V(G, D*) = 2 JS − log 4 by quadrature
TOL_IDENTITY = 1e-6


def _value(d: np.ndarray, p_r: np.ndarray, p_g: np.ndarray, x: np.ndarray) -> float:
    """V(G, D) = ∫ p_r log D + p_g log(1 − D) by the trapezoidal rule on the grid x."""
    integrand = p_r * np.log(np.clip(d, 1e-300, None)) + p_g * np.log(np.clip(1 - d, 1e-300, None))
    return float(np.trapezoid(integrand, x))


def train_discriminator(
    real: tuple[float, float], fake: tuple[float, float], steps: int, batch: int, seed: int
) -> torch.nn.Module:
    """Fit V so that σ(V) maximises V(G, D) between N(real) and N(fake) (Adam, fresh batches)."""
    return train_gaussian_classifier(real, fake, minimax_discriminator_loss, steps, batch, seed)


def score(d: np.ndarray, p_r: np.ndarray, p_g: np.ndarray, x: np.ndarray, js: float) -> dict:
    """The row of one pair for a discriminator d on the grid x, with its ``ok`` verdict."""
    d_star = p_r / (p_r + p_g)
    m = 0.5 * (p_r + p_g)
    target = 2 * js - math.log(4)
    row = {
        "mean_abs_error_D": float(np.trapezoid(m * np.abs(d - d_star), x)),
        "value_trained_D": _value(d, p_r, p_g, x),
        "value_optimal_D": _value(d_star, p_r, p_g, x),
        "two_js_minus_log4": target,
        "js": js,
    }
    row["ok"] = bool(
        row["mean_abs_error_D"] <= TOL_D
        and abs(row["value_trained_D"] - target) <= TOL_VALUE
        and abs(row["value_optimal_D"] - target) <= TOL_IDENTITY
    )
    return row


def measure(ctx: Context) -> dict:
    steps, batch = (1000, 512) if ctx.quick else (5000, 1024)
    gens = GENERATORS[:2] if ctx.quick else GENERATORS
    x = np.linspace(-12, 12, 12001)
    p_r = stats.norm.pdf(x, *REAL)
    rows = []
    curves = []
    for i, g in enumerate(gens):
        p_g = stats.norm.pdf(x, *g)
        d_star = p_r / (p_r + p_g)
        net = train_discriminator(REAL, g, steps, batch, ctx.seed + i)
        with torch.no_grad():
            d = torch.sigmoid(net(torch.as_tensor(x).reshape(-1, 1))).numpy()
        js = f_divergence("js", Normal((REAL[0],), (REAL[1],)), Normal((g[0],), (g[1],)))
        rows.append({"p_g": f"N({g[0]:g}, {g[1]:g}²)", **score(d, p_r, p_g, x, js)})
        curves.append((g, d, d_star, p_g))
    checks = {f"pair_{r['p_g']}": r["ok"] for r in rows}

    fig = Figure(figsize=(5.2 * len(gens), 3.8), layout="constrained")
    axes = fig.subplots(1, len(gens), squeeze=False)[0]
    for ax, (_g, d, d_star, p_g), r in zip(axes, curves, rows):
        ax.fill_between(x, p_r / p_r.max(), alpha=0.15, color="C0", label="p_r (scaled)")
        ax.fill_between(x, p_g / p_g.max(), alpha=0.15, color="C3", label="p_g (scaled)")
        ax.plot(x, d_star, "k-", lw=2, label="D* = p_r/(p_r+p_g)")
        ax.plot(x, d, "C2--", lw=2, label="trained D = σ(V)")
        ax.set_xlim(-5, 5)
        ax.set_title(
            f"P_g = {r['p_g']}\nE_M|D−D*| = {r['mean_abs_error_D']:.4f};  V(G,D) = {r['value_trained_D']:.4f}, "
            f"2JS−log4 = {r['two_js_minus_log4']:.4f}",
            fontsize=8,
        )
        ax.set_xlabel("x")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        "Optimal discriminator (GAN analysis slides, eqs. 1-2; Garcia, Lemma 1.3), P_r = N(0, 1)", fontsize=10
    )
    return {
        "measured": {"checks": checks, "pairs": rows},
        "expected": {
            "D": "D* = p_r/(p_r + p_g)",
            "value": "V(G, D*) = 2·JS(P_r‖P_g) − log 4, computed exactly",
        },
        "tolerance": {
            "mean_abs_error_D": TOL_D,
            "value_trained_D": TOL_VALUE,
            "value_optimal_D": TOL_IDENTITY,
        },
        "figures": [ctx.save(fig, "optimal_discriminator.png")],
        "settings": {"steps": steps, "batch": batch, "critic": "MLP 1-64-64-1 SiLU, Adam 3e-3, cosine"},
    }


EXPERIMENT = Experiment(
    name="optimal-discriminator",
    title="a trained D matches D* = p_r/(p_r+p_g); V(G, D*) = 2·JS − log 4",
    claim=(
        "For fixed P_g the optimal discriminator is D* = p_r/(p_r + p_g) and V(G, D*) = 2·JS(P_r‖P_g) − 2 log 2 "
        "(GAN analysis slides, eqs. 1-2; Garcia, Lemma 1.3). Checked on 1-D Gaussian pairs: a trained D has "
        "E_M|D − D*| ≤ 0.03 and |V(G, D) − (2 JS − log 4)| ≤ 0.01 (≤ 1/20 of the gap to D ≡ ½), and "
        "V(G, D*) = 2 JS − log 4 to 1e-6 by quadrature."
    ),
    measure=measure,
)
