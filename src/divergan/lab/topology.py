r"""Experiment ``topology``: KL ⇒ JS ⇔ TV ⇒ W on a bounded space, and the converses fail.

Claim (the GAN analysis slides' "How weak" section; Arjovsky et al. 2017, Thm 2): KL(P_n‖P) → 0 ⇒
JS(P_n‖P) → 0 ⇔ TV(P_n, P) → 0 ⇒ W(P_n, P) → 0 when the space is bounded, and none of the
converses holds. Each part is measured with the index n (or the smoothing ε) inside the computation:

(a) **W ⇏ JS.** δ_{1/n} → δ_0 in W (W = 1/n, POT on the two atoms). For JS, both points are smoothed
    by N(0, ε²): JS_ε(n) = JS(N(1/n, ε²)‖N(0, ε²)), by the library's quadrature. With r = 1/(nε) the
    math gives the sandwich log 2·(1 − e^{−r²/8}) ≤ JS_ε ≤ log 2·(2Φ(r/2) − 1) (lower bound from the
    binary entropy H(t) ≤ 2 log 2 √(t(1−t)) and the Bhattacharyya coefficient e^{−r²/8}; upper bound
    JS ≤ log 2·TV). So JS_ε(n) → log 2 as ε → 0 at every n (the unsmoothed JS is log 2 for all n),
    while for fixed ε > 0 it → 0 as n → ∞.
(b) **All four converge together** for N(1/n, 1) → N(0, 1): W = ∫|Φ(x − 1/n) − Φ(x)| dx = 1/n and
    KL = ∫ p log(p/q) = 1/(2n²), both by scipy quadrature (not the closed forms they are compared with).
(c) **Empirical measures converge only weakly.** The law on the n mid-quantiles of N(0, 1): W_1 by
    quadrature of |F_n − Φ|, below the bound (x_max − x_min)/(2n) + 2(φ(x_0) + x_0Φ(x_0)) that follows
    from sup|F_n − Φ| ≤ 1/(2n); the law is singular to N(0, 1) at every n.
(d) **JS → 0 ⇏ KL → 0.** P_n = (1 − 1/n)N(0, 1) + (1/n)δ_0 against P = N(0, 1): the likelihood ratio
    is constant off the atom, so the pair reduces exactly to (1/n, 1 − 1/n) vs (0, 1) on two cells:
    KL(P_n‖P) = ∞ for every n while TV = 1/n and JS ≤ log 2/n → 0.
(e) **TV → 0 ⇏ W → 0 without boundedness.** P_n = (1 − 1/n)δ_0 + (1/n)δ_n against δ_0: TV = 1/n but
    W = 1 (POT with weights) for every n.
(f) the inequalities behind the implications on random pairs of laws on {0..K−1}: Pinsker
    TV ≤ √(KL/2), TV²/2 ≤ JS ≤ log 2·TV and W₁ ≤ (K − 1)·TV.

Tolerances: quadrature (scipy's requested absolute error 1e-10, checked to 1e-7) and round-off.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from scipy import integrate, stats
from scipy.special import ndtr  # Φ, the function stats.norm.cdf evaluates, without its per-call overhead

from divergan.divergences import Discrete, Normal, f_divergence
from divergan.divergences import wasserstein as exact_wasserstein
from divergan.estimators import wasserstein as ot_wasserstein
from divergan.lab.base import Context, Experiment

LOG2 = math.log(2)
#: round-off slack for exact sums and the inequality sweep
TOL_EXACT = 1e-9
#: quadrature slack (scipy quad asked for 1e-10 absolute; the library's JS quadrature is checked to this)
TOL_QUAD = 1e-7
#: the support size of the random discrete pairs
K = 10

JsFn = Callable[[int, float], float]


def smoothed_js(n: int, eps: float) -> float:
    """JS(N(1/n, ε²)‖N(0, ε²)): δ_{1/n} and δ_0 both smoothed by N(0, ε²) (library quadrature)."""
    return f_divergence("js", Normal((1.0 / n,), (eps,)), Normal((0.0,), (eps,)))


def theta_blind_js(n: int, eps: float) -> float:
    """Negative control: the old construction, JS of the fixed pair (1, 0) vs (0, 1): n and ε never enter."""
    return f_divergence("js", Discrete((1.0, 0.0)), Discrete((0.0, 1.0)))


def js_sandwich(r: float) -> tuple[float, float]:
    """Bounds on JS(N(a, ε²)‖N(b, ε²)) with r = |a − b|/ε: log 2(1 − e^{−r²/8}) ≤ JS ≤ log 2(2Φ(r/2) − 1)."""
    return LOG2 * -math.expm1(-(r**2) / 8), LOG2 * (2 * stats.norm.cdf(r / 2) - 1)


def _quad(f: Callable[[float], float], lo: float, hi: float, points=None) -> float:
    value, _ = integrate.quad(f, lo, hi, points=points, epsabs=1e-10, epsrel=1e-10, limit=500)
    return float(value)


def shifted_normal(n: int) -> dict[str, float]:
    """(b): W and KL of N(1/n, 1) against N(0, 1) by quadrature, with the library's exact values beside."""
    d = 1.0 / n
    w = _quad(lambda x: abs(ndtr(x - d) - ndtr(x)), -12, 12 + d, points=[0.0, d])
    kl = _quad(lambda x: stats.norm.pdf(x - d) * ((x**2 - (x - d) ** 2) / 2), -12, 12 + d)
    p, q = Normal((d,), (1.0,)), Normal((0.0,), (1.0,))
    return {
        "n": n,
        "w_quad": w,
        "kl_quad": kl,
        "w_library": exact_wasserstein(p, q),
        "kl_library": f_divergence("kl", p, q),
        "js": f_divergence("js", p, q),
        "tv": f_divergence("tv", p, q),
    }


