"""A textbook WGAN-GP toy run as a whole process: the reference of ``train_step.py process``.

Written the way the WGAN-GP authors' ``gan_toy.py`` is (Gulrajani et al. 2017): MLPs 2-512-512-512,
ReLU generator and LeakyReLU critic, batch 256, 5 critic steps per generator step, λ = 0.1,
Adam(1e-4, β = (0.5, 0.9)); ``D(real)``, ``D(fake)`` and the penalty as three passes with three backward
calls, a fresh generator pass per critic step, the critic frozen with ``requires_grad`` in the
generator step; 25 Gaussians on a 5×5 grid (spacing 2, std 0.05, scaled by 1/2.828) drawn per batch.
It imports torch and nothing else, uses torch's default threads and OpenMP's default wait policy (what
a script gets), and prints its wall seconds (from its first line), those of the training loop alone,
and the last critic cost.

    python benchmarks/textbook_wgan_gp.py --steps 150
"""

from __future__ import annotations

import argparse
import time

T0 = time.perf_counter()

import torch  # noqa: E402
from torch import nn  # noqa: E402

#: the configuration of the ``wgan-gp-toy`` preset (``train_step.py process`` checks they agree)
CONFIG = {
    "z_dim": 2,
    "width": 512,
    "depth": 3,
    "batch": 256,
    "critic_steps": 5,
    "weight": 0.1,
    "lr": 1e-4,
    "betas": (0.5, 0.9),
}


def mlp(i: int, o: int, width: int, depth: int, act) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(i, width), act()]
        i = width
    return nn.Sequential(*layers, nn.Linear(i, o))


class TextbookLoop:
    """WGAN-GP as in gan_toy.py, in plain PyTorch. ``sample(n, rng)`` draws real points."""

    def __init__(self, sample, dim: int, seed: int = 0, **config) -> None:
        c = {**CONFIG, **config}
        torch.manual_seed(seed)
        self.sample, self.c = sample, c
        self.rng = torch.Generator().manual_seed(seed)
        self.G = mlp(c["z_dim"], dim, c["width"], c["depth"], nn.ReLU)
        self.D = mlp(dim, 1, c["width"], c["depth"], lambda: nn.LeakyReLU(0.2))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c["lr"], betas=c["betas"])
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c["lr"], betas=c["betas"])

    def penalty(self, real, fake):
        eps = torch.rand(real.shape[0], 1)
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        out = self.D(x)
        (grad,) = torch.autograd.grad(out, x, grad_outputs=torch.ones_like(out), create_graph=True)
        return self.c["weight"] * ((grad.norm(2, dim=1) - 1) ** 2).mean()

    def iteration(self) -> float:
        B, z = self.c["batch"], self.c["z_dim"]
        for p in self.D.parameters():
            p.requires_grad = True
        for _ in range(self.c["critic_steps"]):
            real = self.sample(B, self.rng)
            self.D.zero_grad()
            d_real = self.D(real).mean()
            d_real.backward(torch.tensor(-1.0))
            with torch.no_grad():
                fake = self.G(torch.randn(B, z, generator=self.rng))
            d_fake = self.D(fake).mean()
            d_fake.backward(torch.tensor(1.0))
            gp = self.penalty(real, fake)
            gp.backward()
            self.opt_d.step()
        for p in self.D.parameters():
            p.requires_grad = False
        self.G.zero_grad()
        g_cost = -self.D(self.G(torch.randn(B, z, generator=self.rng))).mean()
        g_cost.backward()
        self.opt_g.step()
        return float((d_fake - d_real + gp).detach())


def gaussians25(n: int, rng: torch.Generator) -> torch.Tensor:
    """gan_toy.py's 25 Gaussians: centres on the grid {-2..2}², std 0.05, all divided by 2.828."""
    grid = torch.tensor([(x, y) for x in range(-2, 3) for y in range(-2, 3)], dtype=torch.float32) * 2.0
    centres = grid[torch.randint(0, 25, (n,), generator=rng)]
    return (centres + 0.05 * torch.randn(n, 2, generator=rng)) / 2.828


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=150)
    args = ap.parse_args()
    loop = TextbookLoop(gaussians25, dim=2)
    cost = 0.0
    t_loop = time.perf_counter()
    for _ in range(args.steps):
        cost = loop.iteration()
    end = time.perf_counter()
    print(
        f"textbook: {args.steps} iterations, wall {end - T0:.2f} s, loop {end - t_loop:.2f} s, "
        f"critic cost {cost:.4f}"
    )


if __name__ == "__main__":
    main()
