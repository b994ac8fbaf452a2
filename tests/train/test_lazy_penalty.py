"""Lazy regularisation (``penalty_every = k``): the objective's penalty enters the critic loss as k·penalty on
steps 0, k, 2k, … and not at all on the others; with ``penalty_until = f`` not from step ⌈f·steps⌉ on.
Checked on a linear critic, whose R1 and R2 are known in closed form, and through the trainer (config
errors, a run that differs from the eager one)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from divergan.errors import UserError
from divergan.objectives import get_objective
from divergan.train import apply_overrides, preset, train
from divergan.train import checkpoint as ckpt
from divergan.train.game import PlainGame
from divergan.train.loop import check


def linear_game(every: int, r1: float = 0.3, r2: float = 0.7, stop: int | None = None):
    """rpgan against the critic V(x) = ⟨w, x⟩ + b: ∇ₓV = w for every x, so R1 + R2 = (r1 + r2)/2 · ‖w‖²."""
    torch.manual_seed(0)
    G = nn.Linear(3, 5)
    D = nn.Sequential(nn.Linear(5, 1), nn.Flatten(0))
    real = torch.randn(8, 5)
    rng = torch.Generator().manual_seed(1)
    game = PlainGame(
        get_objective("rpgan", r1=r1, r2=r2),
        G,
        D,
        real_batch=lambda: (real, None),
        noise=lambda n: torch.randn(n, 3, generator=rng),
        batch=8,
        penalty_every=every,
        penalty_stop=stop,
    )
    w = D[0].weight.detach()
    return game, (r1 + r2) / 2 * float(w.square().sum())


@pytest.mark.parametrize("every", [1, 3])
def test_the_penalty_is_k_times_itself_on_every_kth_step_and_absent_between(every):
    game, penalty = linear_game(every)
    for step in range(7):
        loss, value = game.critic_loss(game.critic_batch(), step)
        added = float(loss.detach() - value)
        if step % every == 0:
            assert added == pytest.approx(every * penalty, rel=1e-6)
        else:
            assert added == 0.0
    # the average weight per step is the eager one's: steps 0 … 5 hold 6/k penalties of weight k
    assert penalty > 0.1  # the control: a penalty that would be visible had it been added


@pytest.mark.parametrize(("every", "stop"), [(1, 4), (3, 4), (3, 0)])
def test_the_penalty_stops_at_its_step(every, stop):
    """k·penalty on the k-th steps before ``stop``, nothing from ``stop`` on (stop 0: never)."""
    game, penalty = linear_game(every, stop=stop)
    added = [
        float(loss.detach() - value)
        for loss, value in (game.critic_loss(game.critic_batch(), s) for s in range(9))
    ]
    expected = [every * penalty if s % every == 0 and s < stop else 0.0 for s in range(9)]
    assert added == pytest.approx(expected, rel=1e-6)
    assert sum(a > 0 for a in added) == len(
        range(0, stop, every)
    )  # the control: some steps carried it, or none


def test_the_lazy_penalty_still_reaches_the_critic_weights():
    """On a penalty step the critic's gradient holds k·∂penalty/∂w = k·(r1 + r2)·w beside the loss's."""
    game, _ = linear_game(4)
    batch = game.critic_batch()
    loss, _ = game.critic_loss(batch, 0)
    (g_all,) = torch.autograd.grad(loss, game.D[0].weight)
    off, _ = game.critic_loss(batch, 1)  # the same batch on a step without the penalty
    (g_loss,) = torch.autograd.grad(off, game.D[0].weight)
    w = game.D[0].weight.detach()
    assert torch.allclose(g_all - g_loss, 4 * (0.3 + 0.7) * w, atol=1e-6)


def test_penalty_every_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="at least 1"):
        linear_game(0)
    with pytest.raises(UserError, match="penalty_every must be at least 1"):
        apply_overrides(preset("quick"), ["penalty_every=0"])


@pytest.mark.parametrize("value", ["0", "-0.5", "1.5", "nan"])
def test_penalty_until_must_be_a_fraction_of_the_run(value):
    with pytest.raises(UserError, match=r"penalty_until must (lie in|be a finite)"):
        apply_overrides(preset("quick"), [f"penalty_until={value}"])
    with pytest.raises(ValueError, match="penalty_stop"):
        linear_game(1, stop=-1)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["objective=non-saturating"], "has none"),  # no r1/r2: nothing to space out
        (["objective=wgan"], "has none"),
        (["objective.r1=0.1", "mix_components=2"], "MIX\\+GAN"),
    ],
)
@pytest.mark.parametrize("schedule", ["penalty_every=4", "penalty_until=0.5"])
def test_a_penalty_schedule_that_would_be_ignored_is_refused(overrides, message, schedule):
    cfg = apply_overrides(preset("quick"), ["data=ring8", *overrides, schedule])
    with pytest.raises(UserError, match=f"{schedule.split('=')[0]} .*{message}"):
        check(cfg)
    check(apply_overrides(preset("quick"), ["data=ring8", "objective.r1=0.1", schedule]))  # the control


@pytest.mark.parametrize(
    ("name", "schedule", "message"),
    [
        ("style-quick", "penalty_until=0.5", "r1_every"),  # the style game reads penalty_every only
        ("glyphs-quick", "penalty_every=2", "glyphs"),
        ("glyphs-quick", "penalty_until=0.5", "glyphs"),
    ],
)
def test_the_applications_refuse_it(name, schedule, message):
    from divergan import apps

    with pytest.raises(UserError, match=message):
        apply_overrides(apps.preset(name), [schedule])


def test_a_lazy_run_trains_and_differs_from_the_eager_one(tmp_path):
    """The default preset (R1 = R2 = 0.05) for a few steps: every 4th step's penalty, weighted by 4, is a
    different trajectory from every step's; k = 1 is the default and reproduces the eager run."""
    runs = {}
    for name, extra in [("eager", []), ("one", ["penalty_every=1"]), ("lazy", ["penalty_every=4"])]:
        cfg = apply_overrides(
            preset("quick"),
            ["objective.r1=0.05", "objective.r2=0.05", "steps=8", "checkpoint_every=8", *extra],
        )
        train(cfg, tmp_path / name, progress=False)
        runs[name] = ckpt.load(ckpt.checkpoint_path(tmp_path / name, 8))[0]
    keys = [k for k in runs["eager"] if k.startswith("D.")]
    assert keys and all(torch.equal(runs["eager"][k], runs["one"][k]) for k in keys)
    assert any(not torch.equal(runs["eager"][k], runs["lazy"][k]) for k in keys)
    assert all(torch.isfinite(runs["lazy"][k]).all() for k in keys)


