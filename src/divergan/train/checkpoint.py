"""Checkpoints as plain data: one safetensors file of tensors with the rest as JSON in its metadata.

Nothing is ever unpickled. A checkpoint holds the networks, the optimizers' states, every RNG state and
the step, so a resumed run continues exactly where it stopped (CPU: bit-identical). Files are written
to a temporary name, fsynced and renamed, so a crash leaves either the old or the new file, never half.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from divergan.errors import UserError

FORMAT = "divergan-checkpoint-1"
NAME = re.compile(r"^step-(\d{8})\.safetensors$")


def module_tensors(prefix: str, module: nn.Module) -> dict[str, Tensor]:
    """Parameters and buffers of ``module`` under ``prefix.``, contiguous CPU copies (any device)."""
    return {f"{prefix}.{k}": v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Split an optimizer's state_dict into tensors and JSON (param_groups, non-tensor state)."""
    state = opt.state_dict()
    tensors: dict[str, Tensor] = {}
    plain: dict[str, Any] = {"param_groups": state["param_groups"], "scalars": {}}
    for idx, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, Tensor):
                tensors[f"{prefix}.{idx}.{key}"] = value.detach().cpu().contiguous().clone()
            else:
                plain["scalars"][f"{idx}.{key}"] = value
    return tensors, plain


def restore_optimizer(
    prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, Tensor], plain: dict
) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            idx, key = name[len(prefix) + 1 :].split(".", 1)
            state.setdefault(int(idx), {})[key] = value
    for name, value in plain["scalars"].items():
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    opt.load_state_dict({"state": state, "param_groups": plain["param_groups"]})


def restore_module(prefix: str, module: nn.Module, tensors: dict[str, Tensor]) -> None:
    own = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    try:
        module.load_state_dict(own, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise UserError(f"checkpoint does not match the configured network {prefix!r}: {first}") from None


def save(path: Path, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
    """Write atomically: temp file in the same folder, fsync, rename, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "json": json.dumps(meta)})
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Read a checkpoint; a truncated, foreign or tampered file is a UserError, never a crash."""
    try:
        with safe_open(str(path), framework="pt") as fh:
            metadata = fh.metadata() or {}
            if metadata.get("format") != FORMAT:
                raise UserError(f"{path} is not a divergan checkpoint")
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
        meta = json.loads(metadata["json"])
    except UserError:
        raise
    except (SafetensorError, OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot read checkpoint {path}: {reason}") from None
    if not isinstance(meta, dict) or "step" not in meta:
        raise UserError(f"{path} is not a divergan checkpoint (no step)")
    return tensors, meta


def checkpoint_path(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"step-{step:08d}.safetensors"


def list_checkpoints(run: Path) -> list[Path]:
    folder = run / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if NAME.match(p.name))


def latest(run: Path) -> Path:
    found = list_checkpoints(run)
    if not found:
        raise UserError(f"{run} has no checkpoints (is it a divergan run folder?)")
    return found[-1]


def prune(run: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints."""
    for old in list_checkpoints(run)[:-keep]:
        old.unlink(missing_ok=True)


def remove_partial(run: Path) -> None:
    """Delete temporary files a killed writer left behind (never a finished checkpoint)."""
    folder = run / "checkpoints"
    if folder.is_dir():
        for leftover in folder.glob(".step-*.tmp-*"):
            leftover.unlink(missing_ok=True)
