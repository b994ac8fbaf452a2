r"""Experiment 12, ``moment-matching``: a generator trained by MMD alone learns ``ring8``; moments decide P = Q.

Claim (GAN analysis slides, eqs. 11-13; Li et al. 2015, GMMN): generative moment matching needs no discriminator. With a characteristic
kernel k (here a mixture of RBF kernels),

.. math::

    \mathrm{MMD}^2(P, Q) = \mathbb E k(x, x') - 2\,\mathbb E k(x, y) + \mathbb E k(y, y')
    = \|\mu_P - \mu_Q\|^2_{\mathcal H},

and a generator minimising the unbiased sample MMD² between a batch of data and a batch of its samples
(eq. 13) learns the data. Behind it, the moment lemma: P = Q ⇔ every moment discrepancy
Δ_k = E_P x^k − E_Q x^k is 0 (for laws determined by their moments, e.g. Gaussians).

Measured (the claim): an MLP generator z ~ N(0, I₈) ↦ x ∈ R² trained by Adam on
``get_objective("mmd").sample_loss`` only, on ``ring8`` (8 modes, σ = 0.01), scored by
:func:`divergan.metrics.mode_metrics` against a baseline that matches the data's first two moments
exactly — the Gaussian N(mean, covariance of the data) — which is what a kernel that only sees low
moments would learn. The MMD generator must capture ≥ 7 of the 8 modes and put more of its samples within
3σ of a mode than the baseline does, by more than 3 binomial standard errors of the two fractions
(and have a lower reverse KL over the modes). Negative control (in the tests): the same training with one
wide kernel (bandwidth 10, which near the data sees little beyond the first two moments) fails it.

Illustration (exact arithmetic, not part of ``holds``): exact moment discrepancies Δ_k, k = 1..K, against
P = N(0, 1): for Q_μ = N(μ, 1) as μ → 0 they all shrink to 0; for the n-point Gauss-Hermite law G_n
(which matches the first 2n − 1 moments of P exactly) Δ_1..Δ_{2n−1} = 0 but Δ_{2n} stays away from 0,
and the exact MMD² (closed form for an RBF kernel between a Gaussian and atoms) stays > 0: matching
low moments is not P = Q, matching all of them (the kernel) is.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from matplotlib.figure import Figure
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import comb

from divergan.data import get_dataset
from divergan.lab.base import Context, Experiment
from divergan.metrics import mode_metrics
from divergan.nn import MLP
from divergan.objectives import get_objective

#: RBF bandwidths of the generator's MMD (small ones resolve the σ = 0.01 modes, large ones move mass)
BANDWIDTHS = "0.02,0.05,0.1,0.2,0.5,1"
#: the generator must capture at least this many of the 8 modes
MIN_MODES = 7
#: its high-quality fraction must beat the two-moment baseline's by this many standard errors
Z_SE = 3.0
#: highest moment compared, and the exactness of "Δ_k = 0"
K_MAX = 10
TOL_ZERO = 1e-9
#: Gauss-Hermite laws G_n compared (each matches 2n − 1 moments of N(0, 1))
GH_NODES = (1, 2, 3, 4)
#: Δ_{2n} and MMD²(P, G_n) must stay at least this far from 0
MIN_GAP = 1e-3
#: kernel bandwidth of the exact 1-D MMD²
H_1D = 1.0


def normal_moment(k: int, mu: float = 0.0) -> float:
    """E X^k for X ~ N(μ, 1): Σ_j C(k, j) μ^{k−j} E Z^j with E Z^j = (j − 1)!! for even j."""

    def z_moment(j: int) -> float:
        return 0.0 if j % 2 else float(np.prod(np.arange(j - 1, 0, -2))) if j else 1.0

    return float(sum(comb(k, j, exact=True) * mu ** (k - j) * z_moment(j) for j in range(k + 1)))


def gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Atoms and weights of the n-point Gauss-Hermite law: E_{G_n} x^k = E_{N(0,1)} x^k for k ≤ 2n − 1."""
    x, w = hermegauss(n)
    return x, w / w.sum()


def mmd2_normal_atoms(x: np.ndarray, w: np.ndarray, h: float = H_1D) -> float:
    r"""Exact MMD²(N(0, 1), Σ w_i δ_{x_i}) for k(a, b) = exp(−(a − b)²/2h²).

    E k(X, X') = h/√(h² + 2); E k(X, y) = h/√(h² + 1)·exp(−y²/2(h² + 1)); E k(Y, Y') = wᵀKw.
    """
    pp = h / math.sqrt(h**2 + 2)
    pq = float(np.sum(w * h / math.sqrt(h**2 + 1) * np.exp(-(x**2) / (2 * (h**2 + 1)))))
    qq = float(w @ np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * h**2)) @ w)
    return pp - 2 * pq + qq


