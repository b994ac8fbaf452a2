r"""DCGAN generator and critic (Radford et al. 2016) for 16, 28, 32 and 64 px images, 1 or 3 channels.

The five guidelines of Sun (PaperWeekly), §5.2, as built here:

1. no pooling: the critic halves the resolution with stride-2 convolutions, the generator doubles it
   with stride-2 transposed convolutions;
2. batch normalisation in the generator (every layer but the output) and, by default, in the critic
   (every layer but the input) — see "the critic and batch norm" below;
3. no fully connected hidden layers: z enters as a (z_dim, 1, 1) map and the critic ends in a
   convolution whose kernel covers its last map, so both are convolutional end to end;
4. ReLU in the generator, Tanh on its output (images in [−1, 1]);
5. LeakyReLU(0.2) in every layer of the critic.

Resolutions: the generator starts from a s₀×s₀ map (s₀ = 7 for 28 px, 4 otherwise) and doubles it
until the image size; the critic mirrors it. ``width`` is the channel count at the finest hidden
resolution; it doubles at every coarser one (DCGAN's 64-128-256-512 for ``width=64`` at 64 px).

The critic and batch norm. A batch-normalised critic's output for one image depends on the rest of its
batch. Two consequences, both handled:

* the trainer's single pass ``D(cat([real, fake]))`` would normalise real and fake images with shared
  statistics, while the generator step sees a batch of fakes alone. A critic with
  ``batch_dependent = True`` is therefore called on real and fake batches *separately* by the loop
  (:func:`divergan.train.loop.critic_outputs`), the convention of the DCGAN reference code;
* gradient penalties (WGAN-GP, Sun (PaperWeekly)) penalise ‖∇ₓ D(x)‖ per sample, which is meaningless when
  D(x) depends on the other samples of the batch (Gulrajani et al. 2017, §4: "we use layer
  normalization instead"). ``norm="layer"`` normalises each sample on its own (GroupNorm with one
  group = layer norm over C, H, W); the trainer picks it whenever the objective has a penalty
  (``d_norm = "auto"``).

Conditional variant: the generator embeds the class y and concatenates it to z; the critic is a
projection discriminator (Miyato & Koyama 2018): D(x, y) = ψ(φ(x)) + ⟨embed(y), Σ_{hw} φ(x)⟩ with φ the
last feature map.

Remedies for mode collapse in the critic (the image forms of those in :mod:`divergan.nn.remedies`):

* ``pack = m`` (Lin et al. 2018, PacGAN, the PacDCGAN of its stacked-MNIST experiment): m images are
  stacked along the channels, so a (B, C, H, W) batch becomes B/m inputs (B/m, m·C, H, W) — images
  m·j … m·j + m − 1 form pack j — and the critic returns B/m values. Only the input convolution is
  wider. Losses and penalties work unchanged on the packs (``gradient_norms`` reads ``critic.pack``).
* ``mbstd = g`` (Karras et al. 2018, ProGAN §3): before the last convolution, one feature map is
  appended holding, for each group of g consecutive inputs, the mean over (C, H, W) of the per-value
  standard deviation within the group — the critic sees how varied a batch is.

Both make a critic's output depend on other samples of its batch, so such a critic is
``batch_dependent`` (real and fake batches pass separately).

Spectral normalisation (``norm="spectral"``, Miyato et al. 2018, SNGAN): no normalisation layer; instead
every weight of the critic (each convolution, the head, and the projection embedding of a conditional
critic) is used as W / σ(W), σ(W) the largest singular value of W reshaped to a matrix
(out_channels, in_channels·k·k) — SNGAN's choice, which bounds each layer's gain up to a constant of its
kernel and stride (the convolution's own operator norm is not exactly this matrix's), so the critic's
Lipschitz constant is controlled without a penalty and without batch statistics. σ is estimated by power
iteration, u ← Wv/‖Wv‖, v ← Wᵀu/‖Wᵀu‖, σ ≈ uᵀWv, one iteration per forward pass in training mode with u
and v kept between passes (buffers, so checkpoints carry them); since uᵀWv ≤ σ(W) for unit u and v,
the normalised weight's largest singular value approaches 1 from above. The output of one image does
not depend on the others (not batch dependent, unlike batch norm).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from divergan.errors import UserError
from divergan.nn.remedies import LatentCells, MinibatchStd, MinibatchStdMap

#: image sizes the networks are built for
SIZES: tuple[int, ...] = (16, 28, 32, 64)
NORMS: tuple[str, ...] = ("batch", "layer", "none", "spectral")


def _plan(size: int) -> tuple[int, int]:
    """(s₀, number of stride-2 stages) with s₀·2^stages = size."""
    if size not in SIZES:
        raise ValueError(f"DCGAN image size must be one of {SIZES}, got {size}")
    start = 7 if size == 28 else 4
    return start, round(math.log2(size // start))


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # per sample, over (C, H, W)
    return nn.Identity()  # "none", and "spectral" (which normalises the weights instead)


def spectrally_normalise(module: nn.Module) -> None:
    """Use ``module.weight`` as W / σ(W) from now on (torch's spectral-norm parametrisation: one power
    iteration per training-mode forward pass; u, v start from 15 iterations on the current W)."""
    spectral_norm(module)


class DCGANGenerator(nn.Module):
    """z (B, z_dim) [, y (B,)] -> images (B, channels, size, size) in [−1, 1].

    Args:
        z_dim: latent size.
        size: image side, one of :data:`SIZES`.
        channels: 1 (grayscale) or 3 (RGB).
        width: channels at the finest hidden resolution (doubling at each coarser one).
        num_classes: if given, a conditional generator: y is embedded in ``embed_dim`` values and
            concatenated to z.
        label_shares: (num_classes,) probabilities of the conditions, for a generator whose condition is
            part of its latent (``clusters=k``: the clusters' shares of the training images): called
            without y, it draws y ~ Categorical(label_shares) from torch's global random stream (seed it
            with ``torch.manual_seed``). Not saved with the weights (the run rebuilds it from its data).
        cells: if > 0, the latent cells of :class:`~divergan.nn.remedies.LatentCells`: the first layer
            reads [z, one-hot of z's cell among ``cells`` fixed points] (``g_cells=K``).
    """

    def __init__(
        self,
        z_dim: int,
        size: int = 32,
        channels: int = 1,
        width: int = 64,
        num_classes: int | None = None,
        embed_dim: int = 16,
        label_shares: Tensor | None = None,
        cells: int = 0,
    ) -> None:
        super().__init__()
        start, stages = _plan(size)
        self.z_dim, self.size, self.channels = z_dim, size, channels
        self.cells = LatentCells(z_dim, cells) if cells else None
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        if label_shares is not None:
            if not num_classes or label_shares.shape != (num_classes,):
                raise ValueError(
                    f"label_shares must have shape ({num_classes},), got {tuple(label_shares.shape)}"
                )
            self.register_buffer("label_shares", label_shares.float(), persistent=False)
        else:
            self.label_shares = None
        c = width * 2 ** (stages - 1)  # channels of the s₀×s₀ map
        in_dim = (self.cells.out_dim if self.cells else z_dim) + (embed_dim if num_classes else 0)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, c, start, 1, 0, bias=False),  # (B, c, s₀, s₀)
            nn.BatchNorm2d(c),
            nn.ReLU(),
        ]
        for _ in range(stages - 1):  # (B, c, s, s) -> (B, c/2, 2s, 2s)
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Tanh()]  # (B, channels, size, size)
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        if self.cells is not None:
            z = self.cells(z)  # (B, z_dim + cells)
        if self.embed is not None:
            if y is None and self.label_shares is None:
                raise ValueError("a conditional generator needs class labels y")
            if y is None:  # the condition is part of the latent: drawn at its shares
                y = torch.multinomial(self.label_shares, len(z), replacement=True).to(z.device)
            z = torch.cat([z, self.embed(y)], dim=1)  # (B, z_dim + embed_dim)
        return self.net(z[:, :, None, None])  # (B, C, H, W)


class DCGANCritic(nn.Module):
    """images (B, channels, size, size) [, y (B,)] -> critic values (B,) (or (B, outputs)).

    Args:
        size, channels: the images'.
        width: channels of the first (finest) feature map, doubling at each stride-2 stage.
        norm: "batch" (DCGAN), "layer" (per-sample, safe with gradient penalties) or "none", never
            on the input layer; or "spectral": no normalisation layer, every weight spectrally
            normalised, the input layer's and the head's included (module docstring).
        outputs: values per image (1: the usual scalar critic, returned as shape (B,)).
        num_classes: if given, a projection critic (adds ⟨embed(y), Σ_hw φ(x)⟩).
        pack: PacGAN's m: m consecutive images are judged jointly, one output per pack (module docstring).
        mbstd: minibatch standard deviation group size before the head (0: off; module docstring).

    Attributes:
        batch_dependent: True with batch norm, packing or minibatch std: D(x)ᵢ depends on other images
            of the batch, so the trainer calls it on real and fake batches separately.
        pack: the m above (1: unpacked).
    """

    def __init__(
        self,
        size: int = 32,
        channels: int = 1,
        width: int = 64,
        norm: str = "batch",
        outputs: int = 1,
        num_classes: int | None = None,
        pack: int = 1,
        mbstd: int = 0,
    ) -> None:
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if pack < 1 or mbstd < 0 or mbstd == 1:
            raise UserError(
                f"pack must be at least 1 and mbstd 0 or at least 2, got pack={pack}, mbstd={mbstd}"
            )
        if num_classes and pack > 1:
            raise UserError("pack > 1 takes an unconditional critic: use conditional=false or pack=1")
        start, stages = _plan(size)
        self.batch_dependent = norm == "batch" or pack > 1 or mbstd > 0
        self.outputs, self.pack, self.mbstd = outputs, pack, mbstd
        layers: list[nn.Module] = [
            nn.Conv2d(channels * pack, width, 4, 2, 1),
            nn.LeakyReLU(0.2),
        ]  # (B/m, w, ·)
        c = width
        for _ in range(stages - 1):  # (B, c, s, s) -> (B, 2c, s/2, s/2)
            layers += [
                nn.Conv2d(c, 2 * c, 4, 2, 1, bias=norm != "batch"),
                _norm(norm, 2 * c),
                nn.LeakyReLU(0.2),
            ]
            c *= 2
        self.features = nn.Sequential(*layers)  # φ(x): (B, c, s₀, s₀)
        self.mbstd_map = MinibatchStdMap(MinibatchStd(mbstd)) if mbstd else None  # no parameters
        self.head = nn.Conv2d(c + (1 if mbstd else 0), outputs, start, 1, 0)  # ψ: (B, outputs, 1, 1)
        self.embed = nn.Embedding(num_classes, c) if num_classes else None
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, std=0.02)
        self.norm = norm
        if norm == "spectral":
            for m in self.modules():
                if isinstance(m, nn.Conv2d | nn.Embedding):
                    spectrally_normalise(m)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        if self.pack > 1:
            b = x.shape[0]
            if b % self.pack:
                raise ValueError(
                    f"a packed critic takes batches of a multiple of {self.pack} images, got {b}"
                )
            x = x.reshape(b // self.pack, self.pack * x.shape[1], *x.shape[2:])  # (B/m, m·C, H, W)
        h = self.features(x)  # (B, c, s₀, s₀)
        out = self.head(self.mbstd_map(h) if self.mbstd_map is not None else h).flatten(1)  # (B, outputs)
        if self.embed is not None:
            if y is None:
                raise ValueError("a conditional critic needs class labels y")
            out = out + (self.embed(y) * h.sum(dim=(2, 3))).sum(dim=1, keepdim=True)  # projection
        return out[:, 0] if self.outputs == 1 else out

    def pointwise(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """One output per image (for plots and histograms): each packed with m − 1 copies of itself."""
        return self(x.repeat_interleave(self.pack, dim=0), y)

    def extra_repr(self) -> str:
        return f"pack={self.pack}, mbstd={self.mbstd}" if self.pack > 1 or self.mbstd else ""


def init_weights(module: nn.Module, generator: torch.Generator | None = None) -> None:
    """DCGAN initialisation: convolutions N(0, 0.02²), batch-norm scales N(1, 0.02²), biases 0.

    A spectrally normalised convolution (:func:`spectrally_normalise`) has its unnormalised weight drawn
    so, and its power-iteration vectors restarted on that weight (the parametrisation is removed and
    applied again), so that σ is estimated for the weight that trains, not for the one it replaced.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            spectral = parametrize.is_parametrized(m, "weight")
            if spectral:  # back to a plain weight: W itself, not W / σ(W)
                parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
            with torch.no_grad():
                m.weight.normal_(0.0, 0.02, generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
            if spectral:
                spectrally_normalise(m)
        elif isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.normal_(1.0, 0.02, generator=generator)
                m.bias.zero_()


@torch.no_grad()
def recalibrate_batchnorm(generator: nn.Module, make_inputs, batches: int = 8) -> None:
    """Set every BatchNorm's running statistics to the average over ``batches`` forward passes.

    An EMA of the generator's weights has no batch statistics of its own ("standing statistics",
    Brock et al. 2019): this recomputes them, so that ``generator.eval()`` samples one image at a time
    exactly as in a batch. ``make_inputs()`` returns the positional arguments of one forward pass.
    A network without batch norm is left untouched. The module is left in eval mode.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        generator.eval()
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    generator.train()
    for _ in range(batches):
        generator(*make_inputs())
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    generator.eval()
