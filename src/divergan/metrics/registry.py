"""Metrics by name, with the sample counts in the name (``modes-2500``, ``w1-2000``, ``mmd-2000``).

A :class:`Metric` is plain data: how many generated and real samples it needs and a pure function
``compute(fake, real, dataset) -> dict[str, float]``. :func:`evaluate` is the one place that draws
samples: ``num_fake`` from the generator and ``num_real`` fresh samples from the dataset (held out from
training for the infinite toy samplers; resampled rows for a finite file).

Names are ``<metric>-<count>``; the registered defaults are listed by :func:`names`, and any count
works (``get_metric("w1-5000")``). The count is the number of generated samples; real samples are as
many (``modes`` needs none).

==========  ======================================================================  ================
metric      reports                                                                 default count
==========  ======================================================================  ================
modes       modes, high_quality, reverse_kl, num_high_quality (docs/protocols.md, 2-D Gaussian mixtures) 2500
w1          w1: exact 1-Wasserstein distance to real samples (POT)                  2000
mmd         mmd: RBF-mixture MMD to real samples                                    2000
==========  ======================================================================  ================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from divergan.errors import UserError
from divergan.metrics.distances import mmd, w1
from divergan.metrics.modes import mode_metrics

if TYPE_CHECKING:  # metrics sit below data: the dataset is only a type here
    from divergan.data.base import Dataset

Compute = Callable[[Tensor, Tensor | None, "Dataset"], dict[str, float]]


@dataclass(frozen=True)
class Metric:
    """A metric that ``divergan eval`` can run.

    Attributes:
        name: registry name with the sample count, e.g. ``w1-2000``.
        num_fake: generated samples it needs.
        num_real: real samples it needs (0: none).
        compute: (fake (num_fake, ...), real (num_real, ...) or None, dataset) -> {key: value}.
        description: one line for listings.
    """

    name: str
    num_fake: int
    num_real: int
    compute: Compute
    description: str


def _modes(fake: Tensor, real: Tensor | None, dataset: Dataset) -> dict[str, float]:
    del real
    if dataset.modes is None or dataset.std is None:
        raise UserError(
            f"the modes metric needs a dataset with known modes (ring8, grid25, ...); {dataset.name} has none"
        )
    out = mode_metrics(fake.reshape(fake.shape[0], -1), dataset.modes, dataset.std)
    return {k: out[k] for k in ("modes", "high_quality", "reverse_kl", "num_high_quality")}


def _w1(fake: Tensor, real: Tensor | None, dataset: Dataset) -> dict[str, float]:
    del dataset
    return {"w1": w1(fake, real)}


def _mmd(fake: Tensor, real: Tensor | None, dataset: Dataset) -> dict[str, float]:
    del dataset
    return {"mmd": mmd(fake, real)}


#: base name -> (compute, default count, needs real samples, description)
BASE: dict[str, tuple[Compute, int, bool, str]] = {
    "modes": (_modes, 2500, False, "modes captured, % high quality, reverse KL (VEEGAN/PacGAN protocol)"),
    "w1": (_w1, 2000, True, "exact 1-Wasserstein distance to held-out real samples (POT)"),
    "mmd": (_mmd, 2000, True, "MMD (RBF kernel mixture) to held-out real samples"),
}


def names() -> list[str]:
    """The default metric names, e.g. ``modes-2500``."""
    return [f"{base}-{count}" for base, (_, count, _, _) in BASE.items()]


def get_metric(name: str) -> Metric:
    """A metric by name: ``<base>-<count>`` (``w1-5000``) or just ``<base>`` (default count).

    Raises:
        UserError: unknown metric or a count that is not a positive whole number.
    """
    base, dash, count_text = name.partition("-")
    if base not in BASE:
        raise UserError(
            f"unknown metric {name!r}; choose from {', '.join(names())} (any count after the dash)"
        )
    compute, default, needs_real, description = BASE[base]
    if dash:
        if not count_text.isdigit() or int(count_text) < 2:
            raise UserError(f"metric {name!r}: the count after the dash must be a whole number >= 2")
        count = int(count_text)
    else:
        count = default
    return Metric(
        name=f"{base}-{count}",
        num_fake=count,
        num_real=count if needs_real else 0,
        compute=compute,
        description=description,
    )


def evaluate(
    name: str, fake: Tensor | Callable[[int], Tensor], dataset: Dataset, generator: torch.Generator
) -> dict[str, float]:
    """Run one metric: take ``num_fake`` generated samples, draw ``num_real`` real ones, compute.

    Args:
        name: metric name (see :func:`get_metric`).
        fake: generated samples (at least ``num_fake`` rows; the first ones are used) or a function
            n -> (n, ...) samples.
        dataset: the real distribution.
        generator: torch.Generator for the real samples.

    Returns:
        {key: value} as the metric reports it.
    """
    metric = get_metric(name)
    samples = fake(metric.num_fake) if callable(fake) else fake
    samples = torch.as_tensor(samples).detach()
    if samples.shape[0] < metric.num_fake:
        raise UserError(
            f"metric {metric.name} needs {metric.num_fake} generated samples, got {samples.shape[0]}"
        )
    samples = samples[: metric.num_fake]
    real = dataset.sample(metric.num_real, generator) if metric.num_real else None
    return metric.compute(samples, real, dataset)
