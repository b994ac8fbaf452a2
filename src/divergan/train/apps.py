"""What the style generator's own trainer (not yet a Game on the loop) uses: presets of their own
dataclass configs, ``--set key=value`` overrides, run-folder files and the final checkpoint.

Their presets are reachable from ``divergan train --preset NAME`` like the main trainer's
(:data:`APP_PRESETS` maps each name to the module that trains it).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from torch import nn

from divergan.train import checkpoint as ckpt
from divergan.train.config import parse_items, set_fields

#: preset name -> module under divergan.train with ``preset(name)``, ``train(cfg, run)``, ``summary``
APP_PRESETS: dict[str, str] = {
    "style-digits": "style",
    "style-quick": "style",
}


def apply_overrides(cfg: Any, items: list[str]) -> Any:
    """Set ``key=value`` fields of an application's dataclass config (the trainer's one helper); returns
    ``cfg.validate()``."""
    for key, value in parse_items(items):
        set_fields(cfg, {key: value})
    return cfg.validate()


def start_run(run: Path, cfg: Any) -> Path:
    """Make the run folder, write config.json and an empty metrics.jsonl; returns the log path."""
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2) + "\n")
    log = run / "metrics.jsonl"
    log.write_text("")
    return log


def append(path: Path, row: dict) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(row) + "\n")


def save_final(run: Path, cfg: Any, step: int, **modules: nn.Module) -> Path:
    """The final networks as one safetensors file (``checkpoints/step-XXXXXXXX.safetensors``)."""
    tensors = {}
    for name, module in modules.items():
        tensors.update(ckpt.module_tensors(name, module))
    path = ckpt.checkpoint_path(run, step)
    ckpt.save(path, tensors, {"step": step, "final": True, "config": dataclasses.asdict(cfg)})
    return path


def app_of(config: dict) -> str | None:
    """``"style"`` if a run's ``config.json`` was written by the style generator's own config class, else
    None (the one Config's runs, the glyph application's included): such a config holds ``w_dim`` and
    only that class's fields."""
    import dataclasses

    from divergan.train.style import StyleConfig

    if "w_dim" in config and set(config) <= {f.name for f in dataclasses.fields(StyleConfig)}:
        return "style"
    return None
