r"""The neural-network divergence d_NN of Arora et al. 2017 (Zhang lecture notes, "Neural-Network Divergence").

.. math::

    d_{NN}(P \,\|\, Q) = \sup_{D \in \mathcal{NN}} \mathbb{E}_{x \sim P}[D(x)] - \mathbb{E}_{x \sim Q}[D(x)]

over a class NN of small networks with outputs in [0, 1]. It is an IPM (GAN analysis slides, eq. 18) with a
parametric class, bounded by TV(P, Q) (take D = 1{p > q}); unlike JS and W it generalizes: with
n critic parameters and m >= C n log(n)/ε² samples, |d_NN(P, Q) − d_NN(P̂, Q̂)| <= ε w.h.p. (seed
002), which is why the parameter count is reported.
"""

from __future__ import annotations

import torch
from torch import Tensor

from divergan.estimators._critic import fit_critic, mean_difference_ci
from divergan.estimators.base import Estimate, Samples


def nn_divergence(
    x_p: Samples,
    x_q: Samples,
    hidden: int = 16,
    steps: int = 300,
    lr: float = 1e-2,
    seed: int = 0,
    holdout: float = 0.0,
    layers: int = 1,
) -> Estimate:
    r"""d_NN between two samples by gradient ascent over sigmoid-output MLP critics (Zhang lecture notes).

    .. math::

        \hat d_{NN} = \max_{w} \; \frac1n \sum_{i} \sigma(V_w(x_i)) - \frac1m \sum_{j} \sigma(V_w(y_j)),
        \qquad D_w = \sigma \circ V_w \in [0, 1]

    V_w is an MLP d → hidden (× ``layers``) → 1 with SiLU activations on standardised inputs, fitted
    by full-batch Adam (a local maximum: the reported value is a lower bound on the empirical
    d_NN(P̂, Q̂) over that class). With ``holdout`` = 0 (default) the value is d_NN between the two
    empirical laws, as in the Zhang lecture notes; with ``holdout`` > 0 the critic is evaluated on held-out samples,
    which estimates a lower bound on the population d_NN(P, Q). Deterministic given ``seed``.

    Args:
        x_p: samples of P, shape (n, d) or (n,).
        x_q: samples of Q, shape (m, d) or (m,).
        hidden: width of each hidden layer.
        steps: Adam steps.
        lr: Adam learning rate.
        seed: seed of the split and the initial weights.
        holdout: fraction of each sample held out for evaluation.
        layers: number of hidden layers.

    Returns:
        :class:`Estimate` with the value in [−1, 1], the 95% CI from the standard errors of the two
        means, and extras ``{"n_params", "train_value", "n_train", "n_eval", "steps"}``; ``n_params``
        is the critic's parameter count n of the Zhang lecture notes' bound m >= C n log n / ε².
    """

    def objective(v_p: Tensor, v_q: Tensor) -> Tensor:
        return torch.sigmoid(v_p).mean() - torch.sigmoid(v_q).mean()

    fit = fit_critic(
        x_p, x_q, objective, hidden=hidden, steps=steps, lr=lr, seed=seed, holdout=holdout, layers=layers
    )
    with torch.no_grad():
        d_p = torch.sigmoid(fit.critic(fit.eval_p)[:, 0]).double().numpy()
        d_q = torch.sigmoid(fit.critic(fit.eval_q)[:, 0]).double().numpy()
    value, lo, hi = mean_difference_ci(d_p, d_q)
    extras = {
        "n_params": fit.n_params,
        "train_value": fit.train_value,
        "n_train": fit.n_train,
        "n_eval": (int(d_p.size), int(d_q.size)),
        "steps": steps,
    }
    where = "held-out" if holdout > 0 else "training"
    method = (
        f"neural-network divergence d_NN, sigmoid MLP critic ({fit.n_params} parameters), {where} samples"
    )
    ci = (lo, hi) if d_p.size > 1 and d_q.size > 1 else None
    return Estimate(value, method, ci, extras)
