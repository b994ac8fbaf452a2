r"""Experiment 3, ``perfect-discriminator``: a confused or a perfect discriminator stops the generator.

Claim (Garcia, Lemmas 2.1 and 2.2): with the loss

.. math::

    L(\theta, \phi) = \mathbb E_{x\sim X} \log D_\phi(x) + \mathbb E_{z\sim Z} \log(1 - D_\phi(G_\theta(z)))
    + 2\log 2,

(2.1) if the discriminator is the optimal one at equilibrium, D_{φ*} ≡ ½, then θ ↦ L(θ, φ*) ≡ 0;
(2.2) if it is perfect, D_φ = 1 on the data and 0 on the generator's samples (e.g. disjoint supports),
then θ ↦ L(θ, φ) ≡ 2 log 2. Either way ∇_θ L = 0 and the generator cannot learn.

Measured on trained networks (float64 MLPs): a generator G_θ: R² → R² and

* confused: the data is G_{θ₀}(Z) itself, and a critic trained to convergence on the minimax loss
  between the two (identical) laws ends up D ≈ ½;
* perfect: the data X ~ N((−2, 0), 0.3² I) and G_{θ₀}(Z) near (2, 0) have disjoint supports, and a
  critic trained long on them ends up D(x) ≈ 1, D(G(z)) ≈ 0;
* for scale, at the same θ, a reference critic that is not constant on the samples: the linear logit
  V(x) = x₁ − c with c the samples' mean first coordinate (so L at θ₀ is well inside (0, 2 log 2)).

The premises are checked, not assumed; a critic that is not constant (the negative control: the linear
reference itself, or a critic trained 10 steps) makes ``holds`` false.

Then, for each critic held fixed, L(θ₀ + t v, φ) and ‖∇_θ L‖ on a fixed batch along a random direction v
in parameter space (t ∈ [−1, 1], ‖v‖ = ½‖θ₀‖, which moves the samples by a reported mean distance).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from divergan.lab._nets import critic, grad_norm
from divergan.lab.base import Context, Experiment
from divergan.nn import MLP
from divergan.objectives.losses import minimax_discriminator_loss

LOG4 = 2 * math.log(2)
#: the lemmas' premises, measured on 2 × 4096 points: sup|D − ½| (Lemma 2.1) and D's distance from 1 / 0 (2.2)
DELTA_CONFUSED = 0.005
DELTA_PERFECT = 1e-3
#: what the premises imply: |log 2D| ≤ −log(1 − 2δ) and |log(2(1 − D))| likewise, summed over the two terms
TOL_L_CONFUSED = -2 * math.log1p(-2 * DELTA_CONFUSED)
TOL_L_PERFECT = -2 * math.log1p(-DELTA_PERFECT)
#: ‖∇_θ L‖ at the fitted critic ≤ this fraction of the linear reference critic's at the same θ (one decade)
GRAD_RATIO = 0.1
#: step size along the path: ‖v‖ = SCALE·‖θ₀‖
SCALE = 0.5


def loss_l(x: torch.Tensor, fake: torch.Tensor, net: torch.nn.Module) -> torch.Tensor:
    """L(θ, φ) of Garcia's eq. 2 from logits (log D = −softplus(−V), log(1 − D) = −softplus(V))."""
    sp = torch.nn.functional.softplus
    return -sp(-net(x)).mean() - sp(net(fake)).mean() + LOG4


