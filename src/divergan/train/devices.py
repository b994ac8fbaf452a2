"""Where a run computes: ``device`` = auto | cpu | cuda | cuda:N | mps, and optional bf16 autocast.

Random numbers for data and noise are always drawn on the CPU from the run's ``torch.Generator`` and
then moved, so a run draws the same batches on every device. Checkpoints are always written from CPU
copies (:func:`divergan.train.checkpoint.module_tensors`), so a run trained on a GPU loads anywhere.
"""

from __future__ import annotations

import contextlib
import re

import torch

from divergan.errors import UserError

DEVICES = ("auto", "cpu", "cuda", "mps")
AMP = ("off", "bf16")


def check_name(name: str) -> None:
    """Raise UserError unless ``name`` is auto, cpu, cuda, cuda:N or mps (availability not checked)."""
    if name not in DEVICES and not re.fullmatch(r"cuda:\d+", name):
        raise UserError(f"device must be one of {', '.join(DEVICES)} or cuda:N, got {name!r}")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve(name: str) -> torch.device:
    """The torch.device for ``name``; ``auto`` picks cuda, then mps, then cpu.

    Raises:
        UserError: the device is not available on this machine (one line, exit 2 on the CLI).
    """
    check_name(name)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(f"device {name!r} requested but CUDA is not available on this machine")
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise UserError(f"device {name!r} requested but only {torch.cuda.device_count()} CUDA device(s)")
    if name == "mps" and not _mps_available():
        raise UserError("device 'mps' requested but MPS is not available on this machine")
    return torch.device(name)


def check_amp(amp: str, device: torch.device) -> None:
    """bf16 autocast is offered on CUDA only (CPU bf16 matmuls are slow and lossy for these MLPs)."""
    if amp not in AMP:
        raise UserError(f"amp must be one of {', '.join(AMP)}, got {amp!r}")
    if amp == "bf16" and device.type != "cuda":
        raise UserError(f"amp=bf16 needs a CUDA device; this run is on {device.type} (use amp=off)")


def autocast(amp: str, device: torch.device):
    """A context manager: bf16 autocast on CUDA when ``amp == 'bf16'``, else nothing."""
    if amp == "bf16" and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
