r"""The f-divergence family as data (GAN analysis slides, eqs. 3-7; Sun (PaperWeekly), §4; Nowozin et al. 2016, table 2).

An f-divergence between densities p and q is

.. math::

    D_f(P \,\|\, Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx        \qquad \text{(GAN analysis slides, eq. 3)}

for a convex, lower semi-continuous generator f with f(1) = 0 (``gan`` is the one exception: its
f(1) = -log 4, so that D_f = 2 JS - log 4 is the value of the original GAN game, GAN analysis slides, eq. 2).
Because f = f** (eq. 4), every critic T gives the variational lower bound

.. math::

    D_f(P \,\|\, Q) \ge \sup_T \; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))]    \qquad \text{(eq. 5)}

which is tight at T*(x) = f'(p(x)/q(x)) (eq. 6). f-GAN (eq. 7) parameterises T = g_f(V(x)) with an
output activation g_f that maps all of R into dom f*.

Each entry of :data:`TABLE` is an :class:`FDivergence`: frozen data holding f, f*, f', g_f, dom f*,
f'(1) and the two limits that make D_f well defined when a density vanishes:
``f0`` = f(0+) and ``slope_inf`` = lim_{u→∞} f(u)/u, so that

    q·f(p/q) = q·f0 if p = 0,   p·slope_inf if q = 0,   0 if both are 0.

Scale conventions (chosen so each name returns its own textbook value): ``js`` is
½KL(P‖M) + ½KL(Q‖M) ∈ [0, log 2] (the f-GAN table's f gives 2·JS, so f, f*, g_f here are that row
rescaled by ½: (c·h)*(t) = c·h*(t/c)); ``tv`` is ½∫|p − q| ∈ [0, 1]; ``pearson`` is ∫(p − q)²/q;
``neyman`` is ∫(p − q)²/p (the GAN analysis slides' table writes Pearson with p and q swapped: here the argument
order is always D(P‖Q) = ∫q f(p/q)); ``squared-hellinger`` is ∫(√p − √q)² ∈ [0, 2] (no ½).

Adding a divergence is adding one entry (or one builder for a parameterised family) below; every test
over the table then covers it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch.nn import functional as F

from divergan.errors import UserError

Fn = Callable[[Tensor], Tensor]
INF = math.inf


@dataclass(frozen=True)
class FDivergence:
    """One f-divergence: the generator f and everything f-GAN needs from it.

    Attributes:
        name: registry name (``kl``, ``js-pi``, ...).
        f: the generator f(u), u > 0, convex with f(1) = ``f(1)`` (0 except for ``gan``).
        f_star: the convex conjugate f*(t) = sup_u {t·u − f(u)} on dom f*.
        f_prime: the derivative f'(u); T*(x) = f'(p(x)/q(x)) is the optimal critic (eq. 6).
        activation: the output activation g_f: R → dom f* (f-GAN).
        domain: dom f* as an interval (lo, hi); an end is included iff the matching flag is set.
        f0: f(0+), possibly +inf.
        slope_inf: lim_{u→∞} f(u)/u, possibly +inf.
        formulas: human-readable f, f*, g_f for ``divergan divergences``.
        params: the family parameters this entry was built with (α, π).
        normal: exact value between two diagonal Gaussians, where a closed form exists; called as
            ``normal(mu_p, sigma_p, mu_q, sigma_q)`` on float64 tensors of shape (d,).
        conjugate_of_activation: v ↦ f*(g_f(v)) simplified by hand so that it neither overflows nor
            takes log 0 for large |v| (the fake-sample term of the f-GAN critic loss); None: the naive
            composition f*∘g_f is used. Derivations in :mod:`divergan.objectives.fgan`.
        log_ratio: v ↦ log (f')⁻¹(g_f(v)), the log density ratio log p/q that an optimal critic
            implies; None: found by bisection on the monotone s ↦ f'(e^s).
        invertible: False where f' has no inverse (``tv``: f' is a step), so no critic gives a ratio.
    """

    name: str
    f: Fn
    f_star: Fn
    f_prime: Fn
    activation: Fn
    domain: tuple[float, float]
    f0: float
    slope_inf: float
    formulas: dict[str, str]
    domain_closed: tuple[bool, bool] = (False, False)
    params: dict[str, float] = field(default_factory=dict)
    normal: Callable[[Tensor, Tensor, Tensor, Tensor], float] | None = None
    description: str = ""
    conjugate_of_activation: Fn | None = None
    log_ratio: Fn | None = None
    invertible: bool = True

    @property
    def f_at_1(self) -> float:
        """f(1): the divergence's value at P = Q (0 for all but ``gan``)."""
        return float(self.f(torch.tensor(1.0, dtype=torch.float64)))

    @property
    def f_prime_at_1(self) -> float:
        """f'(1): the optimal critic's value where P = Q."""
        return float(self.f_prime(torch.tensor(1.0, dtype=torch.float64)))

    def in_domain(self, t: Tensor) -> Tensor:
        """Boolean mask: is t inside dom f*?"""
        lo, hi = self.domain
        lo_ok = t >= lo if self.domain_closed[0] else t > lo
        hi_ok = t <= hi if self.domain_closed[1] else t < hi
        return lo_ok & hi_ok

    def perspective(self, p: Tensor, q: Tensor) -> Tensor:
        """q·f(p/q) with the limits at p = 0 and q = 0 (so D_f = Σ or ∫ of this)."""
        p, q = torch.broadcast_tensors(p, q)
        out = torch.zeros_like(p)
        both = (p > 0) & (q > 0)
        if both.any():
            out[both] = q[both] * self.f(p[both] / q[both])
        only_q = (p <= 0) & (q > 0)
        if only_q.any():
            out[only_q] = q[only_q] * self.f0
        only_p = (p > 0) & (q <= 0)
        if only_p.any():
            out[only_p] = p[only_p] * self.slope_inf
        return out


