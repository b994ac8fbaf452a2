"""Networks: MLP generators and critics (with optional Fourier features on the critic's input)."""

from divergan.nn.mlp import ACTIVATIONS, MLP, FourierFeatures

__all__ = ["ACTIVATIONS", "MLP", "FourierFeatures"]
