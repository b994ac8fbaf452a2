"""What a dataset is for the trainer: something that draws batches, and may know its modes or labels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Dataset:
    """A source of real samples.

    Attributes:
        name: registry name or file path.
        dim: number of values in one sample (C·H·W for images).
        modes: (K, dim) centres of the mixture components, if the density is a known mixture.
        std: the components' standard deviation (a mixture of isotropic Gaussians), if known.
        points: (N, *shape) a finite sample (user data, images); None for an infinite sampler.
        sampler: draws n samples with a torch.Generator (used when ``points`` is None).
        shape: the shape of one sample: (dim,) for flat vectors, (C, H, W) for images (values in
            [−1, 1]); None means (dim,).
        labels: (N,) int64 class of each row of ``points``, if known.
        num_classes: number of classes when ``labels`` is given.
        held_out: (M, *shape) real samples kept out of ``points`` (never drawn for training): for
            memorisation checks and metrics against unseen data.
        held_out_labels: (M,) their classes, if known.
    """

    name: str
    dim: int
    modes: Tensor | None = None
    std: float | None = None
    points: Tensor | None = None
    sampler: object = None  # Callable[[int, torch.Generator], Tensor]
    shape: tuple[int, ...] | None = None
    labels: Tensor | None = None
    num_classes: int | None = None
    held_out: Tensor | None = None
    held_out_labels: Tensor | None = None

    @property
    def is_image(self) -> bool:
        """True for (C, H, W) samples."""
        return self.shape is not None and len(self.shape) == 3

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n samples, shape (n, *shape), float32, drawn deterministically from ``generator``."""
        return self.sample_labeled(n, generator)[0]

    def sample_labeled(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """n samples and their labels ((n,) int64, or None when unknown); the same draws as :meth:`sample`."""
        if self.points is not None:
            idx = torch.randint(len(self.points), (n,), generator=generator)
            return self.points[idx], (self.labels[idx] if self.labels is not None else None)
        return self.sampler(n, generator), None  # type: ignore[operator]
