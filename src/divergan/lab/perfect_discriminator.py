r"""Experiment 3, ``perfect-discriminator``: a confused or a perfect discriminator stops the generator.

Claim (seed 001, Lemmas 2.1 and 2.2): with the loss

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
* for scale, an informative critic: trained as long between G_{θ₀}(Z) and a copy shifted by (0.5, 0)
  (overlapping laws: neither confused nor perfect), evaluated against the data of the confused case.

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
#: |L − 0| (confused) and |L − 2 log 2| (perfect) along the path
TOL_L = 0.01
#: ‖∇_θ L‖ at the confused / perfect critic, relative to the informative critic's
TOL_GRAD_RATIO = 0.02
#: step size along the path: ‖v‖ = SCALE·‖θ₀‖
SCALE = 0.5


def loss_l(x: torch.Tensor, fake: torch.Tensor, net: torch.nn.Module) -> torch.Tensor:
    """L(θ, φ) of seed 001 eq. 2 from logits (log D = −softplus(−V), log(1 − D) = −softplus(V))."""
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


def measure(ctx: Context) -> dict:
    long_steps = 1500 if ctx.quick else 5000
    n_eval = 4096 if ctx.quick else 16384
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
    with torch.no_grad():
        samples = fake(n_eval, ctx.generator(3))
        d_conf = torch.sigmoid(confused(samples))

    def nearby_fake(n, gen):
        return fake(n, gen) + torch.tensor([0.5, 0.0], dtype=torch.float64)

    # for scale: a critic trained as long between G_θ₀(Z) and a copy shifted by (0.5, 0), whose laws overlap
    informative = train_critic(critic(2, seed=ctx.seed + 2), fake, nearby_fake, long_steps, g, lr=1e-3)
    gnet_shift, gnet_near = shifted(gnet, 2.0), shifted(gnet, 0.5)
    perfect = train_critic(critic(2, seed=ctx.seed + 3), real_disjoint, shifted_fake, long_steps, g)

    ge = ctx.generator(4)
    z = torch.randn(n_eval, 2, generator=ge, dtype=torch.float64)
    x_disjoint = real_disjoint(n_eval, ge)
    with torch.no_grad():
        x_same = gnet(torch.randn(n_eval, 2, generator=ge, dtype=torch.float64))
        d_real = torch.sigmoid(perfect(x_disjoint))
        d_fake = torch.sigmoid(perfect(gnet_shift(z)))
    ts = np.linspace(-1, 1, 11 if ctx.quick else 41)
    rows = {}
    for name, gn, dn, x in (
        ("confused", gnet, confused, x_same),
        ("perfect", gnet_shift, perfect, x_disjoint),
        ("informative", gnet_near, informative, x_same),
    ):
        theta0 = parameters_to_vector(gn.parameters()).detach()
        v = torch.randn(theta0.shape, generator=ctx.generator(5), dtype=torch.float64)
        v = v / v.norm() * SCALE * theta0.norm()
        rows[name] = path(gn, dn, x, z, v, ts)

    ref = max(rows["informative"]["grad_norm"])
    conf_dev = max(abs(v) for v in rows["confused"]["L"])
    perf_dev = max(abs(v - LOG4) for v in rows["perfect"]["L"])
    conf_ratio = max(rows["confused"]["grad_norm"]) / ref
    perf_ratio = max(rows["perfect"]["grad_norm"]) / ref
    holds = (
        conf_dev <= TOL_L
        and perf_dev <= TOL_L
        and conf_ratio <= TOL_GRAD_RATIO
        and perf_ratio <= TOL_GRAD_RATIO
    )

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    styles = {"confused": "C0o-", "perfect": "C3s-", "informative": "C2^-"}
    labels = {
        "confused": f"confused D ≈ ½ (trained {long_steps} steps, same law)",
        "perfect": f"perfect D (trained {long_steps} steps, disjoint supports)",
        "informative": "D trained vs a (0.5, 0)-shifted copy, for scale",
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
    fig.suptitle("Confused and perfect discriminators (seed 001, Lemmas 2.1-2.2)", fontsize=10)
    return {
        "measured": {
            "confused_max_abs_L": conf_dev,
            "perfect_max_abs_L_minus_2log2": perf_dev,
            "confused_grad_ratio": conf_ratio,
            "perfect_grad_ratio": perf_ratio,
            "informative_max_grad_norm": ref,
            "informative_L_range": [min(rows["informative"]["L"]), max(rows["informative"]["L"])],
            "confused_max_abs_D_minus_half": float((d_conf - 0.5).abs().max()),
            "perfect_min_D_real": float(d_real.min()),
            "perfect_max_D_fake": float(d_fake.max()),
            "max_mean_displacement": max(rows["perfect"]["mean_displacement"]),
        },
        "expected": {
            "confused_L": 0.0,
            "perfect_L": LOG4,
            "grad_norm": "0 (relative to an informative critic's)",
        },
        "tolerance": {"L": TOL_L, "grad_ratio": TOL_GRAD_RATIO},
        "holds": bool(holds),
        "figures": [ctx.save(fig, "perfect_discriminator.png")],
        "path": {"t": ts, **rows},
    }


EXPERIMENT = Experiment(
    name="perfect-discriminator",
    title="D ≡ ½ gives L(θ, φ*) ≡ 0, a perfect D gives L ≡ 2 log 2; the generator's gradient vanishes",
    claim=(
        "With the confused optimal discriminator D ≡ ½, θ ↦ L(θ, φ*) is identically 0; with a perfect "
        "discriminator (D = 1 on data, 0 on samples) θ ↦ L(θ, φ) is identically 2 log 2; in both cases "
        "∇_θ L = 0 (seed 001, Lemmas 2.1 and 2.2)."
    ),
    measure=measure,
)