# --- Gaussian closed forms -------------------------------------------------------------------------
def _normal_kl(mu_p: Tensor, s_p: Tensor, mu_q: Tensor, s_q: Tensor) -> float:
    """KL(N(μp, σp²) ‖ N(μq, σq²)) summed over independent coordinates."""
    terms = torch.log(s_q / s_p) + (s_p**2 + (mu_p - mu_q) ** 2) / (2 * s_q**2) - 0.5
    return float(terms.sum())


def _log_power_integral(alpha: float, mu_p: Tensor, s_p: Tensor, mu_q: Tensor, s_q: Tensor) -> float:
    """log ∫ p^α q^(1−α) dx for diagonal Gaussians; +inf where the integral diverges.

    Per coordinate, with v = α σq² + (1 − α) σp² > 0:
    log ∫ = (1 − α) log σp + α log σq − ½ log v − α(1 − α)(μp − μq)² / (2v).
    """
    v = alpha * s_q**2 + (1 - alpha) * s_p**2
    if bool((v <= 0).any()):
        return INF
    terms = (
        (1 - alpha) * torch.log(s_p)
        + alpha * torch.log(s_q)
        - 0.5 * torch.log(v)
        - alpha * (1 - alpha) * (mu_p - mu_q) ** 2 / (2 * v)
    )
    return float(terms.sum())


def _from_power(alpha: float, scale: float) -> Callable[[Tensor, Tensor, Tensor, Tensor], float]:
    """scale·(∫p^α q^(1−α) − 1): the closed form shared by α (scale 1/(α(α−1))) and χ² (scale 1)."""

    def value(mu_p: Tensor, s_p: Tensor, mu_q: Tensor, s_q: Tensor) -> float:
        log_i = _log_power_integral(alpha, mu_p, s_p, mu_q, s_q)
        if log_i == INF:
            return INF  # the integral can only diverge where α(α − 1) > 0, i.e. the value is +inf
        return scale * math.expm1(log_i)

    return value


