"""divergan: the mathematics of generative adversarial networks, runnable and measurable.

Every GAN objective is a divergence between the data distribution P_r and the generator's P_g;
divergan keeps those divergences as data (:mod:`divergan.divergences`), estimates them from samples
(:mod:`divergan.estimators`), and trains generators against them.
"""

from divergan.errors import UserError

__version__ = "0.1.0"
__all__ = ["UserError", "__version__"]
