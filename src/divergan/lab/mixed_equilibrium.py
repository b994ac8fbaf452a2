r"""Experiment 9, ``mixed-equilibrium``: pure strategies cycle, mixed strategies converge; MIX+GAN.

Claim (seed 002; Arora et al. 2017, "Generalization and Equilibrium in GANs"): a zero-sum game need not
have a pure equilibrium, only a mixed one (von Neumann). On rock-paper-scissors,
max_x min_y xᵀAy with A = [[0, −1, 1], [1, 0, −1], [−1, 1, 0]], the unique equilibrium is x = y = (⅓, ⅓, ⅓);
on the bilinear "Dirac GAN" min_θ max_ψ θψ it is (0, 0). Play on pure strategies (best responses;
gradient descent-ascent on the parameters) cycles: the distance to the equilibrium does not shrink,
and simultaneous gradient play spirals out, ‖(θ, ψ)‖ growing by √(1 + η²) a step. Mixed strategies, the
time averages of fictitious play, of multiplicative weights (Hedge) and of alternating gradient play,
converge to the equilibrium. MIX+GAN (:mod:`divergan.lab.mixgan`), a mixture of K generators against K
critics with softmax weights and an entropy term, is compared with a single GAN on ``grid25``.

Measured: the distances to the equilibrium (‖x − u‖₂ + ‖y − u‖₂ on RPS, ‖(θ, ψ)‖₂ on the Dirac GAN)
of the last iterate and of the running average, over T rounds; modes captured and high-quality
fraction (:func:`divergan.metrics.mode_metrics`) of MIX+GAN (K = 4) and of a single GAN (K = 1), same
networks, same steps.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from divergan.data import get_dataset
from divergan.lab.base import Context, Experiment
from divergan.lab.mixgan import MixGAN
from divergan.metrics import mode_metrics

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
UNIFORM = np.full(3, 1 / 3)
#: averaged strategies must end within this distance of the equilibrium
TOL_AVERAGE = 0.05
#: last iterates must keep at least this fraction of their initial distance (no convergence)
MIN_KEEP = 0.9
#: MIX+GAN: components, entropy weight, and the least normalised entropy H(w)/log K at the end
K = 4
ENTROPY_WEIGHT = 0.1
MIN_WEIGHT_ENTROPY = 0.9


def rps_distance(x: np.ndarray, y: np.ndarray) -> float:
    """‖x − u‖₂ + ‖y − u‖₂ with u uniform: 0 exactly at the RPS equilibrium."""
    return float(np.linalg.norm(x - UNIFORM) + np.linalg.norm(y - UNIFORM))


def fictitious_play(rounds: int) -> dict:
    """Both players best-respond (a pure strategy) to the other's empirical frequency so far."""
    counts_x, counts_y = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    last, avg = [], []
    for _ in range(rounds):
        bx = np.eye(3)[np.argmax(RPS @ (counts_y / counts_y.sum()))]  # row maximises xᵀAy
        by = np.eye(3)[np.argmin((counts_x / counts_x.sum()) @ RPS)]  # column minimises
        counts_x += bx
        counts_y += by
        last.append(rps_distance(bx, by))
        avg.append(rps_distance(counts_x / counts_x.sum(), counts_y / counts_y.sum()))
    return {"last": last, "average": avg}


def hedge(rounds: int, eta: float) -> dict:
    """Simultaneous multiplicative weights from a perturbed start; last iterate and running average."""
    sx, sy = np.log([0.5, 0.3, 0.2]), np.log([0.2, 0.3, 0.5])
    sum_x, sum_y = np.zeros(3), np.zeros(3)
    last, avg = [], []
    for t in range(1, rounds + 1):
        x, y = np.exp(sx - sx.max()), np.exp(sy - sy.max())
        x, y = x / x.sum(), y / y.sum()
        sum_x += x
        sum_y += y
        last.append(rps_distance(x, y))
        avg.append(rps_distance(sum_x / t, sum_y / t))
        sx, sy = sx + eta * RPS @ y, sy - eta * RPS.T @ x
    return {"last": last, "average": avg}


def dirac_gan(rounds: int, eta: float, alternating: bool) -> dict:
    """Gradient descent-ascent on min_θ max_ψ θψ from (1, 1); ‖last iterate‖ and ‖running average‖."""
    theta, psi = 1.0, 1.0
    sum_t, sum_p = 0.0, 0.0
    last, avg = [], []
    for t in range(1, rounds + 1):
        sum_t += theta
        sum_p += psi
        last.append(float(np.hypot(theta, psi)))
        avg.append(float(np.hypot(sum_t / t, sum_p / t)))
        new_theta = theta - eta * psi
        psi = psi + eta * (new_theta if alternating else theta)
        theta = new_theta
    return {"last": last, "average": avg}


def train_mix(ctx: Context, k: int, steps: int) -> tuple[MixGAN, dict]:
    """MIX+GAN with k components on grid25 (k = 1: a single GAN); mode metrics of 2,500 samples."""
    data = get_dataset("grid25")
    mix = MixGAN(k=k, z_dim=2, x_dim=2, width=64, entropy_weight=ENTROPY_WEIGHT, lr=1e-3, seed=ctx.seed)
    g = ctx.generator(10 + k)
    for _ in range(steps):
        mix.step(data.sample(128, g), g)
    return mix, mode_metrics(mix.sample(2500, ctx.generator(20 + k)), data.modes, data.std)


