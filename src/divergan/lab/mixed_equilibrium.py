r"""Experiment ``mixed-equilibrium``: no pure equilibrium, a mixed one exists, and small mixtures suffice.

Claims (Zhang lecture notes; Arora et al. 2017, "Generalization and Equilibrium in GANs"):

1. "Equilibrium may not exist for pure strategies" — rock-paper-scissors A = [[0, −1, 1], [1, 0, −1],
   [−1, 1, 0]]: the pure maxmin max_i min_j A_ij = −1 is below the pure minmax min_j max_i A_ij = 1.
2. von Neumann's min-max theorem: with mixed strategies an equilibrium exists; the linear programme
   max_x min_j (xᵀA)_j (scipy ``linprog``, HiGHS) gives value 0 at x = (⅓, ⅓, ⅓).
3. An ε-approximate equilibrium from a mixture of size O(log n/ε²) (the notes' O(n log n/ε²) with n
   the number of parameters): for a random n × n game with payoffs in [−1, 1], solved by the LP,
   the uniform mixture of k pure strategies drawn from each player's equilibrium strategy is an
   ε_k-equilibrium, ε_k = max_i (A ȳ)_i − min_j (x̄ᵀA)_j. Hoeffding and a union bound over the 2n pure
   replies give ε_k ≤ 2√(2 log(4n/δ)/k) with probability ≥ 1 − δ; checked for every repetition at
   δ = 10⁻³, plus the log-log slope of the mean ε_k against k in [−0.75, −0.25] (predicted −½).
4. MIX+GAN (full mode only; :mod:`divergan.train.mixture`): a mixture of K = 4 generators and critics
   captures at least as many grid25 modes as a single GAN with as many parameters (width chosen to
   match), on 3 seeds, same steps. Not run in quick mode (about 3 minutes on 2 cores).

Negative controls (in the tests): a game with a saddle point (claim 1 false) and mixtures drawn from a
non-equilibrium strategy (claim 3 false: ε_k stops shrinking).

Illustration only (not part of ``holds``): the dynamics of pure play — fictitious play and Hedge on RPS
(last iterates cycle, averages converge) and gradient descent-ascent on the Dirac GAN min_θ max_ψ θψ,
whose pure equilibrium (0, 0) exists but simultaneous GDA spirals away from it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from scipy import optimize

from divergan.data import get_dataset
from divergan.lab.base import Context, Experiment
from divergan.metrics import mode_metrics
from divergan.nn import MLP
from divergan.objectives import get_objective
from divergan.train import mixture

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
UNIFORM = np.full(3, 1 / 3)
#: LP round-off: HiGHS solves to 1e-9 feasibility
TOL_LP = 1e-7
#: Hoeffding's failure probability per repetition, and the predicted slope -1/2 ± 1/4
DELTA = 1e-3
SLOPE_RANGE = (-0.75, -0.25)
#: MIX+GAN: components, entropy weight, seeds
K = 4
ENTROPY_WEIGHT = 0.1
SEEDS = 3


def pure_gap(a: np.ndarray) -> dict[str, float]:
    """Pure maxmin max_i min_j A_ij and minmax min_j max_i A_ij (row player maximises)."""
    return {"maxmin": float(a.min(axis=1).max()), "minmax": float(a.max(axis=0).min())}


def solve_game(a: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The value and equilibrium strategies (x, y) of the zero-sum game xᵀAy by two LPs (HiGHS)."""

    def row(m: np.ndarray) -> tuple[float, np.ndarray]:
        n_rows, n_cols = m.shape
        # variables (x_1..x_n, v): maximise v s.t. (xᵀm)_j ≥ v, Σx = 1, x ≥ 0
        c = np.zeros(n_rows + 1)
        c[-1] = -1.0
        a_ub = np.hstack([-m.T, np.ones((n_cols, 1))])
        a_eq = np.hstack([np.ones((1, n_rows)), np.zeros((1, 1))])
        bounds = [(0, None)] * n_rows + [(None, None)]
        res = optimize.linprog(c, A_ub=a_ub, b_ub=np.zeros(n_cols), A_eq=a_eq, b_eq=[1.0], bounds=bounds)
        return float(res.x[-1]), res.x[:-1]

    v, x = row(a)
    _, y = row(-a.T)
    return v, x, y


