"""Search spaces and metric names: exact parses, and each malformed input refused with a UserError."""

from __future__ import annotations

import json

import pytest

from divergan.errors import UserError
from divergan.train import preset
from divergan.tune import metrics as M
from divergan.tune.space import Param, assign, check, load_file, parse_item


def test_each_spec_form_parses_to_its_exact_range_or_choices():
    assert parse_item("lr_d=log:1e-5..1e-3") == Param("lr_d", "log", 1e-5, 1e-3)
    assert parse_item("beta1=float:0..0.9") == Param("beta1", "float", 0.0, 0.9)
    assert parse_item("critic_steps=int:1..5") == Param("critic_steps", "int", 1.0, 5.0)
    assert parse_item("objective=choice:hinge, wgan-gp").choices == ("hinge", "wgan-gp")
    assert parse_item("critic_steps=int:1..5").spec == "critic_steps=int:1..5"
    assert parse_item("lr_d=log:1e-05..0.001").spec == "lr_d=log:1e-05..0.001"


@pytest.mark.parametrize(
    "item",
    [
        "lr_d",  # no SPEC
        "=log:1..2",  # no key
        "lr_d=uniform:1..2",  # unknown kind
        "lr_d=log:1e-3",  # not a range
        "lr_d=log:1e-3..1e-5",  # reversed
        "lr_d=log:0..1",  # log of 0
        "lr_d=float:a..1",  # not a number
        "lr_d=float:1..inf",  # not finite
        "critic_steps=int:1.5..3",  # not whole
        "objective=choice:",  # empty
        "objective=choice:a,,b",  # an empty choice
        "objective=choice:a,a",  # twice
    ],
)
def test_a_malformed_spec_is_a_user_error(item):
    with pytest.raises(UserError):
        parse_item(item)


@pytest.mark.parametrize(
    "items",
    [
        ["no_such_key=int:1..3"],  # unknown key
        ["critic_steps=float:1..3"],  # a float range for a whole number
        ["sampler=int:1..3"],  # a range for a string key
        ["critic_steps=int:0..3"],  # 0 critic steps is not a valid value
        ["beta1=float:0.5..1.5"],  # beta1 < 1
        ["objective=choice:hinge,no-such-objective"],  # an unknown objective
        ["lr_d=log:1e-4..1e-3", "lr_d=log:1e-5..1e-3"],  # a key twice
    ],
)
def test_check_refuses_a_space_no_trial_could_run(items):
    with pytest.raises(UserError):
        check([parse_item(i) for i in items], preset("ring8"))


def test_check_accepts_a_valid_space_and_assign_applies_it_like_set():
    base = preset("wgan-gp-toy")
    space = [
        "lr_d=log:1e-5..1e-3",
        "critic_steps=int:1..5",
        "objective=choice:hinge,wgan-gp",
        "objective.weight=float:0.1..10",
    ]
    check([parse_item(i) for i in space], base)
    cfg = assign(base, {"objective": "hinge", "critic_steps": 3, "lr_d": 1e-4})
    assert (cfg.objective, cfg.objective_params, cfg.critic_steps, cfg.lr_d) == ("hinge", {}, 3, 1e-4)
    assert base.objective_params == {"weight": 0.1}  # the base is not changed
    # the same objective keeps its parameters; a parameter set in the space wins
    cfg = assign(base, {"objective": "wgan-gp", "objective.weight": 2.0})
    assert cfg.objective_params == {"weight": 2.0}
    assert assign(base, {"objective": "wgan-gp"}).objective_params == {"weight": 0.1}


def test_a_space_file_gives_the_same_items(tmp_path):
    f = tmp_path / "space.json"
    f.write_text(json.dumps({"lr_d": "log:1e-5..1e-3", "objective": ["hinge", "wgan-gp"]}))
    assert load_file(f) == ["lr_d=log:1e-5..1e-3", "objective=choice:hinge,wgan-gp"]
    for text in ("[1, 2]", "{}", "{not json", '{"lr_d": 3}'):
        f.write_text(text)
        with pytest.raises(UserError):
            load_file(f)
    with pytest.raises(UserError):
        load_file(tmp_path / "missing.json")


def test_metric_names_directions_and_values():
    assert M.parse("mh.high_quality") == ("mh", "high_quality")
    with pytest.raises(UserError):
        M.parse("best.high_quality")
    assert {M.default_direction(n) for n in ("modes", "high_quality", "precision")} == {"maximize"}
    assert {M.default_direction(n) for n in ("reverse_kl", "w1", "fd", "kid_mean")} == {"minimize"}
    with pytest.raises(UserError):
        M.default_direction("memorisation_ratio")  # no natural direction: must be given
    final = {"direct": {"w1": 0.25, "modes": 8}, "mh": {"w1": 0.125}}
    assert M.value(final, "direct", "modes") == 8.0
    assert M.value(final, "mh", "w1") == 0.125
    with pytest.raises(UserError):
        M.value(final, "direct", "fd")
    assert "high_quality" in M.available(False, True, "direct", False, False)
    assert "high_quality" not in M.available(False, False, "direct", False, False)
    assert "fd" in M.available(True, False, "direct", False, False)


def test_a_yaml_space_file_when_pyyaml_is_installed(tmp_path):
    pytest.importorskip("yaml")
    f = tmp_path / "space.yaml"
    f.write_text("lr_d: log:1e-5..1e-3\ncritic_steps: int:1..5\nobjective: [hinge, wgan-gp]\n")
    assert load_file(f) == ["lr_d=log:1e-5..1e-3", "critic_steps=int:1..5", "objective=choice:hinge,wgan-gp"]
    f.write_text("lr_d: [unclosed\n")
    with pytest.raises(UserError):
        load_file(f)
