"""Image grids as PNG with Pillow: rows × columns of (C, H, W) images in [-1, 1] (the one grid writer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def grid_array(images: Tensor, nrow: int, pad: int = 2, pad_value: float = 0.5) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> uint8 array (rows·(H+pad)+pad, nrow·(W+pad)+pad[, 3]), row-major.

    C = 1 gives a grey image, C = 3 RGB; missing cells at the end stay at ``pad_value`` grey.
    """
    n, c, h, w = images.shape
    rows = -(-n // nrow)
    out = torch.full((c, rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value)
    x = ((images.detach().float().cpu() + 1) / 2).clamp(0, 1)
    for i in range(n):
        r, k = divmod(i, nrow)
        out[
            :, pad + r * (h + pad) : pad + r * (h + pad) + h, pad + k * (w + pad) : pad + k * (w + pad) + w
        ] = x[i]
    arr = (out * 255).round().to(torch.uint8).numpy()
    return arr[0] if c == 1 else np.transpose(arr, (1, 2, 0))


def save_grid(
    images: Tensor,
    path: Path | str,
    nrow: int | None = None,
    scale: int = 2,
    pad: int = 2,
    pad_value: float = 0.5,
) -> Path:
    """Write ``images`` (N, C, H, W) in [-1, 1] as a PNG grid with ``nrow`` columns (None: square-ish),
    upscaled ``scale``×, gaps of ``pad`` pixels at grey level ``pad_value`` (1: white)."""
    nrow = nrow or max(1, int(np.ceil(np.sqrt(len(images)))))
    arr = grid_array(images, nrow, pad, pad_value)
    img = Image.fromarray(arr)
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
