r"""What f-GAN needs beyond the f-divergence table: stable f*∘g_f and the density ratio from V.

For an entry of :mod:`divergan.divergences.table` the critic is T = g_f(V) (GAN analysis slides, eq. 7) and the
optimal critic is T*(x) = f'(p_r(x)/p_g(x)) (eq. 6). Two compositions are needed:

1. ``conjugate_of_activation(fdiv)``: v ↦ f*(g_f(v)), the fake-sample term of the critic objective.
   Composing the table's f* and g_f naively overflows or takes log 0 for large |v| (e.g. ``gan``:
   f*(log σ(v)) = −log(1 − σ(v)) is log 0 once σ(v) rounds to 1), so each entry's composition is
   simplified by hand in the entry's ``conjugate_of_activation`` field (derivations below); an entry
   without one falls back to f*(g_f(v)).
2. ``log_density_ratio(fdiv)``: v ↦ log r, r = (f')⁻¹(g_f(v)), the estimate of log p_r/p_g that the
   critic implies *if it is optimal*. Hand-inverted in the entry's ``log_ratio`` field; entries without
   one fall back to bisection on the monotone map s ↦ f'(e^s); None where f' is not invertible
   (``tv``: f' is a step, ``invertible=False``).

Derivations (σ = logistic sigmoid, sp = softplus, so log σ(v) = −sp(−v) and 1 − σ(v) = σ(−v)):

=================  ==================  =====================================  ==========================
entry              g_f(v)              f*(g_f(v))                             log r = log (f')⁻¹(g_f(v))
=================  ==================  =====================================  ==========================
kl                 v                   e^{v−1}                                1 + log r = v ⇒ v − 1
reverse-kl         −e^v                −1 − log(e^v) = −1 − v                 −1/r = −e^v ⇒ −v
pearson            v                   ¼v² + v (v ≥ −2), −1 (v < −2)          2(r − 1) = v ⇒ log(1 + v/2)
neyman             1 − e^v             2 − 2√(e^v) = 2 − 2e^{v/2}             1 − r⁻² = 1 − e^v ⇒ −v/2
squared-hellinger  1 − e^v             (1 − e^v)/e^v = e^{−v} − 1             1 − r^{−½} = 1 − e^v ⇒ −2v
js                 ½ log(2σ(v))        −½ log(2 − 2σ(v)) = ½ sp(v) − ½ log 2  ½ log(2r/(r+1)) = ½ log 2σ(v) ⇒ v
gan                log σ(v)            −log(1 − σ(v)) = sp(v)                 log(r/(r+1)) = log σ(v) ⇒ v
tv                 ½ tanh v            ½ tanh v                               — (f' = ½ sign(u − 1))
jeffrey            v                   f*(v) (Lambert W, table; float64)      s − e^{−s} = v − 1 ⇒ s = v − 1 + W(e^{1−v})
alpha (α < 1)      h − sp(−v)          ((1−α) sp(−v))^{α/(α−1)}/α − 1/α       r^{α−1} = (1−α) sp(−v)
alpha (α > 1)      v                   f*(v) (table)                          r^{α−1} = 1 + (α−1) v
js-pi              π log(σ(v)/π)       (1−π)(sp(v) + log(1−π))                v − log(π/(1−π))
=================  ==================  =====================================  ==========================

with h = 1/(1 − α). Checks of the less obvious rows:

* js: f*(t) = −½ log(2 − e^{2t}); e^{2 g_f(v)} = 2σ(v), so f* = −½ log(2σ(−v)) = −½ log 2 + ½ sp(v).
  f'(u) = ½ log(2u/(u+1)) = ½ log(2σ(v)) ⇔ u/(u+1) = σ(v) ⇔ u = e^v.
* jeffrey: f'(u) = log u + 1 − 1/u; with s = log u, s − e^{−s} = v − 1 =: c. Put s = c + w with
  w = W(e^{−c}), i.e. w e^w = e^{−c}: then e^{−s} = e^{−c} e^{−w} = w, so s − e^{−s} = c ✓.
* alpha, α < 1: 1 + (α−1)g_f(v) = 1 − 1 + (1−α) sp(−v) = (1−α) sp(−v) > 0, and
  f'(u) = (u^{α−1} − 1)/(α − 1) = t ⇔ u^{α−1} = 1 + (α−1)t, the same expression.
* js-pi: f'(u) = π log(u/(πu + 1 − π)) = π log(σ(v)/π) ⇔ πu = σ(v)(πu + 1 − π)
  ⇔ u = σ(v)(1−π) / (π σ(−v)) ⇔ log u = v + log((1−π)/π); f*(t) = −(1−π) log((1 − π e^{t/π})/(1−π))
  and π e^{g_f(v)/π} = σ(v), so f* = −(1−π) log(σ(−v)/(1−π)) = (1−π)(sp(v) + log(1−π)).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from divergan.divergences.table import FDivergence

Fn = Callable[[Tensor], Tensor]


def conjugate_of_activation(fdiv: FDivergence) -> Fn:
    """v ↦ f*(g_f(v)): the entry's closed form (``FDivergence.conjugate_of_activation``), else f*∘g_f."""
    if fdiv.conjugate_of_activation is not None:
        return fdiv.conjugate_of_activation
    return lambda v: fdiv.f_star(fdiv.activation(v))


def log_density_ratio(fdiv: FDivergence) -> Fn | None:
    """v ↦ log (f')⁻¹(g_f(v)), the log density ratio log p_r/p_g implied by an optimal critic.

    The entry's closed form (``FDivergence.log_ratio``), else bisection on f'; None where f' is not
    invertible (``tv``). Values where the ratio is 0 come out as −inf.
    """
    if not fdiv.invertible:
        return None
    if fdiv.log_ratio is not None:
        return fdiv.log_ratio
    return lambda v: log_ratio_by_bisection(fdiv, fdiv.activation(v))


def log_ratio_by_bisection(fdiv: FDivergence, t: Tensor, lo: float = -60.0, hi: float = 60.0) -> Tensor:
    """Solve f'(e^s) = t for s = log r by bisection on [lo, hi] (f' is nondecreasing since f is convex).

    Targets beyond f'(e^lo) or f'(e^hi) end at lo or hi. 200 halvings reach float64 resolution.
    Differentiable only through nothing: the result is detached (it is a diagnostic, not a loss).
    """
    with torch.no_grad():
        t64 = t.detach().to(torch.float64)
        a = torch.full_like(t64, lo)
        b = torch.full_like(t64, hi)
        for _ in range(200):
            mid = 0.5 * (a + b)
            below = fdiv.f_prime(torch.exp(mid)) < t64
            a = torch.where(below, mid, a)
            b = torch.where(below, b, mid)
        return (0.5 * (a + b)).to(t.dtype)