def gaussian_crossings(m1: float, s1: float, m2: float, s2: float) -> list[float]:
    """The real x where the 1-D densities N(m1, s1²) and N(m2, s2²) are equal (0, 1 or 2 points).

    log p − log q = a x² + b x + c with a = 1/(2 s2²) − 1/(2 s1²), b = m1/s1² − m2/s2²,
    c = m2²/(2 s2²) − m1²/(2 s1²) + log(s2/s1).
    """
    a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
    b = m1 / s1**2 - m2 / s2**2
    c = m2**2 / (2 * s2**2) - m1**2 / (2 * s1**2) + math.log(s2 / s1)
    if abs(a) < 1e-300:
        return [] if b == 0 else [-c / b]
    disc = b * b - 4 * a * c
    if disc < 0:
        return []
    r = math.sqrt(disc)
    return sorted({(-b - r) / (2 * a), (-b + r) / (2 * a)})


def _normal_tv(mu_p: Tensor, s_p: Tensor, mu_q: Tensor, s_q: Tensor) -> float:
    """TV between 1-D Gaussians: sup_A P(A) − Q(A) is attained at A = {p > q}, a union of intervals
    between the crossing points, so TV = Σ over those intervals of ΔΦ_P − ΔΦ_Q."""
    from scipy.stats import norm

    if mu_p.numel() != 1:
        raise UserError("no closed form for tv between n-D Gaussians; pass samples to estimate it")
    m1, s1, m2, s2 = float(mu_p), float(s_p), float(mu_q), float(s_q)
    edges = [-INF, *gaussian_crossings(m1, s1, m2, s2), INF]
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        mid = (lo + hi) / 2 if math.isfinite(lo + hi) else (hi - 1 if math.isfinite(hi) else lo + 1)
        if not math.isfinite(mid):
            mid = 0.0
        if norm.logpdf(mid, m1, s1) > norm.logpdf(mid, m2, s2):
            total += (norm.cdf(hi, m1, s1) - norm.cdf(lo, m1, s1)) - (
                norm.cdf(hi, m2, s2) - norm.cdf(lo, m2, s2)
            )
    return total


# --- Lambert W on the principal branch, differentiable ---------------------------------------------
def lambertw_exp(x: Tensor) -> Tensor:
    """w = W(e^x), i.e. the solution of w + log w = x, for any real x (no overflow for large x).

    Newton's method runs without gradient; one last Newton step with gradient gives the exact
    derivative dw/dx = w / (1 + w) by the implicit function theorem.
    """
    with torch.no_grad():
        w = torch.where(x > 1, x - torch.log(x.clamp(min=1)), torch.exp(x))
        w = w.clamp(min=torch.finfo(x.dtype).tiny)
        for _ in range(50):
            step = (w + torch.log(w) - x) * w / (1 + w)
            w = (w - step).clamp(min=torch.finfo(x.dtype).tiny)
            if bool((step.abs() <= 1e-15 * (1 + w)).all()):
                break
    return w - (w + torch.log(w) - x) * w / (1 + w)


def _log_softplus(x: Tensor) -> Tensor:
    """log(softplus(x)) without underflow: softplus(x) ≈ e^x for x ≪ 0, so log ≈ x there."""
    return torch.where(x < -30, x, torch.log(F.softplus(x.clamp(min=-30))))


# --- the entries -----------------------------------------------------------------------------------
LOG2 = math.log(2.0)


def _kl() -> FDivergence:
    return FDivergence(
        name="kl",
        f=lambda u: torch.xlogy(u, u),
        f_star=lambda t: torch.exp(t - 1),
        f_prime=lambda u: 1 + torch.log(u),
        activation=lambda v: v,
        domain=(-INF, INF),
        f0=0.0,
        slope_inf=INF,
        formulas={"f": "u log u", "f*": "exp(t - 1)", "g_f": "v"},
        normal=lambda mp, sp, mq, sq: _normal_kl(mp, sp, mq, sq),
        description="Kullback-Leibler KL(P‖Q) = ∫ p log(p/q)",
        conjugate_of_activation=lambda v: torch.exp(v - 1),
        log_ratio=lambda v: v - 1,
    )


