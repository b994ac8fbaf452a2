"""The linear schedule's start of decay, ``lr_decay_start`` = s: the rate is base·min(1, (1 − t/T)/(1 − s)),
checked against hand-computed rates in the optimizers of saved checkpoints; the default s = ½ is the old
"second half" schedule bit for bit; values outside [0, 1) are user errors."""

from __future__ import annotations

import pytest

from divergan.errors import UserError
from divergan.train import apply_overrides, preset, train
from divergan.train import checkpoint as ckpt
from divergan.train.loop import _lr_factor


def quick(*overrides: str):
    return apply_overrides(preset("quick"), ["data=ring8", "eval_samples=200", *overrides])


def saved_lr(run, step: int, opt: str) -> float:
    return ckpt.load(ckpt.checkpoint_path(run, step))[1]["optimizers"][opt]["param_groups"][0]["lr"]


def test_decay_starts_at_the_given_fraction(tmp_path):
    """T = 20, s = 0.25: full rate for t < 5, then (1 − t/20)/0.75; a checkpoint after step k holds t = k − 1."""
    cfg = quick(
        "steps=20", "checkpoint_every=5", "keep_checkpoints=10", "lr_schedule=linear", "lr_decay_start=0.25"
    )
    train(cfg, tmp_path / "r", progress=False)
    base = preset("quick").lr_g
    # t = 4: 16/15 capped at 1; t = 9: 11/15; t = 14: 6/15; t = 19: 1/15
    for k, factor in [(5, 1.0), (10, 11 / 15), (15, 6 / 15), (20, 1 / 15)]:
        for opt in ("G", "D"):
            assert saved_lr(tmp_path / "r", k, opt) == pytest.approx(base * factor, rel=1e-12)


@pytest.mark.parametrize("start", [0.0, 0.3, 0.5, 0.9])
def test_factor_is_one_until_the_start_then_falls_linearly_to_zero(start):
    cfg = quick("steps=1000", "lr_schedule=linear", f"lr_decay_start={start}")
    begin = round(start * 1000)
    assert all(_lr_factor(cfg, t) == 1.0 for t in range(begin + 1))
    assert _lr_factor(cfg, begin + 1) < 1.0
    assert _lr_factor(cfg, 1000) == pytest.approx(0.0, abs=1e-12)
    slopes = {round(_lr_factor(cfg, t) - _lr_factor(cfg, t + 1), 12) for t in range(begin, 1000)}
    assert slopes == {round(1 / ((1 - start) * 1000), 12)}  # one constant step down: linear


def test_default_start_is_the_second_half_exactly():
    cfg = quick("steps=37", "lr_schedule=linear")
    assert cfg.lr_decay_start == 0.5
    for t in range(38):
        assert _lr_factor(cfg, t) == min(1.0, 2.0 * (1.0 - t / 37))


def test_constant_schedule_ignores_the_start():
    cfg = quick("steps=10", "lr_decay_start=0.2")
    assert [_lr_factor(cfg, t) for t in range(11)] == [1.0] * 11


@pytest.mark.parametrize("value", ["1", "1.5", "-0.1", "nan", "inf"])
def test_start_outside_the_unit_interval_is_a_user_error(value):
    with pytest.raises(UserError, match="lr_decay_start must"):
        quick(f"lr_decay_start={value}")
    cfg = preset("quick")
    cfg.lr_decay_start = float(value)  # past the command-line parser: the config's own validation
    with pytest.raises(UserError, match="lr_decay_start must lie in"):
        cfg.validate()
