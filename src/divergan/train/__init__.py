"""Training: the typed config with presets, the loop, checkpoints and samplers."""

from divergan.train.config import PRESETS, Config, apply_overrides, preset
from divergan.train.health import TrainingDiverged
from divergan.train.loop import build, evaluate, load_run, train

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
