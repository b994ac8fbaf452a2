r"""Penalties: the only losses that take the critic itself (TF-GAN style).

The WGAN-GP gradient penalty (Gulrajani et al. 2017, eq. 3) softly enforces the 1-Lipschitz
constraint of the Kantorovich-Rubinstein dual (GAN analysis slides, eq. 9) on the segments between real and
fake samples, where the optimal critic has gradient norm exactly 1 (their Prop. 1):

.. math::

    \lambda\, \mathbb E_{\hat x}\big[(\|\nabla_{\hat x} V(\hat x)\|_2 - 1)^2\big], \qquad
    \hat x = \epsilon\, x + (1 - \epsilon)\, \tilde x, \quad \epsilon \sim U[0, 1]

with **one** ε per sample (shape (B, 1, ..., 1)), so x̂ is a point on the segment between the pair,
and the norm taken over all non-batch dimensions (a (B, C, H, W) image has one norm per image).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def interpolate(
    real: Tensor, fake: Tensor, epsilon: Tensor | None = None, generator: torch.Generator | None = None
) -> Tensor:
    """Points x̂ = ε·real + (1 − ε)·fake on the segments between pairs, one ε per sample.

    Args:
        real, fake: (B, ...) batches of the same shape.
        epsilon: (B,) or (B, 1, ..., 1) coefficients in [0, 1]; drawn from U[0, 1] if None.
        generator: torch.Generator for ε (the global RNG if None).

    Returns:
        (B, ...) detached interpolates.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches differ in shape: {tuple(real.shape)} vs {tuple(fake.shape)}")
    real, fake = real.detach(), fake.detach()
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)  # (B, 1, ..., 1)
    if epsilon is None:
        epsilon = torch.rand(shape, generator=generator, dtype=real.dtype, device=real.device)
    epsilon = epsilon.to(real).reshape(shape)
    return epsilon * real + (1 - epsilon) * fake


def gradient_norms(critic: nn.Module, x: Tensor, create_graph: bool = True) -> Tensor:
    r"""Per-sample ‖∇_x V(x)‖₂ over all non-batch dimensions, shape (B,).

    V's outputs are summed over the batch before differentiating: for a critic that treats samples
    independently (no batch norm) row i of ∂ΣV/∂x is ∇V(x_i). With ``create_graph`` the result can be
    differentiated again w.r.t. the critic's parameters (needed to train on the penalty).

    A packed critic (``critic.pack = m``, :class:`divergan.nn.remedies.PackedCritic`) takes m samples as
    one input; the norm is then that of its input, one per pack, shape (B/m,).
    """
    x = x.detach().requires_grad_(True)
    out = critic(x)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return grad.reshape(x.shape[0] // getattr(critic, "pack", 1), -1).norm(2, dim=1)


def gradient_penalty(
    critic: nn.Module,
    real: Tensor,
    fake: Tensor,
    weight: float = 10.0,
    epsilon: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""WGAN-GP penalty λ·E[(‖∇V(x̂)‖₂ − 1)²] (Gulrajani et al. 2017, eq. 3); λ = ``weight``.

    Args:
        critic: V, mapping (B, ...) to (B,) (or (B, 1)).
        real, fake: (B, ...) batches; any shape with a leading batch dimension, e.g. (B, d) or (B, C, H, W).
        weight: λ (10 in the paper's image experiments, 0.1 in its toy code).
        epsilon, generator: see :func:`interpolate`.

    Returns:
        A scalar tensor with a graph back to the critic's parameters (create_graph=True).
    """
    x_hat = interpolate(real, fake, epsilon=epsilon, generator=generator)
    norms = gradient_norms(critic, x_hat, create_graph=True)  # (B,)
    return weight * ((norms - 1) ** 2).mean()


def r1_penalty(critic: nn.Module, real: Tensor, gamma: float = 1.0) -> Tensor:
    r"""R1 penalty (γ/2)·E_{P_r}‖∇_x V(x)‖₂² on real data only (Mescheder et al. 2018, eq. 9).

    Penalising the critic's gradient on the data makes the GAN game locally convergent at the
    equilibrium (their Thm 4.1); StyleGAN and StyleGAN2 train with it.

    Args:
        critic: V, mapping (B, ...) to (B,) (or (B, K), summed per sample).
        real: (B, ...) a real batch.
        gamma: γ.

    Returns:
        A scalar tensor with a graph back to the critic's parameters.
    """
    norms = gradient_norms(critic, real, create_graph=True)  # (B,)
    return 0.5 * gamma * norms.square().mean()


def r2_penalty(critic: nn.Module, fake: Tensor, gamma: float = 1.0) -> Tensor:
    r"""R2 penalty (γ/2)·E_{P_g}‖∇_x V(x)‖₂² on generated samples (Huang et al. 2024, R3GAN, eq. 5).

    The same zero-centred penalty as :func:`r1_penalty`, on the fake batch. With the relativistic
    pairing loss, R1 and R2 together make the game locally convergent (their Prop. 1), where R1
    alone can fail; the fake batch is detached, so the penalty trains the critic only.
    """
    norms = gradient_norms(critic, fake, create_graph=True)  # (B,)
    return 0.5 * gamma * norms.square().mean()


def zero_centred_penalty(critic: nn.Module, real: Tensor, fake: Tensor, r1: float, r2: float) -> Tensor:
    """R1 on ``real`` with γ = ``r1`` plus R2 on ``fake`` with γ = ``r2``; a weight of 0 skips its term."""
    total = torch.zeros((), device=real.device)
    if r1:
        total = total + r1_penalty(critic, real, r1)
    if r2:
        total = total + r2_penalty(critic, fake, r2)
    return total