def _reverse_kl() -> FDivergence:
    return FDivergence(
        name="reverse-kl",
        f=lambda u: -torch.log(u),
        f_star=lambda t: -1 - torch.log(-t),
        f_prime=lambda u: -1 / u,
        activation=lambda v: -torch.exp(v),
        domain=(-INF, 0.0),
        f0=INF,
        slope_inf=0.0,
        formulas={"f": "-log u", "f*": "-1 - log(-t)", "g_f": "-exp(v)"},
        normal=lambda mp, sp, mq, sq: _normal_kl(mq, sq, mp, sp),
        description="reverse KL KL(Q‖P) = ∫ q log(q/p)",
        conjugate_of_activation=lambda v: -1 - v,
        log_ratio=lambda v: -v,
    )


def _pearson() -> FDivergence:
    return FDivergence(
        name="pearson",
        f=lambda u: (u - 1) ** 2,
        # f-GAN's ¼t² + t is the conjugate of (u − 1)² over all of R; over u ≥ 0 the supremum sits
        # at u = 0 once t < −2, so the true conjugate is −1 there (a tighter bound, same value at t ≥ −2)
        f_star=lambda t: torch.where(t >= -2, 0.25 * t**2 + t, torch.full_like(t, -1.0)),
        f_prime=lambda u: 2 * (u - 1),
        activation=lambda v: v,
        domain=(-INF, INF),
        f0=1.0,
        slope_inf=INF,
        formulas={"f": "(u - 1)^2", "f*": "t^2/4 + t (t >= -2), -1 (t < -2)", "g_f": "v"},
        normal=_from_power(2.0, 1.0),  # ∫p²/q − 1
        description="Pearson χ² = ∫ (p - q)²/q",
        conjugate_of_activation=lambda v: torch.where(v >= -2, 0.25 * v * v + v, torch.full_like(v, -1.0)),
        log_ratio=lambda v: torch.log((1 + 0.5 * v).clamp(min=0)),
    )


def _neyman() -> FDivergence:
    return FDivergence(
        name="neyman",
        f=lambda u: (1 - u) ** 2 / u,
        f_star=lambda t: 2 - 2 * torch.sqrt(1 - t),
        f_prime=lambda u: 1 - 1 / u**2,
        activation=lambda v: 1 - torch.exp(v),
        domain=(-INF, 1.0),
        f0=INF,
        slope_inf=1.0,
        formulas={"f": "(1 - u)^2 / u", "f*": "2 - 2 sqrt(1 - t)", "g_f": "1 - exp(v)"},
        normal=_from_power(-1.0, 1.0),  # ∫q²/p − 1
        description="Neyman χ² = ∫ (p - q)²/p",
        conjugate_of_activation=lambda v: 2 - 2 * torch.exp(0.5 * v),
        log_ratio=lambda v: -0.5 * v,
    )


def _squared_hellinger() -> FDivergence:
    def value(mp: Tensor, sp: Tensor, mq: Tensor, sq: Tensor) -> float:
        return 2.0 - 2.0 * math.exp(_log_power_integral(0.5, mp, sp, mq, sq))

    return FDivergence(
        name="squared-hellinger",
        f=lambda u: (torch.sqrt(u) - 1) ** 2,
        f_star=lambda t: t / (1 - t),
        f_prime=lambda u: 1 - 1 / torch.sqrt(u),
        activation=lambda v: 1 - torch.exp(v),
        domain=(-INF, 1.0),
        f0=1.0,
        slope_inf=1.0,
        formulas={"f": "(sqrt(u) - 1)^2", "f*": "t / (1 - t)", "g_f": "1 - exp(v)"},
        normal=value,
        description="squared Hellinger ∫ (√p - √q)², in [0, 2]",
        conjugate_of_activation=lambda v: torch.expm1(-v),
        log_ratio=lambda v: -2 * v,
    )


