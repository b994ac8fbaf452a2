"""The style-based generator: shapes, modulation identities, style mixing, truncation, w̄ as an EMA."""

import pytest
import torch
from torch.nn import functional as F

from divergan.apps.style import mixed_styles
from divergan.nn.stylegan import ModulatedConv2d, StyleCritic, StyleGenerator, start_resolution, truncate


def small(size: int = 16) -> StyleGenerator:
    torch.manual_seed(0)
    g = StyleGenerator(z_dim=8, w_dim=8, size=size, width=8, mapping_depth=2)
    with torch.no_grad():  # non-zero noise strengths and a non-trivial w̄, as after training
        for name, p in g.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.3)
        g.mapping.w_avg.normal_()
    return g


@pytest.mark.parametrize("size, num_ws", [(4, 2), (8, 5), (16, 8), (32, 11)])
def test_shapes_and_rows(size, num_ws):
    g = StyleGenerator(z_dim=8, w_dim=8, size=size, width=4, mapping_depth=1)
    assert g.num_ws == num_ws == 2 + 3 * (size.bit_length() - 3)
    z = torch.randn(3, 8)
    assert g.styles(z).shape == (3, num_ws, 8)
    assert g(z).shape == (3, 1, size, size)
    assert g.crossover_row(4) == 0
    if size >= 8:
        assert g.crossover_row(8) == 2
    assert StyleCritic(size if size >= 4 else 4, 1, 4)(torch.randn(3, 1, size, size)).shape == (3,)


@pytest.mark.parametrize("size, start, num_ws", [(28, 7, 8), (14, 7, 5), (7, 7, 2), (24, 6, 8)])
def test_sizes_that_start_above_four(size, start, num_ws):
    # MNIST's 28 px: 7 -> 14 -> 28; the critic comes down to the same 7x7 before its head
    assert start_resolution(size) == start
    g = StyleGenerator(z_dim=8, w_dim=8, size=size, width=4, mapping_depth=1)
    assert g.synthesis.resolutions[0] == start and g.num_ws == num_ws
    assert g(torch.randn(3, 8)).shape == (3, 1, size, size)
    assert StyleCritic(size, 1, 4)(torch.randn(3, 1, size, size)).shape == (3,)


def test_bad_size_and_crossover():
    for size in (36, 9, 3):  # would start at 9x9, 9x9; too small
        with pytest.raises(ValueError, match="size must be"):
            StyleGenerator(size=size)
    g = small(8)
    with pytest.raises(ValueError, match="crossover"):
        g(torch.randn(2, 8), z2=torch.randn(2, 8))


