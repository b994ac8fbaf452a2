r"""Differentiable augmentation of the critic's inputs (DiffAugment, Zhao et al. 2020, "Differentiable
Augmentation for Data-Efficient GAN Training"; the same idea with adaptive strength in Karras et al. 2020,
"Training Generative Adversarial Networks with Limited Data").

A critic trained on a few thousand images can memorise them; it then tells real from fake by
recognising the training set, and the generator follows a gradient that carries no information about
the distribution. DiffAugment feeds the critic T(x) instead of x, for a random transform T drawn
independently for every sample, and applies **the same kind of T** to every input of the critic:
real and fake in the critic's update, fake in the generator's (where gradients flow to G through T,
so T must be differentiable in its input), and the penalties are taken on the transformed inputs.
The game is then between the distributions of T(x) and T(G(z)); as long as T is the same random map
on both sides, T(P) = T(Q) when P = Q, and the critic cannot learn the training images themselves.

Images are (B, C, H, W) with values in [−1, 1]. Every transform here is a pure function of the
images and of per-sample integer parameters drawn beforehand from an explicit ``torch.Generator``
(:meth:`DiffAugment.draw`), so that a run stays exactly reproducible and resumable.

* :func:`translate` — shift sample b by (dy_b, dx_b) pixels, filling what enters with ``fill``:

      out[b, c, i, j] = x[b, c, i − dy_b, j − dx_b]   if 0 ≤ i − dy_b < H and 0 ≤ j − dx_b < W,
                        fill                           otherwise.

  dy, dx are uniform integers in [−s, s] with s = round(side / 8) (4 pixels for 28 or 32 px), as
  DiffAugment's translation. **Fill: −1**, the low end of the range, which is the background of the
  MNIST digits (black): a shifted digit is then still a digit on its own background. DiffAugment pads
  with 0, which in [−1, 1] data would draw grey bars at the edges, on real and fake alike.
* :func:`cutout` — set a square of side c = round(side / 2) (a c_H × c_W rectangle for H ≠ W) to ``value``:

      out[b, c', i, j] = value   if top_b ≤ i < top_b + c and left_b ≤ j < left_b + c,
                         x[b, c', i, j]   otherwise,

  the square's centre uniform over the pixels, (top, left) = centre − ⌊c/2⌋, clipped at the border
  (a square near an edge is partly outside the image), as Cutout (DeVries & Taylor 2017) and
  DiffAugment. **Value: 0**, the middle of [−1, 1] (DiffAugment multiplies by a 0/1 mask, i.e. zero):
  an occluder distinct from both ink (+1) and background (−1), so a cut-out digit does not turn into a
  clean other digit.
  Inside the square the output does not depend on x: its gradient there is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

#: the transforms, in the order they are applied when several are named
POLICIES = ("translation", "cutout")
#: translation pads with the images' background (−1 in [−1, 1]); cutout writes the middle value 0
TRANSLATION_FILL = -1.0
CUTOUT_VALUE = 0.0


def parse_policy(text: str) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ("translation", "cutout") in :data:`POLICIES` order; "" -> ().

    Raises ValueError on a name outside :data:`POLICIES` or a repeated one."""
    names = [n.strip() for n in text.split(",")] if text.strip() else []
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ValueError(
            f"unknown augmentation {unknown[0]!r}; choose a comma list from {', '.join(POLICIES)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"augmentation named twice in {text!r}")
    return tuple(n for n in POLICIES if n in names)


def max_shift(size: int) -> int:
    """s = round(size / 8), halves up: the largest translation in pixels (28 -> 4, 32 -> 4, 16 -> 2)."""
    return int(size / 8 + 0.5)


def cutout_side(size: int) -> int:
    """c = round(size / 2), halves up: the cut-out square's side (28 -> 14, 32 -> 16)."""
    return int(size / 2 + 0.5)


def translate(x: Tensor, shift: Tensor, fill: float = TRANSLATION_FILL) -> Tensor:
    """Shift each image by its own whole number of pixels, filling with ``fill`` (module docstring).

    Args:
        x: (B, C, H, W) images.
        shift: (B, 2) integers (dy, dx); positive moves the content down / right.
        fill: the value of the pixels that enter the frame.
    Returns: (B, C, H, W), differentiable in x (a gather from the padded images).
    """
    b, _, h, w = x.shape
    s = int(shift.abs().max()) if shift.numel() else 0
    padded = F.pad(x, (s, s, s, s), value=fill)  # (B, C, H + 2s, W + 2s)
    shift = shift.to(x.device)
    rows = torch.arange(h, device=x.device)[None, :] + s - shift[:, :1]  # (B, H): source row i − dy + s
    cols = torch.arange(w, device=x.device)[None, :] + s - shift[:, 1:]  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    out = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C): advanced indices first
    return out.permute(0, 3, 1, 2)


