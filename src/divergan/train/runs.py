"""Run folders: naming new ones, reading a run's config, and the resume rules (the library side of
``divergan train``; the command only parses and calls these).

A run folder is ``runs/00007-desc`` (stylegan2-ada's numbering: one more than the highest there), and
holds ``config.json``, ``metrics.jsonl``, ``checkpoints/`` and the final files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from divergan.errors import UserError
from divergan.train.config import Config, apply_overrides


def next_run_folder(root: Path, desc: str) -> Path:
    """runs/00007-desc: one more than the highest number already there."""
    numbers = (
        [int(m.group(1)) for d in root.glob("*") if (m := re.match(r"^(\d{5})-", d.name))]
        if root.is_dir()
        else []
    )
    return root / f"{max(numbers, default=-1) + 1:05d}-{desc}"


def new_run_folder(out: str | Path | None, desc: str, root: Path = Path("runs")) -> Path:
    """``out`` if given, else the next numbered folder under ``root``; an existing non-empty folder is
    an error (a saved run is never overwritten)."""
    folder = Path(out) if out else next_run_folder(root, desc)
    if folder.exists() and any(folder.iterdir()):
        raise UserError(f"{folder} already exists and is not empty; use --resume {folder} or another --out")
    return folder


def read_config_json(path: Path) -> dict[str, Any]:
    """The JSON object in a config file (a run folder's ``config.json`` or a ``--print-config`` output)."""
    if not path.is_file():
        raise UserError(f"{path} is not a file")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is unreadable: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a JSON object")
    return data


def run_config(folder: Path) -> Config:
    """The Config of a run folder (its ``config.json``)."""
    if not (folder / "config.json").is_file():
        raise UserError(f"{folder} is not a divergan run folder (no config.json)")
    return Config.from_json(legacy_config(read_config_json(folder / "config.json")))


#: the keys of a glyph run's config.json written before the application joined the one Config
_GLYPH_KEYS = {
    "source", "targets", "chars", "size", "held_out", "objective", "l1_weight", "width", "embed_dim", "steps",
    "batch", "lr_g", "lr_d", "beta1", "beta2", "seed", "log_every", "eval_every", "threads", "ema_half_life",
}  # fmt: skip


def legacy_config(raw: dict[str, Any]) -> dict[str, Any]:
    """A config.json of an older glyph run (its own config class: ``width`` for both networks, no
    ``app``) in the one Config's keys; any other config is returned as it is."""
    if "app" in raw or "l1_weight" not in raw or not set(raw) <= _GLYPH_KEYS:
        return raw
    new = {k: v for k, v in raw.items() if k != "width"}
    if "width" in raw:
        new["g_width"] = new["d_width"] = raw["width"]
    return {"app": "glyphs", "optimizer": "adam", "ema_half_life": 0.0, **new}


def resume_config(folder: Path, steps: int | None, device: str | None, overrides: list[str]) -> Config:
    """A run's config for ``--resume``: more ``steps``, another ``device``, ``--set`` items on top."""
    if (folder / "user_networks.json").is_file():
        raise UserError(
            f"{folder} was trained with your own networks (Python API); it cannot be resumed here"
        )
    cfg = run_config(folder)
    if steps is not None and steps != cfg.steps and cfg.lr_schedule != "constant":
        raise UserError(
            f"--steps {steps}: the run's learning rates follow lr_schedule={cfg.lr_schedule} over its "
            f"{cfg.steps} steps, which more steps would change; resume with --steps {cfg.steps}"
        )
    if steps is not None:
        cfg.steps = steps
    if device is not None:
        cfg.device = device
    return apply_overrides(cfg, overrides)


def write_config(folder: Path, cfg: Config) -> None:
    (folder / "config.json").write_text(json.dumps(cfg.to_json(), indent=2) + "\n")
