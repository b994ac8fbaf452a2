"""The Python API: train on your own data (and networks) in one call, and load any run's generator.

(trains for a while, so shown as a script rather than a doctest; tests/train/test_api.py exercises these calls)::

    import torch, divergan
    x = torch.randn(2000, 2) * 0.1 + torch.tensor([1.0, -1.0])
    run = divergan.fit(x, steps=500, z_dim=2)
    run.folder, run.metrics["direct"]["w1"]
    samples = run.generator(torch.randn(100, run.generator.z_dim))
    G = divergan.load_generator(run.folder)

A run made here is an ordinary run folder: in-memory data is written into it (``data.npy`` for flat
vectors, ``data.npz`` for images with their optional labels) and ``config.json`` names that file, so
``divergan sample``, ``eval``, ``report`` and ``--resume`` work on it as on any other run. With your
own networks the folder holds their weights only (safetensors, never pickled code): get them back with
``load_generator(RUN, module=<a fresh instance of your class>)``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from divergan.errors import UserError


@dataclass
class Run:
    """A finished run: its folder, its final metrics (``final_metrics.json``) and its EMA generator."""

    folder: Path
    metrics: dict
    generator: nn.Module


def fit(
    data: Any,
    generator: nn.Module | None = None,
    critic: nn.Module | None = None,
    objective: str = "non-saturating",
    out: str | Path | None = None,
    *,
    labels: Any = None,
    preset: str | None = None,
    progress: bool = False,
    **config: Any,
) -> Run:
    """Train a generator on ``data`` against ``objective``; returns the :class:`Run`.

    Args:
        data: a dataset name (``"grid25"``, ``"mnist"``, ...; see ``divergan train --help``), a file
            path, a tensor or ndarray of samples — (N, d) vectors, or (N, C, H, W) / (N, H, W) images
            with values in [0, 1] —, a ``torch.utils.data.Dataset`` or ``DataLoader`` yielding samples
            or (sample, label) pairs.
        generator: your own ``nn.Module`` mapping z (B, z_dim) to samples (B, *shape); None: the
            network ``arch`` builds for the data (MLP for vectors, DCGAN for images).
        critic: your own ``nn.Module`` mapping samples to scores (B,) (or (B, K) for ``mmd-gan``);
            required with your own generator unless the objective is critic-free (``mmd``).
        objective: an objective name (``divergan objectives`` lists them).
        out: the run folder (default: the next ``runs/NNNNN-…``); must not hold a run already.
        labels: (N,) integer classes of in-memory images (or give (x, y) pairs); enables
            ``conditional=True``.
        preset: start from a named preset of ``divergan train`` instead of the defaults.
        progress: show a progress bar.
        **config: any config key (``steps=``, ``z_dim=``, ``lr_g=``, ``objective_params=``...;
            ``divergan train --help-config`` lists them).

    Raises:
        UserError (a ValueError): a bad argument, named — an unknown config key, data of an unusable
            shape, a network whose output does not match the data.
    """
    from divergan.train import dist
    from divergan.train.config import Config, field_types, set_fields
    from divergan.train.config import preset as named_preset
    from divergan.train.loop import train
    from divergan.train.runs import new_run_folder

    for name, module in (("generator", generator), ("critic", critic)):
        if module is not None and not isinstance(module, nn.Module):
            raise UserError(f"{name} must be a torch.nn.Module, got {type(module).__name__}")
    cfg = named_preset(preset) if preset is not None else Config()
    if preset is None:
        cfg.plot = False  # no figures unless asked for (plot=True)
    cfg.objective, cfg.objective_params = objective, {}
    unknown = sorted(set(config) - set(field_types()))
    if unknown:
        raise UserError(f"unknown config key {unknown[0]!r}; divergan train --help-config lists them")
    set_fields(cfg, config)
    if cfg.app:
        raise UserError(
            f"fit trains on your data; the {cfg.app} application has its own: divergan.apps.train(cfg, run) "
            f"or divergan train --preset (docs/applications.md)"
        )
    if dist.world_size() > 1:
        raise UserError("divergan.fit runs in one process; use divergan train under torchrun")
    named = isinstance(data, str | Path)
    if named:
        cfg.data = str(data)
    desc = f"{Path(cfg.data).stem if named else 'fit'}-{cfg.objective}"
    folder = new_run_folder(out, desc)
    cfg.validate()
    created = not folder.exists()
    try:
        if not named:
            cfg.data, cfg.data_params = str(_write_data(folder, data, labels)), {}
        metrics = train(cfg, folder, progress=progress, generator=generator, critic=critic)
    except UserError:
        if created and not (folder / "checkpoints").exists():  # refused before training: leave nothing
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return Run(folder=folder, metrics=metrics, generator=load_generator(folder, module=_fresh(generator)))


def _fresh(module: nn.Module | None) -> nn.Module | None:
    """A copy of the user's module to load the EMA weights into (the trained one is left as it is)."""
    import copy

    return None if module is None else copy.deepcopy(module)


