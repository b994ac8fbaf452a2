"""What a dataset is for the trainer: something that draws batches, and may know its modes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Dataset:
    """A source of real samples.

    Attributes:
        name: registry name or file path.
        dim: dimension of one sample (flat vectors for toy data).
        modes: (K, dim) centres of the mixture components, if the density is a known mixture.
        std: the components' standard deviation (a mixture of isotropic Gaussians), if known.
        points: (N, dim) a finite sample (user data); None for an infinite sampler.
        sampler: draws n samples with a torch.Generator (used when ``points`` is None).
    """

    name: str
    dim: int
    modes: Tensor | None = None
    std: float | None = None
    points: Tensor | None = None
    sampler: object = None  # Callable[[int, torch.Generator], Tensor]

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n samples, shape (n, dim), float32, drawn deterministically from ``generator``."""
        if self.points is not None:
            idx = torch.randint(len(self.points), (n,), generator=generator)
            return self.points[idx]
        return self.sampler(n, generator)  # type: ignore[operator]