def quantile_law(n: int) -> dict[str, float]:
    """(c): W_1 between the uniform law on the n mid-quantiles of N(0, 1) and N(0, 1), and its bound."""
    x = stats.norm.ppf((np.arange(n) + 0.5) / n)

    def gap(t: float) -> float:
        return abs(np.searchsorted(x, t, side="right") / n - ndtr(t))

    edges = [-12.0, *x.tolist(), 12.0]
    w = sum(_quad(gap, a, b) for a, b in itertools.pairwise(edges) if b > a)
    x0 = float(x[0])
    bound = (float(x[-1]) - x0) / (2 * n) + 2 * (stats.norm.pdf(x0) + x0 * stats.norm.cdf(x0))
    return {"n": n, "w": w, "bound": bound}


def atom_in_normal(n: int) -> dict[str, float]:
    """(d): (1 − 1/n)N(0, 1) + (1/n)δ_0 against N(0, 1), reduced to two cells (atom, rest)."""
    p, q = Discrete((1.0 / n, 1.0 - 1.0 / n)), Discrete((0.0, 1.0))
    return {
        "n": n,
        "kl": f_divergence("kl", p, q),
        "js": f_divergence("js", p, q),
        "tv": f_divergence("tv", p, q),
    }


def escaping_mass(n: int) -> dict[str, float]:
    """(e): (1 − 1/n)δ_0 + (1/n)δ_n against δ_0: TV (exact sum) and W (POT with weights)."""
    tv = f_divergence("tv", Discrete((1.0 - 1.0 / n, 1.0 / n)), Discrete((1.0, 0.0)))
    w = ot_wasserstein([0.0, float(n)], [0.0], a=[1.0 - 1.0 / n, 1.0 / n]) if n > 1 else 1.0
    return {"n": n, "tv": tv, "w": w}


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