def train_critic(net: torch.nn.Module, real, fake, steps: int, gen: torch.Generator, lr: float = 1e-2):
    """Adam on the minimax discriminator loss, fresh batches of 512 from ``real(n, g)``, ``fake(n, g)``."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        loss = minimax_discriminator_loss(net(real(512, gen)), net(fake(512, gen)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def path(gnet, dnet, x, z, v, ts) -> dict:
    """L and ‖∇_θ L‖ along θ₀ + t v, and the mean sample displacement, with the critic fixed."""
    params = list(gnet.parameters())
    theta0 = parameters_to_vector(params).detach().clone()
    with torch.no_grad():
        base = gnet(z)
    values, grads, moved = [], [], []
    for t in ts:
        vector_to_parameters(theta0 + t * v, params)
        fake = gnet(z)
        loss = loss_l(x, fake, dnet)
        grads.append(grad_norm(loss, params))
        values.append(float(loss.detach()))
        moved.append(float((fake.detach() - base).norm(dim=1).mean()))
    vector_to_parameters(theta0, params)
    return {"L": values, "grad_norm": grads, "mean_displacement": moved}


def shifted(gnet: torch.nn.Module, dx: float) -> torch.nn.Module:
    """A copy of the MLP generator with outputs moved by (dx, 0) (folded into the last bias: still an MLP)."""
    out = MLP(2, 2, width=32, depth=2, activation="silu").double()
    out.load_state_dict(gnet.state_dict())
    with torch.no_grad():
        out.net[-1].bias += torch.tensor([dx, 0.0], dtype=torch.float64)
    return out


class LinearCritic(torch.nn.Module):
    """An informative reference critic V(x) = x₁ − c: D = σ(V) is far from constant on the samples."""

    def __init__(self, c: float):
        super().__init__()
        self.c = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, 0] - self.c


def train_critics(ctx: Context, long_steps: int) -> dict:
    """The generator G_θ₀ and the confused and perfect critics of the module docstring."""
    torch.manual_seed(ctx.seed)
    gnet = MLP(2, 2, width=32, depth=2, activation="silu").double()
    g = ctx.generator(1)

    def fake(n, gen):
        with torch.no_grad():
            return gnet(torch.randn(n, 2, generator=gen, dtype=torch.float64))

    def shifted_fake(n, gen):
        return fake(n, gen) + torch.tensor([2.0, 0.0], dtype=torch.float64)

    def real_disjoint(n, gen):
        return 0.3 * torch.randn(n, 2, generator=gen, dtype=torch.float64) + torch.tensor([-2.0, 0.0])

    confused = train_critic(critic(2, seed=ctx.seed + 2), fake, fake, long_steps, g, lr=1e-3)
    perfect = train_critic(critic(2, seed=ctx.seed + 3), real_disjoint, shifted_fake, long_steps, g)
    return {"gnet": gnet, "confused": confused, "perfect": perfect, "real_disjoint": real_disjoint}


def evaluate(ctx: Context, nets: dict, n_eval: int, ts: np.ndarray) -> dict:
    """Check both lemmas for the critics in ``nets`` (``confused``, ``perfect``) against the reference.

    Every check is computed at the same θ = θ₀ + t v: the lemma's premise (|D − ½| ≤ DELTA_CONFUSED on
    data and samples; D ≥ 1 − DELTA_PERFECT on data and ≤ DELTA_PERFECT on samples), its conclusion
    (|L| ≤ −2 log(1 − 2·DELTA_CONFUSED), |L − 2 log 2| ≤ −2 log(1 − DELTA_PERFECT), which the premise
    implies), and ‖∇_θ L‖ ≤ GRAD_RATIO × the linear reference critic's at the same t.
    """
    gnet, confused, perfect = nets["gnet"], nets["confused"], nets["perfect"]
    gnet_shift = shifted(gnet, 2.0)
    ge = ctx.generator(4)
    z = torch.randn(n_eval, 2, generator=ge, dtype=torch.float64)
    x_disjoint = nets["real_disjoint"](n_eval, ge)
    with torch.no_grad():
        x_same = gnet(torch.randn(n_eval, 2, generator=ge, dtype=torch.float64))
        d_conf = torch.sigmoid(torch.cat([confused(x_same), confused(gnet(z))]))
        d_real = torch.sigmoid(perfect(x_disjoint))
        d_fake = torch.sigmoid(perfect(gnet_shift(z)))
        reference = LinearCritic(float(gnet(z)[:, 0].mean()))
    rows = {}
    for name, gn, dn, x in (
        ("confused", gnet, confused, x_same),
        ("perfect", gnet_shift, perfect, x_disjoint),
        ("reference_confused", gnet, reference, x_same),
        (
            "reference_perfect",
            gnet_shift,
            LinearCritic(float(gnet_shift(z)[:, 0].mean().detach())),
            x_disjoint,
        ),
    ):
        theta0 = parameters_to_vector(gn.parameters()).detach()
        v = torch.randn(theta0.shape, generator=ctx.generator(5), dtype=torch.float64)
        v = v / v.norm() * SCALE * theta0.norm()
        rows[name] = path(gn, dn, x, z, v, ts)
    conf_ratio = max(
        a / b
        for a, b in zip(rows["confused"]["grad_norm"], rows["reference_confused"]["grad_norm"], strict=True)
    )
    perf_ratio = max(
        a / b
        for a, b in zip(rows["perfect"]["grad_norm"], rows["reference_perfect"]["grad_norm"], strict=True)
    )
    measured = {
        "confused_max_abs_D_minus_half": float((d_conf - 0.5).abs().max()),
        "perfect_min_D_real": float(d_real.min()),
        "perfect_max_D_fake": float(d_fake.max()),
        "confused_max_abs_L": max(abs(v) for v in rows["confused"]["L"]),
        "perfect_max_abs_L_minus_2log2": max(abs(v - LOG4) for v in rows["perfect"]["L"]),
        "confused_grad_ratio_same_theta": conf_ratio,
        "perfect_grad_ratio_same_theta": perf_ratio,
        "reference_L_range": [min(rows["reference_confused"]["L"]), max(rows["reference_confused"]["L"])],
        "max_mean_displacement": max(rows["perfect"]["mean_displacement"]),
    }
    checks = {
        "confused_premise": measured["confused_max_abs_D_minus_half"] <= DELTA_CONFUSED,
        "perfect_premise": measured["perfect_min_D_real"] >= 1 - DELTA_PERFECT
        and measured["perfect_max_D_fake"] <= DELTA_PERFECT,
        "lemma_2_1_L_is_0": measured["confused_max_abs_L"] <= TOL_L_CONFUSED,
        "lemma_2_2_L_is_2log2": measured["perfect_max_abs_L_minus_2log2"] <= TOL_L_PERFECT,
        "confused_gradient_vanishes": conf_ratio <= GRAD_RATIO,
        "perfect_gradient_vanishes": perf_ratio <= GRAD_RATIO,
        "path_moves_samples": measured["max_mean_displacement"] >= 0.1,
    }
    return {"checks": checks, "holds": all(checks.values()), "measured": measured, "rows": rows}


def measure(ctx: Context) -> dict:
    long_steps = 1500 if ctx.quick else 5000
    n_eval = 4096 if ctx.quick else 16384
    ts = np.linspace(-1, 1, 11 if ctx.quick else 41)
    ev = evaluate(ctx, train_critics(ctx, long_steps), n_eval, ts)
    rows = ev["rows"]
    fig = Figure(figsize=(11, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    styles = {
        "confused": "C0o-",
        "perfect": "C3s-",
        "reference_confused": "C2^-",
        "reference_perfect": "C1v:",
    }
    labels = {
        "confused": f"confused D ≈ ½ (trained {long_steps} steps, same law)",
        "perfect": f"perfect D (trained {long_steps} steps, disjoint supports)",
        "reference_confused": "reference D = σ(x₁ − c), same θ as 'confused'",
        "reference_perfect": "reference D = σ(x₁ − c), same θ as 'perfect'",
    }
    for name, row in rows.items():
        ax1.plot(ts, row["L"], styles[name], ms=3, label=labels[name])
        ax2.semilogy(ts, np.maximum(row["grad_norm"], 1e-16), styles[name], ms=3, label=labels[name])
    ax1.axhline(LOG4, color="k", ls="--", lw=1, label="2 log 2 (Lemma 2.2)")
    ax1.axhline(0, color="gray", ls=":", lw=1, label="0 (Lemma 2.1)")
    ax1.set_xlabel("t  (θ = θ₀ + t v, ‖v‖ = ½‖θ₀‖)")
    ax1.set_ylabel("L(θ, φ)")
    ax1.legend(fontsize=7)
    ax2.set_xlabel("t")
    ax2.set_ylabel("‖∇_θ L(θ, φ)‖")
    ax2.set_title("the generator's gradient with the critic held fixed", fontsize=9)
    ax2.legend(fontsize=7)
    fig.suptitle("Confused and perfect discriminators (Garcia, Lemmas 2.1-2.2)", fontsize=10)
    return {
        "measured": {"checks": ev["checks"], **ev["measured"]},
        "expected": {
            "premises": f"|D − ½| ≤ {DELTA_CONFUSED}; D(data) ≥ 1 − {DELTA_PERFECT}, D(samples) ≤ {DELTA_PERFECT}",
            "confused_L": 0.0,
            "perfect_L": LOG4,
            "grad_norm": f"≤ {GRAD_RATIO} × the linear reference critic's at the same θ",
        },
        "tolerance": {
            "L_confused": TOL_L_CONFUSED,
            "L_perfect": TOL_L_PERFECT,
            "delta_confused": DELTA_CONFUSED,
            "delta_perfect": DELTA_PERFECT,
            "grad_ratio": GRAD_RATIO,
        },
        "figures": [ctx.save(fig, "perfect_discriminator.png")],
        "path": {"t": ts, **rows},
    }


EXPERIMENT = Experiment(
    name="perfect-discriminator",
    title="D ≡ ½ gives L(θ, φ*) ≡ 0, a perfect D gives L ≡ 2 log 2; the generator's gradient vanishes",
    claim=(
        "With the confused optimal discriminator D ≡ ½, θ ↦ L(θ, φ*) is identically 0 (Garcia, Lemma 2.1); "
        "with a perfect discriminator (D = 1 on data, 0 on samples) θ ↦ L(θ, φ) is identically 2 log 2 "
        "(Garcia, Lemma 2.2); so ∇_θ L = 0. Checked on trained critics: the premises (sup|D − ½| ≤ 0.005; "
        "D ≥ 0.999 on data, ≤ 0.001 on samples), L within the bound they imply along a path θ₀ + t v, and "
        "‖∇_θ L‖ ≤ 0.1 × a linear reference critic's at the same θ."
    ),
    measure=measure,
)