def _js_pi(pi: float = 0.5) -> FDivergence:
    """JS_π(P‖Q) = π KL(P‖M) + (1−π) KL(Q‖M), M = πP + (1−π)Q (Zhang lecture notes; GAN analysis slides, eqs. 14-17).

    f(u) = π u log u − (πu + 1 − π) log(πu + 1 − π),  f'(u) = π log(u / (πu + 1 − π)),
    f*(t) = −(1−π) log((1 − π e^{t/π}) / (1 − π)) on t < −π log π,
    g_f(v) = π log(σ(v)/π) = −π log π − π softplus(−v): a classifier σ(v) behind the critic.
    JS_π equals the mutual information I(X; Z) for Z ~ Ber(π), X|Z=1 ~ P, X|Z=0 ~ Q.
    """
    if not (isinstance(pi, float | int) and 0.0 < pi < 1.0):
        raise UserError(f"pi must lie strictly between 0 and 1, got {pi}")
    pi = float(pi)
    c = 1.0 - pi
    hi = -pi * math.log(pi)

    def f(u: Tensor) -> Tensor:
        m = pi * u + c
        return pi * torch.xlogy(u, u) - torch.xlogy(m, m)

    return FDivergence(
        name="js-pi",
        f=f,
        f_star=lambda t: -c * torch.log((1 - pi * torch.exp(t / pi)) / c),
        f_prime=lambda u: pi * torch.log(u / (pi * u + c)),
        activation=lambda v: hi - pi * F.softplus(-v),
        domain=(-INF, hi),
        f0=-c * math.log(c),
        slope_inf=hi,
        formulas={
            "f": "pi u log u - (pi u + 1 - pi) log(pi u + 1 - pi)",
            "f*": "-(1 - pi) log((1 - pi exp(t/pi)) / (1 - pi))",
            "g_f": "-pi log pi - pi softplus(-v)",
        },
        params={"pi": pi},
        description="π-weighted Jensen-Shannon π KL(P‖M) + (1-π) KL(Q‖M), M = πP + (1-π)Q",
        conjugate_of_activation=lambda v: c * (F.softplus(v) + math.log(c)),
        log_ratio=lambda v: v - math.log(pi / c),
    )


def _js() -> FDivergence:
    half = _js_pi(0.5)
    return FDivergence(
        name="js",
        f=half.f,
        f_star=lambda t: -0.5 * torch.log(2 - torch.exp(2 * t)),
        f_prime=lambda u: 0.5 * torch.log(2 * u / (u + 1)),
        activation=lambda v: 0.5 * (LOG2 - F.softplus(-v)),
        domain=(-INF, 0.5 * LOG2),
        f0=0.5 * LOG2,
        slope_inf=0.5 * LOG2,
        formulas={
            "f": "(u log u - (u + 1) log((u + 1)/2)) / 2",
            "f*": "-log(2 - exp(2t)) / 2",
            "g_f": "(log 2 - log(1 + exp(-v))) / 2",
        },
        description="Jensen-Shannon ½KL(P‖M) + ½KL(Q‖M), M = (P+Q)/2, in [0, log 2]",
        conjugate_of_activation=lambda v: 0.5 * F.softplus(v) - 0.5 * LOG2,
        log_ratio=lambda v: v,
    )


def _gan() -> FDivergence:
    return FDivergence(
        name="gan",
        f=lambda u: torch.xlogy(u, u) - torch.xlogy(u + 1, u + 1),
        f_star=lambda t: -torch.log(-torch.expm1(t)),
        f_prime=lambda u: torch.log(u / (u + 1)),
        activation=lambda v: F.logsigmoid(v),
        domain=(-INF, 0.0),
        f0=0.0,
        slope_inf=0.0,
        formulas={"f": "u log u - (u + 1) log(u + 1)", "f*": "-log(1 - exp(t))", "g_f": "-log(1 + exp(-v))"},
        description="the original GAN game's value 2·JS - log 4 (GAN analysis slides, eq. 2), in [-log 4, 0]",
        conjugate_of_activation=F.softplus,
        log_ratio=lambda v: v,
    )


