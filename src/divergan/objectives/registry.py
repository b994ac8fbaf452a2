r"""Every GAN objective by name: ``get_objective(name, **params) -> Objective``.

Names (``names()`` lists them in this order):

=====================  =================================================  ==============================
name                   game                                               params (default)
=====================  =================================================  ==============================
minimax                original GAN, saturating generator (GAN analysis slides, eq 1)  —
non-saturating         original critic, generator −E log D(G(z)); optional  r1 = γ₁ (0), r2 = γ₂ (0)
                       R1/R2 as for rpgan (Mescheder et al. 2018)
fgan-<f>               f-GAN for every entry f of the divergence table     generator ("alt" | "saddle"),
                       (GAN analysis slides, eq 7): fgan-kl, fgan-reverse-kl,  plus alpha (0.5) for
                       fgan-pearson, fgan-neyman, fgan-squared-hellinger,  fgan-alpha, pi (0.5) for
                       fgan-js, fgan-gan, fgan-tv, fgan-jeffrey,           fgan-js-pi
                       fgan-alpha, fgan-js-pi
lsgan                  least squares (Mao et al. 2017)                    a (0), b (1), c (1)
wgan                   Wasserstein, weight clipping, RMSProp               clip (0.01)
wgan-gp                Wasserstein + gradient penalty, Adam                weight = λ (10)
hinge                  hinge critic, generator −E V(G(z))                 —
mmd                    critic-free MMD² (GAN analysis slides, eq 13)       bandwidths (0.1..10 mixture)
mmd-gan                MMD² of learned critic features (B, K)              features (16), bandwidths
                                                                           ("1,2,4,8,16"), clip (0.01)
js-pi                  π-weighted classifier game (GAN analysis slides, eq 17)  pi (0.5)
rpgan                  relativistic pairing loss with zero-centred R1 (on  r1 = γ₁ (1), r2 = γ₂ (1)
                       real) and R2 (on fake) penalties (R3GAN)
=====================  =================================================  ==============================

``fgan-<f>`` is the f-divergence's table name behind ``fgan-``: one objective per entry, generated from
:data:`divergan.divergences.table.TABLE`, so a new entry there is a new objective here. Its generator
loss defaults to the f-GAN paper's "alternative" −E g_f(V(G(z))) (``generator="alt"``); the saddle
loss −E f*(g_f(V(G(z)))) of eq. 7 is ``generator="saddle"``.

Parameters may be given as numbers or as strings (as from a command line); ``None`` means the default.
Unknown names, unknown parameters and values out of range raise :class:`~divergan.errors.UserError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from torch import Tensor

from divergan.divergences import table as ftable
from divergan.errors import UserError
from divergan.objectives import losses as L
from divergan.objectives.base import Objective
from divergan.objectives.fgan import conjugate_of_activation, log_density_ratio
from divergan.objectives.penalties import gradient_penalty, zero_centred_penalty
from divergan.params import number, take

#: the RBF bandwidths MMD-GAN uses on critic features (Li et al. 2017, their code's sigma_list)
MMD_GAN_BANDWIDTHS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)


# --- parameter parsing ----------------------------------------------------------------------------------
_take = partial(take, "objective")
_float = partial(number, "objective")


def _choice(objective: str, key: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise UserError(f"objective {objective!r}: {key} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _bandwidths(objective: str, value: Any) -> tuple[float, ...] | str | None:
    """None (the estimator's default mixture), "median", or positive numbers (a list or "1,2,4")."""
    if value is None or value == "median":
        return value
    parts = value.split(",") if isinstance(value, str) else value
    try:
        out = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise UserError(
            f"objective {objective!r}: bandwidths must be positive numbers or 'median', got {value!r}"
        ) from None
    if not out or not all(math.isfinite(s) and s > 0 for s in out):
        raise UserError(
            f"objective {objective!r}: bandwidths must be positive numbers or 'median', got {value!r}"
        )
    return out


def _record(params: dict[str, Any]) -> dict[str, float | str]:
    """Params as plain data for ``Objective.params`` (tuples become "a,b,c")."""
    out: dict[str, float | str] = {}
    for k, v in params.items():
        if isinstance(v, tuple):
            out[k] = ",".join(f"{x:g}" for x in v)
        elif v is not None:
            out[k] = v
    return out


def _no_critic(t_real: Tensor, t_fake: Tensor) -> Tensor:
    raise RuntimeError("this objective is critic-free: use Objective.sample_loss")


def _js_from_minimax_loss(loss_d: Tensor) -> Tensor:
    """JS = (log 4 − L_D)/2: the critic loss is log 4 − 2·JS at D* (Goodfellow et al. 2014, Thm 1)."""
    return (math.log(4.0) - loss_d) / 2


# --- builders -------------------------------------------------------------------------------------------
def _minimax(**params: Any) -> Objective:
    _take("minimax", params, {})
    return Objective(
        name="minimax",
        critic_loss=L.minimax_discriminator_loss,
        generator_loss=L.minimax_generator_loss,
        generator_uses_real=False,
        formula=("critic: max_V E_r log σ(V) + E_g log(1 − σ(V));  generator: min E_z log(1 − σ(V(G(z))))"),
        divergence="2·JS(P_r‖P_g) − log 4 at the optimal critic D* = p_r/(p_r + p_g) (GAN analysis slides, eq. 2)",
        # D* = σ(V*) = p_r/(p_r + p_g)  ⇒  log p_r/p_g = log D*/(1 − D*) = V*
        density_ratio=lambda v: v,
        divergence_estimate=_js_from_minimax_loss,
    )


def _zero_centred(name: str, params: dict[str, Any], default: float) -> tuple[float, float, Any]:
    """The r1/r2 weights of an objective and its penalty (None when both are 0)."""
    p = _take(name, params, {"r1": default, "r2": default})
    r1, r2 = (_float(name, k, p[k], 0.0, math.inf) for k in ("r1", "r2"))

    def penalty(critic: Any, real: Tensor, fake: Tensor) -> Tensor:
        return zero_centred_penalty(critic, real, fake, r1, r2)

    return r1, r2, penalty if (r1 or r2) else None


def _penalty_text(r1: float, r2: float, sign: str) -> str:
    """ " − 0.1/2·E_r ‖∇V‖²"-style terms of the nonzero weights, for a formula."""
    return "".join(f" {sign} {g:g}/2·E_{s} ‖∇V‖²" for g, s in ((r1, "r"), (r2, "g")) if g)


def _non_saturating(**params: Any) -> Objective:
    # optional zero-centred penalties on the real (R1) and fake (R2) batches, Mescheder et al. 2018
    r1, r2, penalty = _zero_centred("non-saturating", params, 0.0)
    return Objective(
        name="non-saturating",
        critic_loss=L.minimax_discriminator_loss,
        generator_loss=L.non_saturating_generator_loss,
        generator_uses_real=False,
        penalty=penalty,
        penalty_on="batches",
        params=_record({"r1": r1, "r2": r2}) if penalty else {},
        formula=(
            f"critic: max_V E_r log σ(V) + E_g log(1 − σ(V)){_penalty_text(r1, r2, '−')};"
            "  generator: min −E_z log σ(V(G(z)))"
        ),
        divergence=(
            "generator gradient at the optimal critic = ∇[KL(P_g‖P_r) − 2·JS(P_r‖P_g)] "
            "(Sun (PaperWeekly), §4 example 4; Arjovsky & Bottou 2017, Thm 2.5)"
        ),
        density_ratio=lambda v: v,
        divergence_estimate=_js_from_minimax_loss,
    )


def _fgan_builder(div_name: str) -> Callable[..., Objective]:
    family = ftable.PARAMETERS.get(div_name)

    def build(**params: Any) -> Objective:
        name = f"fgan-{div_name}"
        defaults: dict[str, Any] = {"generator": "alt"}
        if family:
            defaults[family[0]] = family[1]
        p = _take(name, params, defaults)
        p["generator"] = _choice(name, "generator", p["generator"], ("alt", "saddle"))
        if family:
            p[family[0]] = _float(name, family[0], p[family[0]])
            fdiv = ftable.get(div_name, **{family[0]: p[family[0]]})
        else:
            fdiv = ftable.get(div_name)
        conj = conjugate_of_activation(fdiv)
        critic, generator = L.fgan_losses(fdiv, p["generator"], conj)
        g, fs = fdiv.formulas["g_f"], fdiv.formulas["f*"]
        gen_text = "min −E_z f*(g_f(V(G(z))))" if p["generator"] == "saddle" else "min −E_z g_f(V(G(z)))"
        return Objective(
            name=name,
            critic_loss=critic,
            generator_loss=generator,
            generator_uses_real=False,
            formula=(
                f"T = g_f(V), g_f(v) = {g}, f*(t) = {fs};  critic: max_V E_r T − E_g f*(T);  generator: {gen_text}"
            ),
            divergence=f"D_f(P_r‖P_g) for f = {fdiv.formulas['f']}: {fdiv.description} (GAN analysis slides, eqs. 5-7)",
            density_ratio=log_density_ratio(fdiv),
            params=_record(p),
            divergence_estimate=lambda loss_d: -loss_d,  # E_r T − E_g f*(T) ≤ D_f, = at T* (eq. 5)
        )

    build.__doc__ = f"f-GAN on the {div_name!r} entry of the f-divergence table."
    return build


def _lsgan(**params: Any) -> Objective:
    p = _take("lsgan", params, {"a": 0.0, "b": 1.0, "c": 1.0})
    a, b, c = (_float("lsgan", k, p[k]) for k in "abc")
    if a == b:
        raise UserError(
            f"objective 'lsgan': the fake label a and the real label b must differ, both are {a:g}"
        )

    # V* = (b p_r + a p_g)/(p_r + p_g) = (b r + a)/(r + 1), r = p_r/p_g  ⇒  r = (V − a)/(b − V)
    def density_ratio(v: Tensor) -> Tensor:
        return ((v - a) / (b - v)).clamp(min=0).log()

    return Objective(
        name="lsgan",
        critic_loss=lambda tr, tf: L.lsgan_discriminator_loss(tr, tf, a=a, b=b),
        generator_loss=lambda tr, tf: L.lsgan_generator_loss(tr, tf, c=c),
        generator_uses_real=False,
        formula=f"critic: min ½E_r (V − {b:g})² + ½E_g (V − {a:g})²;  generator: min ½E_z (V(G(z)) − {c:g})²",
        divergence=(
            "½·Pearson χ²(P_r + P_g ‖ 2P_g) when b − c = 1 and b − a = 2 (Mao et al. 2017, Thm 1); "
            "no f-divergence identity for other labels (the default a=0, b=1, c=1 has V* = p_r/(p_r + p_g))"
        ),
        density_ratio=density_ratio,
        params=_record({"a": a, "b": b, "c": c}),
    )


def _wgan(**params: Any) -> Objective:
    p = _take("wgan", params, {"clip": 0.01})
    clip = _float("wgan", "clip", p["clip"], 0.0, math.inf, open_=True)
    return Objective(
        name="wgan",
        critic_loss=L.wasserstein_discriminator_loss,
        generator_loss=L.wasserstein_generator_loss,
        generator_uses_real=False,
        formula=f"critic: max_V E_r V − E_g V, weights clipped to [−{clip:g}, {clip:g}];  generator: min −E_z V(G(z))",
        divergence="K·W_1(P_r, P_g) for a K-Lipschitz critic (GAN analysis slides, eqs. 8-10)",
        clip=clip,
        optimizer="rmsprop",
        params=_record({"clip": clip}),
    )


def _wgan_gp(**params: Any) -> Objective:
    p = _take("wgan-gp", params, {"weight": 10.0})
    weight = _float("wgan-gp", "weight", p["weight"], 0.0, math.inf)

    def penalty(critic: Any, real: Tensor, fake: Tensor) -> Tensor:
        return gradient_penalty(critic, real, fake, weight=weight)

    return Objective(
        name="wgan-gp",
        critic_loss=L.wasserstein_discriminator_loss,
        generator_loss=L.wasserstein_generator_loss,
        generator_uses_real=False,
        formula=(
            f"critic: max_V E_r V − E_g V − {weight:g}·E (‖∇V(x̂)‖₂ − 1)², x̂ = εx + (1 − ε)G(z), ε ~ U[0,1] per sample;"
            "  generator: min −E_z V(G(z))"
        ),
        divergence="W_1(P_r, P_g) (GAN analysis slides, eq. 9; Gulrajani et al. 2017)",
        penalty=penalty,
        optimizer="adam",
        params=_record({"weight": weight}),
    )


def _hinge(**params: Any) -> Objective:
    _take("hinge", params, {})
    return Objective(
        name="hinge",
        critic_loss=L.hinge_discriminator_loss,
        generator_loss=L.hinge_generator_loss,
        generator_uses_real=False,
        formula="critic: min E_r max(0, 1 − V) + E_g max(0, 1 + V);  generator: min −E_z V(G(z))",
        divergence="the optimal critic loss is 2 − 2·TV(P_r, P_g) (V* = sign(p_r − p_g); Lim & Ye 2017)",
        divergence_estimate=lambda loss_d: 1 - loss_d / 2,  # TV ≥ 1 − L_D/2, = at V*
    )


def _mmd(**params: Any) -> Objective:
    p = _take("mmd", params, {"bandwidths": None})
    bw = _bandwidths("mmd", p["bandwidths"])
    return Objective(
        name="mmd",
        critic_loss=_no_critic,
        generator_loss=_no_critic,
        sample_loss=lambda x, y: L.mmd_sample_loss(x, y, bandwidths=bw),
        formula="generator: min MMD²_u(x, G(z)), k = mean over σ of exp(−‖x − y‖²/2σ²); no critic",
        divergence="MMD²(P_r, P_g) for an RBF mixture kernel (GAN analysis slides, eqs. 13 and 18)",
        params=_record({"bandwidths": bw}),
    )


def _mmd_gan(**params: Any) -> Objective:
    p = _take("mmd-gan", params, {"features": 16, "bandwidths": MMD_GAN_BANDWIDTHS, "clip": 0.01})
    k = _float("mmd-gan", "features", p["features"], 1, 4096)
    if k != int(k):
        raise UserError(f"objective 'mmd-gan': features must be a whole number, got {p['features']!r}")
    bw = _bandwidths("mmd-gan", p["bandwidths"])
    clip = _float("mmd-gan", "clip", p["clip"], 0.0, math.inf)
    return Objective(
        name="mmd-gan",
        critic_loss=lambda tr, tf: L.mmd_gan_discriminator_loss(tr, tf, bandwidths=bw),
        generator_loss=lambda tr, tf: L.mmd_gan_generator_loss(tr, tf, bandwidths=bw),
        formula=(
            "critic φ: x ↦ R^K;  critic: max_φ MMD²_u(φ(x), φ(G(z)));  generator: min MMD²_u(φ(x), φ(G(z)))"
        ),
        divergence="sup over critics φ of MMD²(φ#P_r, φ#P_g) (GAN analysis slides, eqs. 11-12; Li et al. 2017)",
        clip=clip or None,
        optimizer="rmsprop" if clip else "adam",
        params=_record({"features": int(k), "bandwidths": bw, "clip": clip}),
        critic_outputs=int(k),
    )


def _js_pi(**params: Any) -> Objective:
    p = _take("js-pi", params, {"pi": 0.5})
    pi = _float("js-pi", "pi", p["pi"], 0.0, 1.0, open_=True)
    h = -pi * math.log(pi) - (1 - pi) * math.log(1 - pi)
    return Objective(
        name="js-pi",
        critic_loss=lambda tr, tf: L.js_pi_discriminator_loss(tr, tf, pi=pi),
        generator_loss=lambda tr, tf: L.js_pi_generator_loss(tr, tf, pi=pi),
        generator_uses_real=False,
        formula=(
            f"critic: max_V {pi:g}·E_r log σ(V) + {1 - pi:g}·E_g log(1 − σ(V));"
            f"  generator: min {1 - pi:g}·E_z log(1 − σ(V(G(z))))"
        ),
        divergence=f"JS_π(P_r‖P_g) − H(π) = I(X; Z) − {h:.6g} at the optimal classifier (GAN analysis slides, eqs. 14-17)",
        # σ(V*) = π p_r/(π p_r + (1−π) p_g)  ⇒  V* = log(π/(1−π)) + log p_r/p_g
        density_ratio=lambda v: v - math.log(pi / (1 - pi)),
        params=_record({"pi": pi}),
        divergence_estimate=lambda loss_d: h - loss_d,  # JS_π ≥ H(π) − L_D, = at the optimal classifier
    )


def _rpgan(**params: Any) -> Objective:
    r1, r2, penalty = _zero_centred("rpgan", params, 1.0)
    return Objective(
        name="rpgan",
        critic_loss=L.rpgan_discriminator_loss,
        generator_loss=L.rpgan_generator_loss,
        generator_uses_real=True,
        formula=(
            "paired batches (x_r, x_f = G(z));  critic: min E softplus(V(x_f) − V(x_r))"
            f" + {r1:g}/2·E_r ‖∇V‖² + {r2:g}/2·E_g ‖∇V‖²;  generator: min E softplus(V(x_r) − V(x_f))"
        ),
        divergence=(
            "relativistic pairing GAN (Huang et al. 2024, R3GAN) with R1/R2 zero-centred penalties; "
            "every basin of its loss landscape is a global minimum P_g = P_r (Sun et al. 2020)"
        ),
        penalty=penalty,
        penalty_on="batches",  # R1 on the real batch, R2 on the fake one
        optimizer="adam",
        params=_record({"r1": r1, "r2": r2}),
    )


#: name -> builder(**params) -> Objective
OBJECTIVES: dict[str, Callable[..., Objective]] = {
    "minimax": _minimax,
    "non-saturating": _non_saturating,
    **{f"fgan-{d}": _fgan_builder(d) for d in ftable.TABLE},
    "lsgan": _lsgan,
    "wgan": _wgan,
    "wgan-gp": _wgan_gp,
    "hinge": _hinge,
    "mmd": _mmd,
    "mmd-gan": _mmd_gan,
    "js-pi": _js_pi,
    "rpgan": _rpgan,
}


def names() -> list[str]:
    """Every objective name, in registry order."""
    return list(OBJECTIVES)


def get_objective(name: str, **params: Any) -> Objective:
    """Build an objective by name, e.g. ``get_objective("fgan-js-pi", pi=0.2, generator="saddle")``.

    Raises:
        UserError: unknown name, a parameter the objective does not take, or a value out of range.
    """
    if name not in OBJECTIVES:
        raise UserError(f"unknown objective {name!r}; choose from {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name](**params)