def measure(ctx: Context) -> dict:
    rounds = 2000 if ctx.quick else 20000
    steps = 1500 if ctx.quick else 6000
    eta = 0.1
    games = {
        "rps_fictitious_play": fictitious_play(rounds),
        "rps_hedge": hedge(rounds, eta),
        "dirac_simultaneous": dirac_gan(rounds, eta, alternating=False),
        "dirac_alternating": dirac_gan(rounds, eta, alternating=True),
    }
    summary = {
        name: {
            "last_initial": g["last"][0],
            "last_final": g["last"][-1],
            "last_min_over_second_half": min(g["last"][rounds // 2 :]),
            "average_final": g["average"][-1],
        }
        for name, g in games.items()
    }
    single, single_modes = train_mix(ctx, 1, steps)
    mix, mix_modes = train_mix(ctx, K, steps)

    cycles = all(s["last_min_over_second_half"] >= MIN_KEEP * s["last_initial"] for s in summary.values())
    averages = all(
        summary[n]["average_final"] <= TOL_AVERAGE
        for n in ("rps_fictitious_play", "rps_hedge", "dirac_alternating")
    )
    spirals = summary["dirac_simultaneous"]["last_final"] > summary["dirac_simultaneous"]["last_initial"]
    mix_ok = mix_modes["modes"] >= single_modes["modes"] and mix.weight_entropy() >= MIN_WEIGHT_ENTROPY
    holds = cycles and averages and spirals and mix_ok

    fig = Figure(figsize=(15, 4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    t = np.arange(1, rounds + 1)
    for i, name in enumerate(("rps_fictitious_play", "rps_hedge")):
        ax1.loglog(
            t, games[name]["last"], f"C{i}-", lw=0.6, alpha=0.7, label=f"{name[4:]}: last (pure/current)"
        )
        ax1.loglog(t, games[name]["average"], f"C{i}--", lw=1.5, label=f"{name[4:]}: average (mixed)")
    ax1.set_xlabel("round")
    ax1.set_ylabel("‖x − u‖ + ‖y − u‖")
    ax1.set_title("rock-paper-scissors", fontsize=9)
    ax1.legend(fontsize=7)
    for i, name in enumerate(("dirac_simultaneous", "dirac_alternating")):
        ax2.loglog(t, games[name]["last"], f"C{i + 2}-", lw=1, label=f"{name[6:]} GDA: last iterate")
        ax2.loglog(t, games[name]["average"], f"C{i + 2}--", lw=1.5, label=f"{name[6:]} GDA: average")
    ax2.set_xlabel("step")
    ax2.set_ylabel("‖(θ, ψ)‖")
    ax2.set_title(f"Dirac GAN min_θ max_ψ θψ, η = {eta}", fontsize=9)
    ax2.legend(fontsize=7)
    data = get_dataset("grid25")
    xs = single.sample(1000, ctx.generator(30)).numpy()
    xm = mix.sample(1000, ctx.generator(31)).numpy()
    ax3.scatter(xs[:, 0], xs[:, 1], s=2, alpha=0.5, label=f"single GAN: {single_modes['modes']}/25 modes")
    ax3.scatter(xm[:, 0], xm[:, 1], s=2, alpha=0.5, label=f"MIX+GAN K={K}: {mix_modes['modes']}/25 modes")
    ax3.scatter(data.modes[:, 0], data.modes[:, 1], c="k", marker="x", s=15)
    ax3.set_aspect("equal")
    ax3.set_title(f"grid25, {steps} steps", fontsize=9)
    ax3.legend(fontsize=7, loc="upper right")
    fig.suptitle("Pure strategies cycle, mixed strategies converge (seed 002)", fontsize=10)
    w, u = mix.weights
    return {
        "measured": {
            "games": summary,
            "single_gan": {"modes": single_modes["modes"], "high_quality": single_modes["high_quality"]},
            "mixgan": {
                "k": K,
                "modes": mix_modes["modes"],
                "high_quality": mix_modes["high_quality"],
                "generator_weights": w,
                "critic_weights": u,
                "weight_entropy": mix.weight_entropy(),
            },
        },
        "expected": {
            "last_iterates": f"distance to equilibrium stays ≥ {MIN_KEEP} × initial (cycling)",
            "averages": f"distance to equilibrium ≤ {TOL_AVERAGE}",
            "dirac_simultaneous": "‖(θ, ψ)‖ grows",
            "mixgan": f"modes ≥ single GAN's, H(w)/log K ≥ {MIN_WEIGHT_ENTROPY}",
        },
        "tolerance": {"average": TOL_AVERAGE, "min_keep": MIN_KEEP, "min_weight_entropy": MIN_WEIGHT_ENTROPY},
        "holds": bool(holds),
        "figures": [ctx.save(fig, "mixed_equilibrium.png")],
        "rounds": rounds,
        "gan_steps": steps,
    }


EXPERIMENT = Experiment(
    name="mixed-equilibrium",
    title="pure strategies cycle (RPS, Dirac GAN), mixed strategies converge; MIX+GAN vs a single GAN",
    claim=(
        "In games with no pure equilibrium (rock-paper-scissors, the bilinear Dirac GAN) play on pure strategies "
        "cycles around the equilibrium while mixed strategies (time averages) converge to it; a mixture of "
        "generators and critics (MIX+GAN) covers at least as many modes of grid25 as a single GAN (seed 002)."
    ),
    measure=measure,
)
