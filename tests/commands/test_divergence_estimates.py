"""Estimates from sample files against closed forms: ``divergan divergence NAME --p p.npy --q q.npy``
for every divergence the command estimates from samples, on three pairs of Gaussians in 1-D and three
in 2-D (n = m = 5,000, float64 .npy files; n = m = 2,000 for the estimates that train a critic).

What "agrees" means, per kind of estimate (the exact values are closed forms or divergan's exact
quadrature, which tests/divergences checks against closed forms):

* variational lower bounds (f-divergences other than KL, reverse KL and Jeffrey; seed-free critic
  training): the bound E_P T − E_Q f*(T) of a fixed critic is at most D_f, so the exact value must
  not lie below the reported 95% interval (exact >= ci_lo); each on three of the six pairs (see
  ``alternating``). A bound that overshoots — overfitting, a wrong f* or a wrong activation — fails. How far below the value sits is the critic's
  approximation gap, which is reported, not asserted.
* nn-divergence: sup over critics D ∈ [0, 1] of E_P D − E_Q D is at most TV(P, Q): ci_lo <= TV.
* Kolmogorov: |sup|F_n − G_m| − sup|F − G|| <= sup|F_n − F| + sup|G_m − G|, and by the
  Dvoretzky–Kiefer–Wolfowitz inequality (Massart's constant) each is <= ε = √(log(2/α) / (2n)) with
  probability >= 1 − α; α = 10⁻⁴ gives the tolerance 2ε.
* the rest (k-NN KL, W1, W2, sliced W1, unbiased MMD², energy distance, TV of histograms) report no
  interval: the tolerance is 4 standard errors of the estimate, the standard error measured from the
  same files split into 10 disjoint blocks of 500 (for a √n-consistent estimate, the spread of the
  block estimates divided by √10). The expected value is exact where the estimator's bias is known in
  closed form (MMD² unbiased; the energy V-statistic's diagonal terms).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from divergan.cli import main
from divergan.divergences import Normal, f_divergence
from divergan.estimators import DEFAULT_BANDWIDTHS
from divergan.measure import measure

N = 5000
BLOCKS = 10
#: samples per law for the estimates that train a critic (variational bounds, nn-divergence): their
#: claims are one-sided bounds that hold at any n (a fixed critic's held-out bound is unbiased for a value
#: <= the divergence), and a float64 critic trained full-batch costs time in proportion to n
N_CRITIC = 2000
#: ... except where f(0+) = +inf puts -exp(V) on the P-samples: the held-out estimate is then unbiased
#: but heavy-tailed (a large V where P-samples are rare is paid for only if one lands there), and at
#: 2,000 samples neyman-2d-shift overshot 200-fold (507, 95% CI [246, 769], exact 2.49); it keeps 5,000
HEAVY_TAILED = {"neyman"}

# (mean, sigma) of P and Q per coordinate; 2-D pairs have isotropic covariances, so that the energy
# distance and W1 have closed forms (a translation, or a pure scaling about a common mean)
PAIRS = {
    "1d-shift": (((0.0,), (1.0,)), ((1.0,), (1.0,))),
    "1d-shift-scale": (((0.0,), (1.0,)), ((0.5,), (1.3,))),
    "1d-scale-shift": (((0.0,), (1.2,)), ((-0.5,), (1.0,))),
    "2d-shift": (((0.0, 0.0), (1.0, 1.0)), ((1.0, 0.5), (1.0, 1.0))),
    "2d-scale": (((0.0, 0.0), (1.0, 1.0)), ((0.0, 0.0), (1.3, 1.3))),
    "2d-shift-wide": (((0.0, 0.0), (1.2, 1.2)), ((0.8, -0.4), (1.2, 1.2))),
}

KNN = ["kl", "reverse-kl", "jeffrey"]
VARIATIONAL = ["pearson", "neyman", "squared-hellinger", "js", "gan", "tv", "alpha", "js-pi"]
BLOCKED = [*KNN, "wasserstein-1", "wasserstein-2", "sliced-wasserstein", "mmd", "energy", "tv-hist"]
ONE_D_ONLY = {"kolmogorov", "tv-hist"}


def laws(pair: str) -> tuple[Normal, Normal]:
    (mp, sp), (mq, sq) = PAIRS[pair]
    return Normal(mp, sp), Normal(mq, sq)


def mean_abs(mu: np.ndarray, s: float) -> float:
    """E|Z| for Z ~ N(mu, s² I) in 1 or 2 dimensions (folded normal; Rice)."""
    r = float(np.linalg.norm(mu))
    if s == 0:
        return r
    if len(mu) == 1:
        return float(stats.foldnorm(c=r / s, scale=s).mean())
    return float(stats.rice(b=r / s, scale=s).mean())


def w1_normal_1d(m1: float, s1: float, m2: float, s2: float) -> float:
    """W1 between N(m1, s1²) and N(m2, s2²): ∫₀¹ |F⁻¹ − G⁻¹| = E|Δm + Δs Z| (quantile coupling)."""
    return mean_abs(np.array([m1 - m2]), abs(s1 - s2))


def grid_f_divergence(name: str, pair: str) -> float:
    """∫∫ q f(p/q) on a 1,601² grid over ±9 (trapezoid rule; both densities are < 1e-15 outside and
    the integrand is smooth, so the error is far below the estimators' tolerances)."""
    import torch

    from divergan.divergences import get as get_fdivergence

    (mp, sp), (mq, sq) = PAIRS[pair]
    t = np.linspace(-9, 9, 1601)
    xx, yy = np.meshgrid(t, t, indexing="ij")
    dens = lambda m, s: stats.norm.pdf(xx, m[0], s[0]) * stats.norm.pdf(yy, m[1], s[1])  # noqa: E731
    p, q = dens(mp, sp), dens(mq, sq)
    fdiv = get_fdivergence(name)
    integrand = fdiv.perspective(torch.from_numpy(p), torch.from_numpy(q)).numpy()
    return float(integrate.trapezoid(integrate.trapezoid(integrand, t, axis=1), t))


def exact(name: str, pair: str) -> float:
    """The population value the estimate of ``name`` aims at (for MMD² and the energy V-statistic: the
    estimator's exact expectation at n = m = N)."""
    (mp, sp), (mq, sq) = (np.array(a) for a in PAIRS[pair][0]), (np.array(a) for a in PAIRS[pair][1])
    d = len(mp)
    dm = mp - mq
    if name == "jeffrey":
        return exact("kl", pair) + exact("reverse-kl", pair)
    if name in ("kl", "reverse-kl", "tv-hist", *VARIATIONAL):
        p, q = laws(pair)
        base = {"tv-hist": "tv"}.get(name, name)
        if d == 2 and base in ("js", "gan", "tv", "js-pi"):  # no n-D exact method: a 2-D grid integral
            return grid_f_divergence(base, pair)
        return f_divergence(base, p, q) if base != "reverse-kl" else f_divergence("kl", q, p)
    if name == "wasserstein-2":  # commuting covariances: |Δm|² + Σ (σ_P − σ_Q)²
        return math.sqrt(float(dm @ dm + (sp - sq) @ (sp - sq)))
    if name == "wasserstein-1":
        if d == 1:
            return w1_normal_1d(mp[0], sp[0], mq[0], sq[0])
        if np.allclose(sp, sq):  # a translation: W1 = |Δm|
            return float(np.linalg.norm(dm))
        assert np.allclose(dm, 0) and np.ptp(sp) == 0 and np.ptp(sq) == 0  # a scaling x -> (σ_Q/σ_P) x
        return abs(sp[0] - sq[0]) * mean_abs(np.zeros(d), 1.0)  # optimal: |x| is 1-Lipschitz
    if name == "sliced-wasserstein":  # mean over directions θ of W1(θ·P, θ·Q); isotropic: σ_θ = σ
        if d == 1:
            return w1_normal_1d(mp[0], sp[0], mq[0], sq[0])
        f = lambda t: w1_normal_1d(float(dm @ [math.cos(t), math.sin(t)]), sp[0], 0.0, sq[0])  # noqa: E731
        return integrate.quad(f, 0, math.pi, limit=200)[0] / math.pi
    if name == "mmd":  # E k for Gaussians and an RBF kernel, averaged over the bandwidths
        total = 0.0
        for s in DEFAULT_BANDWIDTHS:

            def ek(a, va, b, vb, s=s):
                v = s * s + va + vb
                return float(np.prod(np.sqrt(s * s / v) * np.exp(-((a - b) ** 2) / (2 * v))))

            total += ek(mp, sp**2, mp, sp**2) + ek(mq, sq**2, mq, sq**2) - 2 * ek(mp, sp**2, mq, sq**2)
        return total / len(DEFAULT_BANDWIDTHS)
    if name == "energy":  # V-statistic: the n diagonal zeros scale E|X − X'| by (n − 1)/n
        assert np.ptp(sp) == 0 and np.ptp(sq) == 0
        xy = mean_abs(dm, math.sqrt(sp[0] ** 2 + sq[0] ** 2))
        xx, yy = mean_abs(np.zeros(d), math.sqrt(2) * sp[0]), mean_abs(np.zeros(d), math.sqrt(2) * sq[0])
        return 2 * xy - (1 - 1 / N) * xx - (1 - 1 / N) * yy
    if name == "kolmogorov":

        def gap(x: float) -> float:
            return -abs(stats.norm.cdf(x, mp[0], sp[0]) - stats.norm.cdf(x, mq[0], sq[0]))

        grid = np.linspace(-8, 8, 4001)
        x0 = grid[np.argmin([gap(x) for x in grid])]
        return -optimize.minimize_scalar(gap, bracket=(x0 - 0.01, x0, x0 + 0.01)).fun
    if name == "nn-divergence":  # the bound asserted is TV
        return exact("tv-hist", pair)
    raise AssertionError(name)


def write_pairs(folder, n: int) -> dict[str, tuple[str, str]]:
    out = {}
    for i, pair in enumerate(PAIRS):
        p, q = laws(pair)
        g = np.random.default_rng(100 + i)
        paths = (str(folder / f"{pair}-p.npy"), str(folder / f"{pair}-q.npy"))
        np.save(paths[0], p.sample(n, g).astype(np.float64))
        np.save(paths[1], q.sample(n, g).astype(np.float64))
        out[pair] = paths
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, tuple[str, str]]:
    return write_pairs(tmp_path_factory.mktemp("samples"), N)