def evaluate(ns: list[int], epsilons: list[float], pairs: int, rng, js_fn: JsFn = smoothed_js) -> dict:
    """Every part (a)-(f) at the given sizes, with one boolean per check; ``js_fn`` computes (a)'s JS."""
    dirac = []
    for n in ns:
        # ε = 1/(40n) rescaled by x → x/ε (JS is invariant under bijections): JS(N(40, 1)‖N(0, 1))
        row = {"n": n, "w": ot_wasserstein([1.0 / n], [0.0]), "js": {}, "js_r40": js_fn(1, 1 / 40)}
        for eps in epsilons:
            lo, hi = js_sandwich(1.0 / (n * eps))
            row["js"][eps] = {"value": js_fn(n, eps), "lower": lo, "upper": hi}
        dirac.append(row)
    normal = [shifted_normal(n) for n in ns]
    quant = [quantile_law(n) for n in ns]
    atom = [atom_in_normal(n) for n in ns]
    escape = [escaping_mass(n) for n in ns]
    ineq = inequalities(pairs, rng)
    eps_max = max(epsilons)
    checks = {
        "a_w_is_1_over_n": all(abs(r["w"] - 1 / r["n"]) <= TOL_EXACT for r in dirac),
        "a_js_within_sandwich": all(
            v["lower"] - TOL_QUAD <= v["value"] <= v["upper"] + TOL_QUAD
            for r in dirac
            for v in r["js"].values()
        ),
        # JS_ε(n) grows as ε falls, and at ε = 1/(40n) (r = 40, lower bound log 2 − 1e-87) it is log 2
        "a_js_to_log2_as_eps_to_0": all(
            all(
                x <= y + TOL_QUAD
                for x, y in itertools.pairwise(r["js"][e]["value"] for e in sorted(epsilons, reverse=True))
            )
            and r["js_r40"] >= LOG2 - TOL_QUAD
            for r in dirac
        ),
        "a_js_to_0_as_n_grows": dirac[-1]["js"][eps_max]["value"] <= 0.01 * LOG2,
        "b_w_and_kl_exact": all(
            abs(r["w_quad"] - 1 / r["n"]) <= TOL_QUAD and abs(r["kl_quad"] - 0.5 / r["n"] ** 2) <= TOL_QUAD
            for r in normal
        ),
        "b_all_to_0": all(normal[-1][k] <= 0.01 * normal[0][k] for k in ("w_quad", "kl_quad", "js", "tv")),
        "c_w_below_bound_and_to_0": all(r["w"] <= r["bound"] + TOL_QUAD for r in quant)
        and quant[-1]["bound"] <= 0.05,
        "d_kl_infinite_js_tv_vanish": all(
            math.isinf(r["kl"])
            and abs(r["tv"] - 1 / r["n"]) <= TOL_EXACT
            and r["js"] <= LOG2 / r["n"] + TOL_EXACT
            for r in atom
        ),
        "e_tv_vanishes_w_stays_1": all(
            abs(r["tv"] - 1 / r["n"]) <= TOL_EXACT and abs(r["w"] - 1) <= TOL_EXACT for r in escape
        ),
        "f_inequalities": max(
            float(np.max(ineq["tv"] - np.sqrt(ineq["kl"] / 2))),
            float(np.max(ineq["js"] - LOG2 * ineq["tv"])),
            float(np.max(ineq["tv"] ** 2 / 2 - ineq["js"])),
            float(np.max(ineq["w"] - (K - 1) * ineq["tv"])),
        )
        <= TOL_EXACT,
    }
    return {
        "checks": checks,
        "holds": all(checks.values()),
        "dirac": dirac,
        "shifted_normal": normal,
        "quantile_law": quant,
        "atom_in_normal": atom,
        "escaping_mass": escape,
        "inequalities": ineq,
    }


