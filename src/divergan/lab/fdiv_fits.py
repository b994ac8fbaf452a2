r"""Experiment 4, ``fdiv-fits``: which Gaussian each f-divergence picks for a bimodal law.

Claim (GAN analysis slides eqs. 3-7; Zhang lecture notes, panels A-D; Nowozin et al. 2016, f-GAN): fitting Q_{μ,σ} = N(μ, σ²) to the bimodal
P = ½N(−2, ½²) + ½N(2, ½²) by minimising D_f(P‖Q) gives different answers per f: KL(P‖Q) covers both
modes (μ = 0, σ² = Var P), reverse KL seeks one mode (μ ≈ ±2, σ ≈ ½); JS_π moves from covering to
seeking as π goes 0.1 → 0.5 → 0.99 (JS_π ≈ π·KL(P‖Q) for small π, ≈ (1 − π)·KL(Q‖P) for π → 1).
Variational divergence minimisation (f-GAN, eq. 7) lands on its own divergence's minimiser for the
mode-covering divergences KL and JS: each f-GAN fit is nearer (in (|μ|, σ)) to the exact argmin of the
divergence it optimises than to any other divergence's argmin in the table (the KL and JS argmins differ
by 0.02 in σ, so this tells them apart). Not claimed, and measured in full mode only: the mode-seeking
f-GANs (reverse KL, JS_0.99) do *not* find their minimisers with this critic and budget — from
(μ, σ) = (1, 1) they stay covering (JS_0.99: μ ≈ 0.02, σ ≈ 1.95, seed 0) although exact descent from the
same start reaches the mode (2, ½); their optimal critics involve q/p ≈ 10³ between the modes.

The JS_π limits: JS_π(P‖Q)/π → KL(P‖Q) as π → 0 and JS_π(P‖Q)/(1 − π) → KL(Q‖P) as π → 1, with an
error O(π) when p/q is bounded (resp. O(1 − π) when q/p is); checked by quadrature at π, 1 − π ∈
{0.1, 0.01, 0.001} with Q = N(0, 2²) for π → 0 (P's tails are lighter, p/q ≤ 4.1) and Q = N(2, 0.4²)
for π → 1 (Q's tails are lighter, q/p bounded): the relative error must fall at least 5× per decade
(linear convergence gives 10×) and be ≤ 1% at 0.001. With Q = N(0, 2²) the π → 1 limit converges
much more slowly (q/p ≈ 740 between the modes, unbounded in the tails): boundedness matters.

Measured: the argmin of D_f(P‖Q_{μ,σ}) computed by quadrature of ∫ q f(p/q) (the table's
``perspective``) and Nelder-Mead from several starts; then f-GAN fits (critic V with g_f, saddle
generator loss of :func:`divergan.objectives.get_objective` ``fgan-NAME``, generator x = μ + σz) compared
with those argmins.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from matplotlib.figure import Figure
from scipy import optimize, stats

from divergan.divergences import get
from divergan.lab._nets import critic
from divergan.lab.base import Context, Experiment
from divergan.objectives import get_objective

MEANS, STD = (-2.0, 2.0), 0.5
#: (label, table name, parameters)
DIVERGENCES = [
    ("kl", "kl", {}),
    ("reverse-kl", "reverse-kl", {}),
    ("js", "js", {}),
    ("squared-hellinger", "squared-hellinger", {}),
    ("js-pi 0.1", "js-pi", {"pi": 0.1}),
    ("js-pi 0.5", "js-pi", {"pi": 0.5}),
    ("js-pi 0.99", "js-pi", {"pi": 0.99}),
]
#: the f-GAN fits claimed (both modes); the full mode also fits the others and reports them unclaimed
CLAIMED_FITS = ("kl", "js")
#: the JS_π limits: relative error must shrink at least this much per decade of π (O(π) gives 10)
MIN_LIMIT_RATE = 5.0
PIS = (0.1, 0.01, 0.001)
X = np.linspace(-12, 12, 6001)


def p_density(x: np.ndarray) -> np.ndarray:
    return 0.5 * stats.norm.pdf(x, MEANS[0], STD) + 0.5 * stats.norm.pdf(x, MEANS[1], STD)


def objective(name: str, params: dict, mu: float, sigma: float) -> float:
    """D_f(P‖N(μ, σ²)) = ∫ q f(p/q) by the trapezoidal rule on a fine grid."""
    fdiv = get(name, **params)
    p = torch.as_tensor(p_density(X))
    q = torch.as_tensor(stats.norm.pdf(X, mu, sigma))
    return float(np.trapezoid(fdiv.perspective(p, q).numpy(), X))


def exact_argmin(name: str, params: dict) -> dict[str, float]:
    """argmin over (μ, σ) from starts at both modes and the centre; ties broken towards μ ≥ 0."""
    best = None
    for mu0 in (0.0, 2.0):
        for s0 in (0.5, 2.0):
            res = optimize.minimize(
                lambda v: objective(name, params, v[0], math.exp(v[1])),
                x0=[mu0, math.log(s0)],
                method="Nelder-Mead",
                options={"xatol": 1e-5, "fatol": 1e-9, "maxiter": 2000},
            )
            if best is None or res.fun < best.fun - 1e-9:
                best = res
    mu, sigma = float(best.x[0]), float(math.exp(best.x[1]))
    if mu < -1e-3:  # P is symmetric: report the minimiser on the right
        mu = -mu
    return {"mu": mu, "sigma": sigma, "value": float(best.fun)}


def fgan_fit(name: str, params: dict, steps: int, batch: int, seed: int) -> dict[str, float]:
    """Variational divergence minimisation: min_{μ,σ} max_V E_P g_f(V) − E_Q f*(g_f(V))."""
    obj = get_objective(f"fgan-{name}", generator="saddle", **params)
    net = critic(1, width=64, depth=2, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    mu = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(1.0), dtype=torch.float64, requires_grad=True)
    opt_c = torch.optim.Adam(net.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam([mu, log_sigma], lr=1e-2, betas=(0.5, 0.999))
    sched = torch.optim.lr_scheduler.LambdaLR(opt_g, lambda t: 1.0 if t < steps // 2 else 0.2)
    centres = torch.tensor(MEANS, dtype=torch.float64)
    tail: list[tuple[float, float]] = []
    for step in range(steps):
        idx = torch.randint(2, (batch,), generator=gen)
        real = (centres[idx] + STD * torch.randn(batch, generator=gen, dtype=torch.float64)).reshape(-1, 1)
        z = torch.randn(batch, 1, generator=gen, dtype=torch.float64)
        fake = mu + log_sigma.exp() * z
        for _ in range(2):
            loss_c = obj.critic_loss(net(real), net(fake.detach()))
            opt_c.zero_grad()
            loss_c.backward()
            opt_c.step()
        loss_g = obj.generator_loss(net(real), net(fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        sched.step()
        if step >= 3 * steps // 4:  # average the last quarter of iterates (Polyak): less batch noise
            tail.append((float(mu.detach()), float(log_sigma.detach().exp())))
    m, sd = np.mean(tail, axis=0)
    return {"mu": abs(float(m)), "sigma": float(sd), "mu_signed": float(m)}


def nearest_argmin(fit: dict[str, float], exact: dict[str, dict[str, float]]) -> list[str]:
    """The labels whose exact argmin (|μ|, σ) is nearest to the fit's (ties: JS and JS_0.5 coincide)."""
    dist = {k: math.hypot(fit["mu"] - exact[k]["mu"], fit["sigma"] - exact[k]["sigma"]) for k in exact}
    best = min(dist.values())
    return [k for k, d in dist.items() if d <= best + 1e-6]


