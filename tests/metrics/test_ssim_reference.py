"""SSIM with the standard window (11 × 11 Gaussian, σ = 1.5) equals scikit-image's reference
implementation configured as Wang et al. 2004 (Gaussian weights, population covariance)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from divergan.metrics.similarity import SIGMA, WINDOW, ssim


def reference(x: torch.Tensor, y: torch.Tensor, **kw) -> list[float]:
    u, v = ((x + 1) / 2).numpy(), ((y + 1) / 2).numpy()  # intensities in [0, 1], (B, C, H, W)
    options = dict(
        gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=0
    )
    return [structural_similarity(a, b, **{**options, **kw}) for a, b in zip(u, v)]


@pytest.mark.parametrize("shape", [(4, 1, 32, 32), (3, 3, 24, 40), (2, 1, 11, 11)])
def test_ssim_equals_scikit_image(shape):
    g = torch.Generator().manual_seed(sum(shape))
    x = torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1
    y = (x + 0.4 * torch.randn(shape, generator=g, dtype=torch.float64)).clamp(-1, 1)
    y[0] = -x[0]  # a negated image: SSIM far below 0.5
    ours = ssim(x, y).tolist()
    np.testing.assert_allclose(ours, reference(x, y), rtol=0, atol=1e-9)
    assert ours[0] < 0.5


def test_the_default_window_is_the_standard_one_and_a_7x7_window_differs():
    assert (WINDOW, SIGMA) == (11, 1.5)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 1, 32, 32, generator=g, dtype=torch.float64) * 2 - 1
    y = (x + 0.5 * torch.randn(2, 1, 32, 32, generator=g, dtype=torch.float64)).clamp(-1, 1)
    want = reference(x, y)
    np.testing.assert_allclose(ssim(x, y).tolist(), want, rtol=0, atol=1e-9)
    # negative control: the old 7 × 7 window gives a different number (skimage's window at σ = 1.5 is
    # 2·int(3.5σ + 0.5) + 1 = 11 px), so the comparison above can tell the windows apart
    assert np.abs(np.array(ssim(x, y, window=7).tolist()) - want).max() > 1e-4


def test_images_smaller_than_the_window_are_refused():
    x = torch.zeros(1, 1, 10, 10)
    with pytest.raises(ValueError, match="H, W >= 11"):
        ssim(x, x)
