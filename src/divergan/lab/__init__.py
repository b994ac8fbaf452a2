"""The theory lab: every claim of the source notes as a reproducible experiment (``divergan lab NAME``).

Each module states one claim, measures it, draws its figures and returns a result with ``claim``,
``measured``, ``expected``, ``holds`` and ``tolerance``; :func:`run_experiment` writes it to disk.
"""

from divergan.lab.base import Context, Experiment, run_experiment
from divergan.lab.registry import get_experiment, names

__all__ = ["Context", "Experiment", "get_experiment", "names", "run_experiment"]
