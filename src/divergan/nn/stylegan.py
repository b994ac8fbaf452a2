r"""A style-based generator (Karras et al. 2019, 2020; Sun (PaperWeekly), §5.3) small enough for CPU.

The generator is two networks. A **mapping network** f: z ↦ w sends the latent z ∈ R^{z_dim} (normalised
to the sphere of radius √z_dim) through an MLP into an intermediate latent space W. A **synthesis
network** starts from a learned constant 4×4 tensor and doubles the resolution block by block; every
convolution is *modulated* by a style s = A(w) (a learned affine map of w, one per layer):

.. math::

    w'_{oikl} = s_i\, w_{oikl}, \qquad
    w''_{oikl} = w'_{oikl} \Big/ \sqrt{\textstyle\sum_{i,k,l} w'^2_{oikl} + \varepsilon}

(modulation and demodulation, StyleGAN2 eqs. 1 and 3): demodulation rescales each output channel to
unit expected variance, which replaces AdaIN's instance normalisation without its "droplet" artefacts.
After each convolution, per-pixel Gaussian noise scaled by a learned per-layer strength is added, then a
bias and a leaky ReLU. Each block also has a modulated 1×1 "toRGB" (no demodulation) whose outputs are
upsampled and summed over resolutions (the StyleGAN2 "skip" generator). ``noise_from`` leaves the
noise out of the blocks below that resolution (4 = everywhere, as in StyleGAN).

Every modulated layer reads its own row of ``ws`` of shape (B, num_ws, w_dim), so **style mixing** is a
choice of rows: rows < crossover from w₁, the rest from w₂ (coarse layers take w₁'s pose and shape,
fine layers w₂'s details). The **truncation trick** pulls w toward the running mean w̄ of the mapping
network's outputs (an EMA tracked during training):

.. math::

    w_\psi = \bar w + \psi\,(w - \bar w), \qquad \psi \in [0, 1]

so ψ = 0 gives the "average image" for every z and ψ = 1 the untruncated generator.

Shapes: z (B, z_dim), w (B, w_dim), ws (B, num_ws, w_dim), images (B, channels, size, size) in [-1, 1]
(no final tanh: the skip sum is left linear, as in StyleGAN2).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class MappingNetwork(nn.Module):
    """z ↦ w: pixel norm of z, then ``depth`` linear layers with leaky ReLU; tracks ``w_avg``.

    Plain layers are He-initialised; with ``equalized`` the layers are :class:`EqualizedLinear` with
    learning-rate multiplier ``lr_mul`` (StyleGAN: 0.01), which makes the mapping learn ``lr_mul`` times
    as fast as the synthesis under one Adam learning rate, each followed by StyleGAN2's leaky ReLU with
    gain √2 (:class:`ScaledLeakyReLU`): the He gain moved out of the weights, so w keeps an O(1) spread
    over z through the depth. (Without it the spread of w fell to 0.18 per coordinate after 4 layers, and
    a 28-px run collapsed to one digit by step 1,000.)
    """

    def __init__(
        self,
        z_dim: int,
        w_dim: int,
        depth: int = 4,
        w_avg_beta: float = 0.995,
        *,
        equalized: bool = False,
        lr_mul: float = 1.0,
        clusters: int = 0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        self.clusters = clusters
        if clusters:  # the cluster's embedding, concatenated with z (StyleGAN2-ADA's conditional mapping)
            self.embed = nn.Embedding(clusters, w_dim)
            nn.init.normal_(self.embed.weight)
            self.register_buffer("w_avg_c", torch.zeros(clusters, w_dim))  # (K, w_dim) each cluster's mean w
        for i in range(depth):
            fan_in = (z_dim + (w_dim if clusters else 0)) if i == 0 else w_dim
            if equalized:
                layers += [EqualizedLinear(fan_in, w_dim, lr_mul=lr_mul), ScaledLeakyReLU(0.2)]
            else:
                layers += [nn.Linear(fan_in, w_dim), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers)
        if not equalized:  # He init for leaky ReLU: w keeps O(1) spread across z through depth
            for layer in self.net[::2]:
                nn.init.kaiming_normal_(layer.weight, a=0.2, nonlinearity="leaky_relu")
                nn.init.zeros_(layer.bias)
        self.w_avg_beta = w_avg_beta
        self.register_buffer("w_avg", torch.zeros(w_dim))  # (w_dim,) the running mean of w

    def forward(self, z: Tensor, update_w_avg: bool = False, c: Tensor | None = None) -> Tensor:
        """z (B, z_dim) [and with clusters the cluster ids c (B,)] -> w (B, w_dim)."""
        z = _pixel_norm(z)  # (B, z_dim), on the √z_dim sphere
        if self.clusters:
            if c is None:
                raise ValueError("a cluster-conditional mapping network needs the cluster ids c")
            z = torch.cat([z, _pixel_norm(self.embed(c))], dim=1)  # (B, z_dim + w_dim)
        w = self.net(z)  # (B, w_dim)
        if update_w_avg:
            with torch.no_grad():
                self.w_avg.lerp_(w.mean(dim=0), 1.0 - self.w_avg_beta)
                if self.clusters:  # each cluster's mean moves by its rows of the batch only
                    for k in c.unique().tolist():
                        self.w_avg_c[k].lerp_(w[c == k].mean(dim=0), 1.0 - self.w_avg_beta)
        return w


def _pixel_norm(x: Tensor) -> Tensor:
    """Each row scaled to root-mean-square 1 (the sphere of radius √dim)."""
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class ScaledLeakyReLU(nn.Module):
    """√2 · leaky_relu(x, slope): StyleGAN2's activation for equalised layers (its gain makes a layer with
    N(0, 1/fan_in) weights keep the variance of its input, as He initialisation does)."""

    def __init__(self, slope: float = 0.2) -> None:
        super().__init__()
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.slope) * math.sqrt(2.0)


def truncate(w: Tensor, w_avg: Tensor, psi: float) -> Tensor:
    r"""The truncation trick w̄ + ψ (w − w̄); ψ = 1 leaves w unchanged, ψ = 0 returns w̄ for every row.

    ``w_avg`` is the one centre w̄ (w_dim,), or K centres c_1 … c_K (K, w_dim): then each row is pulled
    toward its nearest centre (Euclidean), w ↦ c_{k(w)} + ψ (w − c_{k(w)}) with k(w) = argmin_k ‖w − c_k‖,
    the *multi-modal truncation* of Mokady et al. 2022 (there the nearest centre is chosen perceptually;
    here in W). With K = 1 it is the one-centre trick.
    """
    if psi == 1.0:
        return w
    if w_avg.dim() == 2:  # (K, w_dim): the nearest centre of each row
        d = torch.cdist(w, w_avg, compute_mode="donot_use_mm_for_euclid_dist")  # (B, K)
        return w_avg[d.argmin(dim=1)].lerp(w, psi)
    return w_avg.lerp(w, psi)


def start_resolution(size: int) -> int:
    """The synthesis network's first resolution: ``size`` halved while the half is a whole number ≥ 4.

    >>> [start_resolution(s) for s in (4, 8, 16, 32, 28, 24, 7)]
    [4, 4, 4, 4, 7, 6, 7]
    """
    if size < 4:
        raise ValueError(f"size must be at least 4, got {size}")
    r = size
    while r % 2 == 0 and r // 2 >= 4:
        r //= 2
    if r > 7:
        raise ValueError(f"size must be 4…7 times a power of two, got {size} (it would start at {r}×{r})")
    return r


class ModulatedConv2d(nn.Module):
    """A k×k convolution whose weights are scaled per sample by the style s = A(w) (+ demodulation).

    Implemented as one grouped convolution over the batch: the per-sample weights (B, O, I, k, k) are
    reshaped to (B·O, I, k, k) and the input to (1, B·I, H, W) with ``groups=B``.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        w_dim: int,
        kernel: int = 3,
        demodulate: bool = True,
        equalized: bool = False,
    ) -> None:
        super().__init__()
        fan_in = in_ch * kernel**2
        # equalised: N(0, 1) stored, 1/√fan_in applied at run time; plain: the scale is in the stored weight
        self.weight = nn.Parameter(
            torch.randn(out_ch, in_ch, kernel, kernel) / (1 if equalized else math.sqrt(fan_in))
        )
        self.scale = 1 / math.sqrt(fan_in) if equalized else 1.0
        # A: w -> s, bias initialised to 1 (s ≈ 1 at the start)
        self.affine: nn.Module = EqualizedLinear(w_dim, in_ch) if equalized else nn.Linear(w_dim, in_ch)
        nn.init.ones_(self.affine.bias)
        self.demodulate = demodulate
        self.padding = kernel // 2

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        B, I, H, W_ = x.shape
        s = self.affine(w)  # (B, I)
        weight = self.weight[None] * (self.scale * s[:, None, :, None, None])  # (B, O, I, k, k)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        O = weight.shape[1]
        out = F.conv2d(
            x.reshape(1, B * I, H, W_),
            weight.reshape(B * O, I, *weight.shape[3:]),
            padding=self.padding,
            groups=B,
        )
        return out.reshape(B, O, H, W_)