def _materialise(data: Any, labels: Any) -> tuple[Tensor, Tensor | None]:
    """(x, y) tensors from a tensor/ndarray, a Dataset or a DataLoader; y None when no labels."""
    from torch.utils.data import DataLoader
    from torch.utils.data import Dataset as TorchDataset

    if isinstance(data, np.ndarray | Tensor):
        x = torch.as_tensor(data)
        y = None if labels is None else torch.as_tensor(np.asarray(labels))
        return x, y
    if isinstance(data, TorchDataset):
        data = DataLoader(data, batch_size=256, shuffle=False)
    if not isinstance(data, DataLoader):
        raise UserError(
            f"data must be a dataset name, a file path, a tensor or ndarray, a torch Dataset or DataLoader; "
            f"got {type(data).__name__}"
        )
    xs, ys = [], []
    for batch in data:
        if isinstance(batch, list | tuple):
            if len(batch) not in (1, 2):
                raise UserError(f"a data batch must be samples or (samples, labels), got {len(batch)} items")
            xs.append(torch.as_tensor(batch[0]))
            if len(batch) == 2:
                ys.append(torch.as_tensor(batch[1]))
        else:
            xs.append(torch.as_tensor(batch))
    if not xs:
        raise UserError("data is empty")
    y = torch.cat(ys) if ys else (None if labels is None else torch.as_tensor(np.asarray(labels)))
    return torch.cat(xs), y


def _write_data(folder: Path, data: Any, labels: Any) -> Path:
    """Write in-memory data into the run folder (data.npy or data.npz); returns the path."""
    x, y = _materialise(data, labels)
    if not (x.is_floating_point() or x.dtype == torch.uint8):
        raise UserError(f"data must hold numbers (float, or uint8 images), got {x.dtype}")
    if x.dim() not in (2, 3, 4) or len(x) < 2:
        raise UserError(
            f"data must be (N, d) vectors or (N, C, H, W) / (N, H, W) images with N >= 2, got shape {tuple(x.shape)}"
        )
    if y is not None and (y.dim() != 1 or len(y) != len(x) or y.is_floating_point()):
        raise UserError(
            f"labels must be (N,) integers for N = {len(x)} samples, got {tuple(y.shape)} {y.dtype}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    if x.dim() == 2:
        if not bool(torch.isfinite(x.float()).all()):
            raise UserError("data contains NaN or Inf")
        path = folder / "data.npy"
        np.save(path, x.detach().cpu().numpy().astype(np.float32))
        return path.resolve()
    images = x.detach().cpu().numpy()
    if images.dtype != np.uint8 and not (
        np.isfinite(images).all() and images.min() >= 0 and images.max() <= 1
    ):
        raise UserError(
            f"images must be floats in [0, 1] (or uint8 0..255), got values in [{images.min():g}, {images.max():g}]"
        )
    path = folder / "data.npz"
    arrays = {"images": images if images.dtype == np.uint8 else images.astype(np.float32)}
    if y is not None:
        arrays["labels"] = y.cpu().numpy().astype(np.int64)
    np.savez(path, **arrays)
    return path.resolve()


def load_generator(run: str | Path, module: nn.Module | None = None) -> nn.Module:
    """The EMA generator of a run folder as an ``nn.Module`` on the CPU, in eval mode, with its latent
    size as ``.z_dim``; for every kind of run (``divergan train`` presets, the style and glyph apps,
    ``fit``). Weights come from the latest checkpoint (safetensors): no code is ever unpickled.

    Args:
        run: the run folder.
        module: for a run trained with your own generator: a fresh instance of its class, which is
            returned with the weights loaded. None: the network is rebuilt from ``config.json``.

    Raises:
        UserError: not a run folder, no checkpoint, or weights that do not fit ``module``.
    """
    from divergan.train import checkpoint as ckpt
    from divergan.train.runs import read_config_json

    folder = Path(run)
    if not (folder / "config.json").is_file():
        raise UserError(f"{folder} is not a divergan run folder (no config.json)")
    if module is not None and not isinstance(module, nn.Module):
        raise UserError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    raw = read_config_json(folder / "config.json")
    tensors, _meta = ckpt.load(ckpt.latest(folder))
    prefix = "EMA" if any(k.startswith("EMA.") for k in tensors) else "G"  # glyph runs keep no EMA
    if module is None:
        if (folder / "user_networks.json").is_file():
            raise UserError(f"{folder} was trained with your own generator: pass a fresh instance as module=")
        module, z_dim = _rebuild(folder, raw)
    else:
        z_dim = raw.get("z_dim")
    ckpt.restore_module(prefix, module, tensors)
    if "clusters.labels" in tensors and getattr(module, "label_shares", None) is not None:
        # the clusters as trained on (with recluster_every, not the pixels' k-means that _rebuild ran)
        from divergan.data.clusters import cluster_frequencies

        module.label_shares.copy_(cluster_frequencies(tensors["clusters.labels"], len(module.label_shares)))
    module = module.cpu().eval().requires_grad_(False)
    module.z_dim = z_dim
    return module


def _rebuild(folder: Path, raw: dict) -> tuple[nn.Module, int | None]:
    """The generator a run's config describes (untrained), and its latent size (None: it takes no z)."""
    from divergan.apps import app_for
    from divergan.train.runs import run_config

    cfg = run_config(folder)
    return app_for(cfg).generator(cfg)