def train_generator(
    ctx: Context, steps: int, batch: int, bandwidths: str = BANDWIDTHS
) -> tuple[torch.nn.Module, list[float]]:
    """An MLP generator trained on ring8 by the critic-free MMD loss only (GAN analysis slides, eq. 13)."""
    data = get_dataset("ring8")
    loss_fn = get_objective("mmd", bandwidths=bandwidths).sample_loss
    torch.manual_seed(ctx.seed)
    gen = MLP(8, 2, width=128, depth=3, activation="relu")
    opt = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
    g = ctx.generator(1)
    losses = []
    for _ in range(steps):
        x = data.sample(batch, g)  # (B, 2)
        fake = gen(torch.randn(batch, 8, generator=g))  # (B, 2)
        loss = loss_fn(x, fake)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return gen, losses


def two_moment_baseline(n: int, g: torch.Generator) -> torch.Tensor:
    """n samples of N(mean, cov) with the data's mean and covariance (from 20,000 data samples)."""
    x = get_dataset("ring8").sample(20000, g).double()
    mean, cov = x.mean(0), torch.cov(x.T)
    chol = torch.linalg.cholesky(cov)
    return (mean + torch.randn(n, 2, generator=g, dtype=torch.float64) @ chol.T).float()


def judge(samples: torch.Tensor, baseline: torch.Tensor) -> dict:
    """The generator's mode metrics against the two-moment baseline's, with the 3-SE margin."""
    data = get_dataset("ring8")
    got = mode_metrics(samples, data.modes, data.std)
    base = mode_metrics(baseline, data.modes, data.std)
    p, p0 = got["high_quality"], base["high_quality"]
    margin = Z_SE * (math.sqrt(p * (1 - p) / len(samples)) + math.sqrt(p0 * (1 - p0) / len(baseline)))
    checks = {
        "modes": got["modes"] >= MIN_MODES,
        "high_quality_beats_two_moment_baseline": p >= p0 + margin,
        "reverse_kl_below_baseline": got["reverse_kl"] < base["reverse_kl"],
    }
    return {
        "checks": checks,
        "holds": all(checks.values()),
        "generator": got,
        "baseline": base,
        "margin": margin,
    }