class StyleLayer(nn.Module):
    """Modulated 3×3 conv (optionally after ×2 upsampling), + noise · strength, + bias, leaky ReLU."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        w_dim: int,
        size: int,
        upsample: bool = False,
        noise: bool = True,
        equalized: bool = False,
    ) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, w_dim, equalized=equalized)
        self.upsample = upsample
        self.use_noise = noise
        self.noise_strength = nn.Parameter(torch.zeros(()))  # learned, starts at 0 as in StyleGAN2
        self.register_buffer("noise_const", torch.randn(1, 1, size, size))  # the "const" noise mode
        self.bias = nn.Parameter(torch.zeros(out_ch))

    def forward(self, x: Tensor, w: Tensor, noise_mode: str = "random") -> Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.conv(x, w)  # (B, O, H, W)
        if noise_mode not in ("random", "paired", "const", "none"):
            raise ValueError(f"noise_mode must be random, paired, const or none, got {noise_mode!r}")
        if not self.use_noise or noise_mode == "none":
            pass
        elif noise_mode == "random":
            x = x + self.noise_strength * torch.randn(
                x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype
            )
        elif noise_mode == "paired":
            # random, one draw shared by the batch's two halves: pairs (x_i, x_{i+B/2}) differ in style only
            if x.shape[0] % 2:
                raise ValueError(f"noise_mode paired needs an even batch, got {x.shape[0]}")
            half = torch.randn(x.shape[0] // 2, 1, *x.shape[2:], device=x.device, dtype=x.dtype)
            x = x + self.noise_strength * torch.cat([half, half])
        elif noise_mode == "const":
            x = x + self.noise_strength * self.noise_const
        return F.leaky_relu(x + self.bias[None, :, None, None], 0.2)


class ToRGB(nn.Module):
    """Modulated 1×1 conv to image channels, no demodulation (StyleGAN2)."""

    def __init__(self, in_ch: int, channels: int, w_dim: int, equalized: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, channels, w_dim, kernel=1, demodulate=False, equalized=equalized)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisNetwork(nn.Module):
    """const r₀×r₀ → blocks at r₀, 2r₀, …, ``size``; every modulated layer reads one row of ``ws``.

    The first resolution r₀ is ``size`` halved while the half stays a whole number ≥ 4
    (:func:`start_resolution`): 4 for powers of two, 7 for MNIST's 28 px (7 → 14 → 28).
    Layer order (and row of ``ws``): at r₀ one conv and its toRGB; at each larger resolution an
    upsampling conv, a conv, and a toRGB. So num_ws = 2 + 3·log2(size/r₀).

    With ``skip`` False only the last block has a toRGB, and the image is that toRGB's output alone (the
    output of StyleGAN and of StyleGAN2's configurations without skips): the full-size layers draw the whole
    image instead of a residual over the upsampled coarser ones. num_ws = 2 + 2·log2(size/r₀).
    """

    def __init__(
        self,
        w_dim: int,
        size: int,
        channels: int = 1,
        width: int | dict[int, int] = 64,
        noise_from: int = 4,
        equalized: bool = False,
        skip: bool = True,
    ) -> None:
        super().__init__()
        start = start_resolution(size)
        res = [start * 2**i for i in range(int(math.log2(size // start)) + 1)]  # r₀, 2r₀, ..., size
        ch = {r: (width if isinstance(width, int) else width[r]) for r in res}
        self.resolutions = res
        self.const = nn.Parameter(torch.randn(1, ch[start], start, start))
        self.convs = nn.ModuleList()
        self.torgbs = nn.ModuleList()
        self.block_layers: list[list[int]] = []  # rows of ws used by each block (its toRGB's last)
        self.has_rgb: list[bool] = []  # whether each block has a toRGB
        row = 0
        for i, r in enumerate(res):
            if i == 0:
                layers = [StyleLayer(ch[r], ch[r], w_dim, r, noise=r >= noise_from, equalized=equalized)]
            else:
                layers = [
                    StyleLayer(
                        ch[res[i - 1]],
                        ch[r],
                        w_dim,
                        r,
                        upsample=True,
                        noise=r >= noise_from,
                        equalized=equalized,
                    ),
                    StyleLayer(ch[r], ch[r], w_dim, r, noise=r >= noise_from, equalized=equalized),
                ]
            self.convs.append(nn.ModuleList(layers))
            rgb = skip or r == size  # a toRGB at every resolution (skip) or at the last only
            if rgb:
                self.torgbs.append(ToRGB(ch[r], channels, w_dim, equalized=equalized))
            self.block_layers.append(list(range(row, row + len(layers) + rgb)))
            self.has_rgb.append(rgb)
            row += len(layers) + rgb
        self.num_ws = row

    def forward(self, ws: Tensor, noise_mode: str = "random", return_features: bool = False):
        """ws (B, num_ws, w_dim) -> images (B, channels, size, size); with ``return_features`` also
        the list of per-block feature maps [(B, C_r, r, r) for r in resolutions]."""
        if ws.dim() != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must have shape (B, {self.num_ws}, w_dim), got {tuple(ws.shape)}")
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # (B, C_4, 4, 4)
        img = None
        features = []
        torgbs = iter(self.torgbs)
        for layers, rows, rgb in zip(self.convs, self.block_layers, self.has_rgb, strict=True):
            for layer, r in zip(layers, rows, strict=False):  # the conv rows (a toRGB's row is last)
                x = layer(x, ws[:, r], noise_mode)
            features.append(x)
            if not rgb:
                continue
            y = next(torgbs)(x, ws[:, rows[-1]])  # (B, channels, r, r)
            img = (
                y
                if img is None
                else F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False) + y
            )
        return (img, features) if return_features else img


class StyleGenerator(nn.Module):
    """Mapping network + synthesis network, with style mixing and truncation.

    ``equalized`` gives every layer the equalised learning rate (:class:`EqualizedLinear`; the modulated
    convolutions' weights are stored N(0, 1) and scaled by 1/√fan_in at run time), and the mapping
    network the learning-rate multiplier ``mapping_lr_mul`` (StyleGAN: 0.01). ``skip`` False draws the
    image with the last block's toRGB alone (:class:`SynthesisNetwork`).

    ``info_codes`` > 0 adds :class:`InfoHead` as ``G.info`` (the ``fine_info`` term's Q network).

    ``cluster_until`` = R > 0 (with clusters) conditions only the **coarse** styles on the cluster: the rows
    of the blocks up to R px read w(z, c) as above, the rows from the next block on read w(z, ∅), the same
    mapping network with a null cluster (embedding row K, its own running mean ``w_avg_c[K]`` for
    truncation). Those finer rows then cannot know the cluster, so whatever they draw must suit every
    cluster: the category is left to the coarse rows (StyleGAN's coarse styles are its lowest resolutions).
    With ``coarse_z`` False as well, the coarse rows read the cluster alone, w(0, c) (z₁… zeroed), so every
    variation within a cluster comes from the finer rows: a designed split, not an emergent one.

    ``clusters`` = K > 0 makes it **self-conditioned** on K clusters of the training images (found
    without labels, :mod:`divergan.data.clusters`): the mapping network reads z₁…z_{d−1} and an embedding
    of the cluster id c, and c is a function of the latent's first coordinate, c = F⁻¹(Φ(z₀)) with Φ the
    standard normal CDF and F the clusters' cumulative shares (``cluster_cdf``, set from the training
    images). So the latent is still z ~ N(0, I), c is drawn at the clusters' frequencies and independently
    of the rest of z, and every caller of G(z) (sampling, mixing, truncation) works unchanged. Training
    passes c explicitly (the real batch's ids). Truncation then pulls each w toward its own cluster's
    running mean (``mapping.w_avg_c``) instead of the global w̄: the global mean lies between clusters.

    >>> g = StyleGenerator(z_dim=16, w_dim=16, size=8, width=8)
    >>> g.num_ws, tuple(g(torch.randn(3, 16)).shape)
    (5, (3, 1, 8, 8))
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        size: int = 16,
        channels: int = 1,
        width: int | dict[int, int] = 64,
        mapping_depth: int = 4,
        w_avg_beta: float = 0.995,
        noise_from: int = 4,
        *,
        equalized: bool = False,
        mapping_lr_mul: float = 1.0,
        skip: bool = True,
        clusters: int = 0,
        info_codes: int = 0,
        cluster_until: int = 0,
        coarse_z: bool = True,
    ) -> None:
        super().__init__()
        if clusters and z_dim < 2:
            raise ValueError(f"a cluster-conditional generator needs z_dim >= 2, got {z_dim}")
        if cluster_until and not clusters:
            raise ValueError(
                "cluster_until conditions the coarse styles on the cluster: it needs clusters > 0"
            )
        if not coarse_z and not cluster_until:
            raise ValueError("coarse_z=False leaves z to the finer rows: it needs cluster_until")
        self.coarse_z = coarse_z
        self.z_dim, self.w_dim, self.size, self.channels = z_dim, w_dim, size, channels
        self.clusters = clusters
        self.mapping = MappingNetwork(
            z_dim - (1 if clusters else 0),
            w_dim,
            mapping_depth,
            w_avg_beta,
            equalized=equalized,
            lr_mul=mapping_lr_mul,
            clusters=clusters + (1 if cluster_until else 0),  # id K: the null cluster of the finer rows
        )
        if clusters:  # F: the clusters' cumulative shares (uniform until set from the training images)
            self.register_buffer("cluster_cdf", torch.arange(1, clusters + 1, dtype=torch.float32) / clusters)
        self.synthesis = SynthesisNetwork(w_dim, size, channels, width, noise_from, equalized, skip)
        self.num_ws = self.synthesis.num_ws
        res = self.synthesis.resolutions
        if cluster_until and cluster_until not in res[:-1]:
            raise ValueError(f"cluster_until must be one of the resolutions {res[:-1]}, got {cluster_until}")
        #: rows < cluster_rows read w(z, c); the rest w(z, ∅) (all rows without cluster_until)
        self.cluster_rows = (
            self.crossover_row(res[res.index(cluster_until) + 1]) if cluster_until else self.num_ws
        )
        if info_codes:  # InfoGAN's Q for the finest block's styles (trained with G; not used to draw)
            self.info = InfoHead(size, channels, w_dim, info_codes)

    def crossover_row(self, resolution: int) -> int:
        """The first row of ``ws`` used by the block at ``resolution`` (a crossover point for mixing)."""
        return self.synthesis.block_layers[self.synthesis.resolutions.index(resolution)][0]

    def set_cluster_shares(self, shares: Tensor) -> None:
        """Draw cluster k with probability ``shares[k]`` (K,) from now on (the training images' shares)."""
        if not self.clusters or shares.shape != (self.clusters,):
            raise ValueError(
                f"shares must have shape ({self.clusters},) for a {self.clusters}-cluster generator"
            )
        self.cluster_cdf.copy_(shares.double().cumsum(0).div(shares.double().sum()).to(self.cluster_cdf))

    def cluster_of(self, z: Tensor) -> Tensor:
        """(B,) the cluster ids F⁻¹(Φ(z₀)) of latents z (B, z_dim): cluster k for Φ(z₀) in [F_{k−1}, F_k)."""
        u = torch.special.ndtr(z[:, 0].double())  # (B,) uniform on (0, 1) for z₀ ~ N(0, 1)
        return torch.searchsorted(self.cluster_cdf.double(), u, right=True).clamp_(max=self.clusters - 1)

    def w(self, z: Tensor, c: Tensor | None = None, update_w_avg: bool = False) -> Tensor:
        """w (B, w_dim) of latents z; with clusters, of z₁… and the ids c (default: :meth:`cluster_of`); with
        ``coarse_z`` False, of the ids alone (z₁… zeroed: the pixel norm keeps 0 at 0)."""
        if not self.clusters:
            return self.mapping(z, update_w_avg)
        c = self.cluster_of(z) if c is None else c
        return self.mapping(z[:, 1:] if self.coarse_z else torch.zeros_like(z[:, 1:]), update_w_avg, c)

    def w_free(self, z: Tensor, update_w_avg: bool = False) -> Tensor:
        """w(z, ∅) (B, w_dim): the finer rows' w under ``cluster_until``, z₁… with the null cluster K."""
        null = torch.full((len(z),), self.clusters, dtype=torch.long, device=z.device)
        return self.mapping(z[:, 1:], update_w_avg, null)

    def _styled(
        self, z: Tensor, c: Tensor | None, psi: float, centres: Tensor | None, update_w_avg: bool
    ) -> Tensor:
        """ws (B, num_ws, w_dim) of z truncated by ψ: w(z) in every row (with ``cluster_until`` w(z, ∅) from
        row ``cluster_rows`` on). A self-conditioned generator resolves z's clusters once (``c``, or from
        z₀) and pulls each row toward its own cluster's mean unless ``centres`` are given; w(z, ∅) goes
        toward the null cluster's mean."""
        if self.clusters and c is None:
            c = self.cluster_of(z)
        w = self.w(z, c, update_w_avg)
        if psi != 1.0:
            if self.clusters and centres is None:
                w = self.mapping.w_avg_c[c].lerp(w, psi)
            else:
                w = truncate(w, self.mapping.w_avg if centres is None else centres, psi)
        ws = w[:, None].repeat(1, self.num_ws, 1)  # (B, num_ws, w_dim)
        if self.cluster_rows < self.num_ws:
            u = self.w_free(z, update_w_avg)  # (B, w_dim)
            if psi != 1.0:
                u = self.mapping.w_avg_c[self.clusters].lerp(u, psi)
            ws[:, self.cluster_rows :] = u[:, None]
        return ws

    def styles(
        self,
        z: Tensor,
        psi: float = 1.0,
        z2: Tensor | None = None,
        crossover: int | None = None,
        update_w_avg: bool = False,
        centres: Tensor | None = None,
        c: Tensor | None = None,
    ) -> Tensor:
        """ws (B, num_ws, w_dim): z's styles in every row, or z's in rows < crossover and z2's after.

        Truncation (ψ) is applied to both w's before they are broadcast over the rows, toward the
        running mean w̄ (a self-conditioned generator: its cluster's), or toward the nearest of
        ``centres`` (K, w_dim) (:func:`truncate`). ``c``: cluster ids for z (self-conditioned; default
        from z₀); z2 takes its own from its z₀.
        """
        ws = self._styled(z, c, psi, centres, update_w_avg)  # (B, num_ws, w_dim)
        if z2 is not None:
            if crossover is None or not 0 <= crossover <= self.num_ws:
                raise ValueError(f"style mixing needs a crossover in [0, {self.num_ws}], got {crossover}")
            ws[:, crossover:] = self._styled(z2, None, psi, centres, update_w_avg)[:, crossover:]
        return ws

    def forward(
        self,
        z: Tensor,
        psi: float = 1.0,
        z2: Tensor | None = None,
        crossover: int | None = None,
        noise_mode: str = "random",
        update_w_avg: bool = False,
        centres: Tensor | None = None,
        c: Tensor | None = None,
    ) -> Tensor:
        """z (B, z_dim) -> images (B, channels, size, size)."""
        return self.synthesis(self.styles(z, psi, z2, crossover, update_w_avg, centres, c), noise_mode)


class EqualizedLinear(nn.Module):
    """y = x (c·W)ᵀ + lr_mul·b, with W ~ N(0, 1/lr_mul²) stored and c = lr_mul/√fan_in applied at run time:
    the **equalised learning rate** (Karras et al. 2018 (ProGAN), §4.1). Adam's steps are invariant to
    the scale of a parameter, so with the scale moved out of W every layer learns at the same effective
    rate whatever its fan-in; ``lr_mul`` < 1 slows a layer down (StyleGAN's mapping network: 0.01).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, lr_mul: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        self.scale, self.lr_mul = lr_mul / math.sqrt(in_features), lr_mul

    def forward(self, x: Tensor) -> Tensor:
        bias = self.bias * self.lr_mul if self.bias is not None else None
        return F.linear(x, self.weight * self.scale, bias)


class EqualizedConv2d(nn.Module):
    """A convolution with the equalised learning rate of :class:`EqualizedLinear` (fan-in = in·k²)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.scale, self.stride, self.padding = 1 / math.sqrt(in_ch * kernel * kernel), stride, padding

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, stride=self.stride, padding=self.padding)


class InfoHead(nn.Module):
    r"""InfoGAN's Q network (Chen et al. 2016) for the finest block's styles: it reads ``codes`` numbers
    from an image, trained to give t = P w of the w that styled that image's finest block, with P a fixed
    (codes, w_dim) matrix of orthonormal rows (a buffer, drawn once from seed 0, so a checkpoint keeps it).

    Minimising E‖Q(x) − t‖² over G and Q maximises InfoGAN's lower bound on the mutual information
    I(t; x) for a Gaussian Q of fixed variance: the image must show t. Two stride-2 convolutions (16 and
    32 channels, leaky ReLU) and a linear map; it is a separate small net, not the critic's body.

    >>> q = InfoHead(28, w_dim=16)
    >>> tuple(q(torch.zeros(3, 1, 28, 28)).shape), tuple(q.projection.shape)
    ((3, 2), (2, 16))
    """

    def __init__(self, size: int, channels: int = 1, w_dim: int = 64, codes: int = 2) -> None:
        super().__init__()
        if not 1 <= codes <= w_dim:
            raise ValueError(f"codes must lie in 1..w_dim={w_dim}, got {codes}")
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(32 * (size // 4) ** 2, codes),
        )
        gen = torch.Generator().manual_seed(0)
        q, _ = torch.linalg.qr(torch.randn(w_dim, codes, generator=gen))  # (w_dim, codes), orthonormal
        self.register_buffer("projection", q.T.contiguous())  # (codes, w_dim)

    def codes_of(self, w: Tensor) -> Tensor:
        """t = P w: (B, w_dim) -> (B, codes)."""
        return w @ self.projection.T

    def forward(self, x: Tensor) -> Tensor:
        """x (B, C, S, S) -> (B, codes)."""
        return self.net(x)


class StyleCritic(nn.Module):
    """A plain convolutional critic for the style generator: size → r₀ (the generator's first resolution,
    :func:`start_resolution`: 4, or 7 for 28 px) by stride-2 convs, then linear.

    No normalisation layers, so per-sample gradients (R1) are well defined. Output (B,) raw logits,
    or (B, outputs) features for an objective whose critic returns several numbers (``mmd-gan``).
    StyleGAN2's options, off by default: ``mbstd_group`` ≥ 2 appends the minibatch standard deviation
    of the r₀×r₀ features over groups of that many samples as one more feature map, followed by a 3×3
    convolution before the head, StyleGAN2's epilogue (Karras et al. 2018 (ProGAN),
    :class:`~divergan.nn.remedies.MinibatchStd`); ``equalized`` uses the equalised learning rate.
    """

    def __init__(
        self,
        size: int = 16,
        channels: int = 1,
        width: int = 64,
        outputs: int = 1,
        *,
        mbstd_group: int = 0,
        equalized: bool = False,
        clusters: int = 0,
    ) -> None:
        super().__init__()
        from divergan.nn.remedies import MinibatchStd, MinibatchStdMap

        if clusters and outputs != 1:
            raise ValueError("a cluster-conditional critic has one output")

        conv = EqualizedConv2d if equalized else nn.Conv2d
        linear = EqualizedLinear if equalized else nn.Linear
        layers: list[nn.Module] = [conv(channels, width, 3, padding=1), nn.LeakyReLU(0.2)]
        r, ch, bottom = size, width, start_resolution(size)
        while r > bottom:
            out = min(2 * ch, 256)
            layers += [conv(ch, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            r, ch = r // 2, out
        if mbstd_group:  # the statistic as a feature map (B, 1, r₀, r₀), then a 3×3 convolution
            layers += [
                MinibatchStdMap(MinibatchStd(mbstd_group)),
                conv(ch + 1, ch, 3, padding=1),
                nn.LeakyReLU(0.2),
            ]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Flatten(),
            linear(ch * bottom * bottom, ch),
            nn.LeakyReLU(0.2),
            linear(ch, outputs),
        )
        self.outputs, self.clusters = outputs, clusters
        self.batch_dependent = bool(mbstd_group)
        if clusters:  # projection (Miyato & Koyama 2018): ⟨embed(c), h⟩/√ch on the head's hidden layer h
            self.embed = nn.Embedding(clusters, ch)
            nn.init.normal_(self.embed.weight)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        """x (B, C, S, S) [and with clusters the ids c (B,)] -> (B,) logits, or (B, outputs)."""
        if not self.clusters:
            out = self.head(self.features(x))  # (B, outputs)
            return out.squeeze(1) if self.outputs == 1 else out  # (B,) or (B, outputs)
        if c is None:
            raise ValueError("a cluster-conditional critic needs the cluster ids c")
        h = self.head[:-1](self.features(x))  # (B, ch)
        proj = (self.embed(c) * h).sum(dim=1) / math.sqrt(h.shape[1])  # (B,)
        return self.head[-1](h).squeeze(1) + proj