def test_modulated_conv_is_a_per_sample_convolution():
    torch.manual_seed(1)
    conv = ModulatedConv2d(3, 5, w_dim=4, demodulate=True)
    x, w = torch.randn(2, 3, 6, 6), torch.randn(2, 4)
    out = conv(x, w)
    s = conv.affine(w)
    for b in range(2):
        weight = conv.weight * s[b][None, :, None, None]
        weight = weight / (weight.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
        torch.testing.assert_close(out[b : b + 1], F.conv2d(x[b : b + 1], weight, padding=1))


def test_demodulation_makes_the_output_invariant_to_the_style_scale():
    torch.manual_seed(2)
    conv = ModulatedConv2d(3, 4, w_dim=4)
    x, w = torch.randn(2, 3, 5, 5), torch.randn(2, 4)
    before = conv(x, w)
    with torch.no_grad():
        conv.affine.weight.mul_(3.0)
        conv.affine.bias.mul_(3.0)
    torch.testing.assert_close(conv(x, w), before, atol=1e-5, rtol=1e-5)


def test_style_mixing_changes_only_the_layers_after_the_crossover():
    g = small(16)
    z1, z2, z2b = torch.randn(3, 8), torch.randn(3, 8), torch.randn(3, 8)
    cut = g.crossover_row(16)  # the 4x4 and 8x8 blocks read w(z1), the 16x16 block w(z2)
    img_a, feats_a = g.synthesis(g.styles(z1, z2=z2, crossover=cut), "const", return_features=True)
    img_b, feats_b = g.synthesis(g.styles(z1, z2=z2b, crossover=cut), "const", return_features=True)
    torch.testing.assert_close(feats_a[0], feats_b[0])  # 4x4: coarse styles from z1 in both
    torch.testing.assert_close(feats_a[1], feats_b[1])  # 8x8
    assert (feats_a[2] - feats_b[2]).abs().max() > 1e-3  # 16x16: the second w differs
    assert (img_a - img_b).abs().max() > 1e-3
    # and the second w is really used: crossover at the end is z1 alone, at 0 is z2 alone
    torch.testing.assert_close(
        g(z1, z2=z2, crossover=g.num_ws, noise_mode="const"), g(z1, noise_mode="const")
    )
    torch.testing.assert_close(g(z1, z2=z2, crossover=0, noise_mode="const"), g(z2, noise_mode="const"))


def test_truncation_psi_zero_gives_the_average_image_for_every_z():
    g = small(8)
    z = torch.randn(5, 8)
    images = g(z, psi=0.0, noise_mode="const")
    mean_ws = g.mapping.w_avg.expand(1, g.num_ws, -1)
    expected = g.synthesis(mean_ws, "const")  # (1, 1, 8, 8): the w̄ image
    torch.testing.assert_close(images, expected.expand_as(images))
    torch.testing.assert_close(g(z, psi=1.0, noise_mode="const"), g.synthesis(g.styles(z), "const"))
    assert (g(z, psi=0.5, noise_mode="const") - images).abs().max() > 1e-4


def test_truncate_is_the_affine_interpolation():
    w, w_avg = torch.randn(4, 3), torch.randn(3)
    torch.testing.assert_close(truncate(w, w_avg, 0.25), w_avg + 0.25 * (w - w_avg))
    assert truncate(w, w_avg, 1.0) is w


def test_w_avg_is_an_exponential_moving_average():
    g = small(8)
    beta = g.mapping.w_avg_beta
    start = g.mapping.w_avg.clone()
    z1, z2 = torch.randn(6, 8), torch.randn(6, 8)
    w1, w2 = g.mapping(z1), g.mapping(z2)
    g.mapping(z1, update_w_avg=True)
    g.mapping(z2, update_w_avg=True)
    expected = beta**2 * start + beta * (1 - beta) * w1.mean(0) + (1 - beta) * w2.mean(0)
    torch.testing.assert_close(g.mapping.w_avg, expected)
    torch.testing.assert_close(g.mapping(z1), w1)  # no update without the flag


def test_noise_modes():
    g = small(8)
    z = torch.randn(2, 8)
    torch.testing.assert_close(g(z, noise_mode="const"), g(z, noise_mode="const"))
    assert (g(z, noise_mode="random") - g(z, noise_mode="random")).abs().max() > 0
    with pytest.raises(ValueError, match="noise_mode"):
        g(z, noise_mode="loud")


def test_training_mixing_takes_rows_from_two_latents():
    g = small(16)
    z = torch.randn(64, 8)
    rng = torch.Generator().manual_seed(0)
    ws = mixed_styles(g, z, mixing=1.0, rng=rng)
    w1 = g.mapping(z)
    assert torch.allclose(ws[:, 0], w1)  # row 0 is never crossed (crossover >= 1)
    changed = ~torch.isclose(ws, w1[:, None]).all(dim=2)  # (B, num_ws)
    # every sample switches once, and stays switched: a monotone 0...0 1...1 row pattern
    assert changed.any(dim=1).all()
    assert (changed.int().diff(dim=1) >= 0).all()
    unmixed = mixed_styles(g, z, mixing=0.0, rng=rng)
    torch.testing.assert_close(unmixed, w1[:, None].expand_as(unmixed))


def test_multimodal_truncation_pulls_each_w_toward_its_nearest_centre():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    w = torch.tensor([[1.0, 1.0], [9.0, -1.0], [4.0, 0.0]])  # nearest centres 0, 1, 0 (4 < 6)
    torch.testing.assert_close(truncate(w, centres, 0.0), torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 0.0]]))
    torch.testing.assert_close(truncate(w, centres, 0.5), torch.tensor([[0.5, 0.5], [9.5, -0.5], [2.0, 0.0]]))
    assert truncate(w, centres, 1.0) is w
    # one centre is the one-centre trick, exactly; the control: the mean of the two centres is not
    torch.testing.assert_close(truncate(w, centres[:1], 0.3), truncate(w, centres[0], 0.3))
    assert not torch.allclose(truncate(w, centres, 0.0), truncate(w, centres.mean(0), 0.0))


