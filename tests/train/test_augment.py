"""DiffAugment of the critic's inputs (``d_augment``): the transforms against hand examples and their
adjoints, the draws' ranges and seeding, the Game feeding the critic T(x) and T(G(z)) everywhere (the
penalty included) with gradients reaching G, augmentation off leaving the run as it was, exact resume
with it on, and the config's errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from divergan.nn.augment import (
    DiffAugment,
    cutout,
    cutout_mask,
    cutout_side,
    draw_corners,
    draw_shifts,
    max_shift,
    parse_policy,
    translate,
)
from divergan.objectives import get_objective
from divergan.train import Config, apply_overrides, preset, train
from divergan.train import checkpoint as ckpt
from divergan.train.game import PlainGame

F = -1.0  # translation's fill


def test_translation_of_a_hand_example():
    """out[i, j] = x[i − dy, j − dx], −1 where that falls outside: shift (1, −2) of a 4 × 4 ramp."""
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    want = torch.tensor([[F, F, F, F], [2, 3, F, F], [6, 7, F, F], [10, 11, F, F]])
    assert torch.equal(translate(x, torch.tensor([[1, -2]]))[0, 0], want)


def test_translation_is_a_roll_with_the_wrapped_pixels_filled():
    """Each sample its own shift, the extremes ±4 and 0 included: torch.roll, then the rows and columns
    that wrapped around set to the fill value."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 3, 9, 7, generator=g) * 2 - 1
    shifts = torch.tensor([[0, 0], [4, -4], [-4, 4], [1, 3], [-2, 0], [0, -1]])
    out = translate(x, shifts)
    for b, (dy, dx) in enumerate(shifts.tolist()):
        want = torch.roll(x[b], shifts=(dy, dx), dims=(1, 2))
        if dy > 0:
            want[:, :dy] = F
        if dy < 0:
            want[:, dy:] = F
        if dx > 0:
            want[:, :, :dx] = F
        if dx < 0:
            want[:, :, dx:] = F
        assert torch.equal(out[b], want), (dy, dx)
    assert torch.equal(translate(x, shifts, fill=0.5)[1, :, :4], torch.full((3, 4, 7), 0.5))


def test_cutout_sets_exactly_the_square():
    x = torch.ones(2, 2, 5, 5)
    out = cutout(x, torch.tensor([[1, 2], [-1, 4]]), (2, 2))
    want = torch.ones(2, 2, 5, 5)
    want[0, :, 1:3, 2:4] = 0  # rows 1-2, columns 2-3
    want[1, :, 0:1, 4:5] = 0  # the square from (-1, 4): only its pixel (0, 4) is inside the image
    assert torch.equal(out, want)
    assert torch.equal(cutout(x, torch.tensor([[1, 2], [-1, 4]]), (2, 2), value=-1.0) == -1, want == 0)


def test_gradients_are_the_adjoint_transforms():
    """d/dx Σ w·T(x): for translation the upstream w shifted back with zeros (pixels pushed out of the
    frame get 0); for cutout w outside the square and exactly 0 inside it."""
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 2, 8, 8, generator=g).requires_grad_(True)
    w = torch.randn(4, 2, 8, 8, generator=g)
    shifts = torch.tensor([[3, -1], [0, 0], [-4, 4], [2, 2]])
    (w * translate(x, shifts)).sum().backward()
    assert torch.equal(x.grad, translate(w, -shifts, fill=0.0))
    assert (x.grad[0, :, -3:] == 0).all() and (x.grad[0, :, :-3, 1:] != 0).all()  # rows shifted out: 0
    x.grad = None
    corners = torch.tensor([[1, 1], [4, 5], [-2, -2], [0, 6]])
    (w * cutout(x, corners, (4, 4))).sum().backward()
    inside = cutout_mask(x.shape, corners, (4, 4))
    assert torch.equal(x.grad, torch.where(inside, 0.0, w))
    assert int(inside[0].sum()) == 16 and int(inside[2].sum()) == 4  # a clipped square: (−2..1)² ∩ image


def test_shapes_ranges_and_values():
    """Same shape; every output pixel is a pixel of the same input image, the fill −1 or the cutout 0."""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(16, 1, 28, 28, generator=g) * 2 - 1
    y = DiffAugment(("translation", "cutout")).augment(x, g)
    assert y.shape == x.shape and y.dtype == x.dtype
    for b in range(16):
        assert torch.isin(y[b], torch.cat([x[b].flatten(), torch.tensor([-1.0, 0.0])])).all()
    assert not torch.equal(y, x)


