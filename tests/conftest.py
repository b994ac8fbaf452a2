"""Fixtures shared across the test folders."""

from __future__ import annotations

import os
import shutil

import pytest
import torch


@pytest.fixture
def one_thread():
    """Small convolutions run fastest on one thread (and do not fight other processes for cores);
    torch's thread count is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def require(available: bool, reason: str) -> None:
    """Skip a test whose declared dependency is missing, with the reason; under CI (CI=true) fail instead,
    so that a missing font or browser can never hide a broken feature there (``make test`` installs
    them where apt-get can run)."""
    if available:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set: a test dependency must be installed, see make test-deps)")
    pytest.skip(reason)


@pytest.fixture
def dejavu():
    """The three DejaVu fonts (Debian's fonts-dejavu-core), or a skip (a failure under CI)."""
    from divergan.data import glyphs

    names = ("dejavu-sans", "dejavu-serif", "dejavu-sans-mono")
    require(all(glyphs.installed(f) for f in names), "fonts-dejavu-core is not installed")


@pytest.fixture
def browser() -> str:
    """The path of a headless chromium, or a skip (a failure under CI)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    require(browser is not None, "chromium is not installed (make test-deps installs Debian's package)")
    return str(browser)


@pytest.fixture(name="require")
def require_fixture():
    """:func:`require`, for tests of it (a test module cannot import conftest unambiguously)."""
    return require


@pytest.fixture
def train_refuses(tmp_path, capsys):
    """``train_refuses(argv, words)``: ``divergan train ARGV`` exits 2 with one ``error:`` line naming
    ``words`` and leaves no run folder behind."""
    from divergan.cli import main

    def check(argv: list[str], words: str) -> None:
        assert main(["train", *argv, "--out", str(tmp_path / "r"), "--quiet"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and words in err[0], err
        assert not (tmp_path / "r").exists()

    return check


@pytest.fixture
def stopped_and_resumed(tmp_path):
    """``stopped_and_resumed(cfg)``: train ``cfg`` (checkpoints every ``cfg.steps // 2``) straight through,
    and again stopped after the middle checkpoint and resumed; returns the last checkpoint's tensors
    of both runs (``full``, ``resumed``)."""
    import shutil

    from divergan.train import checkpoint as ckpt
    from divergan.train import train

    def run(cfg):
        train(cfg, tmp_path / "full", progress=False)
        shutil.copytree(tmp_path / "full", tmp_path / "part")
        ckpt.checkpoint_path(tmp_path / "part", cfg.steps).unlink()
        (tmp_path / "part" / "final_metrics.json").unlink()
        train(cfg, tmp_path / "part", resume=True, progress=False)
        return tuple(ckpt.load(ckpt.checkpoint_path(tmp_path / r, cfg.steps))[0] for r in ("full", "part"))

    return run
