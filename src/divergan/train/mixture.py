r"""MIX+GAN as a trainer option (Zhang lecture notes; Arora et al. 2017, §4): K generators against K critics.

Each player holds K networks and mixture weights, w = softmax(α) for the generators and
u = softmax(β) for the critics. The game is the bilinear extension of any objective of the trainer to
the mixtures: with L_D, L_G the objective's critic and generator losses (pure functions of critic
outputs),

.. math::

    \mathcal L_D = \sum_{i,j} w_i u_j\, L_D\big(D_j(x), D_j(G_i(z))\big) + \sum_j u_j\,\mathrm{pen}(D_j)
                   - \lambda H(u), \qquad
    \mathcal L_G = \sum_{i,j} w_i u_j\, L_G\big(D_j(x), D_j(G_i(z))\big) - \lambda H(w),

where each player's own weights carry gradients and the other's are held fixed, and the entropy terms
keep the weights from collapsing onto one component. A critic-free objective (``mmd``) uses
Σ_i w_i L(x, G_i(z)) − λ H(w). With K = 1 both reduce to the plain objective.

A sample of the mixture picks component i with probability w_i. So that a sample stays a pure function
of the latent vector (EMA, ``divergan sample`` and evaluation need nothing else), the generator's input
has one extra coordinate: z = (z_1..z_d, c) with c ~ N(0, 1) and the component is the i with
Φ(c) ∈ [W_{i−1}, W_i), W the cumulative weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from divergan.objectives import Objective


def entropy(logits: Tensor) -> Tensor:
    """H(softmax(logits)) in nats; 0 for a single component."""
    logp = torch.log_softmax(logits, dim=0)
    return -(logp.exp() * logp).sum()


class MixtureGenerator(nn.Module):
    """K generators with mixture weights w = softmax(α).

    Args:
        components: K networks mapping (B, z_dim) to samples.
        z_dim: their latent size; this module's input is (B, z_dim + 1), the last coordinate choosing
            the component.
    """

    def __init__(self, components: list[nn.Module], z_dim: int) -> None:
        super().__init__()
        self.components = nn.ModuleList(components)
        self.logits = nn.Parameter(torch.zeros(len(components)))  # α
        self.z_dim = z_dim

    @property
    def weights(self) -> Tensor:
        """w = softmax(α), shape (K,)."""
        return torch.softmax(self.logits, 0)

    def every(self, z: Tensor) -> Tensor:
        """Every component on the same latent: (K, B, ...) from z (B, z_dim + 1)."""
        return torch.stack([g(z[:, : self.z_dim]) for g in self.components])

    def choose(self, z: Tensor) -> Tensor:
        """The component of each sample, (B,) long: i with Φ(c) in [W_{i−1}, W_i)."""
        u = 0.5 * (1.0 + torch.erf(z[:, self.z_dim] / math.sqrt(2.0)))  # Φ(c) ~ U(0, 1)
        cumulative = torch.cumsum(self.weights.detach(), 0)
        return torch.searchsorted(cumulative, u.contiguous()).clamp_(max=len(self.components) - 1)

    def forward(self, z: Tensor) -> Tensor:
        """Samples of the mixture, (B, ...): sample b from component ``choose(z)[b]``."""
        out = self.every(z)  # (K, B, ...)
        return out[self.choose(z), torch.arange(z.shape[0])]


class MixtureCritic(nn.Module):
    """K critics with mixture weights u = softmax(β); ``forward`` is the mixture Σ_j u_j D_j(x)."""

    def __init__(self, components: list[nn.Module]) -> None:
        super().__init__()
        self.components = nn.ModuleList(components)
        self.logits = nn.Parameter(torch.zeros(len(components)))  # β

    @property
    def weights(self) -> Tensor:
        """u = softmax(β), shape (K,)."""
        return torch.softmax(self.logits, 0)

    def every(self, x: Tensor) -> Tensor:
        """Every critic on x: (K, B) or (K, B, outputs)."""
        return torch.stack([d(x) for d in self.components])

    def forward(self, x: Tensor) -> Tensor:
        t = self.every(x)
        u = self.weights.reshape(-1, *([1] * (t.dim() - 1)))
        return (u * t).sum(0)

    def clip_(self, c: float) -> None:
        """WGAN weight clipping of the critics' weights (not of the mixture logits)."""
        with torch.no_grad():
            for p in self.components.parameters():
                p.clamp_(-c, c)


def critic_loss(
    obj: Objective, critic: MixtureCritic, w: Tensor, real: Tensor, fakes: Tensor, entropy_weight: float
) -> Tensor:
    """𝓛_D of the module docstring; ``fakes`` is (K_g, B, ...) from ``MixtureGenerator.every``."""
    u = critic.weights
    kg, b = fakes.shape[0], real.shape[0]
    loss = -entropy_weight * entropy(critic.logits)
    for j, d in enumerate(critic.components):
        t = d(torch.cat([real, fakes.flatten(0, 1)]))  # ((1 + K_g) B,): one pass over everything
        t_real, t_fake = t[:b], t[b:].unflatten(0, (kg, b))
        for i in range(kg):
            term = obj.critic_loss(t_real, t_fake[i])
            if obj.penalty is not None:
                term = term + obj.penalty(d, real, fakes[i])
            loss = loss + u[j] * w[i] * term
    return loss


def generator_loss(
    obj: Objective,
    generator: MixtureGenerator,
    critic: MixtureCritic | None,
    real: Tensor,
    fakes: Tensor,
    entropy_weight: float,
) -> Tensor:
    """𝓛_G of the module docstring; ``fakes`` is (K_g, B, ...) with gradients to the generators."""
    w = generator.weights
    loss = -entropy_weight * entropy(generator.logits)
    if critic is None:  # critic-free objective: Σ_i w_i L(x, G_i(z))
        for i in range(fakes.shape[0]):
            loss = loss + w[i] * obj.sample_loss(real, fakes[i])
        return loss
    u = critic.weights.detach()
    for j, d in enumerate(critic.components):
        with torch.no_grad():
            t_real = d(real)
        for i in range(fakes.shape[0]):
            loss = loss + w[i] * u[j] * obj.generator_loss(t_real, d(fakes[i]))
    return loss
