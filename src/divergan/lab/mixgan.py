r"""MIX+GAN (seed 002; Arora et al. 2017): a mixture of K generators against a mixture of K critics.

Each player holds K networks and a softmax weight vector, w = softmax(α) for the generators and
u = softmax(β) for the critics; the payoff is the bilinear extension of the GAN game to the mixtures,

.. math::

    V(w, u) = \sum_{i,j} w_i u_j \big[\mathbb E_{P_r} \log D_j(x) + \mathbb E_z \log(1 - D_j(G_i(z)))\big],

and each player adds an entropy term −λ H(weights) to its loss so the weights do not collapse onto one
component. A sample of the generator mixture picks component i with probability w_i. With K = 1 this is
a plain GAN (the non-saturating generator loss is used for the generators, as in the paper).

Usage::

    mix = MixGAN(k=4, z_dim=2, x_dim=2)
    for _ in range(steps):
        mix.step(real_batch, generator)
    x = mix.sample(1000, generator)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from divergan.nn import MLP
from divergan.objectives.losses import minimax_discriminator_loss, non_saturating_generator_loss
from divergan.train.mixture import entropy


class MixGAN(nn.Module):
    """K MLP generators z ∈ R^{z_dim} → R^{x_dim} and K MLP critics with softmax mixture weights.

    Args:
        k: number of components of each player.
        z_dim, x_dim: latent and data dimensions.
        width, depth: size of every MLP.
        entropy_weight: λ, the weight of −H(w) (and −H(u)) in each player's loss.
        lr: Adam learning rate of both players (β = (0.5, 0.999)).
        seed: initialisation seed.
    """

    def __init__(
        self,
        k: int,
        z_dim: int,
        x_dim: int,
        width: int = 64,
        depth: int = 2,
        entropy_weight: float = 0.1,
        lr: float = 1e-3,
        seed: int = 0,
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.generators = nn.ModuleList(
                MLP(z_dim, x_dim, width=width, depth=depth, activation="relu") for _ in range(k)
            )
            self.critics = nn.ModuleList(
                MLP(x_dim, 1, width=width, depth=depth, activation="relu", squeeze=True) for _ in range(k)
            )
        self.gen_logits = nn.Parameter(torch.zeros(k))  # α, w = softmax(α)
        self.critic_logits = nn.Parameter(torch.zeros(k))  # β, u = softmax(β)
        self.k, self.z_dim, self.entropy_weight = k, z_dim, entropy_weight
        betas = (0.5, 0.999)
        self.opt_g = torch.optim.Adam([*self.generators.parameters(), self.gen_logits], lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam([*self.critics.parameters(), self.critic_logits], lr=lr, betas=betas)

    @property
    def weights(self) -> tuple[Tensor, Tensor]:
        """(w, u): the generators' and the critics' mixture weights, each (K,)."""
        return torch.softmax(self.gen_logits, 0).detach(), torch.softmax(self.critic_logits, 0).detach()

    def _fakes(self, n: int, gen: torch.Generator) -> list[Tensor]:
        """n samples of every generator: a list of K tensors (n, x_dim)."""
        return [g(torch.randn(n, self.z_dim, generator=gen)) for g in self.generators]

    def step(self, real: Tensor, gen: torch.Generator) -> dict:
        """One critic step and one generator step on the mixed payoff; returns both losses."""
        n = real.shape[0]
        w, u = torch.softmax(self.gen_logits, 0), torch.softmax(self.critic_logits, 0)
        with torch.no_grad():
            fakes = self._fakes(n, gen)
        # critic player: min over (D_j, β) of Σ_ij w_i u_j L_D(D_j, G_i) − λ H(u)
        loss_d = sum(
            u[j] * w[i].detach() * minimax_discriminator_loss(d(real), d(fakes[i]))
            for j, d in enumerate(self.critics)
            for i in range(self.k)
        ) - self.entropy_weight * entropy(self.critic_logits)
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        # generator player: min over (G_i, α) of Σ_ij w_i u_j L_G(D_j, G_i) − λ H(w)
        w, u = torch.softmax(self.gen_logits, 0), torch.softmax(self.critic_logits, 0).detach()
        fakes = self._fakes(n, gen)
        loss_g = sum(
            w[i] * u[j] * non_saturating_generator_loss(None, d(fakes[i]))
            for j, d in enumerate(self.critics)
            for i in range(self.k)
        ) - self.entropy_weight * entropy(self.gen_logits)
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        return {"loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach())}

    @torch.no_grad()
    def sample(self, n: int, gen: torch.Generator) -> Tensor:
        """n samples of the generator mixture: component i with probability w_i; (n, x_dim)."""
        w, _ = self.weights
        comp = torch.multinomial(w, n, replacement=True, generator=gen)  # (n,)
        fakes = self._fakes(n, gen)
        out = torch.stack(fakes)  # (K, n, x_dim)
        return out[comp, torch.arange(n)]

    def weight_entropy(self) -> float:
        """H(w) / log K: 1 for uniform generator weights, 0 for one component (K > 1)."""
        return float(entropy(self.gen_logits.detach())) / math.log(self.k) if self.k > 1 else 1.0