@pytest.fixture(scope="module")
def critic_files(tmp_path_factory) -> dict[str, tuple[str, str]]:
    return write_pairs(tmp_path_factory.mktemp("critic-samples"), N_CRITIC)


def cli_estimate(capsys, name: str, paths: tuple[str, str]) -> dict:
    assert main(["divergence", name, "--p", paths[0], "--q", paths[1], "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def block_se(name: str, paths: tuple[str, str]) -> float:
    x, y = np.load(paths[0]).reshape(N, -1), np.load(paths[1]).reshape(N, -1)
    size = N // BLOCKS
    values = [
        measure(name, x[b * size : (b + 1) * size], y[b * size : (b + 1) * size]).value for b in range(BLOCKS)
    ]
    return float(np.std(values, ddof=1) / math.sqrt(BLOCKS))


# O(n²) kernels or exact optimal transport on 5,000 points in 2-D: seconds per call, so the slow tier
SLOW = {"mmd", "energy"} | {
    (name, pair) for name in ("wasserstein-1", "wasserstein-2") for pair in PAIRS if pair.startswith("2d")
}
# W1 and sliced W1 between a Gaussian and its scaled copy (W1 = 0.38) are of the order of the matching
# noise of 500 points (≈ 500^-1/2): the block estimates then barely depend on the scales and their spread
# understates the full sample's standard error, so the block tolerance would be unsound there
UNSOUND = {("wasserstein-1", "2d-scale"), ("sliced-wasserstein", "2d-scale")}


def cases(names: list[str]) -> list:
    return [
        pytest.param(
            name,
            pair,
            id=f"{name}-{pair}",
            marks=[pytest.mark.slow] if name in SLOW or (name, pair) in SLOW else [],
        )
        for name in names
        for pair in PAIRS
        if not (name in ONE_D_ONLY and pair.startswith("2d")) and (name, pair) not in UNSOUND
    ]


@pytest.mark.parametrize(("name", "pair"), cases(BLOCKED))
def test_estimate_within_four_block_standard_errors(capsys, files, name, pair):
    est = cli_estimate(capsys, name, files[pair])
    truth, se = exact(name, pair), block_se(name, files[pair])
    assert "ci95" not in est  # these estimators report no interval; if one is added, test it instead
    assert abs(est["value"] - truth) <= 4 * se, (est["value"], truth, se)


@pytest.mark.parametrize(("name", "pair"), cases(["kolmogorov"]))
def test_kolmogorov_within_the_dkw_bound(capsys, files, name, pair):
    est = cli_estimate(capsys, name, files[pair])
    eps = math.sqrt(math.log(2 / 1e-4) / (2 * N))
    assert abs(est["value"] - exact(name, pair)) <= 2 * eps, (est["value"], exact(name, pair))


def alternating(params: list) -> list:
    """Every other pair per name, offset by the name's index: each name on three pairs (1-D and 2-D among
    them), each pair under half the names. A variational case trains a float64 critic for seconds (the
    slowest group of the suite), so the 8 × 6 grid is halved this way rather than dropping a name or a pair."""
    names, pairs = list(dict.fromkeys(p.values[0] for p in params)), list(PAIRS)
    return [p for p in params if (names.index(p.values[0]) + pairs.index(p.values[1])) % 2 == 0]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pair"), alternating(cases(VARIATIONAL)))
def test_variational_bound_does_not_exceed_the_divergence(capsys, files, critic_files, name, pair):
    est = cli_estimate(capsys, name, (files if name in HEAVY_TAILED else critic_files)[pair])
    lo, hi = est["ci95"]
    truth = exact(name, pair)
    assert lo <= est["value"] <= hi
    assert truth >= lo, (est["value"], est["ci95"], truth)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "pair"), cases(["nn-divergence"]))