def test_generator_truncates_toward_the_centres_it_is_given():
    g = small(8)
    z = torch.randn(6, 8)
    w = g.mapping(z)
    centres = torch.stack([w[0] + 0.01, w[3] - 0.01, torch.full((8,), 50.0)])  # the third is nobody's
    ws = g.styles(z, psi=0.0, centres=centres)
    nearest = centres[torch.cdist(w, centres).argmin(1)]
    torch.testing.assert_close(ws, nearest[:, None].expand(6, g.num_ws, 8))
    torch.testing.assert_close(ws[0, 0], centres[0]) and torch.testing.assert_close(ws[3, 0], centres[1])
    torch.testing.assert_close(g.styles(z, psi=1.0, centres=centres), g.styles(z))  # ψ = 1: no truncation
    # without centres the running mean w̄ is the centre (the control: it is not one of these)
    torch.testing.assert_close(g.styles(z, psi=0.0), g.mapping.w_avg.expand(6, g.num_ws, 8))
    assert not torch.allclose(g.styles(z, psi=0.0), ws)


@pytest.mark.parametrize("size, num_ws", [(8, 4), (16, 6), (28, 6)])
def test_without_skips_the_last_torgb_draws_the_whole_image(size, num_ws):
    torch.manual_seed(0)
    g = StyleGenerator(z_dim=8, w_dim=8, size=size, width=4, mapping_depth=1, skip=False)
    S = g.synthesis
    assert g.num_ws == num_ws == 2 + 2 * (len(S.resolutions) - 1) and len(S.torgbs) == 1
    assert S.has_rgb == [False] * (len(S.resolutions) - 1) + [True]
    assert g.crossover_row(S.resolutions[-1]) == num_ws - 3  # up-conv, conv, toRGB of the last block
    ws = g.styles(torch.randn(3, 8))
    img, feats = S(ws, "const", return_features=True)
    assert img.shape == (3, 1, size, size)
    # by hand: the image is the one toRGB of the last block's features, styled by the last row
    rgb = S.torgbs[0]
    s = rgb.conv.affine(ws[:, -1])  # (3, C)
    by_hand = torch.einsum("oi,bi,bihw->bohw", rgb.conv.weight[:, :, 0, 0], s, feats[-1])
    torch.testing.assert_close(img, by_hand + rgb.bias[None, :, None, None])
    # with skips the same layers give the rows and the toRGBs of every block (the state names unchanged)
    skip = StyleGenerator(z_dim=8, w_dim=8, size=size, width=4, mapping_depth=1)
    extra = {k for k in skip.state_dict() if k not in g.state_dict()}
    assert extra and all(k.startswith("synthesis.torgbs.") for k in extra)
    assert skip.num_ws == num_ws + len(S.resolutions) - 1


def test_without_skips_a_row_of_a_coarse_block_changes_only_through_the_features():
    torch.manual_seed(0)
    g = StyleGenerator(z_dim=8, w_dim=8, size=16, width=4, mapping_depth=1, skip=False)
    ws = g.styles(torch.randn(2, 8))
    other = ws.clone()
    other[:, -1] = torch.randn(2, 8)  # the toRGB's row only
    a, fa = g.synthesis(ws, "const", return_features=True)
    b, fb = g.synthesis(other, "const", return_features=True)
    assert all(x.equal(y) for x, y in zip(fa, fb)) and not a.equal(b)
