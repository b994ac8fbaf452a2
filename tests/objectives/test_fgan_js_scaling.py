"""fgan-js is the non-saturating game with both losses halved, to the last bit, and Adam undoes the half.

docs/benchmarks.md ("Equal games, unequal outcomes") reads the two objectives' different ring8 results
through these identities: since multiplying by ½ is exact in floating point, their gradients differ by
exactly ½, Adam's moments by exactly ½ and ¼, so Adam with ε/2 on fgan-js takes bit-identical steps to
Adam with ε on non-saturating; with the same ε it does not.
"""

from __future__ import annotations

import pytest
import torch

from divergan.objectives import get_objective


def _logit_grads(name: str, **params) -> tuple[torch.Tensor, torch.Tensor]:
    """d(critic loss)/d(logits) and d(generator loss)/d(fake logits) at fixed float32 logits, large ones too."""
    g = torch.Generator().manual_seed(0)
    tr = (torch.randn(257, generator=g) * 8).requires_grad_()
    tf = (torch.randn(257, generator=g) * 8).requires_grad_()
    obj = get_objective(name, **params)
    gr, gf = torch.autograd.grad(obj.critic_loss(tr, tf), (tr, tf))
    (gg,) = torch.autograd.grad(obj.generator_loss(tr.detach(), tf), (tf,))
    return torch.cat([gr, gf]), gg


def test_fgan_js_gradients_are_exactly_half_the_non_saturating_ones():
    ns_critic, ns_gen = _logit_grads("non-saturating")
    js_critic, js_gen = _logit_grads("fgan-js")
    assert torch.equal(2 * js_critic, ns_critic)
    assert torch.equal(2 * js_gen, ns_gen)
    # negative control: π = 0.2 weighs the two terms unequally, no single factor relates it
    pi_critic, _ = _logit_grads("fgan-js-pi", pi=0.2)
    assert not torch.equal(2 * pi_critic, ns_critic)


def _adam_run(name: str, eps: float, steps: int = 30) -> list[torch.Tensor]:
    """A tiny critic and generator trained against each other with Adam(eps) on ``name``'s losses."""
    torch.manual_seed(0)
    gen = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    critic = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-2, betas=(0.5, 0.999), eps=eps)
    opt_d = torch.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.5, 0.999), eps=eps)
    obj = get_objective(name)
    data = torch.Generator().manual_seed(1)
    for _ in range(steps):
        real = torch.randn(64, 2, generator=data) * 0.1 + 1.0
        fake = gen(torch.randn(64, 2, generator=data))
        opt_d.zero_grad()
        obj.critic_loss(critic(real).squeeze(1), critic(fake.detach()).squeeze(1)).backward()
        opt_d.step()
        opt_g.zero_grad()
        obj.generator_loss(critic(real).squeeze(1).detach(), critic(fake).squeeze(1)).backward()
        opt_g.step()
    return [p.detach().clone() for p in [*gen.parameters(), *critic.parameters()]]


@pytest.mark.parametrize(("js_eps", "identical"), [(0.5e-4, True), (1e-4, False)])
def test_adam_with_half_eps_makes_fgan_js_take_non_saturating_steps(js_eps, identical):
    # ε is large here (1e-4) so that the same-ε control differs within 30 steps
    ns = _adam_run("non-saturating", eps=1e-4)
    js = _adam_run("fgan-js", eps=js_eps)
    assert all(torch.equal(a, b) for a, b in zip(ns, js)) is identical