def _tv() -> FDivergence:
    return FDivergence(
        name="tv",
        f=lambda u: 0.5 * torch.abs(u - 1),
        f_star=lambda t: t,
        f_prime=lambda u: 0.5 * torch.sign(u - 1),
        activation=lambda v: 0.5 * torch.tanh(v),
        domain=(-0.5, 0.5),
        domain_closed=(True, True),
        f0=0.5,
        slope_inf=0.5,
        formulas={"f": "|u - 1| / 2", "f*": "t on |t| <= 1/2", "g_f": "tanh(v) / 2"},
        normal=_normal_tv,
        description="total variation ½∫|p - q| = sup_A |P(A) - Q(A)|, in [0, 1]",
        conjugate_of_activation=lambda v: 0.5 * torch.tanh(v),
        invertible=False,
    )


def _jeffrey() -> FDivergence:
    return FDivergence(
        name="jeffrey",
        f=lambda u: (u - 1) * torch.log(u),
        f_star=lambda t: _jeffrey_conjugate(t),
        f_prime=lambda u: torch.log(u) + 1 - 1 / u,
        activation=lambda v: v,
        domain=(-INF, INF),
        f0=INF,
        slope_inf=INF,
        formulas={"f": "(u - 1) log u", "f*": "W(e^(1-t)) + 1/W(e^(1-t)) + t - 2", "g_f": "v"},
        normal=lambda mp, sp, mq, sq: _normal_kl(mp, sp, mq, sq) + _normal_kl(mq, sq, mp, sp),
        description="Jeffrey KL(P‖Q) + KL(Q‖P)",
        # f*(v) = w + 1/w + v − 2, w = W(e^{1−v}); autograd forms 1/w² on the way to f*'(v) = 1/w, which
        # overflows float32 already at v ≈ 45 although f*' ≈ e^{v−1} is representable up to v ≈ 89: float64
        conjugate_of_activation=lambda v: _jeffrey_conjugate(v.to(torch.float64)).to(v.dtype),
        log_ratio=lambda v: (v - 1) + lambertw_exp(1 - v),
    )


def _jeffrey_conjugate(t: Tensor) -> Tensor:
    w = lambertw_exp(1 - t)
    return w + 1 / w + t - 2


