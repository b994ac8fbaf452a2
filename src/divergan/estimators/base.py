"""What every sample estimator returns, and the input checks they share.

An :class:`Estimate` is plain frozen data: the value, how it was obtained, an optional confidence
interval and a dict of extras (the ``log=True`` of POT). Samples are arrays or tensors of shape
(n, d) or (n,); a 1-D array is read as n points on the line, i.e. shape (n, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from divergan.errors import UserError

#: anything accepted as a sample: a numpy array, a torch tensor or a nested list, shape (n, d) or (n,)
Samples = Any


@dataclass(frozen=True)
class Estimate:
    """A divergence or distance estimated from samples.

    Attributes:
        value: the estimate.
        method: how it was computed, in words (estimator, kernel, critic), for reports and the CLI.
        ci: a 95% confidence interval (lo, hi) where the estimator has one, else None.
        extras: anything else worth reporting (sample sizes, a biased variant, the critic's size).
    """

    value: float
    method: str
    ci: tuple[float, float] | None = None
    extras: dict = field(default_factory=dict)


def as_array(x: Samples, name: str = "x") -> np.ndarray:
    """Samples as a float64 numpy array of shape (n, d); UserError for empty, ragged or non-finite input."""
    if isinstance(x, Tensor):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be an array of numbers") from None
    return _check_shape(arr, name)


def as_tensor(x: Samples, name: str = "x") -> Tensor:
    """Samples as a tensor of shape (n, d), keeping a tensor's dtype, device and autograd graph.

    Non-tensor input becomes float64. UserError for empty, ragged or non-finite input.
    """
    if not isinstance(x, Tensor):
        return torch.from_numpy(as_array(x, name))
    if not (x.is_floating_point()):
        x = x.to(torch.get_default_dtype())
    if x.ndim == 1:
        x = x.unsqueeze(-1)
    if x.ndim != 2:
        raise UserError(f"{name} must have shape (n, d) or (n,), got {tuple(x.shape)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise UserError(f"{name} is empty (shape {tuple(x.shape)})")
    if not bool(torch.isfinite(x.detach()).all()):
        raise UserError(f"{name} contains NaN or infinite values")
    return x


def _check_shape(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise UserError(f"{name} must have shape (n, d) or (n,), got {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise UserError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise UserError(f"{name} contains NaN or infinite values")
    return arr


def same_dim(x: np.ndarray | Tensor, y: np.ndarray | Tensor) -> int:
    """The common dimension d of two (n, d) samples; UserError if they differ."""
    if x.shape[1] != y.shape[1]:
        raise UserError(f"samples differ in dimension: x has d = {x.shape[1]} but y has d = {y.shape[1]}")
    return int(x.shape[1])


def pair_arrays(x: Samples, y: Samples) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as float64 arrays (n, d) and (m, d) with the same d."""
    xa, ya = as_array(x, "x"), as_array(y, "y")
    same_dim(xa, ya)
    return xa, ya


def pair_tensors(x: Samples, y: Samples) -> tuple[Tensor, Tensor]:
    """Both samples as tensors (n, d) and (m, d) of one dtype, with the same d (autograd kept)."""
    xt, yt = as_tensor(x, "x"), as_tensor(y, "y")
    same_dim(xt, yt)
    dtype = torch.promote_types(xt.dtype, yt.dtype)
    if xt.device != yt.device:
        raise UserError(f"x is on {xt.device} but y is on {yt.device}")
    return xt.to(dtype), yt.to(dtype)


def one_dimensional(x: Samples, name: str = "x") -> np.ndarray:
    """A 1-D sample as a float64 vector of shape (n,); UserError if it has d > 1."""
    arr = as_array(x, name)
    if arr.shape[1] != 1:
        raise UserError(f"{name} must be one-dimensional (shape (n,) or (n, 1)), got d = {arr.shape[1]}")
    return arr[:, 0]


def weights(w: Samples | None, n: int, name: str) -> np.ndarray | None:
    """Optional sample weights as a probability vector of length n (normalised to sum to 1)."""
    if w is None:
        return None
    if isinstance(w, Tensor):
        w = w.detach().cpu().numpy()
    arr = np.asarray(w, dtype=np.float64).reshape(-1)
    if arr.shape[0] != n:
        raise UserError(f"{name} has {arr.shape[0]} weights for {n} samples")
    if not np.isfinite(arr).all() or (arr < 0).any() or arr.sum() <= 0:
        raise UserError(f"{name} must be finite, non-negative weights with a positive sum")
    return arr / arr.sum()
