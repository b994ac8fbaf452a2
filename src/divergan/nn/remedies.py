r"""Remedies for mode collapse as network pieces, and the builder of the MLP generator and critic.

* **Packing** (Lin et al. 2018, PacGAN): the critic judges m samples jointly. :class:`PackedCritic`
  reshapes a batch (B, d) into (B/m, m·d), so that every training-loop pass, loss and penalty works
  unchanged on B/m packed outputs. Only the critic's input layer is wider. A packed critic sees a
  product distribution P^m: a generator that drops modes is m times easier to tell apart
  (PacGAN, Thm 3: the total variation between P^m and Q^m grows with m when Q misses mass of P).
* **Minibatch standard deviation** (Karras et al. 2018, ProGAN §3): :class:`MinibatchStd` appends the
  average over features of the per-feature standard deviation within groups of the batch, so a critic
  can see that a batch of fakes is less varied than a batch of data.
* **Maxout** units (Goodfellow et al. 2013), the critic nonlinearity of PacGAN's grid experiments:
  :class:`Maxout`, the maximum of k affine maps.
* **Batch norm in G** (the DCGAN and PacGAN generators): ``g_norm="batch"`` in :func:`toy_networks`.
  The EMA generator then needs standing statistics (:func:`divergan.nn.dcgan.recalibrate_batchnorm`).
* **Latent cells** (``g_cells=K``): :class:`LatentCells` cuts the latent space into the K Voronoi cells
  of fixed random points and hands the generator the cell's one-hot beside z. A network continuous in z
  maps the connected latent space onto a connected set, so between separate modes it must place samples
  in transit (Khayatkhoei et al. 2018, "Disconnected Manifold Learning for Generative Adversarial
  Networks"); with the one-hot it may jump at a cell border. K is a free choice, not the data's number
  of modes, and the points are drawn from N(0, I), not from the data.

Nothing here knows the data's modes: the generator maps N(0, I) noise, the critic sees samples.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from divergan.errors import UserError
from divergan.nn.mlp import ACTIVATIONS, MLP, FourierFeatures


class PackedCritic(nn.Module):
    """V_pack(x_1, …, x_m) = inner([x_1, …, x_m]): a (B, d) batch becomes B/m packed inputs (B/m, m·d).

    Consecutive samples form a pack: rows m·j … m·j + m − 1 are pack j. Its outputs, one per pack, are
    ``batch_dependent``: the loop passes real and fake batches separately, so no pack mixes the two.
    :meth:`pointwise` is the view used by plots: V_pack(x, …, x), one output per point.
    """

    def __init__(self, inner: nn.Module, pack: int) -> None:
        super().__init__()
        if pack < 1:
            raise ValueError(f"pack must be at least 1, got {pack}")
        self.inner, self.pack = inner, pack
        self.batch_dependent = True  # B samples give B/m outputs: the loop calls it on real and fake apart

    def forward(self, x: Tensor) -> Tensor:
        b = x.shape[0]
        if b % self.pack:
            raise ValueError(f"a packed critic takes batches of a multiple of {self.pack} samples, got {b}")
        return self.inner(x.reshape(b // self.pack, -1))  # (B/m, m·d) -> (B/m,) or (B/m, K)

    def pointwise(self, x: Tensor) -> Tensor:
        """(N, d) -> one output per point: each point packed with m − 1 copies of itself."""
        return self.inner(x.flatten(1).repeat(1, self.pack))

    def extra_repr(self) -> str:
        return f"pack={self.pack}"


class MinibatchStd(nn.Module):
    """(B, F) -> (B, F + 1): append s_g = mean_f std_{i∈g}(x_if) of the sample's group g of ``group`` rows.

    Groups are consecutive rows; the standard deviation is the biased one plus 1e-8 under the root
    (Karras et al. 2018). A batch smaller than the group, or not a multiple of it, uses one group of all
    rows. The outputs depend on the whole group, so critics built with it are ``batch_dependent``.
    """

    def __init__(self, group: int = 4) -> None:
        super().__init__()
        if group < 2:
            raise ValueError(f"a minibatch standard deviation needs groups of at least 2, got {group}")
        self.group = group

    def forward(self, x: Tensor) -> Tensor:
        b, f = x.shape
        g = self.group if b % self.group == 0 else b
        grouped = x.reshape(-1, g, f)  # (B/g, g, F)
        centred = grouped - grouped.mean(dim=1, keepdim=True)
        # the biased variance as a mean of squares: torch.var took ~25x longer on CPU at these shapes (docs/benchmarks.md)
        var = centred.square().mean(dim=1, keepdim=True)  # (B/g, 1, F)
        s = (var + 1e-8).sqrt().mean(dim=2, keepdim=True)  # (B/g, 1, 1)
        return torch.cat([x, s.expand(-1, g, 1).reshape(b, 1)], dim=1)

    def extra_repr(self) -> str:
        return f"group={self.group}"


class MinibatchStdMap(nn.Module):
    """(B, C, H, W) -> (B, C + 1, H, W): ``stat`` (a :class:`MinibatchStd`) of the flattened features,
    appended as a constant feature map (the placement of ProGAN's and StyleGAN2's convolutional critics)."""

    def __init__(self, stat: nn.Module) -> None:
        super().__init__()
        self.stat = stat

    def forward(self, x: Tensor) -> Tensor:
        s = self.stat(x.flatten(1))[:, -1:]  # (B, 1): the group's mean standard deviation
        return torch.cat([x, s[:, :, None, None].expand(-1, 1, *x.shape[2:])], dim=1)


class Maxout(nn.Module):
    """x (B, in) -> max_k (x W_kᵀ + b_k) (B, out): ``pieces`` affine maps, the maximum taken per unit."""

    def __init__(self, in_dim: int, out_dim: int, pieces: int = 5) -> None:
        super().__init__()
        self.out_dim, self.pieces = out_dim, pieces
        self.linear = nn.Linear(in_dim, out_dim * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).reshape(x.shape[0], self.out_dim, self.pieces).amax(dim=2)


class LatentCells(nn.Module):
    r"""z (B, z_dim) -> [z, e_{c(z)}] (B, z_dim + K): z and the one-hot of its Voronoi cell,

        c(z) = argmin_k ‖z − a_k‖,   a_1 … a_K ~ N(0, I) drawn once from their own generator (``seed``).

    The latent stays z ~ N(0, I); the cell is a function of it. The cells of points drawn from the
    latent's own law hold about 1/K of its mass each (not exactly: the generator learns what each holds).
    """

    def __init__(self, z_dim: int, cells: int, seed: int = 0) -> None:
        super().__init__()
        if cells < 2:
            raise ValueError(f"cells must be at least 2, got {cells}")
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("points", torch.randn(cells, z_dim, generator=g))
        self.out_dim = z_dim + cells

    def forward(self, z: Tensor) -> Tensor:
        cell = torch.cdist(z, self.points.to(z.dtype)).argmin(dim=1)  # (B,)
        return torch.cat([z, nn.functional.one_hot(cell, len(self.points)).to(z.dtype)], dim=1)


def generator_mlp(
    z_dim: int, dim: int, width: int, depth: int, norm: str = "none", cells: int = 0
) -> nn.Module:
    """z (B, z_dim) -> (B, dim): ``depth`` hidden layers of ``width`` ReLU units, with batch norm
    before each ReLU if ``norm == "batch"`` (PacGAN's grid generator: 4 × 400, ReLU and batch norm);
    with ``cells = K`` the MLP reads [z, one-hot of z's latent cell] (:class:`LatentCells`)."""
    if cells:
        latent = LatentCells(z_dim, cells)
        return nn.Sequential(latent, generator_mlp(latent.out_dim, dim, width, depth, norm))
    if norm == "none":
        return MLP(z_dim, dim, width, depth, "relu")
    layers: list[nn.Module] = []
    width_in = z_dim
    for _ in range(depth):
        layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.ReLU()]
        width_in = width
    layers.append(nn.Linear(width_in, dim))
    return nn.Sequential(*layers)


class CriticMLP(nn.Module):
    """x (B, in_dim) -> (B,) or (B, outputs): optional Fourier features, then ``depth`` hidden layers of
    leaky-ReLU or maxout units, the last of them fed the minibatch standard deviation (if ``mbstd``)."""

    def __init__(
        self,
        in_dim: int,
        outputs: int,
        width: int,
        depth: int,
        *,
        fourier: int = 0,
        fourier_scale: float = 3.0,
        maxout: int = 0,
        mbstd: int = 0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        if fourier:
            layers.append(FourierFeatures(in_dim, fourier, fourier_scale))
            in_dim = layers[-1].out_dim
        for i in range(depth):
            if mbstd and i == depth - 1:  # near the output, as in ProGAN: on the learnt features
                layers.append(MinibatchStd(mbstd))
                in_dim += 1
            layers += (
                [Maxout(in_dim, width, maxout)]
                if maxout
                else [nn.Linear(in_dim, width), ACTIVATIONS["leaky_relu"]()]
            )
            in_dim = width
        layers.append(nn.Linear(in_dim, outputs))
        self.net = nn.Sequential(*layers)
        self.squeeze = outputs == 1
        self.batch_dependent = bool(mbstd)

    def forward(self, x: Tensor) -> Tensor:
        out = self.net(x)
        return out[:, 0] if self.squeeze else out


def toy_networks(
    k: int,
    z_dim: int,
    dim: int,
    outputs: int,
    *,
    g_width: int,
    g_depth: int,
    d_width: int,
    d_depth: int,
    g_norm: str = "none",
    g_cells: int = 0,
    d_fourier: int = 0,
    d_fourier_scale: float = 3.0,
    d_maxout: int = 0,
    d_mbstd: int = 0,
    pack: int = 1,
    critic: bool = True,
) -> tuple[list[nn.Module], list[nn.Module]]:
    """k MLP generators and k critics (none if ``critic`` is False) of a flat-data run, with the
    remedies above as options; generators are built first, then critics.

    Without any remedy (``g_norm="none"``, no maxout, no minibatch std, ``pack=1``) these are exactly
    the :class:`~divergan.nn.mlp.MLP` networks the trainer always built, drawn in the same order.
    """
    if k > 1 and (pack > 1 or d_mbstd):
        raise UserError(
            "MIX+GAN (mix_components > 1) passes real and fake samples through its critics together: "
            "use pack=1 and d_mbstd=0 with it"
        )
    gs = [generator_mlp(z_dim, dim, g_width, g_depth, g_norm, g_cells) for _ in range(k)]

    def one_critic() -> nn.Module:
        if not (d_maxout or d_mbstd):
            d: nn.Module = MLP(
                dim * pack, outputs, d_width, d_depth, "leaky_relu", d_fourier, d_fourier_scale, True
            )
        else:
            d = CriticMLP(
                dim * pack, outputs, d_width, d_depth, fourier=d_fourier, fourier_scale=d_fourier_scale,
                maxout=d_maxout, mbstd=d_mbstd,
            )  # fmt: skip
        return PackedCritic(d, pack) if pack > 1 else d

    return gs, [one_critic() for _ in range(k if critic else 0)]


def remedy_options(cfg) -> dict:
    """The keyword arguments of :func:`toy_networks` that a training config (``divergan.train.Config``) sets."""
    names = (
        "g_width",
        "g_depth",
        "d_width",
        "d_depth",
        "g_norm",
        "g_cells",
        "d_fourier",
        "d_fourier_scale",
        "d_maxout",
        "d_mbstd",
        "pack",
    )
    return {name: getattr(cfg, name) for name in names}
