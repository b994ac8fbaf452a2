r"""Variational (f-GAN) lower bounds on an f-divergence from samples (GAN analysis slides, eqs. 4-7).

Because f = f** (eq. 4), every critic T with values in dom f* gives

.. math::

    D_f(P \,\|\, Q) \;\ge\; \mathbb{E}_{x \sim P}[T(x)] - \mathbb{E}_{x \sim Q}[f^*(T(x))]
    \qquad \text{(eq. 5)}

with equality at T*(x) = f'(p(x)/q(x)) (eq. 6). f-GAN (eq. 7) writes T = g_f(V(x)) with the output
activation g_f of the table, so any real-valued network V is admissible. :func:`variational_bound`
is the pure bound from critic values; :func:`fit_variational_bound` trains V and evaluates the bound
on held-out samples, where it is an honest (downward-biased) estimate of D_f.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from divergan.divergences.table import FDivergence
from divergan.divergences.table import get as get_fdivergence
from divergan.errors import UserError
from divergan.estimators._critic import fit_critic, mean_difference_ci
from divergan.estimators.base import Estimate, Samples


def _values(t: Samples, name: str) -> Tensor:
    if isinstance(t, Tensor):
        t = t.detach().cpu()
    out = torch.as_tensor(np.asarray(t, dtype=np.float64)).reshape(-1)
    if out.numel() == 0:
        raise UserError(f"{name} is empty")
    if bool(torch.isnan(out).any()):
        raise UserError(f"{name} contains NaN")
    return out


def variational_bound(fdiv: FDivergence | str, t_p: Samples, t_q: Samples) -> Estimate:
    r"""The f-GAN lower bound from critic values on P-samples and Q-samples (GAN analysis slides, eq. 5).

    .. math::

        \hat D = \frac1n \sum_{i=1}^n T(x_i) - \frac1m \sum_{j=1}^m f^*(T(y_j)),
        \qquad x_i \sim P,\ y_j \sim Q,\ T(\cdot) \in \mathrm{dom}\, f^*

    Its expectation is E_P[T] − E_Q[f*(T)] <= D_f(P‖Q), with equality for T* = f'(p/q) (eq. 6). The
    95% interval is \hat D ± 1.96 √(s_P²/n + s_Q²/m) from the sample variances of T(x_i) and
    f*(T(y_j)) (the two samples are independent).

    Args:
        fdiv: an :class:`~divergan.divergences.FDivergence` or a table name.
        t_p: critic values T(x_i) on samples of P, shape (n,) (any shape is flattened).
        t_q: critic values T(y_j) on samples of Q, shape (m,).

    Returns:
        :class:`Estimate` with the bound, its CI (None if n or m is 1) and extras
        ``{"divergence", "e_p_t", "e_q_f_star_t", "n", "m"}``.

    Raises:
        UserError: empty input, NaN, or a value outside the closure of dom f*.

    >>> est = variational_bound("kl", [1.0, 1.0], [0.0, 2.0])  # KL's f*(t) = exp(t − 1)
    >>> round(est.value, 6)  # 1 − (e⁻¹ + e)/2
    -0.543081
    """
    fd = get_fdivergence(fdiv) if isinstance(fdiv, str) else fdiv
    tp, tq = _values(t_p, "t_p"), _values(t_q, "t_q")
    lo, hi = fd.domain
    for t, name in ((tp, "t_p"), (tq, "t_q")):
        # values on an open end of dom f* (reached by g_f only through float round-off) are let
        # through: f* is +inf there and the bound is -inf, its limit
        if not bool(((t >= lo) & (t <= hi)).all()):
            raise UserError(f"{name} has values outside dom f* = ({lo:g}, {hi:g}) of {fd.name}")
    fq = fd.f_star(tq)
    a, b = tp.numpy(), fq.numpy()
    value, lo, hi = mean_difference_ci(a, b)
    ci = (lo, hi) if a.size > 1 and b.size > 1 else None
    extras = {
        "divergence": fd.name,
        "e_p_t": float(a.mean()),
        "e_q_f_star_t": float(b.mean()),
        "n": int(a.size),
        "m": int(b.size),
    }
    return Estimate(value, f"variational bound E_P[T] - E_Q[f*(T)] ({fd.name})", ci, extras)


def fit_variational_bound(
    fdiv: FDivergence | str,
    x_p: Samples,
    x_q: Samples,
    hidden: int = 64,
    steps: int = 300,
    lr: float = 1e-3,
    seed: int = 0,
    holdout: float = 0.5,
) -> Estimate:
    r"""Estimate D_f(P‖Q) by training an f-GAN critic and evaluating its bound on held-out samples.

    .. math::

        \hat V = \arg\max_V \; \frac{1}{|A|}\sum_{i \in A} g_f(V(x_i))
        - \frac{1}{|B|}\sum_{j \in B} f^*\big(g_f(V(y_j))\big),
        \qquad \hat D = \text{the same bound for } \hat V \text{ on the held-out } x_i, y_j

    (GAN analysis slides, eqs. 5 and 7). V is an MLP d → hidden → hidden → 1 (SiLU, output softly clamped to
    ±20) on standardised inputs, trained in float64 by full-batch Adam for ``steps`` steps on a
    fraction 1 − ``holdout`` of each sample. Training longer overfits: between the two empirical
    laws, which are mutually singular, the supremum is f(0) + lim f(u)/u (+inf for KL), so the
    defaults stop early on purpose.
    The held-out value is an unbiased estimate of the bound of a fixed critic, hence in expectation
    <= D_f; on the training half it would be biased upwards (overfitting). Deterministic given
    ``seed``; runs on the CPU and leaves the global RNG untouched. Divergences with f(0+) = +inf
    (``reverse-kl``, ``neyman``) put −exp(V) on P-samples and have a very large variance here.

    Args:
        fdiv: an :class:`~divergan.divergences.FDivergence` or a table name.
        x_p: samples of P, shape (n, d) or (n,).
        x_q: samples of Q, shape (m, d) or (m,).
        hidden: width of the two hidden layers.
        steps: Adam steps.
        lr: Adam learning rate.
        seed: seed of the split and the initial weights.
        holdout: fraction of each sample held out for evaluation (0: evaluate on the training data).

    Returns:
        :class:`Estimate` with the held-out bound, its 95% CI, and extras as in
        :func:`variational_bound` plus ``train_value``, ``n_train``, ``n_params``, ``steps``.
    """
    fd = get_fdivergence(fdiv) if isinstance(fdiv, str) else fdiv

    def objective(v_p: Tensor, v_q: Tensor) -> Tensor:
        return fd.activation(v_p).mean() - fd.f_star(fd.activation(v_q)).mean()

    fit = fit_critic(x_p, x_q, objective, hidden=hidden, steps=steps, lr=lr, seed=seed, holdout=holdout)
    with torch.no_grad():
        v_p = fit.critic(fit.eval_p)[:, 0].double()
        v_q = fit.critic(fit.eval_q)[:, 0].double()
    est = variational_bound(fd, fd.activation(v_p), fd.activation(v_q))
    extras = {
        **est.extras,
        "train_value": fit.train_value,
        "n_train": fit.n_train,
        "n_params": fit.n_params,
        "steps": steps,
        "holdout": holdout,
    }
    where = "held-out" if holdout > 0 else "training"
    method = f"variational bound ({fd.name}), MLP critic g_f(V), {where} samples"
    return Estimate(est.value, method, est.ci, extras)