def cutout_mask(shape: tuple[int, ...], corner: Tensor, sides: tuple[int, int], device=None) -> Tensor:
    """(B, 1, H, W) bool, True inside each image's rectangle [top, top + c_H) × [left, left + c_W)."""
    _, _, h, w = shape
    corner = corner.to(device)
    i = torch.arange(h, device=device)[None, :]  # (1, H)
    j = torch.arange(w, device=device)[None, :]
    in_rows = (i >= corner[:, :1]) & (i < corner[:, :1] + sides[0])  # (B, H)
    in_cols = (j >= corner[:, 1:]) & (j < corner[:, 1:] + sides[1])  # (B, W)
    return (in_rows[:, :, None] & in_cols[:, None, :])[:, None]


def cutout(x: Tensor, corner: Tensor, sides: tuple[int, int], value: float = CUTOUT_VALUE) -> Tensor:
    """Set each image's rectangle of ``sides`` (c_H, c_W) pixels at ``corner`` (B, 2) = (top, left) to
    ``value`` (it may reach past the border: only its part inside the image is set). Differentiable in
    x, with gradient 0 inside the rectangle."""
    mask = cutout_mask(x.shape, corner, sides, x.device)
    return torch.where(mask, torch.full((), value, dtype=x.dtype, device=x.device), x)


def draw_shifts(n: int, height: int, width: int, generator: torch.Generator) -> Tensor:
    """(n, 2) int64 shifts (dy, dx), dy uniform in [−s_H, s_H] and dx in [−s_W, s_W], s = :func:`max_shift`;
    all the dy are drawn first, then the dx."""
    sy, sx = max_shift(height), max_shift(width)
    dy = torch.randint(-sy, sy + 1, (n,), generator=generator)
    dx = torch.randint(-sx, sx + 1, (n,), generator=generator)
    return torch.stack([dy, dx], dim=1)


def draw_corners(n: int, height: int, width: int, generator: torch.Generator) -> Tensor:
    """(n, 2) int64 top-left corners (top, left) of rectangles of sides :func:`cutout_side` (H, W) whose
    centres are uniform over the pixels: corner = centre − ⌊side/2⌋ (all the rows first, then the columns)."""
    top = torch.randint(0, height, (n,), generator=generator) - cutout_side(height) // 2
    left = torch.randint(0, width, (n,), generator=generator) - cutout_side(width) // 2
    return torch.stack([top, left], dim=1)


@dataclass(frozen=True)
class DiffAugment:
    """The transforms of a policy (a sub-tuple of :data:`POLICIES`), applied in that order.

    ``draw`` takes the random parameters of n samples from a generator (translation's shifts, then
    cutout's corners: a fixed number of draws per sample and transform); ``apply`` is a pure function
    of the images and those parameters. ``augment(x, generator)`` does both.
    """

    policy: tuple[str, ...]

    def draw(self, n: int, height: int, width: int, generator: torch.Generator) -> dict[str, Tensor]:
        """The parameters of n images of H × W: {"translation": (n, 2) shifts, "cutout": (n, 2) corners}."""
        draws = {"translation": draw_shifts, "cutout": draw_corners}
        return {name: draws[name](n, height, width, generator) for name in self.policy}

    def apply(self, x: Tensor, params: dict[str, Tensor]) -> Tensor:
        """x (B, C, H, W) transformed by every transform of the policy, with its drawn parameters."""
        for name in self.policy:
            if name == "translation":
                x = translate(x, params[name])
            else:
                x = cutout(x, params[name], (cutout_side(x.shape[-2]), cutout_side(x.shape[-1])))
        return x

    def augment(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """Fresh parameters for each of the B images of x, then :meth:`apply`."""
        return self.apply(x, self.draw(x.shape[0], x.shape[-2], x.shape[-1], generator))
