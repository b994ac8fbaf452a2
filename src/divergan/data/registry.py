"""Datasets by name: ``get_dataset(name, **params) -> Dataset``.

=====================  =========================================================  =========================
name                   distribution                                               params (default)
=====================  =========================================================  =========================
ring8                  8 Gaussians on the unit circle, std 0.01 (VEEGAN/PacGAN)   —
grid25                 25 Gaussians at {−4..4 step 2}², std 0.05 (VEEGAN/PacGAN)  —
wgan-gp-8gaussians     WGAN-GP toy: radius 2, std 0.02, all / 1.414               —
wgan-gp-25gaussians    WGAN-GP toy: 2·{−2..2}², std 0.05, all / 2.828             —
swissroll              2-D swiss roll of the WGAN-GP toy code                     noise (0.25)
mixture1d              equal-weight 1-D Gaussian mixture                          means ("-2,2"), std (0.5)
manifold               circle or square isometrically embedded in R^dim           dim (32), intrinsic (1),
                                                                                  noise (0), seed (0)
mnist                  MNIST 5k (shipped), shuffled; images (1, size, size)       size (28), holdout (0.1),
                                                                                  seed (0)
digits                 scikit-learn 8×8 digits; images (1, size, size)            size (8), holdout, seed
stacked-mnist          three MNIST digits as RGB channels, 1,000 modes            size (28), n (10000),
                                                                                  holdout, seed
=====================  =========================================================  =========================

A name ending in ``.csv``, or ``.npy`` holding a 1-D/2-D array, is read as flat vectors with
:func:`divergan.data.arrays.load_array`; a ``.npz``, a ``.npy`` of 3 or 4 dimensions, or a folder is
read as images (:mod:`divergan.data.images`, params size, holdout, seed; folders also crop, mode).
Parameters may be numbers or strings; ``None`` means the default. Unknown names, unknown parameters and
out-of-range values raise :class:`~divergan.errors.UserError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from divergan.data import images, toy
from divergan.data.arrays import EXTENSIONS, load_array
from divergan.data.base import Dataset
from divergan.errors import UserError
from divergan.params import number, take

_take = partial(take, "dataset")
_number = partial(number, "dataset")


def _fixed(build: Callable[[], Dataset], name: str) -> Callable[..., Dataset]:
    def make(**params: Any) -> Dataset:
        _take(name, params, {})
        return build()

    return make


def _swissroll(**params: Any) -> Dataset:
    p = _take("swissroll", params, {"noise": 0.25})
    return toy.swissroll(noise=_number("swissroll", "noise", p["noise"], 0.0, math.inf))


def _mixture1d(**params: Any) -> Dataset:
    p = _take("mixture1d", params, {"means": (-2.0, 2.0), "std": 0.5})
    means = p["means"].split(",") if isinstance(p["means"], str) else p["means"]
    try:
        values = [float(m) for m in means]
    except (TypeError, ValueError):
        raise UserError(f"dataset 'mixture1d': means must be numbers, got {p['means']!r}") from None
    if not values or not all(math.isfinite(m) for m in values):
        raise UserError(f"dataset 'mixture1d': means must be finite numbers, got {p['means']!r}")
    std = _number("mixture1d", "std", p["std"], 0.0, math.inf)
    if std <= 0:
        raise UserError(f"dataset 'mixture1d': std must be positive, got {p['std']!r}")
    return toy.mixture1d(values, std)


def _manifold(**params: Any) -> Dataset:
    p = _take("manifold", params, {"dim": 32, "intrinsic": 1, "noise": 0.0, "seed": 0})
    dim = int(_number("manifold", "dim", p["dim"], 2, 1_000_000, integer=True))
    intrinsic = int(_number("manifold", "intrinsic", p["intrinsic"], 1, 2, integer=True))
    noise = _number("manifold", "noise", p["noise"], 0.0, math.inf)
    seed = int(_number("manifold", "seed", p["seed"], 0, 2**63 - 1, integer=True))
    return toy.manifold(dim=dim, intrinsic=intrinsic, noise=noise, seed=seed)


def _image_common(name: str, p: dict[str, Any]) -> dict[str, Any]:
    out = {
        "holdout": _number(name, "holdout", p["holdout"], 0.0, 0.9),
        "seed": int(_number(name, "seed", p["seed"], 0, 2**32 - 1, integer=True)),
    }
    if "size" in p and p["size"] is not None:
        out["size"] = int(_number(name, "size", p["size"], 4, 512, integer=True))
    return out


_IMAGE_DEFAULTS = {"size": None, "holdout": 0.1, "seed": 0}


def _mnist(**params: Any) -> Dataset:
    p = _take("mnist", params, {**_IMAGE_DEFAULTS, "size": 28})
    return images.mnist(**_image_common("mnist", p))


def _digits(**params: Any) -> Dataset:
    p = _take("digits", params, {**_IMAGE_DEFAULTS, "size": 8})
    return images.digits(**_image_common("digits", p))


def _stacked_mnist(**params: Any) -> Dataset:
    p = _take("stacked-mnist", params, {**_IMAGE_DEFAULTS, "size": 28, "n": 10_000})
    n = int(_number("stacked-mnist", "n", p["n"], 1, 1_000_000, integer=True))
    return images.stacked_mnist(n=n, **_image_common("stacked-mnist", p))


def _image_file(path: str, **params: Any) -> Dataset:
    p = _take(path, params, _IMAGE_DEFAULTS)
    return images.load_image_array(path, **_image_common(path, p))


def _image_folder(path: str, **params: Any) -> Dataset:
    p = _take(path, params, {**_IMAGE_DEFAULTS, "crop": "center", "mode": "auto"})
    return images.load_folder(path, crop=str(p["crop"]), mode=str(p["mode"]), **_image_common(path, p))


#: name -> builder(**params) -> Dataset
DATASETS: dict[str, Callable[..., Dataset]] = {
    "ring8": _fixed(toy.ring8, "ring8"),
    "grid25": _fixed(toy.grid25, "grid25"),
    "wgan-gp-8gaussians": _fixed(toy.wgan_gp_8gaussians, "wgan-gp-8gaussians"),
    "wgan-gp-25gaussians": _fixed(toy.wgan_gp_25gaussians, "wgan-gp-25gaussians"),
    "swissroll": _swissroll,
    "mixture1d": _mixture1d,
    "manifold": _manifold,
    "mnist": _mnist,
    "digits": _digits,
    "stacked-mnist": _stacked_mnist,
}


def names() -> list[str]:
    """Every dataset name, in registry order."""
    return list(DATASETS)


def get_dataset(name: str, **params: Any) -> Dataset:
    """A dataset by registry name, or from a ``.npy``/``.csv`` file path.

    >>> import torch
    >>> get_dataset("ring8").sample(3, torch.Generator().manual_seed(0)).shape
    torch.Size([3, 2])

    Raises:
        UserError: unknown name, bad parameters, or a bad file.
    """
    if isinstance(name, str) and name in DATASETS:
        return DATASETS[name](**params)
    lower = name.lower() if isinstance(name, str) else ""
    if lower.endswith(".npz") or (lower.endswith(".npy") and (images.npy_ndim(name) or 0) >= 3):
        return _image_file(name, **params)
    if lower.endswith(EXTENSIONS):
        _take(name, params, {})
        return load_array(name)
    if isinstance(name, str) and Path(name).is_dir():
        return _image_folder(name, **params)
    if name not in DATASETS:
        raise UserError(
            f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}, "
            "or give a .npy/.csv/.npz file or an image folder"
        )
    return DATASETS[name](**params)
