"""Applications on the one training loop: each is a Game, an :class:`~divergan.train.loop.App` (its
networks, data, evaluation and figures) and presets of the one :class:`~divergan.train.config.Config`.

- ``glyphs`` (:mod:`divergan.apps.glyphs`): zi2zi-style font translation, presets ``glyphs``,
  ``glyphs-64``, ``glyphs-latin``, ``glyphs-quick``;
- ``style`` (:mod:`divergan.apps.style`): the style-based generator on digits with lazy R1 and style
  mixing, presets ``style-digits``, ``style-quick``, ``style-mnist``.

A config's ``app`` key names its application ("" is the trainer's own runs). This package sits above
:mod:`divergan.train` (which never imports it): :func:`app_for` gives ``train.loop.train`` and
``load_run`` the App of a config, :func:`preset` knows every preset, the trainer's and the apps'.
Imports of the applications' modules (torch, fonts, networks) happen on first use.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from divergan.errors import UserError

if TYPE_CHECKING:
    from divergan.train.config import Config
    from divergan.train.loop import App

#: app name -> its module under divergan.apps (which defines ``APP``, ``PRESETS`` and ``summary``)
MODULES: dict[str, str] = {"glyphs": "glyphs", "style": "style"}

#: preset name -> app name (the presets' values live in each app's module)
APP_PRESETS: dict[str, str] = {
    "glyphs": "glyphs",
    "glyphs-64": "glyphs",
    "glyphs-latin": "glyphs",
    "glyphs-quick": "glyphs",
    "style-digits": "style",
    "style-quick": "style",
    "style-mnist": "style",
}


def _module(name: str) -> Any:
    if name not in MODULES:
        raise UserError(f"unknown app {name!r}; choose from '' (the trainer), {', '.join(MODULES)}")
    return importlib.import_module(f"divergan.apps.{MODULES[name]}")


def app_for(cfg: Config) -> App:
    """The App that trains ``cfg``: the trainer's own for ``app = ""``, else the application's."""
    if not cfg.app:
        from divergan.train.loop import PLAIN

        return PLAIN
    return _module(cfg.app).APP


def preset(name: str) -> Config:
    """A fresh Config from a named preset of the trainer or of an application."""
    from divergan.train.config import Config, set_fields
    from divergan.train.config import preset as trainer_preset

    if name not in APP_PRESETS:
        return trainer_preset(name)
    cfg = set_fields(Config(), _module(APP_PRESETS[name]).PRESETS[name])
    return cfg.validate()


def check(cfg: Config, **networks: Any) -> None:
    """Fail (UserError) on a config its App cannot train, before any run folder is made."""
    app_for(cfg).check(cfg, **networks)


def train(cfg: Config, run: Path, **kwargs: Any) -> dict:
    """:func:`divergan.train.loop.train` with the config's App."""
    from divergan.train.loop import train as loop_train

    return loop_train(cfg, run, app=app_for(cfg), **kwargs)


def load_run(run: Path, checkpoint: Path | None = None) -> tuple[Config, Any, dict, App]:
    """(config, parts, checkpoint metadata, App) of any run folder, the applications' included: the
    networks of its latest checkpoint (or of ``checkpoint``). The one way the commands and the report
    read a run."""
    from divergan.train.loop import load_run as loop_load_run
    from divergan.train.runs import run_config

    if not (run / "config.json").is_file():
        raise UserError(f"{run} is not a divergan run folder (no config.json)")
    from divergan.train import checkpoint as ckpt

    if "optimizers" not in ckpt.load(checkpoint or ckpt.latest(run))[1]:
        raise UserError(
            f"{run} was written by an older application trainer (final networks only): in Python, "
            "divergan.load_generator(RUN) gives its generator"
        )
    app = app_for(run_config(run))
    cfg, parts, meta = loop_load_run(run, app, checkpoint)
    return cfg, parts, meta, app


def summary(cfg: Config, folder: Path, final: dict) -> str | None:
    """An application's summary of a finished run, or None for the trainer's own runs."""
    if not cfg.app:
        return None
    return _module(cfg.app).summary(folder, final)
