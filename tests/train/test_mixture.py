"""MIX+GAN's mixed payoff: exact reduction to the plain objective at K = 1, the bilinear sum by hand,
and sampling by the extra latent coordinate with the mixture weights' frequencies."""

from __future__ import annotations

import json
import math

import pytest
import torch

from divergan.nn import MLP
from divergan.objectives import get_objective
from divergan.train.mixture import MixtureCritic, MixtureGenerator, critic_loss, entropy, generator_loss


def nets(k: int, seed: int = 0) -> tuple[MixtureGenerator, MixtureCritic]:
    torch.manual_seed(seed)
    g = MixtureGenerator([MLP(2, 2, 16, 2) for _ in range(k)], z_dim=2)
    d = MixtureCritic([MLP(2, 1, 16, 2, squeeze=True) for _ in range(k)])
    return g, d


@pytest.mark.parametrize("name", ["non-saturating", "wgan-gp", "hinge", "fgan-kl"])
def test_one_component_is_exactly_the_plain_objective(name):
    obj = get_objective(name)
    g, d = nets(1)
    gen = torch.Generator().manual_seed(1)
    real, z = torch.randn(32, 2, generator=gen), torch.randn(32, 3, generator=gen)
    fakes = g.every(z)
    torch.manual_seed(5)  # the gradient penalty draws its interpolation coefficients
    mixed = critic_loss(obj, d, g.weights.detach(), real, fakes.detach(), entropy_weight=0.3)
    torch.manual_seed(5)
    t = d.components[0](torch.cat([real, fakes[0].detach()]))
    plain = obj.critic_loss(t[:32], t[32:])
    if obj.penalty is not None:
        plain = plain + obj.penalty(d.components[0], real, fakes[0].detach())
    assert torch.equal(mixed, plain)
    with torch.no_grad():
        mixed_g = generator_loss(obj, g, d, real, fakes, entropy_weight=0.3)
        plain_g = obj.generator_loss(d.components[0](real), d.components[0](fakes[0]))
    assert torch.equal(mixed_g, plain_g)
    assert torch.equal(g(z), g.components[0](z[:, :2]))


def test_the_payoff_is_the_bilinear_sum_minus_the_entropy():
    obj = get_objective("non-saturating")
    g, d = nets(2)
    with torch.no_grad():
        g.logits.copy_(torch.tensor([0.3, -0.4]))
        d.logits.copy_(torch.tensor([-1.0, 0.5]))
    gen = torch.Generator().manual_seed(2)
    real, z = torch.randn(16, 2, generator=gen), torch.randn(16, 3, generator=gen)
    with torch.no_grad():
        fakes = g.every(z)
        w, u = g.weights, d.weights
        lam = 0.1
        expected_d = -lam * float(-(u * u.log()).sum())
        expected_g = -lam * float(-(w * w.log()).sum())
        for i in range(2):
            for j in range(2):
                dj = d.components[j]
                expected_d += float(w[i] * u[j] * obj.critic_loss(dj(real), dj(fakes[i])))
                expected_g += float(w[i] * u[j] * obj.generator_loss(dj(real), dj(fakes[i])))
        assert float(critic_loss(obj, d, w, real, fakes, lam)) == pytest.approx(expected_d, rel=1e-6)
        assert float(generator_loss(obj, g, d, real, fakes, lam)) == pytest.approx(expected_g, rel=1e-6)


def test_each_player_moves_only_its_own_weights():
    obj = get_objective("non-saturating")
    g, d = nets(3)
    gen = torch.Generator().manual_seed(3)
    real, z = torch.randn(16, 2, generator=gen), torch.randn(16, 3, generator=gen)
    critic_loss(obj, d, g.weights.detach(), real, g.every(z).detach(), 0.1).backward()
    assert d.logits.grad is not None and g.logits.grad is None
    d.zero_grad(set_to_none=True)
    generator_loss(obj, g, d, real, g.every(z), 0.1).backward()
    assert g.logits.grad is not None and d.logits.grad is None


def test_components_are_drawn_with_the_mixture_weights():
    g, _ = nets(3)
    with torch.no_grad():
        g.logits.copy_(torch.tensor([0.0, math.log(2.0), math.log(5.0)]))  # w = (1, 2, 5) / 8
    z = torch.randn(80_000, 3, generator=torch.Generator().manual_seed(4))
    counts = torch.bincount(g.choose(z), minlength=3).double() / len(z)
    assert torch.allclose(counts, torch.tensor([1.0, 2.0, 5.0], dtype=torch.float64) / 8, atol=0.005)
    assert torch.equal(g(z[:10]), g(z[:10]))  # a pure function of z


def test_entropy_of_uniform_weights_is_log_k():
    assert float(entropy(torch.zeros(4))) == pytest.approx(math.log(4))
    assert float(entropy(torch.zeros(1))) == 0.0


def test_mix_gan_is_a_trainer_option_that_resumes_exactly(tmp_path):
    from divergan.train import apply_overrides, preset, train
    from divergan.train import checkpoint as ckpt

    sets = ["data=ring8", "mix_components=3", "z_dim=3", "checkpoint_every=20", "keep_checkpoints=5"]
    full = train(apply_overrides(preset("quick"), [*sets, "steps=40"]), tmp_path / "full", progress=False)
    train(apply_overrides(preset("quick"), [*sets, "steps=20"]), tmp_path / "part", progress=False)
    resumed = train(
        apply_overrides(preset("quick"), [*sets, "steps=40"]), tmp_path / "part", resume=True, progress=False
    )
    assert resumed["direct"] == full["direct"]
    tensors, _ = ckpt.load(ckpt.latest(tmp_path / "full"))
    assert {"G.logits", "D.logits", "G.components.2.net.0.weight"} <= set(tensors)
    rows = [json.loads(x) for x in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    assert all(0.0 <= r["mixture_entropy"] <= 1.0 for r in rows)


@pytest.mark.parametrize("sets", [["z_dim=1"], ["data=digits"], ["mix_components=0"]])
def test_mix_gan_refuses_what_it_cannot_train(tmp_path, capsys, sets):
    from divergan.cli import main

    argv = [
        "train",
        "--preset",
        "quick",
        "--quiet",
        "--out",
        str(tmp_path / "r"),
        "--set",
        "mix_components=2",
    ]
    for item in sets:
        argv += ["--set", item]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
