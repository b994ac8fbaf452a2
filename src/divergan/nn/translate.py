r"""Conditional image-to-image networks for zi2zi-style glyph translation (Sun (PaperWeekly), §5.4).

The generator is a **U-Net** (Ronneberger et al. 2015; pix2pix, Isola et al. 2017): an encoder of
stride-2 convolutions down to a small bottleneck, a decoder of stride-2 transposed convolutions back up,
and skip connections that concatenate each encoder map to the decoder map of the same resolution, so
that the stroke positions of the source glyph reach the output without passing through the bottleneck.
As in zi2zi, the **target style** is a learned category embedding e_c ∈ R^{embed_dim}, broadcast over
the bottleneck's pixels and concatenated to it: one generator serves every target font.

The critic is a **PatchGAN** (pix2pix): a fully convolutional net whose every output logit sees one
receptive-field patch of the pair (source, image), here also given the category as one-hot channels, so
it judges whether *this* output is the target style of *this* source, locally, patch by patch.

zi2zi's **constant loss** needs the generator's encoder on its own: :meth:`UNetGenerator.encode` gives
the bottleneck code (and the skip maps), so a trainer can ask that enc(G(s, c)) ≈ enc(s), i.e. that the
translated glyph still encodes the same character.

``warp=True`` moves each skip map before the decoder reads it (after DG-Font's feature deformation skip
connection, Xie et al. 2021): a 3×3 convolution of the decoder map and the skip map gives an (x, y) offset
in pixels at every pixel, and the skip map is resampled there (:func:`warp`). The skip connections carry the source glyph's
stroke positions; where the target style moves a component away from them, the decoder can fetch it from where
it is instead of redrawing it from the bottleneck. The offsets start at 0, so the net starts as without it.

Normalisation: ``norm="batch"`` (pix2pix/zi2zi; in eval mode it uses running statistics, which lag
behind a generator trained adversarially) or ``norm="instance"`` (per image and channel, the same in
training and evaluation; the 2×2 bottleneck and the outermost encoder layer are left unnormalised).

Shapes: source and images (B, 1, S, S) in [-1, 1] with S a power of two ≥ 16; category (B,) long.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

NORMS = ("batch", "instance")
#: how a decoder stage doubles the resolution: a stride-2 4×4 transposed convolution (pix2pix), or
#: nearest-neighbour ×2 upsampling followed by a 3×3 convolution ("resize-convolution", Odena et al. 2016)
UPSAMPLES = ("transpose", "resize")


def _norm(kind: str, ch: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(ch)
    if kind == "instance":
        return nn.InstanceNorm2d(ch, affine=True)
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")


def _down(in_ch: int, out_ch: int, norm: bool = True, kind: str = "batch") -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1, bias=not norm)]
    if norm:
        layers.append(_norm(kind, out_ch))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _upconv(in_ch: int, out_ch: int, upsample: str, bias: bool = True) -> list[nn.Module]:
    """Layers that double the resolution: ``transpose`` (4×4, stride 2) or ``resize`` (×2 nearest, 3×3)."""
    if upsample == "transpose":
        return [nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1, bias=bias)]
    if upsample == "resize":
        return [
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=bias),
        ]
    raise ValueError(f"upsample must be one of {', '.join(UPSAMPLES)}, got {upsample!r}")


def _up(
    in_ch: int,
    out_ch: int,
    kind: str = "batch",
    norm: bool = True,
    dropout: float = 0.0,
    upsample: str = "transpose",
) -> nn.Sequential:
    layers: list[nn.Module] = _upconv(in_ch, out_ch, upsample, bias=not norm)
    if norm:
        layers.append(_norm(kind, out_ch))
    layers.append(nn.ReLU())
    if dropout > 0:  # last, so the parameter names stay those of a net without dropout
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def warp(x: Tensor, offset: Tensor) -> Tensor:
    r"""``x`` (B, C, H, W) read at each pixel moved by ``offset`` (B, 2, H, W), in pixels (x first, then y):

    .. math::

        \operatorname{warp}(x, o)[b, :, i, j] = x[b, :, i + o_y[b, i, j], j + o_x[b, i, j]],

    bilinear between pixel centres, 0 outside the map (``grid_sample``, ``align_corners=False``). A zero
    offset gives ``x`` back; a whole-pixel offset shifts it, the vacated border 0.
    """
    B, _, H, W = x.shape
    eye = torch.eye(2, 3, dtype=x.dtype, device=x.device).expand(B, 2, 3)
    base = F.affine_grid(eye, [B, 1, H, W], align_corners=False)  # (B, H, W, 2): the pixel centres in [-1, 1]
    scale = torch.tensor([2.0 / W, 2.0 / H], dtype=x.dtype, device=x.device)  # one pixel in [-1, 1] units
    grid = base + offset.permute(0, 2, 3, 1) * scale
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class UNetGenerator(nn.Module):
    """U-Net with skip connections and a category embedding concatenated at the bottleneck.

    ``depth`` stride-2 stages take S × S down to (S / 2^depth)²; channels double per stage up to
    ``8 · width``. ``dropout`` > 0 drops that fraction of the outputs of the inner decoder stages (those of
    S/4 × S/4 and smaller) while training, as pix2pix does in its innermost ones; off in eval mode.
    ``upsample`` is how each decoder stage doubles the resolution (:data:`UPSAMPLES`): a 4×4 transposed
    convolution of stride 2 (pix2pix) gives each output pixel of a 2×2 cell its own 2×2 subset of the
    kernel, so neighbouring pixels are drawn by different weights (the checkerboard of Odena et al. 2016);
    ``resize`` upsamples by nearest neighbour and applies one 3×3 convolution at the output resolution,
    one kernel for every pixel, whose overlapping windows straddle the 2×2 cells. ``warp`` resamples each
    skip map at offsets computed from it and the decoder map (:func:`warp`; zero-initialised, so identity at
    the start).

    >>> g = UNetGenerator(size=32, categories=2, width=8)
    >>> tuple(g(torch.zeros(3, 1, 32, 32), torch.tensor([0, 1, 1])).shape)
    (3, 1, 32, 32)
    """

    def __init__(
        self,
        size: int = 32,
        categories: int = 1,
        width: int = 32,
        embed_dim: int = 32,
        depth: int | None = None,
        *,
        norm: str = "batch",
        dropout: float = 0.0,
        upsample: str = "transpose",
        warp: bool = False,
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {', '.join(UPSAMPLES)}, got {upsample!r}")
        if size < 16 or size & (size - 1):
            raise ValueError(f"size must be a power of two >= 16, got {size}")
        depth = depth if depth is not None else int(math.log2(size)) - 1  # bottleneck 2 × 2
        chans = [min(width * 2**i, 8 * width) for i in range(depth)]  # encoder outputs
        self.embedding = nn.Embedding(categories, embed_dim)
        self.down = nn.ModuleList(
            _down(1 if i == 0 else chans[i - 1], chans[i], norm=0 < i < depth - 1, kind=norm)
            for i in range(depth)
        )
        ups = []
        for i in reversed(range(1, depth)):  # decoder stage producing the resolution of encoder i-1
            in_ch = chans[i] + (embed_dim if i == depth - 1 else chans[i])  # (bottleneck+e) or (dec+skip)
            # instance norm of a 2 × 2 map would erase it: the first decoder stage stays unnormalised
            drop = dropout if i >= 2 else 0.0  # the inner stages: outputs of S/4 and smaller
            ups.append(
                _up(
                    in_ch,
                    chans[i - 1],
                    norm,
                    norm=norm == "batch" or i < depth - 1,
                    dropout=drop,
                    upsample=upsample,
                )
            )
        self.up = nn.ModuleList(ups)
        self.warp: nn.ModuleList | None = None
        if warp:  # per decoder stage: (decoder map, skip map) -> the skip map's (x, y) offsets in pixels
            self.warp = nn.ModuleList(
                nn.Conv2d(2 * chans[i - 1], 2, 3, padding=1) for i in reversed(range(1, depth))
            )
            for conv in self.warp:
                nn.init.zeros_(conv.weight)
                nn.init.zeros_(conv.bias)
        out = _upconv(2 * chans[0], 1, upsample)
        self.out = out[0] if len(out) == 1 else nn.Sequential(*out)  # transpose: the former name

    def encode(self, source: Tensor) -> tuple[Tensor, list[Tensor]]:
        """(bottleneck code (B, C, s, s), the encoder maps from the largest to the bottleneck)."""
        skips = []
        x = source  # (B, 1, S, S)
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        return x, skips

    def decode(self, code: Tensor, skips: list[Tensor], category: Tensor) -> Tensor:
        """The image from the bottleneck code, the skip maps and the target category."""
        e = self.embedding(category)[:, :, None, None].expand(-1, -1, *code.shape[2:])  # (B, E, s, s)
        x = torch.cat([code, e], dim=1)  # the bottleneck, conditioned on the target style
        for k, (layer, skip) in enumerate(zip(self.up, reversed(skips[:-1]), strict=True)):
            d = layer(x)  # (B, C, r, r)
            if self.warp is not None:  # fetch the skip map's features from where the decoder asks
                skip = warp(skip, self.warp[k](torch.cat([d, skip], dim=1)))
            x = torch.cat([d, skip], dim=1)  # (B, 2C, r, r): decoder map + encoder map
        return torch.tanh(self.out(x))  # (B, 1, S, S)

    def forward(self, source: Tensor, category: Tensor) -> Tensor:
        code, skips = self.encode(source)
        return self.decode(code, skips, category)


def receptive_field(n_down: int) -> int:
    """Side of the square of input pixels one PatchCritic logit sees: ``n_down`` stride-2 4×4
    convolutions, then a 3×3 and a 1×1 (r ← r + (k − 1)·j, j ← j·stride, from the input side):
    r = 5·2^n_down − 2, i.e. 8, 18, 38 for 1, 2, 3."""
    r, j = 1, 1
    for k, stride in [(4, 2)] * n_down + [(3, 1), (1, 1)]:
        r, j = r + (k - 1) * j, j * stride
    return r


class PatchCritic(nn.Module):
    """PatchGAN critic on (source, image, one-hot category): (B, n_patches) raw logits.

    ``n_down`` stride-2 4×4 convolutions, a 3×3 and a 1×1 one. With the default ``n_down=2`` each logit
    sees an 18 × 18 patch (:func:`receptive_field`), so a 32-px pair gives 8 × 8 logits and a 64-px pair
    16 × 16. pix2pix's 70 × 70 PatchGAN covers about a quarter of the side of its 256-px images, a few
    strokes of a glyph; at 32 px ``n_down=1`` (8 px, a stroke and its ends) is about the same fraction.
    """

    def __init__(self, categories: int = 1, width: int = 32, n_down: int = 2) -> None:
        super().__init__()
        self.categories = categories
        layers: list[nn.Module] = []
        in_ch = 2 + categories
        for i in range(n_down):
            layers += [nn.Conv2d(in_ch, width * 2**i, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            in_ch = width * 2**i
        layers += [nn.Conv2d(in_ch, 2 * in_ch, 3, stride=1, padding=1), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(2 * in_ch, 1, 1))
        self.net = nn.Sequential(*layers)

    def _input(self, source: Tensor, image: Tensor, category: Tensor) -> Tensor:
        onehot = F.one_hot(category, self.categories).to(source.dtype)  # (B, K)
        onehot = onehot[:, :, None, None].expand(-1, -1, *source.shape[2:])  # (B, K, S, S)
        return torch.cat([source, image, onehot], dim=1)

    def forward(self, source: Tensor, image: Tensor, category: Tensor) -> Tensor:
        return self.net(self._input(source, image, category)).flatten(1)  # (B, n_patches)

    def features(self, source: Tensor, image: Tensor, category: Tensor) -> tuple[list[Tensor], Tensor]:
        """(the activations after each hidden layer's LeakyReLU, the logits (B, n_patches)): one pass, the
        logits equal to :meth:`forward`'s (pix2pixHD's feature matching reads the hidden ones)."""
        x, hidden = self._input(source, image, category), []
        for layer in self.net:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                hidden.append(x)
        return hidden, x.flatten(1)