def test_a_run_whose_penalty_stops_matches_the_eager_run_until_the_stop(tmp_path):
    """penalty_until=0.5 of 8 steps: the eager run's weights at step 4 (the penalty was on at steps 0-3),
    a different trajectory by step 8 (steps 4-7 without it)."""
    runs = {}
    for name, extra in [("eager", []), ("until", ["penalty_until=0.5"])]:
        cfg = apply_overrides(
            preset("quick"),
            [
                "objective.r1=0.05",
                "objective.r2=0.05",
                "steps=8",
                "checkpoint_every=4",
                "keep_checkpoints=4",
                *extra,
            ],
        )
        train(cfg, tmp_path / name, progress=False)
        runs[name] = [ckpt.load(ckpt.checkpoint_path(tmp_path / name, s))[0] for s in (4, 8)]
    keys = [k for k in runs["eager"][0] if k.startswith("D.")]
    assert keys and all(torch.equal(runs["eager"][0][k], runs["until"][0][k]) for k in keys)
    assert any(not torch.equal(runs["eager"][1][k], runs["until"][1][k]) for k in keys)


def test_a_sweep_refuses_lazy_penalties_instead_of_ignoring_them():
    from divergan.train.sweep import check as check_sweep

    eager = apply_overrides(preset("quick"), ["data=ring8", "objective.r1=0.1"])
    check_sweep([eager])  # the control: the same config with the penalty on every step is a valid sweep
    for schedule in ["penalty_every=2", "penalty_until=0.5"]:
        with pytest.raises(UserError, match=schedule.split("=")[0]):
            check_sweep([apply_overrides(preset("quick"), ["data=ring8", "objective.r1=0.1", schedule])])