def kl_q(mu: float, sigma: float) -> tuple[float, float]:
    """KL(P‖Q) and KL(Q‖P) for Q = N(μ, σ²), by the same trapezoid quadrature."""
    return objective("kl", {}, mu, sigma), objective("reverse-kl", {}, mu, sigma)


def js_pi_limits(js_pi=None) -> dict:
    """Relative errors of JS_π/π against KL(P‖Q), Q = N(0, 2²), and of JS_{1−π}/π against KL(Q‖P), Q = N(2, 0.4²).

    ``js_pi(pi, mu, sigma)`` computes JS_π(P‖Q); the default is the table's entry (a negative control
    passes one with π and 1 − π swapped).
    """
    if js_pi is None:

        def js_pi(pi, mu, sigma):
            return objective("js-pi", {"pi": pi}, mu, sigma)

    kl_pq, _ = kl_q(0.0, 2.0)
    _, kl_qp = kl_q(2.0, 0.4)
    low = [abs(js_pi(p, 0.0, 2.0) / p - kl_pq) / kl_pq for p in PIS]
    high = [abs(js_pi(1 - p, 2.0, 0.4) / p - kl_qp) / kl_qp for p in PIS]
    ok = (
        all(a >= MIN_LIMIT_RATE * b for errs in (low, high) for a, b in itertools.pairwise(errs))
        and max(low[-1], high[-1]) <= 0.01
    )
    return {"pi": list(PIS), "rel_error_pi_to_0": low, "rel_error_pi_to_1": high, "ok": bool(ok)}


