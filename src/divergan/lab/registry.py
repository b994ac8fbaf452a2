"""The lab's experiments by name, in the order of issue 5."""

from __future__ import annotations

import importlib

from divergan.errors import UserError
from divergan.lab.base import Experiment

#: experiment name -> module under divergan.lab defining ``EXPERIMENT``
MODULES: dict[str, str] = {
    "optimal-discriminator": "optimal_discriminator",
    "jsd-saturation": "jsd_saturation",
    "perfect-discriminator": "perfect_discriminator",
    "fdiv-fits": "fdiv_fits",
    "topology": "topology",
    "non-generalization": "non_generalization",
    "nn-divergence-generalization": "nn_divergence_generalization",
    "memorization": "memorization",
    "mixed-equilibrium": "mixed_equilibrium",
    "mutual-information": "mutual_information",
    "ipm-family": "ipm_family",
    "moment-matching": "moment_matching",
    "garcia-lemmas": "garcia_lemmas",
    "weight-clipping": "weight_clipping",
    "manifold-discriminator": "manifold_discriminator",
    "birthday-paradox": "birthday_paradox",
    "vector-arithmetic": "vector_arithmetic",
}


def names() -> list[str]:
    """Every experiment name, in the issue's order."""
    return list(MODULES)


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``.

    Raises:
        UserError: for an unknown name (the CLI prints one line and exits 2).
    """
    if name not in MODULES:
        raise UserError(f"unknown experiment {name!r}; choose from {', '.join(MODULES)}")
    return importlib.import_module(f"divergan.lab.{MODULES[name]}").EXPERIMENT