def exploitability(a: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """ε with (x, y) an ε-equilibrium: max_i (Ay)_i − min_j (xᵀA)_j ≥ 0, = 0 exactly at an equilibrium."""
    return float((a @ y).max() - (x @ a).min())


def hoeffding_bound(n: int, k: int, delta: float = DELTA) -> float:
    """2√(2 log(4n/δ)/k): ε_k's bound with probability ≥ 1 − δ for payoffs in [−1, 1]."""
    return 2 * math.sqrt(2 * math.log(4 * n / delta) / k)


def sampled_mixtures(a, x, y, ks, reps, rng) -> dict:
    """ε_k of uniform mixtures of k pure strategies drawn from x and from y, ``reps`` times per k."""
    n = a.shape[0]
    eps = np.empty((len(ks), reps))
    for i, k in enumerate(ks):
        for r in range(reps):
            xs = np.bincount(rng.choice(len(x), size=k, p=x), minlength=len(x)) / k
            ys = np.bincount(rng.choice(len(y), size=k, p=y), minlength=len(y)) / k
            eps[i, r] = exploitability(a, xs, ys)
    mean = eps.mean(axis=1)
    slope = float(np.polyfit(np.log(ks), np.log(mean), 1)[0])
    bound = np.array([hoeffding_bound(n, k) for k in ks])
    return {
        "k": list(ks),
        "mean": mean,
        "max": eps.max(axis=1),
        "bound": bound,
        "slope": slope,
        "within_bound": bool(np.all(eps.max(axis=1) <= bound)),
        "slope_ok": SLOPE_RANGE[0] <= slope <= SLOPE_RANGE[1],
    }


def random_game(n: int, rng: np.random.Generator) -> np.ndarray:
    """An n × n zero-sum game with i.i.d. U[−1, 1] payoffs."""
    return rng.uniform(-1, 1, size=(n, n))


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


def mix_width(k: int, width: int) -> int:
    """The width of a single MLP generator/critic with about as many parameters as k of width ``width``."""

    def params(w: int) -> int:
        return sum(p.numel() for p in MLP(2, 2, width=w, depth=2).parameters())

    target = k * params(width)
    return min(range(width, 8 * width), key=lambda w: abs(params(w) - target))


def train_mix(k: int, width: int, steps: int, seed: int) -> tuple[mixture.MixtureGenerator, dict]:
    """MIX+GAN (train.mixture) with k components on grid25; mode metrics of 2,500 samples."""
    data = get_dataset("grid25")
    torch.manual_seed(seed)
    gen = mixture.MixtureGenerator([MLP(2, 2, width=width, depth=2) for _ in range(k)], z_dim=2)
    crit = mixture.MixtureCritic([MLP(2, 1, width=width, depth=2, squeeze=True) for _ in range(k)])
    obj = get_objective("non-saturating")
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(crit.parameters(), lr=1e-3, betas=(0.5, 0.999))
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        real = data.sample(128, g)
        z = torch.randn(128, 3, generator=g)
        fakes = gen.every(z).detach()
        loss_d = mixture.critic_loss(obj, crit, gen.weights.detach(), real, fakes, ENTROPY_WEIGHT)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = mixture.generator_loss(obj, gen, crit, real, gen.every(z), ENTROPY_WEIGHT)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    with torch.no_grad():
        x = gen(torch.randn(2500, 3, generator=torch.Generator().manual_seed(seed + 1)))
    return gen, mode_metrics(x, data.modes, data.std)


def evaluate_games(n: int, ks: list[int], reps: int, rng, strategy: str = "equilibrium") -> dict:
    """Claims 1-3; ``strategy="uniform"`` draws the mixtures from the uniform strategy (negative control)."""
    gap = pure_gap(RPS)
    v_rps, x_rps, y_rps = solve_game(RPS)
    game = random_game(n, rng)
    v, x, y = solve_game(game)
    if strategy == "uniform":
        x = y = np.full(n, 1.0 / n)
    mixtures = sampled_mixtures(game, x, y, ks, reps, rng)
    checks = {
        "rps_no_pure_equilibrium": gap["maxmin"] < gap["minmax"],
        "rps_mixed_value_0_at_uniform": abs(v_rps) <= TOL_LP
        and float(np.abs(x_rps - UNIFORM).max()) <= TOL_LP
        and float(np.abs(y_rps - UNIFORM).max()) <= TOL_LP,
        "lp_solution_is_equilibrium": exploitability(game, *solve_game(game)[1:]) <= TOL_LP,
        "k_mixtures_within_hoeffding": mixtures["within_bound"],
        "k_mixture_slope_minus_half": mixtures["slope_ok"],
    }
    return {
        "checks": checks,
        "holds": all(checks.values()),
        "rps": {**gap, "mixed_value": v_rps, "x": x_rps, "y": y_rps},
        "random_game": {"n": n, "value": v},
        "mixtures": mixtures,
    }


def measure(ctx: Context) -> dict:
    rounds = 2000 if ctx.quick else 20000
    eta = 0.1
    games = {
        "rps_fictitious_play": fictitious_play(rounds),
        "rps_hedge": hedge(rounds, eta),
        "dirac_simultaneous": dirac_gan(rounds, eta, alternating=False),
        "dirac_alternating": dirac_gan(rounds, eta, alternating=True),
    }
    summary = {
        name: {"last_final": g["last"][-1], "average_final": g["average"][-1]} for name, g in games.items()
    }
    ks = [4, 16, 64, 256, 1024] if ctx.quick else [4, 16, 64, 256, 1024, 4096]
    ev = evaluate_games(30, ks, 20 if ctx.quick else 100, ctx.rng())
    checks = dict(ev["checks"])
    mix_rows = []
    if not ctx.quick:
        steps, width = 6000, 64
        single_width = mix_width(K, width)
        for s in range(SEEDS):
            _, single = train_mix(1, single_width, steps, ctx.seed + s)
            mix_gen, mixed = train_mix(K, width, steps, ctx.seed + s)
            mix_rows.append(
                {
                    "seed": ctx.seed + s,
                    "single_modes": single["modes"],
                    "single_high_quality": single["high_quality"],
                    "mix_modes": mixed["modes"],
                    "mix_high_quality": mixed["high_quality"],
                    "mix_weights": mix_gen.weights.detach(),
                }
            )
        checks["mixgan_modes_at_least_single_every_seed"] = all(
            r["mix_modes"] >= r["single_modes"] for r in mix_rows
        )

    fig = Figure(figsize=(15, 4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    mx = ev["mixtures"]
    ax1.loglog(mx["k"], mx["mean"], "C0o-", label="mean ε_k (mixtures from the equilibrium)")
    ax1.loglog(mx["k"], mx["max"], "C0^:", label="max over repetitions")
    ax1.loglog(mx["k"], mx["bound"], "k--", label="Hoeffding 2√(2 log(4n/δ)/k), δ = 1e-3")
    ax1.set_xlabel("k (pure strategies in each mixture)")
    ax1.set_ylabel("ε_k")
    ax1.set_title(f"ε-equilibria from k-sample mixtures, random {ev['random_game']['n']}² game", fontsize=9)
    ax1.legend(fontsize=7)
    t = np.arange(1, rounds + 1)
    for i, name in enumerate(("rps_fictitious_play", "rps_hedge")):
        ax2.loglog(t, games[name]["last"], f"C{i}-", lw=0.6, alpha=0.7, label=f"{name[4:]}: last iterate")
        ax2.loglog(t, games[name]["average"], f"C{i}--", lw=1.5, label=f"{name[4:]}: average")
    ax2.set_xlabel("round")
    ax2.set_ylabel("‖x − u‖ + ‖y − u‖")
    ax2.set_title(
        f"RPS: pure maxmin {ev['rps']['maxmin']:g} < minmax {ev['rps']['minmax']:g}; LP value "
        f"{ev['rps']['mixed_value']:.1e} (illustration: dynamics)",
        fontsize=8,
    )
    ax2.legend(fontsize=7)
    for i, name in enumerate(("dirac_simultaneous", "dirac_alternating")):
        ax3.loglog(t, games[name]["last"], f"C{i + 2}-", lw=1, label=f"{name[6:]} GDA: last iterate")
        ax3.loglog(t, games[name]["average"], f"C{i + 2}--", lw=1.5, label=f"{name[6:]} GDA: average")
    ax3.set_xlabel("step")
    ax3.set_ylabel("‖(θ, ψ)‖")
    ax3.set_title(f"Dirac GAN θψ (pure equilibrium (0,0) exists), η = {eta}: illustration", fontsize=8)
    ax3.legend(fontsize=7)
    fig.suptitle("No pure equilibrium, a mixed one exists, small mixtures are ε-equilibria", fontsize=10)
    return {
        "measured": {
            "checks": checks,
            "rps": ev["rps"],
            "random_game": ev["random_game"],
            "mixtures": ev["mixtures"],
            "mixgan": mix_rows if mix_rows else "not run in quick mode",
            "dynamics_illustration": summary,
        },
        "expected": {
            "rps": "pure maxmin −1 < pure minmax 1; mixed value 0 at (⅓, ⅓, ⅓)",
            "mixtures": f"ε_k ≤ Hoeffding bound (δ = {DELTA}) for every repetition; slope in {SLOPE_RANGE}",
            "mixgan": "modes(K = 4) ≥ modes(parameter-matched single GAN) on each of 3 seeds (full mode)",
        },
        "tolerance": {"lp": TOL_LP, "delta": DELTA, "slope_range": SLOPE_RANGE},
        "figures": [ctx.save(fig, "mixed_equilibrium.png")],
        "rounds": rounds,
    }


EXPERIMENT = Experiment(
    name="mixed-equilibrium",
    title="RPS has no pure equilibrium, a mixed one (value 0); k-sample mixtures are O(√(log n/k))-equilibria",
    claim=(
        "Equilibrium may not exist for pure strategies: in rock-paper-scissors pure maxmin −1 < pure minmax 1; with "
        "mixed strategies one exists (von Neumann), value 0 at (⅓, ⅓, ⅓) by LP; uniform mixtures of k strategies "
        "drawn from an equilibrium of a random 30 × 30 game are ε_k-equilibria with ε_k ≤ 2√(2 log(4n/δ)/k) and "
        "slope −½ (Zhang lecture notes; Arora et al. 2017); full mode adds MIX+GAN (K = 4) ≥ a "
        "parameter-matched single GAN in grid25 modes on 3 seeds."
    ),
    measure=measure,
)
