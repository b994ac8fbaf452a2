"""StyleGAN2's options: the equalised learning rate (critic and generator) and the minibatch standard deviation."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from divergan.nn.stylegan import (
    EqualizedConv2d,
    EqualizedLinear,
    ModulatedConv2d,
    StyleCritic,
    StyleGenerator,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_equalized_linear_is_a_linear_map_with_the_scale_applied_at_run_time():
    torch.manual_seed(0)
    layer = EqualizedLinear(50, 7, lr_mul=0.1)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(4, 50)
    want = F.linear(x, layer.weight * 0.1 / math.sqrt(50), layer.bias * 0.1)
    torch.testing.assert_close(layer(x), want)
    # the stored weight is N(0, 1/lr_mul²): the effective weight has std lr_mul/√fan_in · 1/lr_mul
    assert abs(float((layer.weight * layer.scale).detach().std()) - 1 / math.sqrt(50)) < 0.2 / math.sqrt(50)


def test_equalized_lr_makes_adams_first_step_the_same_for_every_fan_in():
    # Adam's first step moves every stored weight by ±lr; the effective weight moves by lr·scale, so the
    # relative change of the effective weights, lr·scale / (scale·std(stored)) = lr, does not depend on
    # the fan-in (with plain layers it would be lr·√fan_in)
    torch.manual_seed(0)
    rel = []
    for fan_in in (16, 1024):
        layer = EqualizedLinear(fan_in, 8)
        before = (layer.weight * layer.scale).detach().clone()
        opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
        layer(torch.randn(32, fan_in)).square().mean().backward()
        opt.step()
        after = (layer.weight * layer.scale).detach()
        rel.append(float((after - before).abs().mean() / before.abs().mean()))
    assert rel[0] == pytest.approx(rel[1], rel=0.15)


def test_equalized_conv_matches_conv2d_with_the_scaled_weight():
    torch.manual_seed(0)
    conv = EqualizedConv2d(3, 5, 4, stride=2, padding=1)
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(
        conv(x), F.conv2d(x, conv.weight / math.sqrt(48), conv.bias, stride=2, padding=1)
    )


def test_critic_with_minibatch_std_sees_the_batch_and_is_marked_batch_dependent():
    torch.manual_seed(0)
    d = StyleCritic(16, 1, 4, mbstd_group=4, equalized=True)
    assert d.batch_dependent and not StyleCritic(16, 1, 4).batch_dependent
    x = torch.randn(8, 1, 16, 16)
    out = d(x)
    assert out.shape == (8,)
    # changing sample 0 changes the output of sample 1 (same group of 4), not of sample 4 (next group)
    y = x.clone()
    y[0] += 1.0
    out2 = d(y)
    assert (out2[1] - out[1]).abs() > 1e-6 and torch.equal(out2[4:], out[4:])
    # without the layer, samples are independent (the control)
    plain = StyleCritic(16, 1, 4)
    assert torch.equal(plain(y)[1:], plain(x)[1:])


def test_equalized_modulated_conv_is_the_plain_one_with_the_scale_applied_at_run_time():
    torch.manual_seed(0)
    eq = ModulatedConv2d(3, 5, w_dim=4, demodulate=False, equalized=True)
    assert isinstance(eq.affine, EqualizedLinear) and eq.scale == 1 / math.sqrt(27)
    plain = ModulatedConv2d(3, 5, w_dim=4, demodulate=False)
    assert plain.scale == 1.0  # the plain layer multiplies by exactly 1: its outputs are as before
    with torch.no_grad():
        plain.weight.copy_(eq.weight / math.sqrt(27))
        plain.affine.weight.copy_(eq.affine.weight / math.sqrt(4))
        plain.affine.bias.copy_(eq.affine.bias)
    x, w = torch.randn(2, 3, 6, 6), torch.randn(2, 4)
    torch.testing.assert_close(eq(x, w), plain(x, w))


def test_equalized_generator_mapping_multiplier_and_truncation():
    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 28, 1, {7: 8, 14: 4, 28: 4}, 2, equalized=True, mapping_lr_mul=0.01)
    first = g.mapping.net[0]
    assert isinstance(first, EqualizedLinear) and first.lr_mul == 0.01
    # the effective weights are O(1/√fan_in) although the stored ones are N(0, 1/0.01²)
    assert 0.5 < float((first.weight * first.scale).detach().std() * math.sqrt(8)) < 2
    with torch.no_grad():
        g.mapping.w_avg.normal_()
    z = torch.randn(4, 8)
    w = g.mapping(z)
    torch.testing.assert_close(g.styles(z, psi=1.0), w[:, None].expand(4, g.num_ws, 8))  # ψ = 1: w itself
    ws0 = g.styles(z, psi=0.0)  # ψ = 0: w̄ in every row, exactly
    assert torch.equal(ws0, g.mapping.w_avg.expand(4, g.num_ws, 8))
    # mixing keeps the coarse w exactly in the rows before the crossover, the fine one after
    z2 = torch.randn(4, 8)
    cut = g.crossover_row(14)
    mixed = g.styles(z, z2=z2, crossover=cut)
    assert torch.equal(mixed[:, :cut], w[:, None].expand(4, cut, 8))
    assert torch.equal(mixed[:, cut:], g.mapping(z2)[:, None].expand(4, g.num_ws - cut, 8))
