"""The glyph networks: the PatchGAN's receptive field, the U-Net's encoder/decoder split, its norms."""

from __future__ import annotations

import pytest
import torch

from divergan.nn.translate import PatchCritic, UNetGenerator, receptive_field, warp

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("n_down", [1, 2, 3])
def test_receptive_field_is_the_support_of_one_logits_gradient(n_down):
    torch.manual_seed(0)
    d = PatchCritic(categories=1, width=4, n_down=n_down).double()
    s = torch.randn(1, 1, 64, 64, dtype=torch.float64)
    x = torch.randn(1, 1, 64, 64, dtype=torch.float64, requires_grad=True)
    logits = d(s, x, torch.tensor([0]))
    side = int(logits.shape[1] ** 0.5)
    assert side == 64 // 2**n_down
    logits[0, (side // 2) * side + side // 2].backward()  # a central logit: its field is not clipped
    rows, cols = x.grad[0, 0].abs().gt(0).nonzero().unbind(1)
    assert int(rows.max() - rows.min()) + 1 == receptive_field(n_down)
    assert int(cols.max() - cols.min()) + 1 == receptive_field(n_down)


def test_receptive_field_formula():
    assert [receptive_field(n) for n in (1, 2, 3)] == [8, 18, 38]


@pytest.mark.parametrize("norm", ["batch", "instance"])
def test_encode_decode_is_forward(norm):
    torch.manual_seed(0)
    g = UNetGenerator(32, categories=2, width=4, embed_dim=4, norm=norm).eval()
    s, c = torch.randn(3, 1, 32, 32), torch.tensor([0, 1, 1])
    code, skips = g.encode(s)
    assert code.shape == (3, 32, 2, 2) and len(skips) == 4 and skips[-1] is code
    assert torch.equal(g.decode(code, skips, c), g(s, c))


def test_instance_norm_evaluates_as_it_trains_batch_norm_does_not():
    torch.manual_seed(0)
    s, c = torch.randn(4, 1, 32, 32), torch.zeros(4, dtype=torch.long)
    inst = UNetGenerator(32, 1, width=4, embed_dim=4, norm="instance")
    assert torch.allclose(inst.train()(s, c), inst.eval()(s, c))
    # each image on its own: the same output as in a batch (no statistics across the batch)
    assert torch.allclose(inst(s[:1], c[:1]), inst(s, c)[:1], atol=1e-6)
    bn = UNetGenerator(32, 1, width=4, embed_dim=4, norm="batch")
    assert not torch.allclose(bn.train()(s, c), bn.eval()(s, c))  # the control: batch norm differs


def test_unknown_norm():
    with pytest.raises(ValueError, match="norm must be one of"):
        UNetGenerator(32, 1, norm="layer")


def test_resize_upsampling_draws_a_flat_map_flat_the_transposed_convolution_does_not():
    """A constant feature map upsampled by ``resize`` (×2 nearest, one 3×3 convolution) is constant away
    from the border: every output pixel sees the same 3×3 window of equal values. The stride-2 4×4
    transposed convolution (the negative control) gives each pixel of a 2×2 cell its own 2×2 subset of
    the kernel, so the same flat map comes out as a period-2 checkerboard (Odena et al. 2016)."""
    from divergan.nn.translate import _upconv

    torch.manual_seed(0)
    flat = torch.full((1, 3, 6, 6), 0.7, dtype=torch.float64)
    resize = torch.nn.Sequential(*_upconv(3, 2, "resize")).double().requires_grad_(False)
    transpose = torch.nn.Sequential(*_upconv(3, 2, "transpose")).double().requires_grad_(False)
    out = resize(flat)[..., 1:-1, 1:-1]  # (1, 2, 10, 10): the interior of 12 × 12
    assert out.shape == (1, 2, 10, 10)
    assert torch.allclose(out, out[..., :1, :1].expand_as(out), atol=1e-12, rtol=0)
    want = 0.7 * resize[1].weight.sum(dim=(1, 2, 3)) + resize[1].bias  # one full window per channel
    assert torch.allclose(out[0, :, 0, 0], want, atol=1e-12, rtol=0)
    checker = transpose(flat)[..., 2:-2, 2:-2]  # the interior: every pixel gets 2 × 2 taps
    cells = checker.unfold(2, 2, 2).unfold(3, 2, 2)  # (1, 2, 4, 4, 2, 2): the 2×2 cells
    assert torch.allclose(cells, cells[:, :, :1, :1].expand_as(cells), atol=1e-12, rtol=0)  # period 2 ...
    assert float(cells[0, 0, 0, 0].max() - cells[0, 0, 0, 0].min()) > 1e-3  # ... and not flat


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_upsample_choices_keep_the_shapes_and_the_default_keeps_the_parameter_names(upsample):
    torch.manual_seed(0)
    g = UNetGenerator(32, categories=2, width=4, embed_dim=4, norm="instance", upsample=upsample)
    s, c = torch.randn(3, 1, 32, 32), torch.tensor([0, 1, 1])
    out = g(s, c).detach()
    assert out.shape == (3, 1, 32, 32) and float(out.abs().max()) <= 1.0
    code, skips = g.encode(s)
    assert torch.equal(g.decode(code, skips, c).detach(), out)
    default = UNetGenerator(32, categories=2, width=4, embed_dim=4, norm="instance")
    names = set(g.state_dict())
    assert (names == set(default.state_dict())) == (upsample == "transpose")  # older checkpoints load
    assert "out.weight" in default.state_dict()
    with pytest.raises(ValueError, match="upsample must be one of transpose, resize"):
        UNetGenerator(32, upsample="bilinear")


def test_warp_by_hand():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 5)
    zero = torch.zeros(2, 2, 6, 5)
    assert torch.allclose(warp(x, zero), x, atol=1e-6)  # no offset: the map itself
    right = zero.clone()
    right[:, 0] = 1.0  # o_x = 1: pixel j reads x[j + 1], the last column reads outside (0)
    expect = torch.zeros_like(x)
    expect[..., :-1] = x[..., 1:]
    assert torch.allclose(warp(x, right), expect, atol=1e-6)
    up = zero.clone()
    up[:, 1] = -2.0  # o_y = -2: row i reads x[i - 2], the first two rows 0
    expect = torch.zeros_like(x)
    expect[..., 2:, :] = x[..., :-2, :]
    assert torch.allclose(warp(x, up), expect, atol=1e-6)
    half = zero.clone()
    half[:, 0] = 0.5  # halfway between two pixel centres: their mean (bilinear)
    assert torch.allclose(warp(x, half)[..., :-1], (x[..., :-1] + x[..., 1:]) / 2, atol=1e-6)
    assert not torch.allclose(warp(x, right), x, atol=0.1)  # control: an offset does move the map
    only_first = zero.clone()
    only_first[0, 0] = 1.0  # per image: the second image's offsets are 0
    assert torch.allclose(warp(x, only_first)[1], x[1], atol=1e-6)


def test_warped_skips_start_as_the_plain_u_net_and_learn():
    torch.manual_seed(0)
    plain = UNetGenerator(32, categories=2, width=4, embed_dim=4, norm="instance")
    warped = UNetGenerator(32, categories=2, width=4, embed_dim=4, norm="instance", warp=True)
    loaded = warped.load_state_dict(plain.state_dict(), strict=False)
    assert loaded.unexpected_keys == [] and all(k.startswith("warp.") for k in loaded.missing_keys)
    assert len(warped.warp) == len(warped.up) == 3  # one offset field per skip map (16, 8 and 4 px)
    s, c = torch.randn(3, 1, 32, 32), torch.tensor([0, 1, 1])
    assert torch.allclose(warped(s, c), plain(s, c), atol=1e-5)  # offsets 0 at the start
    warped(s, c).square().mean().backward()
    grads = [conv.weight.grad.abs().sum() for conv in warped.warp]
    assert all(float(g) > 0 for g in grads)  # zero weights, yet the offsets learn
    with torch.no_grad():
        warped.warp[2].bias[0] = 1.0  # control: the 16-px skip map read one pixel to the right
    assert not torch.allclose(warped(s, c), plain(s, c), atol=1e-3)
