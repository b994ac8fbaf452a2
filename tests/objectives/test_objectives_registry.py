"""The objective registry: names, fields the trainer relies on, and one-line errors."""

from __future__ import annotations

import pytest

from divergan.divergences import TABLE
from divergan.errors import UserError
from divergan.objectives import OBJECTIVES, Objective, get_objective, names

REQUIRED = {"minimax", "non-saturating", "lsgan", "wgan", "wgan-gp", "hinge", "mmd", "mmd-gan", "js-pi"}


def test_names_cover_every_required_objective_and_every_f_divergence():
    assert REQUIRED <= set(names())
    assert {f"fgan-{d}" for d in TABLE} <= set(names())
    assert names() == list(OBJECTIVES)


@pytest.mark.parametrize("name", names())
def test_every_objective_is_documented(name):
    obj = get_objective(name)
    assert isinstance(obj, Objective) and obj.name == name
    assert obj.formula and obj.divergence
    assert obj.optimizer in ("adam", "rmsprop")
    assert obj.critic_outputs >= 1


def test_fields_the_trainer_uses():
    wgan = get_objective("wgan")
    assert wgan.clip == 0.01 and wgan.optimizer == "rmsprop" and wgan.penalty is None
    assert get_objective("wgan", clip="0.05").clip == 0.05
    mmd = get_objective("mmd")
    assert not mmd.needs_critic and mmd.sample_loss is not None
    feat = get_objective("mmd-gan", features=8)
    assert feat.needs_critic and feat.critic_outputs == 8 and feat.clip == 0.01
    assert get_objective("mmd-gan", clip=0).clip is None
    assert all(get_objective(n).critic_outputs == 1 for n in names() if n != "mmd-gan")


def test_params_are_recorded_and_strings_are_accepted():
    obj = get_objective("fgan-js-pi", pi="0.25", generator="saddle")
    assert obj.params == {"generator": "saddle", "pi": 0.25}
    assert get_objective("fgan-alpha", alpha=2).params["alpha"] == 2.0
    assert get_objective("js-pi", pi=None).params == {"pi": 0.5}
    assert get_objective("lsgan", a="-1", c=0).params == {"a": -1.0, "b": 1.0, "c": 0.0}
    assert get_objective("mmd", bandwidths="0.5,2").params == {"bandwidths": "0.5,2"}


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("nope", {}),
        ("fgan-nope", {}),
        ("minimax", {"pi": 0.5}),
        ("fgan-kl", {"alpha": 0.5}),
        ("fgan-kl", {"generator": "both"}),
        ("fgan-alpha", {"alpha": 1}),
        ("fgan-alpha", {"alpha": "x"}),
        ("fgan-js-pi", {"pi": 1.5}),
        ("js-pi", {"pi": 0}),
        ("js-pi", {"pi": "nan"}),
        ("lsgan", {"a": 1, "b": 1}),
        ("wgan", {"clip": 0}),
        ("wgan", {"clip": -1}),
        ("wgan-gp", {"weight": -1}),
        ("mmd", {"bandwidths": "a,b"}),
        ("mmd", {"bandwidths": "1,-2"}),
        ("mmd-gan", {"features": 2.5}),
        ("mmd-gan", {"features": 0}),
    ],
)
def test_bad_names_and_params_raise_one_line_user_errors(name, params):
    with pytest.raises(UserError) as info:
        get_objective(name, **params)
    assert "\n" not in str(info.value) and str(info.value)


@pytest.mark.parametrize("name", [n for n in names() if get_objective(n).needs_critic])
def test_generator_uses_real_is_true_exactly_when_the_loss_reads_t_real(name):
    import torch

    obj = get_objective(name)
    shape = (64, obj.critic_outputs) if obj.critic_outputs > 1 else (64,)
    g = torch.Generator().manual_seed(0)
    t_fake = torch.randn(shape, generator=g) * 0.5
    a, b = torch.randn(shape, generator=g), torch.randn(shape, generator=g) + 1.0
    depends = not torch.equal(obj.generator_loss(a, t_fake), obj.generator_loss(b, t_fake))
    assert obj.generator_uses_real == depends
    if not obj.generator_uses_real:  # what the trainer passes then
        assert torch.equal(obj.generator_loss(None, t_fake), obj.generator_loss(a, t_fake))
