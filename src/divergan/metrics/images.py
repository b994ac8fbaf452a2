r"""Image metrics: extract features with a feature network, then the pure math of :mod:`.features`.

:func:`image_metrics` is the one call the trainer and ``divergan eval`` need::

    from divergan.metrics.images import image_metrics
    out = image_metrics(real, fake)                 # (N, C, H, W) and (M, C, H, W) in [0, 1]
    out["fd"], out["kid_mean"], out["precision"], out["modes"]

It is :func:`extract` (features and class logits, in batches, no gradients) followed by
:func:`metrics_from_features`; a caller that evaluates many checkpoints against one real set can extract
the real features once and call :func:`metrics_from_features` itself.

**Feature spaces.** ``features="digits"`` (default) is the shipped digit classifier
(:mod:`divergan.metrics.feature_net`): penultimate-layer features, logits for the class histogram. A
multi-channel image is read channel by channel (each channel is a grayscale digit, as in stacked
MNIST): the features of the C channels are concatenated (C·D numbers per image) and the class histogram
counts the N·C channel labels. ``features`` may also be the path of a ``digit-cnn`` safetensors file
(:func:`~divergan.metrics.feature_net.load_feature_net`), or, from Python, any callable taking a
(B, C, H, W) float tensor in [0, 1] and returning features (B, D) or a pair (features (B, D), logits
(B, K)), e.g. an Inception network the user loaded themselves; without logits the class metrics are
left out.

**Stacked MNIST** (``stacked=True``, docs/protocols.md): each of the three channels is classified, the triple
of labels is one of 1,000 modes; reports the number of modes seen and KL(mode histogram ‖ uniform).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from divergan.errors import UserError
from divergan.metrics.feature_net import DigitClassifier, load_feature_net
from divergan.metrics.features import (
    class_histogram_metrics,
    frechet_distance_from_features,
    kid_from_features,
    precision_recall_density_coverage,
    stacked_mode_metrics,
)

FeatureNet = DigitClassifier | Callable[[Tensor], Tensor | tuple[Tensor, Tensor]]
#: tolerance on the [0, 1] range before values are called out of range (then clamped)
RANGE_TOLERANCE = 1e-3


def check_images(x: Tensor, name: str) -> Tensor:
    """Validate (N, C, H, W) images in [0, 1] and return them as float32 (clamped within tolerance)."""
    x = torch.as_tensor(x).detach()
    if x.dim() != 4:
        raise UserError(f"{name} images must have shape (N, C, H, W), got {tuple(x.shape)}")
    if min(x.shape) < 1:
        raise UserError(f"{name} images are empty: shape {tuple(x.shape)}")
    if not (x.is_floating_point() or x.dtype == torch.uint8):
        raise UserError(f"{name} images must be floats in [0, 1], got dtype {x.dtype}")
    x = x.to(torch.float32)
    if not bool(torch.isfinite(x).all()):
        raise UserError(f"{name} images contain NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        raise UserError(
            f"{name} images must lie in [0, 1], found values in [{lo:.4g}, {hi:.4g}] "
            "(map tanh outputs with (x + 1) / 2)"
        )
    return x.clamp(0.0, 1.0)


def resolve_feature_net(features: str | Path | FeatureNet) -> FeatureNet:
    """``"digits"`` or a path -> :func:`load_feature_net`; a callable is used as it is."""
    if isinstance(features, str | Path):
        return load_feature_net(features)
    if not callable(features):
        raise UserError(f"features must be 'digits', a .safetensors path or a callable, got {features!r}")
    return features


@torch.no_grad()
def extract(images: Tensor, net: FeatureNet, *, batch_size: int = 500) -> tuple[Tensor, Tensor | None]:
    """Features and class logits of (N, C, H, W) images in [0, 1], in batches.

    A :class:`DigitClassifier` with one input channel reads each of the C channels as its own image.

    Returns:
        features (N, D') float64, with D' = C·D for per-channel reading, and logits (N, C', K) (C' = C
        for per-channel reading, else 1) or None when the network gives no logits.
    """
    x = check_images(images, "input")
    n, c = x.shape[:2]
    per_channel = isinstance(net, DigitClassifier) and net.in_channels == 1 and c > 1
    if isinstance(net, DigitClassifier) and not per_channel and net.in_channels != c:
        raise UserError(f"the feature network takes {net.in_channels}-channel images, got {c} channels")
    was_training = getattr(net, "training", False)
    if isinstance(net, torch.nn.Module):
        net.eval()
    feats, logits = [], []
    try:
        for part in x.split(batch_size):
            if per_channel:
                part = part.reshape(-1, 1, *part.shape[2:])  # (B·C, 1, H, W)
            out = net(part)
            f, l = out if isinstance(out, tuple) else (out, None)
            f = torch.as_tensor(f).reshape(f.shape[0], -1).to(torch.float64)
            if per_channel:
                f = f.reshape(-1, c * f.shape[1])  # (B, C·D)
            feats.append(f)
            if l is not None:
                logits.append(l.reshape(f.shape[0], -1, l.shape[-1]).to(torch.float64))  # (B, C', K)
    finally:
        if isinstance(net, torch.nn.Module) and was_training:
            net.train()
    features = torch.cat(feats)
    if features.shape[0] != n:
        raise UserError(f"the feature network returned {features.shape[0]} rows for {n} images")
    return features, (torch.cat(logits) if logits and len(logits) == len(feats) else None)


def metrics_from_features(
    real_features: Tensor,
    fake_features: Tensor,
    fake_logits: Tensor | None = None,
    real_logits: Tensor | None = None,
    *,
    fake_labels: Tensor | None = None,
    stacked: bool = False,
    k_pr: int = 3,
    k_dc: int = 5,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    seed: int = 0,
) -> dict:
    """All image metrics from features (N, D), (M, D) and optional logits (N, C', K), (M, C', K).

    See :func:`image_metrics` for the keys.
    """
    kid_mean, kid_std = kid_from_features(
        real_features,
        fake_features,
        num_subsets=kid_subsets,
        subset_size=kid_subset_size,
        generator=torch.Generator().manual_seed(seed),
    )
    out: dict = {
        "num_real": int(real_features.shape[0]),
        "num_fake": int(fake_features.shape[0]),
        "feature_dim": int(real_features.shape[1]),
        "fd": frechet_distance_from_features(real_features, fake_features),
        "kid_mean": kid_mean,
        "kid_std": kid_std,
        **precision_recall_density_coverage(real_features, fake_features, k_pr=k_pr, k_dc=k_dc),
    }
    if fake_logits is not None:
        labels = fake_logits.argmax(-1)  # (M, C')
        num_classes = fake_logits.shape[-1]
        out.update(class_histogram_metrics(labels.reshape(-1), num_classes))
        if fake_labels is not None:  # a conditional generator: does the classifier see the class asked for?
            if labels.shape[1] != 1 or fake_labels.shape != (labels.shape[0],):
                raise UserError(
                    f"fake_labels must be ({labels.shape[0]},) for one-channel class logits, "
                    f"got {tuple(fake_labels.shape)}"
                )
            out["label_accuracy"] = float((labels[:, 0] == fake_labels.to(labels.device)).double().mean())
        if real_logits is not None:
            real_hist = class_histogram_metrics(real_logits.argmax(-1).reshape(-1), num_classes)
            out["real_class_histogram"] = real_hist["class_histogram"]
            out["real_modes"] = real_hist["modes"]
        if stacked:
            if labels.shape[1] != 3:
                raise UserError(
                    f"stacked MNIST needs 3-channel images read per channel, got {labels.shape[1]}"
                )
            out.update(stacked_mode_metrics(labels, num_classes))
    elif stacked:
        raise UserError("stacked MNIST modes need a feature network with class logits")
    return out


def image_metrics(
    real: Tensor,
    fake: Tensor,
    *,
    features: str | Path | FeatureNet = "digits",
    fake_labels: Tensor | None = None,
    stacked: bool = False,
    k_pr: int = 3,
    k_dc: int = 5,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    batch_size: int = 500,
    seed: int = 0,
) -> dict:
    r"""Fréchet distance, KID, precision/recall/density/coverage and class-histogram metrics of images.

    Args:
        real: (N, C, H, W) real images in [0, 1].
        fake: (M, C, H, W) generated images in [0, 1] (C must match; sizes may differ, both are resized
            by the digit network).
        features: ``"digits"``, a ``digit-cnn`` ``.safetensors`` path, or a callable (module docstring).
        fake_labels: (M,) classes a conditional generator was asked for; adds ``label_accuracy``, the
            fraction of fakes the classifier assigns to their requested class.
        stacked: also report the stacked-MNIST 1,000-mode count and KL (C = 3).
        k_pr, k_dc: neighbour orders of precision/recall (3) and density/coverage (5).
        kid_subsets, kid_subset_size: KID's subsets (100 of 1,000, clipped to the sample counts).
        batch_size: images per forward pass.
        seed: seed of KID's subsets.

    Returns:
        A dict of plain numbers: ``fd`` (:func:`~.features.frechet_distance_from_features`),
        ``kid_mean``, ``kid_std`` (:func:`~.features.kid_from_features`), ``precision``, ``recall``,
        ``density``, ``coverage`` (:func:`~.features.prdc_from_features`), ``num_real``, ``num_fake``,
        ``feature_dim``; with class logits also ``class_histogram`` (K counts of the fake labels),
        ``modes`` (classes seen), ``kl_uniform`` (KL of the histogram to uniform, nats),
        ``real_class_histogram``, ``real_modes``; with ``stacked`` also ``stacked_modes``,
        ``stacked_kl``, ``stacked_num_modes`` (1,000).

    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(40, 1, 28, 28, generator=g)
    >>> out = image_metrics(x, x, kid_subset_size=20, kid_subsets=2)
    >>> out["fd"] < 1e-6, out["precision"], out["recall"], out["coverage"]
    (True, 1.0, 1.0, 1.0)
    """
    real = check_images(real, "real")
    fake = check_images(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise UserError(f"real images have {real.shape[1]} channels but fake images have {fake.shape[1]}")
    need = max(k_pr, k_dc) + 1
    if min(real.shape[0], fake.shape[0]) < need:
        raise UserError(
            f"image metrics need at least {need} real and fake images, got {real.shape[0]} and {fake.shape[0]}"
        )
    if stacked and real.shape[1] != 3:
        raise UserError(f"stacked MNIST needs 3-channel images, got {real.shape[1]}")
    net = resolve_feature_net(features)
    real_features, real_logits = extract(real, net, batch_size=batch_size)
    fake_features, fake_logits = extract(fake, net, batch_size=batch_size)
    return metrics_from_features(
        real_features,
        fake_features,
        fake_logits,
        real_logits,
        fake_labels=fake_labels,
        stacked=stacked,
        k_pr=k_pr,
        k_dc=k_dc,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size,
        seed=seed,
    )


def load_image_array(path: str | Path, name: str = "images") -> Tensor:
    """Images from a ``.npy`` or ``.npz`` file (no pickles) as a float32 (N, C, H, W) tensor in [0, 1].

    Accepted layouts: (N, C, H, W); (N, H, W) (one channel); (N, H, W, C) with C in {1, 3} when the
    second axis is not 1 or 3. uint8 arrays are divided by 255. A ``.npz`` must hold one array (or one
    named ``images``).
    """
    p = Path(path)
    if p.suffix not in (".npy", ".npz"):
        raise UserError(f"{name}: expected a .npy or .npz file, got {str(path)!r}")
    if not p.is_file():
        raise UserError(f"{name}: file not found: {p}")
    try:
        loaded = np.load(p, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                keys = list(loaded.keys())
                if "images" in keys:
                    arr = loaded["images"]
                elif len(keys) == 1:
                    arr = loaded[keys[0]]
                else:
                    raise UserError(f"{name}: {p} holds {len(keys)} arrays; name the images one 'images'")
        else:
            arr = loaded
    except UserError:
        raise
    except Exception as exc:  # a corrupt or pickled file
        raise UserError(f"{name}: cannot read {p}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif not np.issubdtype(arr.dtype, np.floating):
        raise UserError(f"{name}: {p} holds {arr.dtype} values; expected floats in [0, 1] or uint8")
    if arr.ndim == 3:
        arr = arr[:, None]
    elif arr.ndim == 4 and arr.shape[1] not in (1, 3) and arr.shape[3] in (1, 3):
        arr = arr.transpose(0, 3, 1, 2)
    if arr.ndim != 4:
        raise UserError(
            f"{name}: {p} has shape {arr.shape}; expected (N, C, H, W), (N, H, W) or (N, H, W, C)"
        )
    return check_images(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)), name)


def format_image_metrics(out: dict) -> list[str]:
    """Human-readable lines for a result of :func:`image_metrics` (histograms as compact lists)."""
    lines = [
        f"Fréchet distance {out['fd']:.4g}   KID {out['kid_mean']:.4g} ± {out['kid_std']:.2g}",
        f"precision {out['precision']:.3f}  recall {out['recall']:.3f}  "
        f"density {out['density']:.3f}  coverage {out['coverage']:.3f}",
    ]
    if "class_histogram" in out:
        k = len(out["class_histogram"])
        lines.append(
            f"modes {out['modes']}/{k}  KL to uniform {out['kl_uniform']:.4f} (max {math.log(k):.3f})  "
            f"histogram {out['class_histogram']}"
        )
    if "label_accuracy" in out:
        lines.append(
            f"classifier agrees with the requested class on {100 * out['label_accuracy']:.1f}% of samples"
        )
    if "stacked_modes" in out:
        lines.append(
            f"stacked MNIST modes {out['stacked_modes']}/{out['stacked_num_modes']}  KL {out['stacked_kl']:.3f}"
        )
    lines.append(f"({out['num_real']} real, {out['num_fake']} fake, {out['feature_dim']} features)")
    return lines
