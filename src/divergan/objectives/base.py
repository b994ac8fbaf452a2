"""What an objective is: pure functions of critic outputs, plus an optional penalty that takes the critic.

The trainer calls only these fields; it never branches on an objective's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from torch import Tensor, nn

#: (t_real, t_fake) -> scalar loss; t_* are raw critic outputs V(x) of shape (B,) or (B, K)
LossFn = Callable[[Tensor, Tensor], Tensor]
#: (critic, real, fake) -> scalar penalty added to the critic loss (e.g. the WGAN-GP gradient penalty)
PenaltyFn = Callable[[nn.Module, Tensor, Tensor], Tensor]
#: (x_real, x_fake) -> scalar loss on samples alone, for critic-free objectives such as MMD
SampleLossFn = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class Objective:
    """A GAN objective.

    Attributes:
        name: registry name.
        critic_loss: loss the critic minimises, from raw critic outputs on real and fake batches.
        generator_loss: loss the generator minimises, from raw critic outputs (t_real may be unused).
        penalty: optional extra critic loss that needs the critic itself (gradient penalty).
        sample_loss: for critic-free objectives (``mmd``): the generator's loss on samples; then
            ``critic_loss``/``generator_loss`` are unused and the trainer builds no critic.
        clip: if set, the critic's weights are clipped to [-clip, clip] after every critic step (WGAN).
        optimizer: the optimizer this objective is defined with ("adam" or "rmsprop").
        formula: the critic and generator objectives as text, for ``divergan objectives``.
        divergence: the divergence the game minimises at the optimal critic, as text.
        density_ratio: maps raw critic outputs V(x) to an estimate of log(p_r(x)/p_g(x)) at the
            optimal critic (D* = p_r/(p_r + p_g) gives log D/(1 − D); f-GAN gives (f')⁻¹(T)); None if
            the objective has no such identity. Used by density-ratio samplers.
        params: the parameters this objective was built with.
        critic_outputs: how many numbers the critic returns per sample: 1 for every objective on a
            scalar critic V(x), shape (B,); K > 1 for feature critics (``mmd-gan``), shape (B, K).
        generator_uses_real: whether ``generator_loss`` reads ``t_real``. When False the trainer does
            not run the critic on a real batch in the generator phase and passes ``t_real=None``.
        divergence_estimate: maps the critic loss L_D (penalty excluded) to the divergence it bounds
            from below, with equality at the optimal critic (``log 4 − L_D = 2·JS`` for the original
            game, ``1 − L_D/2 = TV`` for hinge, ``−L_D ≤ D_f`` for f-GAN); None where no such identity
            holds (lsgan, WGAN, MMD), and then the trainer logs no ``divergence_estimate``.
        penalty_on: what the penalty reads: ``"interpolates"`` (it draws x̂ between the real and fake
            batches itself, WGAN-GP) or ``"batches"`` (the real and fake batches as they are, R1/R2).
            The vectorised sweep forms the interpolates itself and needs to know.
    """

    name: str
    critic_loss: LossFn
    generator_loss: LossFn
    formula: str
    divergence: str
    penalty: PenaltyFn | None = None
    sample_loss: SampleLossFn | None = None
    clip: float | None = None
    optimizer: str = "adam"
    density_ratio: Callable[[Tensor], Tensor] | None = None
    params: dict[str, float | str] = field(default_factory=dict)
    critic_outputs: int = 1
    generator_uses_real: bool = True
    divergence_estimate: Callable[[Tensor], Tensor] | None = None
    penalty_on: str = "interpolates"

    @property
    def needs_critic(self) -> bool:
        return self.sample_loss is None
