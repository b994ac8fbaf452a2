r"""Experiment 5, ``topology``: W metrizes weak convergence; JS, TV and KL induce stronger topologies.

Claim (seed 000 "How weak"): KL(P_n‖P) → 0 ⇒ JS(P_n‖P) → 0 ⇔ TV(P_n, P) → 0 ⇒ W(P_n, P) → 0 on a
bounded space, and none of the converse implications holds: there are sequences converging in W but
not in JS, TV or KL.

Measured:

* three sequences, every value exact (:func:`divergan.divergences.f_divergence`,
  :func:`divergan.divergences.wasserstein`, :func:`divergan.estimators.wasserstein`):
  (a) δ_{1/n} → δ_0: W = 1/n → 0 while JS = log 2, TV = 1, KL = ∞ for every n;
  (b) N(1/n, 1) → N(0, 1): all four → 0 (KL = 1/(2n²), W = 1/n);
  (c) the uniform law on n quantiles of N(0, 1) → N(0, 1): W → 0, yet the laws stay mutually singular
  (JS = log 2, TV = 1, KL = ∞): empirical measures converge only weakly;
* the inequalities behind the implications, on random pairs of laws on {0, ..., K − 1}:
  Pinsker TV ≤ √(KL/2), TV²/2 ≤ JS ≤ log 2 · TV, and W₁ ≤ (K − 1)·TV (the diameter).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from divergan.divergences import Discrete, Normal, f_divergence
from divergan.divergences import wasserstein as exact_wasserstein
from divergan.estimators import wasserstein as ot_wasserstein
from divergan.lab.base import Context, Experiment

LOG2 = math.log(2)
#: slack for exact values and for the inequalities (round-off only)
TOL = 1e-9
#: the support size of the random discrete pairs
K = 10


def _values(p, q, w: float) -> dict[str, float]:
    return {
        "kl": f_divergence("kl", p, q),
        "js": f_divergence("js", p, q),
        "tv": f_divergence("tv", p, q),
        "w": w,
    }


def sequences(ns: list[int], quantiles: int) -> dict[str, list[dict[str, float]]]:
    """The three sequences (a), (b), (c) of the module docstring at each n."""
    normal = Normal((0.0,), (1.0,))
    grid = stats.norm.ppf((np.arange(quantiles) + 0.5) / quantiles)  # fine stand-in for N(0, 1) in W
    out: dict[str, list[dict[str, float]]] = {"dirac": [], "shifted_normal": [], "empirical_quantiles": []}
    for n in ns:
        # (a) δ_{1/n} vs δ_0: on the two atoms {1/n, 0} the laws are (1, 0) and (0, 1)
        out["dirac"].append(
            {"n": n, **_values(Discrete((1.0, 0.0)), Discrete((0.0, 1.0)), ot_wasserstein([1 / n], [0.0]))}
        )
        shifted = Normal((1.0 / n,), (1.0,))
        out["shifted_normal"].append({"n": n, **_values(shifted, normal, exact_wasserstein(shifted, normal))})
        points = stats.norm.ppf((np.arange(n) + 0.5) / n)  # n atoms: a discrete law, singular to N(0, 1)
        atoms = Discrete(tuple(np.full(n, 1.0 / n)))
        out["empirical_quantiles"].append({"n": n, **_values(atoms, normal, ot_wasserstein(points, grid))})
    return out


def inequalities(pairs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """KL, JS, TV and W₁ of random pairs of laws on {0..K−1} (Dirichlet(1/2) draws, some sparse)."""
    rows = []
    for _ in range(pairs):
        p, q = rng.dirichlet(np.full(K, 0.5), size=2)
        p[p < 1e-3] = 0.0  # some zeros: KL = ∞ cases are included
        p /= p.sum()
        a, b = Discrete(tuple(p)), Discrete(tuple(q))
        rows.append([f_divergence(n, a, b) for n in ("kl", "js", "tv")] + [exact_wasserstein(a, b)])
    kl, js, tv, w = np.array(rows).T
    return {"kl": kl, "js": js, "tv": tv, "w": w}


def measure(ctx: Context) -> dict:
    ns = (
        [1, 2, 4, 8, 16, 32, 64, 128, 256]
        if ctx.quick
        else [int(v) for v in np.unique(np.geomspace(1, 4096, 25).astype(int))]
    )
    seqs = sequences(ns, 20_000 if ctx.quick else 200_000)
    ineq = inequalities(300 if ctx.quick else 5000, ctx.rng())

    a, b, c = seqs["dirac"], seqs["shifted_normal"], seqs["empirical_quantiles"]
    singular_ok = all(
        abs(r["js"] - LOG2) <= TOL and abs(r["tv"] - 1) <= TOL and math.isinf(r["kl"]) for r in a + c
    )
    dirac_w_ok = all(abs(r["w"] - 1 / r["n"]) <= TOL for r in a)
    quantile_w = [r["w"] for r in c]
    w_to_zero = quantile_w[-1] < 0.05 * quantile_w[0] and all(
        x >= y - TOL for x, y in itertools.pairwise(quantile_w)
    )
    normal_ok = all(
        abs(r["kl"] - 0.5 / r["n"] ** 2) <= TOL and abs(r["w"] - 1 / r["n"]) <= 1e-6 for r in b
    ) and all(b[-1][k] < 0.01 * b[0][k] for k in ("kl", "js", "tv", "w"))
    pinsker = float(np.max(ineq["tv"] - np.sqrt(ineq["kl"] / 2)))
    js_upper = float(np.max(ineq["js"] - LOG2 * ineq["tv"]))
    js_lower = float(np.max(ineq["tv"] ** 2 / 2 - ineq["js"]))
    w_bound = float(np.max(ineq["w"] - (K - 1) * ineq["tv"]))
    inequalities_ok = max(pinsker, js_upper, js_lower, w_bound) <= TOL
    holds = singular_ok and dirac_w_ok and w_to_zero and normal_ok and inequalities_ok

    fig = Figure(figsize=(16, 3.9), layout="constrained")
    axes = fig.subplots(1, 4)
    titles = {
        "dirac": "(a) δ_{1/n} → δ_0",
        "shifted_normal": "(b) N(1/n, 1) → N(0, 1)",
        "empirical_quantiles": "(c) n quantiles of N(0,1) → N(0,1)",
    }
    for ax, (key, rows) in zip(axes, seqs.items()):
        n = np.array([r["n"] for r in rows])
        for name, style in (("w", "C0o-"), ("js", "C3s-"), ("tv", "C2^--"), ("kl", "C4v:")):
            vals = np.array([r[name] for r in rows], dtype=float)
            if np.all(np.isinf(vals)):
                ax.plot([], [], style, label=f"{name.upper()} = ∞ for every n")
                continue
            ax.loglog(n, vals, style, ms=3, label=name.upper())
        ax.set_title(titles[key], fontsize=9)
        ax.set_xlabel("n")
        ax.legend(fontsize=7)
    ax = axes[3]
    ax.scatter(ineq["tv"], ineq["js"], s=5, alpha=0.5, label="random pairs on {0..9}")
    t = np.linspace(0, 1, 100)
    ax.plot(t, LOG2 * t, "k-", lw=1, label="JS ≤ log 2 · TV")
    ax.plot(t, t**2 / 2, "k--", lw=1, label="JS ≥ TV²/2")
    ax.set_xlabel("TV")
    ax.set_ylabel("JS")
    ax.set_title("JS → 0 ⇔ TV → 0 (and TV ≤ √(KL/2), W₁ ≤ 9·TV)", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle("Topologies (seed 000 'How weak'): KL ⇒ JS ⇔ TV ⇒ W, not conversely", fontsize=10)
    return {
        "measured": {
            "dirac": {"w_last": a[-1]["w"], "js_all": LOG2 if singular_ok else None, "n_last": a[-1]["n"]},
            "shifted_normal_last": b[-1],
            "empirical_quantiles_w": quantile_w,
            "singular_sequences_js_tv_kl": "log 2, 1, inf at every n" if singular_ok else "violated",
            "max_violation": {
                "pinsker_tv_minus_sqrt_kl_over_2": pinsker,
                "js_minus_log2_tv": js_upper,
                "tv2_over_2_minus_js": js_lower,
                "w_minus_diameter_tv": w_bound,
            },
            "pairs": int(ineq["kl"].size),
        },
        "expected": {
            "dirac": "W = 1/n → 0; JS = log 2, TV = 1, KL = ∞ for all n",
            "shifted_normal": "KL = 1/(2n²), W = 1/n, all → 0",
            "empirical_quantiles": "W decreasing to 0; JS = log 2, TV = 1, KL = ∞ for all n",
            "max_violation": "≤ 0 for every inequality",
        },
        "tolerance": TOL,
        "holds": bool(holds),
        "figures": [ctx.save(fig, "topology.png")],
        "sequences": seqs,
    }


EXPERIMENT = Experiment(
    name="topology",
    title="sequences converging in W but not in JS, TV or KL; KL ⇒ JS ⇔ TV ⇒ W",
    claim=(
        "The topology of KL is the strongest, then JS and TV (equivalent), and W's is the weakest: KL → 0 ⇒ "
        "JS → 0 ⇔ TV → 0 ⇒ W → 0, while e.g. δ_{1/n} → δ_0 in W with JS = log 2, TV = 1, KL = ∞ for every n "
        "(seed 000 'How weak')."
    ),
    measure=measure,
)