def _alpha(alpha: float = 0.5) -> FDivergence:
    """Amari α-divergence, f(u) = (u^α − 1 − α(u − 1)) / (α(α − 1)), α ∉ {0, 1}.

    f*(t) = ((1 + (α−1)t)_+^{α/(α−1)} − 1) / α. For α < 1, dom f* is t < 1/(1−α) and
    g_f(v) = 1/(1−α) − softplus(−v); for α > 1, dom f* is R (f* = −1/α below −1/(α−1)) and g_f(v) = v.
    α → 1 gives KL, α → 0 reverse KL, α = 2 Pearson/2, α = −1 Neyman/2, α = ½ 2·squared Hellinger.
    """
    if not isinstance(alpha, float | int) or not math.isfinite(alpha) or alpha in (0.0, 1.0):
        raise UserError(f"alpha must be a finite number other than 0 and 1, got {alpha}")
    a = float(alpha)
    k = a * (a - 1)

    def f_star(t: Tensor) -> Tensor:
        s = 1 + (a - 1) * t
        if a > 1:
            s = s.clamp(min=0)
        return (s ** (a / (a - 1)) - 1) / a

    if a < 1:
        hi = 1 / (1 - a)
        domain, closed = (-INF, hi), (False, a < 0)

        def activation(v: Tensor) -> Tensor:
            return hi - F.softplus(-v)

        g_text = f"{hi:g} - softplus(-v)"
        expo = a / (a - 1)

        def conjugate(v: Tensor) -> Tensor:  # ((1−α) sp(−v))^{α/(α−1)}/α − 1/α, in logs
            return (torch.exp(expo * (math.log(1 - a) + _log_softplus(-v))) - 1) / a

        def log_ratio(v: Tensor) -> Tensor:  # r^{α−1} = (1−α) sp(−v)
            return (math.log(1 - a) + _log_softplus(-v)) / (a - 1)
    else:
        domain, closed = (-INF, INF), (False, False)

        def activation(v: Tensor) -> Tensor:
            return v

        g_text = "v"
        conjugate = None  # f*(v) of the table is stable here

        def log_ratio(v: Tensor) -> Tensor:  # r^{α−1} = 1 + (α−1) v
            return torch.log((1 + (a - 1) * v).clamp(min=0)) / (a - 1)

    return FDivergence(
        name="alpha",
        f=lambda u: (u**a - 1 - a * (u - 1)) / k,
        f_star=f_star,
        f_prime=lambda u: (u ** (a - 1) - 1) / (a - 1),
        activation=activation,
        domain=domain,
        domain_closed=closed,
        f0=(1 / a) if a > 0 else INF,
        slope_inf=INF if a > 1 else 1 / (1 - a),
        formulas={
            "f": "(u^a - 1 - a(u - 1)) / (a(a - 1))",
            "f*": "((1 + (a - 1)t)^(a/(a - 1)) - 1) / a",
            "g_f": g_text,
        },
        params={"alpha": a},
        normal=_from_power(a, 1.0 / k),
        description="Amari α-divergence (∫ p^α q^(1-α) - 1) / (α(α - 1))",
        conjugate_of_activation=conjugate,
        log_ratio=log_ratio,
    )


#: name -> builder. Builders of parameterised families take their parameter as a keyword.
TABLE: dict[str, Callable[..., FDivergence]] = {
    "kl": _kl,
    "reverse-kl": _reverse_kl,
    "pearson": _pearson,
    "neyman": _neyman,
    "squared-hellinger": _squared_hellinger,
    "js": _js,
    "gan": _gan,
    "tv": _tv,
    "jeffrey": _jeffrey,
    "alpha": _alpha,
    "js-pi": _js_pi,
}


def parameter(name: str) -> tuple[str, float] | None:
    """The parameter an entry's family takes and its default, read from the entry itself (its
    builder's keyword argument, e.g. ``_alpha(alpha=0.5)``); None for a divergence without one. So a
    parametrised divergence is one entry, nothing else to register."""
    import inspect

    args = list(inspect.signature(TABLE[name]).parameters.values())
    if not args:
        return None
    if len(args) > 1 or args[0].default is inspect.Parameter.empty:
        raise TypeError(f"the builder of {name!r} must take at most one parameter, with a default")
    return args[0].name, float(args[0].default)


#: the parameter each family takes, with its default (derived from the entries; for existing callers)
PARAMETERS: dict[str, tuple[str, float]] = {n: p for n in TABLE if (p := parameter(n)) is not None}


def names() -> list[str]:
    """Every f-divergence name, in table order."""
    return list(TABLE)


def get(name: str, **params: float | None) -> FDivergence:
    """Look an f-divergence up by name, e.g. ``get("js-pi", pi=0.1)`` or ``get("alpha", alpha=2)``.

    Parameters a family does not take are ignored when None and rejected otherwise.

    Raises:
        UserError: for an unknown name or a parameter out of range.
    """
    if isinstance(name, FDivergence):
        return name
    if name not in TABLE:
        raise UserError(f"unknown f-divergence {name!r}; choose from {', '.join(TABLE)}")
    given = {k: v for k, v in params.items() if v is not None}
    wanted = parameter(name)
    extra = set(given) - ({wanted[0]} if wanted else set())
    if extra:
        raise UserError(f"f-divergence {name!r} takes no parameter {', '.join(sorted(extra))}")
    return TABLE[name](**given)
