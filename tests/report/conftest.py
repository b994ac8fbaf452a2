"""One short finished 2-D run per session, shared by the report tests (copy it before changing it)."""

from __future__ import annotations

import pytest

from divergan.train import apply_overrides, preset, train

SHORT = [
    "steps=40",
    "log_every=10",
    "eval_every=20",
    "checkpoint_every=20",
    "plot=true",
    "eval_samples=400",
    "tensorboard=true",
]


def short_config(*overrides: str):
    return apply_overrides(preset("quick"), [*SHORT, *overrides])


@pytest.fixture(scope="session", name="short_config")
def short_config_fixture():
    """The short run's configuration with more overrides: ``short_config("steps=20", ...)``."""
    return short_config


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("report") / "run"
    final = train(short_config(), run, progress=False)
    return run, final