def test_nn_divergence_does_not_exceed_total_variation(capsys, critic_files, name, pair):
    est = cli_estimate(capsys, name, critic_files[pair])
    assert est["ci95"][0] <= exact(name, pair), (est, exact(name, pair))
    assert est["value"] > 0  # the laws differ: some critic separates them


def test_every_sample_divergence_is_covered():
    from divergan.measure import names

    covered = {*BLOCKED, *VARIATIONAL, "kolmogorov", "nn-divergence"}
    assert covered == set(names())


def test_float64_samples_with_float32_ties_are_estimated(tmp_path, capsys):
    """5,000 float64 draws of N(0, 1) and N(2, 1): two coincide in float32; the file is read as float64."""
    g = np.random.default_rng(0)
    x, y = g.normal(0.0, 1.0, N), g.normal(2.0, 1.0, N)
    assert len(np.unique(x.astype(np.float32))) < N  # the case of the bug report
    np.save(tmp_path / "p.npy", x)
    np.save(tmp_path / "q.npy", y)
    est = cli_estimate(capsys, "kl", (str(tmp_path / "p.npy"), str(tmp_path / "q.npy")))
    se = block_se("kl", (str(tmp_path / "p.npy"), str(tmp_path / "q.npy")))
    assert abs(est["value"] - 2.0) <= 4 * se  # KL(N(0,1) ‖ N(2,1)) = Δm²/2 = 2