def test_draws_cover_their_ranges():
    assert (max_shift(28), max_shift(32), max_shift(16), cutout_side(28), cutout_side(32)) == (
        4,
        4,
        2,
        14,
        16,
    )
    g = torch.Generator().manual_seed(3)
    shifts = draw_shifts(20_000, 28, 16, g)
    assert set(shifts[:, 0].tolist()) == set(range(-4, 5)) and set(shifts[:, 1].tolist()) == set(range(-2, 3))
    corners = draw_corners(20_000, 28, 28, g)  # centres 0..27, side 14: corner = centre − 7
    assert set(corners.flatten().tolist()) == set(range(-7, 21))


def test_the_same_seed_draws_the_same_transforms_without_the_global_rng():
    aug = DiffAugment(parse_policy("cutout,translation"))
    x = torch.rand(8, 1, 16, 16)
    before = torch.get_rng_state()
    a = aug.augment(x, torch.Generator().manual_seed(7))
    b = aug.augment(x, torch.Generator().manual_seed(7))
    c = aug.augment(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(torch.get_rng_state(), before)


def test_policy_names():
    assert parse_policy("") == ()
    assert parse_policy("cutout, translation") == ("translation", "cutout")  # always translation first
    for bad in ("rotate", "translation,translation", "translation,"):
        with pytest.raises(ValueError):
            parse_policy(bad)


# -- the Game ------------------------------------------------------------------------------------------


class Recorder(nn.Module):
    """A linear critic on flattened pixels that keeps a copy of every input it is called on."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.linear = nn.Linear(d, 1)
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.linear(x.flatten(1))[:, 0]


def small_game(augment: DiffAugment | None, objective="non-saturating", **params):
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))
    D = Recorder(64)
    rng = torch.Generator().manual_seed(5)
    real = torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(9)) * 2 - 1
    game = PlainGame(
        get_objective(objective, **params),
        G,
        D,
        real_batch=lambda: (real, None),
        noise=lambda n: torch.randn(n, 4, generator=rng),
        batch=6,
        augment=augment,
        draws=rng if augment is not None else None,
    )
    return game, G, D, rng, real


POLICY = DiffAugment(("translation", "cutout"))


def replay(rng: torch.Generator) -> torch.Generator:
    return torch.Generator().set_state(rng.get_state())


def test_the_critic_and_its_penalty_see_the_augmented_real_and_fake_batches():
    game, G, D, rng, real = small_game(POLICY, r1=1.0, r2=1.0)
    batch = game.critic_batch()
    again = replay(rng)  # the augmentation's draws come next: the real batch's, then the fake one's
    _, value = game.critic_loss(batch, 0)
    t_real = POLICY.apply(real, POLICY.draw(6, 8, 8, again))
    t_fake = POLICY.apply(G(batch[2]).detach(), POLICY.draw(6, 8, 8, again))
    t = D.linear(torch.cat([t_real, t_fake]).flatten(1))[:, 0]
    assert torch.equal(value, game.objective.critic_loss(t[:6], t[6:]).detach())
    assert not torch.equal(t_real, real)
    assert len(D.seen) == 3  # the loss's joint pass, then R1 and R2
    assert torch.equal(D.seen[0], torch.cat([t_real, t_fake]))
    assert torch.equal(D.seen[1], t_real) and torch.equal(D.seen[2], t_fake)  # penalties on T(x), T(G(z))
    assert torch.equal(rng.get_state(), again.get_state())  # exactly those draws, no others


def test_the_generator_gradient_flows_through_the_transform():
    """∂L_G/∂θ_G equals autograd through D(T(G(z))) with the replayed draws, and differs from the gradient
    without augmentation (the negative control: the transform is really on the path)."""
    game, G, D, rng, _ = small_game(POLICY)
    batch = game.generator_batch()
    again = replay(rng)
    game.generator_loss(batch, 0).backward()
    got = [p.grad.clone() for p in G.parameters()]
    obj, z = game.objective, batch[2]
    for p in G.parameters():
        p.grad = None
    fake = G(z)
    obj.generator_loss(None, D(POLICY.apply(fake, POLICY.draw(6, 8, 8, again)))).backward()
    assert all(torch.equal(a, p.grad) for a, p in zip(got, G.parameters(), strict=True))
    assert all(g.abs().sum() > 0 for g in got)
    for p in G.parameters():
        p.grad = None
    obj.generator_loss(None, D(G(z))).backward()
    assert not all(torch.equal(a, p.grad) for a, p in zip(got, G.parameters(), strict=True))


def test_the_fake_images_get_no_gradient_inside_the_cutout():
    game, G, _, rng, _ = small_game(DiffAugment(("cutout",)))
    batch = game.generator_batch()
    corners = DiffAugment(("cutout",)).draw(6, 8, 8, replay(rng))["cutout"]
    kept = {}

    def keep(module, inputs, out):  # returns None: the output is unchanged
        out.retain_grad()
        kept["fake"] = out

    handle = G.register_forward_hook(keep)
    game.generator_loss(batch, 0).backward()
    handle.remove()
    grad = kept["fake"].grad
    inside = cutout_mask(grad.shape, corners, (4, 4))
    assert inside.any() and (~inside).any()
    assert (grad[inside.expand_as(grad)] == 0).all() and (grad[~inside.expand_as(grad)] != 0).all()


def test_off_draws_nothing_and_is_the_plain_game():
    """Without augmentation the critic loss is L_D(D(x), D(G(z))) on the raw batch and the data stream is
    untouched (so runs are as before the option); with it, the stream moves on (the control)."""
    game, G, D, rng, real = small_game(None)
    batch = game.critic_batch()
    state = rng.get_state()
    loss, _ = game.critic_loss(batch, 0)
    fake = G(batch[2]).detach()
    assert torch.equal(D.seen[0], torch.cat([real, fake]))
    t = D.linear(torch.cat([real, fake]).flatten(1))[:, 0]
    assert torch.equal(loss, game.objective.critic_loss(t[:6], t[6:]))
    assert torch.equal(rng.get_state(), state)
    on, *_, rng_on, _ = small_game(POLICY)
    on.critic_loss(on.critic_batch(), 0)
    assert not torch.equal(rng_on.get_state(), state)


# -- runs ------------------------------------------------------------------------------------------------


def digits(*overrides: str) -> Config:
    return apply_overrides(preset("digits-quick"), ["plot=false", "tensorboard=false", *overrides])


def final_tensors(run, steps):
    return ckpt.load(ckpt.checkpoint_path(run, steps))[0]


def test_the_option_changes_a_packed_run_and_off_is_the_default(tmp_path):
    """d_augment on changes the trained weights (pack 2: the packed critic sees augmented samples); "" is
    the default and trains what a config without the key trains (an older run's config.json)."""
    train(digits("steps=6", "pack=2"), tmp_path / "off", progress=False)
    train(digits("steps=6", "pack=2", "d_augment=translation,cutout"), tmp_path / "on", progress=False)
    old = digits("steps=6", "pack=2").to_json()
    del old["d_augment"]
    assert Config.from_json(old).d_augment == ""
    train(Config.from_json(old), tmp_path / "old", progress=False)
    off, on, older = (final_tensors(tmp_path / r, 6) for r in ("off", "on", "old"))
    names = [n for n in off if n.startswith(("G.", "D."))]
    assert names and all(torch.equal(off[n], older[n]) for n in names)
    assert any(not torch.equal(off[n], on[n]) for n in names)


def test_resume_with_augmentation_is_exact(stopped_and_resumed):
    cfg = digits("steps=12", "checkpoint_every=6", "keep_checkpoints=10", "d_augment=translation,cutout")
    a, b = stopped_and_resumed(cfg)
    compared = [n for n in a if n.split(".")[0] in ("G", "EMA", "D", "opt_G", "opt_D")]
    assert compared and all(torch.equal(a[n], b[n]) for n in compared)


# -- configuration errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sets", "words"),
    [
        (["--set", "d_augment=rotate"], "unknown augmentation 'rotate'"),
        (["--data", "ring8", "--set", "d_augment=translation"], "flat vectors"),
        (["--preset", "digits-quick", "--objective", "mmd", "--set", "d_augment=cutout"], "has no critic"),
        (["--set", "app=glyphs", "--set", "d_augment=cutout"], "glyphs application"),
    ],
)
def test_bad_uses_are_one_error_line(train_refuses, sets, words):
    train_refuses(sets, words)


def test_a_sweep_refuses_augmentation_instead_of_ignoring_it():
    from divergan.errors import UserError
    from divergan.train.sweep import check

    plain = apply_overrides(preset("quick"), ["data=ring8"])
    check([plain])  # the control: the same config without augmentation is a valid sweep
    with pytest.raises(UserError, match="d_augment"):
        check([apply_overrides(preset("quick"), ["data=ring8", "d_augment=cutout"])])