def measure(ctx: Context) -> dict:
    ns = [1, 2, 4, 8, 16, 32, 64, 128, 256] if ctx.quick else [2**k for k in range(13)]
    epsilons = (
        [1.0, 0.1, 0.03, 0.01, 0.003, 0.001] if ctx.quick else [1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001]
    )
    ev = evaluate(ns, epsilons, 300 if ctx.quick else 5000, ctx.rng())

    fig = Figure(figsize=(16, 7.5), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    n = np.array(ns, dtype=float)
    ax = axes[0]
    ax.loglog(n, [r["w"] for r in ev["dirac"]], "k-", lw=2, label="W(δ_{1/n}, δ_0) = 1/n")
    for i, eps in enumerate(epsilons):
        ax.loglog(
            n,
            [r["js"][eps]["value"] for r in ev["dirac"]],
            "o-",
            ms=3,
            color=f"C{i}",
            label=f"JS, ε = {eps:g}",
        )
    ax.axhline(LOG2, color="gray", lw=0.5)
    ax.set_title("(a) W → 0; smoothed JS_ε → log 2 as ε → 0 at every n", fontsize=9)
    ax.set_xlabel("n")
    ax.legend(fontsize=6)
    ax = axes[1]
    for key, style in (("w_quad", "C0o-"), ("kl_quad", "C4v:"), ("js", "C3s-"), ("tv", "C2^--")):
        ax.loglog(n, [r[key] for r in ev["shifted_normal"]], style, ms=3, label=key.split("_")[0].upper())
    ax.set_title("(b) N(1/n, 1) → N(0, 1): all four → 0", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.loglog(n, [r["w"] for r in ev["quantile_law"]], "C0o-", ms=3, label="W_1 (quadrature)")
    ax.loglog(n, [r["bound"] for r in ev["quantile_law"]], "k--", label="bound from sup|F_n − Φ| ≤ 1/(2n)")
    ax.set_title("(c) n quantiles of N(0,1) → N(0,1) in W (singular at every n)", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[3]
    ax.loglog(n, [r["js"] for r in ev["atom_in_normal"]], "C3s-", ms=3, label="JS")
    ax.loglog(n, [r["tv"] for r in ev["atom_in_normal"]], "C2^--", ms=3, label="TV = 1/n")
    ax.plot([], [], "C4v", label="KL = ∞ for every n")
    ax.set_title("(d) (1−1/n)N(0,1) + (1/n)δ_0: JS → 0, KL = ∞", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[4]
    ax.loglog(n, [r["tv"] for r in ev["escaping_mass"]], "C2^--", ms=3, label="TV = 1/n")
    ax.loglog(n, [r["w"] for r in ev["escaping_mass"]], "C0o-", ms=3, label="W = 1")
    ax.set_title("(e) (1−1/n)δ_0 + (1/n)δ_n: TV → 0, W = 1 (unbounded space)", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[5]
    ineq = ev["inequalities"]
    ax.scatter(ineq["tv"], ineq["js"], s=5, alpha=0.5, label="random pairs on {0..9}")
    t = np.linspace(0, 1, 100)
    ax.plot(t, LOG2 * t, "k-", lw=1, label="JS ≤ log 2 · TV")
    ax.plot(t, t**2 / 2, "k--", lw=1, label="JS ≥ TV²/2")
    ax.set_xlabel("TV")
    ax.set_ylabel("JS")
    ax.set_title("(f) JS → 0 ⇔ TV → 0 (and TV ≤ √(KL/2), W₁ ≤ 9·TV)", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle("Topologies: KL ⇒ JS ⇔ TV ⇒ W on a bounded space; every converse fails", fontsize=10)
    return {
        "measured": {
            "checks": ev["checks"],
            "a_js_at_smallest_eps": [r["js"][min(epsilons)]["value"] for r in ev["dirac"]],
            "a_js_at_r_40": [r["js_r40"] for r in ev["dirac"]],
            "a_js_at_eps_1_last_n": ev["dirac"][-1]["js"][max(epsilons)]["value"],
            "c_quantile_w": [r["w"] for r in ev["quantile_law"]],
            "d_js": [r["js"] for r in ev["atom_in_normal"]],
            "e_w": [r["w"] for r in ev["escaping_mass"]],
        },
        "expected": {
            "a": "W = 1/n; JS_ε inside its sandwich, → log 2 as ε → 0, → 0 as n → ∞ at ε = 1",
            "b": "W = 1/n and KL = 1/(2n²) by quadrature; all four → 0",
            "c": "W below (x_max − x_min)/(2n) + tails bound, → 0",
            "d": "KL = ∞, TV = 1/n, JS ≤ log 2/n",
            "e": "TV = 1/n, W = 1",
            "f": "Pinsker, TV²/2 ≤ JS ≤ log 2·TV, W₁ ≤ 9·TV",
        },
        "tolerance": {"exact": TOL_EXACT, "quadrature": TOL_QUAD},
        "figures": [ctx.save(fig, "topology.png")],
        "sequences": {
            k: ev[k] for k in ("dirac", "shifted_normal", "quantile_law", "atom_in_normal", "escaping_mass")
        },
    }


EXPERIMENT = Experiment(
    name="topology",
    title="KL ⇒ JS ⇔ TV ⇒ W on a bounded space; each converse fails on an explicit sequence",
    claim=(
        "KL → 0 ⇒ JS → 0 ⇔ TV → 0 ⇒ W → 0 on a bounded space, and not conversely (GAN analysis slides, 'How weak'; "
        "Arjovsky et al. 2017, Thm 2). Checked: (a) δ_{1/n} → δ_0 with W = 1/n while the N(0, ε²)-smoothed "
        "JS stays in its sandwich log 2(1 − e^{−r²/8}) ≤ JS ≤ log 2·TV, r = 1/(nε), and → log 2 as ε → 0 at "
        "every n; (b) N(1/n, 1): W = 1/n and KL = 1/(2n²) by quadrature, all → 0; (c) the n-quantile law → "
        "N(0, 1) in W below its bound; (d) (1−1/n)N(0,1) + (1/n)δ_0: KL = ∞, JS ≤ log 2/n; (e) (1−1/n)δ_0 + "
        "(1/n)δ_n: TV = 1/n, W = 1 (unbounded); (f) Pinsker, TV²/2 ≤ JS ≤ log 2·TV, W₁ ≤ diam·TV."
    ),
    measure=measure,
)
