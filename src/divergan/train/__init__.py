"""Training: the typed config with presets, the loop, checkpoints and samplers.

The names below are loaded on first use (PEP 562), so that ``import divergan.train`` (the command
line's parser, ``divergan train --help``) does not import torch and the metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from divergan._lazy import lazy

if TYPE_CHECKING:
    from divergan.train.config import PRESETS, Config, apply_overrides, preset
    from divergan.train.health import TrainingDiverged
    from divergan.train.loop import build, evaluate, load_run, train

#: each public name and the module that defines it
_WHERE = {
    "PRESETS": "divergan.train.config",
    "Config": "divergan.train.config",
    "apply_overrides": "divergan.train.config",
    "preset": "divergan.train.config",
    "TrainingDiverged": "divergan.train.health",
    "build": "divergan.train.loop",
    "evaluate": "divergan.train.loop",
    "load_run": "divergan.train.loop",
    "train": "divergan.train.loop",
}

__all__ = [
    "PRESETS",
    "Config",
    "TrainingDiverged",
    "apply_overrides",
    "build",
    "evaluate",
    "load_run",
    "preset",
    "train",
]


__getattr__, __dir__ = lazy(globals(), _WHERE)
