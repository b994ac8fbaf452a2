"""divergan: the mathematics of generative adversarial networks, runnable and measurable.

Every GAN objective is a divergence between the data distribution P_r and the generator's P_g;
divergan keeps those divergences as data (:mod:`divergan.divergences`), estimates them from samples
(:mod:`divergan.estimators`), and trains generators against them.
"""

from divergan.errors import UserError

__version__ = "0.1.0"
__all__ = ["UserError", "__version__", "fit", "load_generator"]


def __getattr__(name: str):  # PEP 562: ``divergan.fit`` imports torch only when first used
    if name in ("fit", "load_generator"):
        from divergan import api

        return getattr(api, name)
    raise AttributeError(f"module 'divergan' has no attribute {name!r}")