def measure(ctx: Context) -> dict:
    steps, batch = (1500, 256) if ctx.quick else (6000, 512)
    data = get_dataset("ring8")
    gen, losses = train_generator(ctx, steps, batch)
    n = 5000 if ctx.quick else 20000
    with torch.no_grad():
        samples = gen(torch.randn(n, 8, generator=ctx.generator(2)))
    verdict = judge(samples, two_moment_baseline(n, ctx.generator(3)))
    modes = verdict["generator"]

    ks = np.arange(1, K_MAX + 1)
    mus = [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.0]
    p_moments = np.array([normal_moment(int(k)) for k in ks])
    shift = []
    for mu in mus:
        delta = p_moments - np.array([normal_moment(int(k), mu) for k in ks])
        shift.append(
            {
                "mu": mu,
                "delta": delta,
                "max_abs_delta": float(np.abs(delta).max()),
                "mmd2": mmd2_normal_atoms_shift(mu),
            }
        )
    gh = []
    for n in GH_NODES:
        x, w = gauss_hermite(n)
        delta = p_moments - np.array([float(w @ x**k) for k in ks])
        gh.append(
            {
                "n": n,
                "max_abs_delta_up_to_2n_minus_1": float(np.abs(delta[: 2 * n - 1]).max()),
                "delta_2n": float(delta[2 * n - 1]),
                "delta": delta,
                "mmd2": mmd2_normal_atoms(x, w),
            }
        )

    maxes = [s["max_abs_delta"] for s in shift]
    shrink = all(b < a for a, b in itertools.pairwise(maxes[:-1]))
    gh_ok = all(
        r["max_abs_delta_up_to_2n_minus_1"] <= TOL_ZERO
        and abs(r["delta_2n"]) >= MIN_GAP
        and r["mmd2"] >= MIN_GAP
        for r in gh
    )

    fig = Figure(figsize=(14, 4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    s = samples[:2000].numpy()
    ax1.scatter(s[:, 0], s[:, 1], s=2, alpha=0.4, label="G(z)")
    ax1.scatter(data.modes[:, 0], data.modes[:, 1], c="r", marker="x", label="modes")
    ax1.set_aspect("equal")
    ax1.set_title(
        f"MMD-only generator: {modes['modes']}/8 modes, {100 * modes['high_quality']:.0f}% HQ "
        f"(two-moment Gaussian: {100 * verdict['baseline']['high_quality']:.0f}%)",
        fontsize=9,
    )
    ax1.legend(fontsize=7)
    ax2.semilogy(np.maximum(np.array(losses), 1e-6), lw=0.5)
    ax2.set_xlabel("generator step")
    ax2.set_title("unbiased MMD² (GAN analysis slides, eq. 13), no critic", fontsize=9)
    for srow in shift[:-1]:
        ax3.semilogy(ks, np.abs(srow["delta"]) + 1e-17, "o-", ms=3, label=f"N({srow['mu']:g}, 1)")
    for r in gh:
        even = ks % 2 == 0  # odd moments vanish for every symmetric law
        ax3.semilogy(ks[even], np.abs(r["delta"][even]) + 1e-17, "s--", ms=4, label=f"G_{r['n']} (even k)")
    ax3.set_xlabel("moment k")
    ax3.set_ylabel("|E_P x^k − E_Q x^k|, P = N(0, 1)")
    ax3.set_ylim(1e-17, None)
    ax3.set_title("illustration: Q → P: all Δ_k → 0; G_n: Δ_k = 0 for k < 2n only", fontsize=9)
    ax3.legend(fontsize=6, ncol=2)
    fig.suptitle("Moment matching (GAN analysis slides, eqs. 11-13)", fontsize=10)
    return {
        "measured": {
            "checks": verdict["checks"],
            "two_moment_baseline": {
                k: verdict["baseline"][k] for k in ("modes", "high_quality", "reverse_kl")
            },
            "high_quality_margin": verdict["margin"],
            "illustration_checks": {"shift_shrinks": shrink, "gauss_hermite": gh_ok},
            "modes": modes["modes"],
            "high_quality": modes["high_quality"],
            "reverse_kl": modes["reverse_kl"],
            "final_mmd2": float(np.mean(losses[-100:])),
            "shift_max_abs_delta": {f"{s['mu']:g}": s["max_abs_delta"] for s in shift},
            "shift_mmd2": {f"{s['mu']:g}": s["mmd2"] for s in shift},
            "gauss_hermite": [{k: v for k, v in r.items() if k != "delta"} for r in gh],
        },
        "expected": {
            "modes": f"≥ {MIN_MODES} of 8",
            "high_quality": f"≥ two-moment baseline's + {Z_SE:g} standard errors",
            "reverse_kl": "below the two-moment baseline's",
            "shift": "illustration: max_k |Δ_k| decreasing as μ → 0",
            "gauss_hermite": "Δ_k = 0 for k ≤ 2n − 1, Δ_{2n} ≠ 0, MMD² > 0",
        },
        "tolerance": {
            "min_modes": MIN_MODES,
            "standard_errors": Z_SE,
            "zero": TOL_ZERO,
            "min_gap": MIN_GAP,
        },
        "figures": [ctx.save(fig, "moment_matching.png")],
        "k_max": K_MAX,
        "steps": steps,
        "bandwidths": BANDWIDTHS,
    }


def mmd2_normal_atoms_shift(mu: float, h: float = H_1D) -> float:
    """Exact MMD²(N(0, 1), N(μ, 1)) for the RBF kernel of bandwidth h: 2h/√(h² + 2)·(1 − e^{−μ²/2(h² + 2)})."""
    return 2 * h / math.sqrt(h**2 + 2) * (1 - math.exp(-(mu**2) / (2 * (h**2 + 2))))


EXPERIMENT = Experiment(
    name="moment-matching",
    title="a generator trained by MMD alone beats the two-moment Gaussian on ring8's modes",
    claim=(
        "A generator trained by the MMD² between data and its samples alone (no discriminator; GAN analysis slides, "
        "eq. 13) learns more than low moments: on ring8 it captures ≥ 7 of 8 modes and puts more samples within "
        "3σ of a mode than N(mean, cov of the data) — the law matching the first two moments — by more than 3 "
        "binomial standard errors, with lower reverse KL. The moment lemma (P = Q iff all moment discrepancies "
        "vanish) is shown, not tested: Gauss-Hermite laws match 2n − 1 moments and still differ."
    ),
    measure=measure,
)
