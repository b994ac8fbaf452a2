"""Multi-layer perceptrons for generators and critics on flat (B, d) data.

The critic may look at its input through random Fourier features [x, sin(xB), cos(xB)] (Tancik et al.
2020): on low-dimensional data with sharp modes (grid25's std is 0.05 on a 8×8 square) that lets a small
network represent the steep log density ratio log p_r/p_g that the optimal discriminator encodes.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class _LeakyReLUFunction(torch.autograd.Function):
    """leaky_relu whose backward reads the input's sign from a detached copy (see :class:`LeakyReLU`).

    Written in the functorch style (``setup_context``, a generated vmap rule) so that the stacked
    networks of ``divergan sweep`` can ``vmap`` over it.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, slope: float) -> Tensor:
        return F.leaky_relu(x, slope)

    @staticmethod
    def setup_context(ctx, inputs: tuple[Tensor, float], output: Tensor) -> None:
        x, slope = inputs
        ctx.save_for_backward(x.detach())  # no graph: the slope pattern is a constant of the backward pass
        ctx.slope = slope

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        (sign_source,) = ctx.saved_tensors
        # differentiable in ``grad`` only, so a double backward never reaches the forward pass
        return torch.ops.aten.leaky_relu_backward(grad, sign_source, ctx.slope, False), None


class LeakyReLU(nn.Module):
    r"""max(x, 0) + slope·min(x, 0) whose derivative s(x) ∈ {1, slope} is treated as a constant.

    Values and first derivatives are ``nn.LeakyReLU``'s, computed by the same kernels. The difference
    is in double backward: the map is piecewise linear, so its second derivative is 0 almost everywhere,
    but autograd differentiates ``leaky_relu_backward`` with respect to its input anyway and pushes
    those zeros back through the whole forward pass (two matmuls per layer for nothing). Holding s(x)
    constant leaves the gradient ∇ₓV(x) = W₀ᵀ S₀ W₁ᵀ S₁ ⋯ w a function of the weights alone, so the
    gradient penalty's backward (WGAN-GP) skips the forward pass entirely.
    """

    def __init__(self, slope: float = 0.2) -> None:
        super().__init__()
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        return _LeakyReLUFunction.apply(x, self.slope)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: LeakyReLU(0.2), "silu": nn.SiLU, "tanh": nn.Tanh}


class FourierFeatures(nn.Module):
    """x (B, d) -> [x, sin(x B), cos(x B)] (B, d + 2F) with a fixed Gaussian B (d, F) of std ``scale``."""

    def __init__(self, in_dim: int, features: int, scale: float, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("frequencies", torch.randn(in_dim, features, generator=g) * scale)
        self.out_dim = in_dim + 2 * features

    def forward(self, x: Tensor) -> Tensor:
        h = x @ self.frequencies  # (B, F)
        return torch.cat([x, torch.sin(h), torch.cos(h)], dim=1)


class MLP(nn.Module):
    """in_dim -> width (× depth, with ``activation``) -> out_dim; output (B, out_dim).

    Args:
        in_dim, out_dim: input and output sizes.
        width, depth: hidden width and number of hidden layers (depth >= 1).
        activation: a key of :data:`ACTIVATIONS`.
        fourier: number of random Fourier features on the input (0: none); ``fourier_scale`` their std.
        squeeze: return shape (B,) when out_dim == 1 (critics).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        width: int = 256,
        depth: int = 3,
        activation: str = "relu",
        fourier: int = 0,
        fourier_scale: float = 3.0,
        squeeze: bool = False,
    ) -> None:
        super().__init__()
        self.features = FourierFeatures(in_dim, fourier, fourier_scale) if fourier else nn.Identity()
        width_in = self.features.out_dim if fourier else in_dim
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Linear(width_in, width), ACTIVATIONS[activation]()]
            width_in = width
        layers.append(nn.Linear(width_in, out_dim))
        self.net = nn.Sequential(*layers)
        self.squeeze = squeeze and out_dim == 1

    def forward(self, x: Tensor) -> Tensor:
        out = self.net(self.features(x))  # (B, out_dim)
        return out[:, 0] if self.squeeze else out
