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

Shapes: source and images (B, 1, S, S) in [-1, 1] with S a power of two ≥ 16; category (B,) long.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F


def _down(in_ch: int, out_ch: int, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(out_ch))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _up(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_ch),
        nn.ReLU(),
    )


class UNetGenerator(nn.Module):
    """U-Net with skip connections and a category embedding concatenated at the bottleneck.

    ``depth`` stride-2 stages take S × S down to (S / 2^depth)²; channels double per stage up to
    ``8 · width``.

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
    ) -> None:
        super().__init__()
        if size < 16 or size & (size - 1):
            raise ValueError(f"size must be a power of two >= 16, got {size}")
        depth = depth if depth is not None else int(math.log2(size)) - 1  # bottleneck 2 × 2
        chans = [min(width * 2**i, 8 * width) for i in range(depth)]  # encoder outputs
        self.embedding = nn.Embedding(categories, embed_dim)
        self.down = nn.ModuleList(
            _down(1 if i == 0 else chans[i - 1], chans[i], norm=0 < i < depth - 1) for i in range(depth)
        )
        ups = []
        for i in reversed(range(1, depth)):  # decoder stage producing the resolution of encoder i-1
            in_ch = chans[i] + (embed_dim if i == depth - 1 else chans[i])  # (bottleneck+e) or (dec+skip)
            ups.append(_up(in_ch, chans[i - 1]))
        self.up = nn.ModuleList(ups)
        self.out = nn.ConvTranspose2d(2 * chans[0], 1, 4, stride=2, padding=1)

    def forward(self, source: Tensor, category: Tensor) -> Tensor:
        skips = []
        x = source  # (B, 1, S, S)
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        e = self.embedding(category)[:, :, None, None].expand(-1, -1, *x.shape[2:])  # (B, E, s, s)
        x = torch.cat([x, e], dim=1)  # the bottleneck, conditioned on the target style
        for layer, skip in zip(self.up, reversed(skips[:-1]), strict=True):
            x = torch.cat([layer(x), skip], dim=1)  # (B, 2C, r, r): decoder map + encoder map
        return torch.tanh(self.out(x))  # (B, 1, S, S)


class PatchCritic(nn.Module):
    """PatchGAN critic on (source, image, one-hot category): (B, n_patches) raw logits.

    Two stride-2 4×4 convolutions, a 3×3 and a 1×1 one: each logit sees an 18 × 18 patch (receptive
    field 1 → 1 → 3 → 8 → 18), so a 32-px pair gives 8 × 8 logits and a 64-px pair 16 × 16 (pix2pix's
    70 × 70 PatchGAN, scaled to glyphs).
    """

    def __init__(self, categories: int = 1, width: int = 32) -> None:
        super().__init__()
        self.categories = categories
        self.net = nn.Sequential(
            nn.Conv2d(2 + categories, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 3, stride=1, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(4 * width, 1, 1),
        )

    def forward(self, source: Tensor, image: Tensor, category: Tensor) -> Tensor:
        onehot = F.one_hot(category, self.categories).to(source.dtype)  # (B, K)
        onehot = onehot[:, :, None, None].expand(-1, -1, *source.shape[2:])  # (B, K, S, S)
        return self.net(torch.cat([source, image, onehot], dim=1)).flatten(1)  # (B, n_patches)