def measure(ctx: Context) -> dict:
    exact = {label: exact_argmin(name, params) for label, name, params in DIVERGENCES}
    fitted_labels = list(CLAIMED_FITS) if ctx.quick else [d[0] for d in DIVERGENCES]
    steps, batch = (1500, 256) if ctx.quick else (6000, 512)
    fits = {}
    for k, (label, name, params) in enumerate(DIVERGENCES):
        if label in fitted_labels:
            fits[label] = fgan_fit(name, params, steps, batch, ctx.seed + k)
    errors = {
        label: {
            "mu": abs(fits[label]["mu"] - exact[label]["mu"]),
            "sigma": abs(fits[label]["sigma"] - exact[label]["sigma"]),
        }
        for label in fits
    }
    var_p = STD**2 + 4.0
    covering = abs(exact["kl"]["mu"]) < 1e-3 and abs(exact["kl"]["sigma"] - math.sqrt(var_p)) < 1e-3
    seeking = abs(exact["reverse-kl"]["mu"] - 2.0) < 0.05 and abs(exact["reverse-kl"]["sigma"] - STD) < 0.05
    s = [exact[f"js-pi {p}"]["sigma"] for p in ("0.1", "0.5", "0.99")]
    js_pi_order = s[0] > s[1] >= s[2] - 1e-6 and exact["js-pi 0.99"]["mu"] > 1.5
    nearest = {label: nearest_argmin(fits[label], exact) for label in fits}
    limits = js_pi_limits()
    checks = {
        "kl_covers": covering,
        "reverse_kl_seeks": seeking,
        "js_pi_order": js_pi_order,
        "js_pi_limits": limits["ok"],
        **{f"fgan_{label}_nearest_own_argmin": label in nearest[label] for label in CLAIMED_FITS},
    }

    fig = Figure(figsize=(15, 7.5), layout="constrained")
    axes = fig.subplots(2, 4).ravel()
    xs = np.linspace(-6, 6, 1200)
    axes[0].fill_between(xs, p_density(xs), color="C0", alpha=0.4)
    axes[0].set_title("A: P = ½N(−2, ½²) + ½N(2, ½²)", fontsize=9)
    for ax, (label, _name, _params) in zip(axes[1:], DIVERGENCES):
        e = exact[label]
        ax.fill_between(xs, p_density(xs), color="C0", alpha=0.25)
        ax.plot(
            xs,
            stats.norm.pdf(xs, e["mu"], e["sigma"]),
            "k-",
            lw=2,
            label=f"argmin: μ={e['mu']:.2f}, σ={e['sigma']:.2f}",
        )
        if label in fits:
            f = fits[label]
            ax.plot(
                xs,
                stats.norm.pdf(xs, f["mu_signed"], f["sigma"]),
                "C3--",
                lw=2,
                label=f"f-GAN: μ={f['mu_signed']:.2f}, σ={f['sigma']:.2f}",
            )
        panel = {"js-pi 0.1": "B: ", "js-pi 0.5": "C: ", "js-pi 0.99": "D: "}.get(label, "")
        ax.set_title(f"{panel}argmin_Q {label}(P‖Q)", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        ax.set_ylim(0, 0.9)
    fig.suptitle(
        "Fitting one Gaussian to two modes: mode covering (KL) vs mode seeking (reverse KL); JS_π panels A-D (Zhang lecture notes)",
        fontsize=10,
    )
    return {
        "measured": {
            "checks": checks,
            "exact_argmin": exact,
            "fgan_fit": fits,
            "fit_error": errors,
            "fgan_nearest_argmin": nearest,
            "js_pi_limits": limits,
        },
        "expected": {
            "kl": f"μ = 0, σ = √Var P = {math.sqrt(var_p):.4f} (mode covering)",
            "reverse-kl": "μ ≈ ±2, σ ≈ 0.5 (mode seeking)",
            "js-pi": "σ*(π = 0.1) > σ*(0.5) ≥ σ*(0.99), μ*(0.99) at a mode",
            "fgan_fit": "KL and JS fits nearest to their own exact argmin among all seven (others unclaimed)",
            "js_pi_limits": f"relative error falls ≥ ×{MIN_LIMIT_RATE:g} per decade, ≤ 1% at π = 0.001",
        },
        "tolerance": {"kl_closed_form": 1e-3, "reverse_kl_mode": 0.05, "limit_rate": MIN_LIMIT_RATE},
        "figures": [ctx.save(fig, "fdiv_fits.png")],
        "settings": {"steps": steps, "batch": batch, "critic_steps_per_generator_step": 2},
    }


EXPERIMENT = Experiment(
    name="fdiv-fits",
    title="fit a Gaussian to two modes under each f-divergence: KL covers, reverse KL seeks, JS_π between",
    claim=(
        "Minimising D_f(P‖Q_{μ,σ}) for P = ½N(−2, ½²) + ½N(2, ½²) picks mode covering for KL (μ = 0, σ² = Var P), "
        "mode seeking for reverse KL (μ ≈ 2, σ ≈ ½), and JS_π moves from covering to seeking as π goes 0.1 → "
        "0.5 → 0.99 (Zhang lecture notes, panels A-D); JS_π/π → KL(P‖Q) as π → 0 and JS_π/(1−π) → KL(Q‖P) as "
        "π → 1 at rate O(π); the KL and JS f-GAN fits (Nowozin et al. 2016; GAN analysis slides eq. 7) are each nearest "
        "to their own divergence's exact argmin among the seven. Not claimed: mode-seeking f-GANs (reverse KL, "
        "JS_0.99) stay covering with this critic and budget (full mode shows them)."
    ),
    measure=measure,
)
