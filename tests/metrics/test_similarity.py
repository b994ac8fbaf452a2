"""Exact values of the classifier-free image similarities."""

import pytest
import torch

from divergan.metrics.similarity import binary_iou, l1_distance, ssim


def test_l1_distance_exact():
    black, white = -torch.ones(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    torch.testing.assert_close(l1_distance(black, white), torch.ones(2))
    torch.testing.assert_close(l1_distance(white, white), torch.zeros(2))
    half = black.clone()
    half[:, :, :2] = 1.0  # half the pixels differ by the full range
    torch.testing.assert_close(l1_distance(half, black), torch.full((2,), 0.5))


def test_binary_iou_exact():
    a = -torch.ones(1, 1, 4, 4)
    b = a.clone()
    a[..., :2, :] = 1  # 8 ink pixels
    b[..., 1:3, :] = 1  # 8 ink pixels, 4 shared
    torch.testing.assert_close(binary_iou(a, b), torch.tensor([4 / 12]))
    torch.testing.assert_close(binary_iou(a, a), torch.tensor([1.0]))
    empty = -torch.ones(1, 1, 4, 4)
    torch.testing.assert_close(binary_iou(empty, empty), torch.tensor([1.0]))
    torch.testing.assert_close(binary_iou(a, -a), torch.tensor([0.0]))


def test_ssim_identities():
    torch.manual_seed(0)
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    torch.testing.assert_close(ssim(x, x), torch.ones(3))
    y = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1)
    s = ssim(x, y)
    assert torch.all(s < 1) and torch.all(s > -1)
    torch.testing.assert_close(ssim(x, y), ssim(y, x))  # symmetric


def test_ssim_of_constant_images_is_the_luminance_term():
    # constant u, v: σ terms vanish, SSIM = (2uv + C1) / (u² + v² + C1) exactly
    u, v = 0.25, 0.75
    x = torch.full((1, 1, 12, 12), 2 * u - 1, dtype=torch.float64)
    y = torch.full((1, 1, 12, 12), 2 * v - 1, dtype=torch.float64)
    c1 = 0.01**2
    assert float(ssim(x, y)) == pytest.approx((2 * u * v + c1) / (u * u + v * v + c1), rel=1e-9)


def test_ssim_puts_the_onednn_switch_back_as_it_was():
    """SSIM runs its blur with torch's oneDNN switch off (a speed choice) and must leave it as it found
    it, on or off; the values are the same either way."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(3, 1, 16, 16, generator=g) * 2 - 1
    y = torch.rand(3, 1, 16, 16, generator=g) * 2 - 1
    before = torch.backends.mkldnn.enabled
    try:
        torch.backends.mkldnn.enabled = True
        with_onednn_on = ssim(x, y)
        assert torch.backends.mkldnn.enabled is True
        torch.backends.mkldnn.enabled = False
        with_onednn_off = ssim(x, y)
        assert torch.backends.mkldnn.enabled is False
    finally:
        torch.backends.mkldnn.enabled = before
    torch.testing.assert_close(with_onednn_on, with_onednn_off)
