"""The typed config: presets, --set overrides validated against the field types, JSON round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergan.errors import UserError
from divergan.train import PRESETS, Config, apply_overrides, preset


def test_every_preset_is_valid_and_round_trips():
    for name in PRESETS:
        cfg = preset(name)
        assert Config.from_json(cfg.to_json()) == cfg


def test_wgan_gp_toy_is_the_papers_configuration():
    cfg = preset("wgan-gp-toy")
    assert cfg.data == "wgan-gp-25gaussians" and cfg.objective == "wgan-gp"
    assert cfg.objective_params == {"weight": 0.1}
    assert (cfg.g_width, cfg.g_depth, cfg.d_width, cfg.d_depth) == (512, 3, 512, 3)
    assert (cfg.batch, cfg.critic_steps, cfg.lr_g, cfg.lr_d, cfg.beta1, cfg.beta2) == (
        256,
        5,
        1e-4,
        1e-4,
        0.5,
        0.9,
    )
    assert cfg.optimizer == "adam"


def test_overrides_are_typed():
    cfg = apply_overrides(
        preset("default"),
        [
            "steps=7",
            "lr_g=1e-3",
            "plot=false",
            "sampler=drs",
            "objective.pi=0.25",
            "objective.generator=saddle",
            "data.noise=0.1",
        ],
    )
    assert cfg.steps == 7 and cfg.lr_g == 1e-3 and cfg.plot is False and cfg.sampler == "drs"
    assert cfg.objective_params == {**preset("default").objective_params, "pi": 0.25, "generator": "saddle"}
    assert cfg.data_params == {"noise": 0.1}


@pytest.mark.parametrize(
    "item,match",
    [
        ("steps", "key=value"),
        ("=3", "key=value"),
        ("nope=1", "unknown config key"),
        ("steps=ten", "whole number"),
        ("steps=1.5", "whole number"),
        ("steps=-1", "must not be negative"),
        ("batch=0", "at least 1"),
        ("lr_g=abc", "number"),
        ("lr_g=-1", "positive"),
        ("lr_g=nan", "finite"),
        ("beta1=1", r"\[0, 1\)"),
        ("plot=maybe", "true or false"),
        ("sampler=best", "one of"),
        ("objective_params=1", "unknown config key"),
        ("objective.=1", "name the parameter"),
    ],
)
def test_bad_overrides(item, match):
    with pytest.raises(UserError, match=match):
        apply_overrides(preset("default"), [item])


def test_unknown_preset_and_foreign_config():
    with pytest.raises(UserError, match="unknown preset"):
        preset("fastest")
    with pytest.raises(UserError, match="unknown keys"):
        Config.from_json({"steps": 3, "learning_rate": 1})
    with pytest.raises(UserError, match="whole number"):
        Config.from_json({"steps": "3x"})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_fuzzed_overrides_only_ever_raise_user_errors(key, value):
    try:
        apply_overrides(preset("quick"), [f"{key}={value}"])
    except UserError as exc:
        assert "\n" not in str(exc)
