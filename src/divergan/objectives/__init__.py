"""GAN objectives: pure losses of critic outputs, penalties that take the critic, and a registry.

>>> from divergan.objectives import get_objective
>>> obj = get_objective("fgan-js-pi", pi=0.2)
>>> obj.name, obj.params["pi"]
('fgan-js-pi', 0.2)
"""

from divergan.objectives.base import LossFn, Objective, PenaltyFn, SampleLossFn
from divergan.objectives.fgan import conjugate_of_activation, log_density_ratio, log_ratio_by_bisection
from divergan.objectives.losses import (
    fgan_alt_generator_loss,
    fgan_discriminator_loss,
    fgan_saddle_generator_loss,
    hinge_discriminator_loss,
    hinge_generator_loss,
    js_pi_discriminator_loss,
    js_pi_generator_loss,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    mmd_gan_discriminator_loss,
    mmd_gan_generator_loss,
    mmd_sample_loss,
    non_saturating_generator_loss,
    rpgan_discriminator_loss,
    rpgan_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from divergan.objectives.penalties import (
    gradient_norms,
    gradient_penalty,
    interpolate,
    r1_penalty,
    r2_penalty,
    zero_centred_penalty,
)
from divergan.objectives.registry import OBJECTIVES, get_objective, names

__all__ = [
    "OBJECTIVES",
    "LossFn",
    "Objective",
    "PenaltyFn",
    "SampleLossFn",
    "conjugate_of_activation",
    "fgan_alt_generator_loss",
    "fgan_discriminator_loss",
    "fgan_saddle_generator_loss",
    "get_objective",
    "gradient_norms",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "interpolate",
    "js_pi_discriminator_loss",
    "js_pi_generator_loss",
    "log_density_ratio",
    "log_ratio_by_bisection",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "mmd_gan_discriminator_loss",
    "mmd_gan_generator_loss",
    "mmd_sample_loss",
    "names",
    "non_saturating_generator_loss",
    "r1_penalty",
    "r2_penalty",
    "rpgan_discriminator_loss",
    "rpgan_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "zero_centred_penalty",
]
