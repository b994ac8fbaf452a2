r"""Classifier-free similarity of paired images (for glyph translation, Tian 2017 (zi2zi)).

All three take images in [-1, 1] of shape (B, C, H, W) and return one number per pair, shape (B,);
none needs a trained network, so they are comparable across runs and machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor
from torch.nn import functional as F


def l1_distance(x: Tensor, y: Tensor) -> Tensor:
    r"""Mean absolute difference in [0, 1] intensity units.

    .. math::

        L_1(x, y) = \frac{1}{CHW} \sum_{c,h,w} \Big|\tfrac{x_{chw} + 1}{2} - \tfrac{y_{chw} + 1}{2}\Big|

    0 for identical images, 1 for a white image against a black one. Shapes (B, ...) -> (B,).
    """
    return ((x - y).abs() / 2).flatten(1).mean(dim=1)


def binary_iou(x: Tensor, y: Tensor, threshold: float = 0.0) -> Tensor:
    r"""Intersection over union of the ink masks {x > threshold}, {y > threshold}.

    .. math::

        \mathrm{IoU}(x, y) = \frac{|\{x > t\} \cap \{y > t\}|}{|\{x > t\} \cup \{y > t\}|}

    with IoU = 1 when both masks are empty. Shapes (B, ...) -> (B,).
    """
    a, b = (x > threshold).flatten(1), (y > threshold).flatten(1)
    inter = (a & b).sum(dim=1).to(x.dtype)
    union = (a | b).sum(dim=1).to(x.dtype)
    return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))


#: the standard SSIM window of Wang et al. 2004: 11 × 11 Gaussian, σ = 1.5 (papers' numbers use it)
WINDOW, SIGMA = 11, 1.5


def ssim(x: Tensor, y: Tensor, window: int = WINDOW, sigma: float = SIGMA) -> Tensor:
    r"""Structural similarity (Wang et al. 2004), Gaussian window, on intensities u = (x + 1)/2 ∈ [0, 1].

    .. math::

        \mathrm{SSIM}(u, v) = \operatorname{mean}_{p}\;
            \frac{(2\mu_u\mu_v + C_1)(2\sigma_{uv} + C_2)}{(\mu_u^2 + \mu_v^2 + C_1)(\sigma_u^2 + \sigma_v^2 + C_2)},
        \qquad C_1 = 0.01^2,\; C_2 = 0.03^2

    where μ, σ², σ_uv are local means, variances and covariance under a normalised Gaussian window
    (``window`` × ``window``, std ``sigma``) at each pixel p whose window fits inside the image ("valid"
    positions, as in the reference implementation). The defaults are the standard window (11 × 11,
    σ = 1.5); the value equals scikit-image's ``structural_similarity(..., gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=1)``. 1 iff u = v on every window; averaged over
    channels. Shapes (B, C, H, W) -> (B,), needs H, W ≥ ``window`` (else ValueError).
    """
    if x.dim() != 4 or x.shape != y.shape or min(x.shape[-2:]) < window:
        raise ValueError(
            f"ssim needs two (B, C, H, W) batches of one shape with H, W >= {window}, "
            f"got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    u, v = (x + 1) / 2, (y + 1) / 2
    C = u.shape[1]
    g = gaussian_window(window, sigma, u.dtype).to(u.device)
    # the window is separable (g gᵀ): a column, then a row convolution (22 multiply-adds a pixel, not 121)
    column = g.view(1, 1, window, 1).expand(C, 1, window, 1)
    row = g.view(1, 1, 1, window).expand(C, 1, 1, window)

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(F.conv2d(t, column, groups=C), row, groups=C)

    with _without_onednn(u):
        return ssim_of_intensities(u, v, blur)


def gaussian_window(window: int, sigma: float, dtype: torch.dtype = torch.float32) -> Tensor:
    """The normalised 1-D Gaussian window g (sums to 1); SSIM's 2-D window is g gᵀ."""
    g = torch.exp(-((torch.arange(window, dtype=dtype) - (window - 1) / 2) ** 2) / (2 * sigma**2))
    return g / g.sum()


def ssim_of_intensities(u: Tensor, v: Tensor, blur: Callable[[Tensor], Tensor]) -> Tensor:
    """SSIM of intensities u, v ∈ [0, 1], (B, C, H, W) -> (B,), given ``blur``, the local mean under the
    window (see :func:`ssim`): the moments from five blurs, then Wang et al.'s formula, averaged."""
    mu_u, mu_v = blur(u), blur(v)
    var_u = blur(u * u) - mu_u**2
    var_v = blur(v * v) - mu_v**2
    cov = blur(u * v) - mu_u * mu_v
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_u * mu_v + c1) * (2 * cov + c2)) / ((mu_u**2 + mu_v**2 + c1) * (var_u + var_v + c2))
    return s.flatten(1).mean(dim=1)


@contextmanager
def _without_onednn(t: Tensor) -> Iterator[None]:
    """CPU convolutions without oneDNN for this block: for one channel per group its kernels run 2-3x
    slower than torch's own here (the five blurs of 6,462 glyphs at 32 px, one thread; docs/benchmarks.md
    "SSIM's window"). The flag is torch's documented switch, ``torch.backends.mkldnn.enabled``, put
    back as it was; nothing changes off the CPU or where it is already off."""
    if t.device.type != "cpu" or not torch.backends.mkldnn.enabled:
        yield
        return
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = True
