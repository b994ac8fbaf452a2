"""DCGAN networks: shapes for every size and channel count, the five guidelines, batch norm handling."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from divergan.nn.dcgan import SIZES, DCGANCritic, DCGANGenerator, init_weights, recalibrate_batchnorm
from divergan.objectives import get_objective
from divergan.train.config import Config
from divergan.train.loop import build_networks, critic_outputs


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("classes", [None, 10])
def test_shapes(size, channels, classes):
    torch.manual_seed(0)
    g = DCGANGenerator(8, size, channels, width=4, num_classes=classes)
    d = DCGANCritic(size, channels, width=4, num_classes=classes)
    d2 = DCGANCritic(size, channels, width=4, outputs=2, num_classes=classes)
    z = torch.randn(5, 8)
    y = torch.arange(5) % 10 if classes else None
    x = g(z, y)
    assert x.shape == (5, channels, size, size) and x.abs().max() <= 1
    assert d(x, y).shape == (5,) and d2(x, y).shape == (5, 2)


def test_unsupported_size_and_missing_labels():
    with pytest.raises(ValueError, match="one of"):
        DCGANGenerator(8, 48)
    with pytest.raises(ValueError, match="needs class labels"):
        DCGANGenerator(8, 16, num_classes=3)(torch.randn(2, 8))
    with pytest.raises(ValueError, match="needs class labels"):
        DCGANCritic(16, num_classes=3)(torch.zeros(2, 1, 16, 16))


@pytest.mark.parametrize("size", SIZES)
def test_five_guidelines(size):
    g, d = DCGANGenerator(8, size, 1, 4), DCGANCritic(size, 1, 4)
    for net in (g, d):
        kinds = {type(m) for m in net.modules()}
        assert nn.Linear not in kinds  # no fully connected layers
        assert not any(
            issubclass(k, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AvgPoolNd) for k in kinds
        )
        assert nn.BatchNorm2d in kinds
    convs_g = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    convs_d = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert all(m.stride == (2, 2) for m in convs_g[1:]) and all(m.stride == (2, 2) for m in convs_d[:-1])
    acts_g = [m for m in g.net if isinstance(m, nn.ReLU | nn.Tanh | nn.LeakyReLU)]
    assert all(isinstance(m, nn.ReLU) for m in acts_g[:-1]) and isinstance(g.net[-1], nn.Tanh)
    acts_d = [m for m in d.modules() if isinstance(m, nn.ReLU | nn.LeakyReLU | nn.Tanh)]
    assert acts_d and all(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in acts_d)
    assert not isinstance(d.features[1], nn.BatchNorm2d)  # never on the critic's input layer


def test_batch_norm_critic_depends_on_the_batch_layer_norm_does_not():
    torch.manual_seed(0)
    x = torch.randn(6, 1, 16, 16)
    other = x.clone()
    other[1:] = torch.randn(5, 1, 16, 16)
    bn, ln = DCGANCritic(16, 1, 4, norm="batch"), DCGANCritic(16, 1, 4, norm="layer")
    assert bn.batch_dependent and not ln.batch_dependent
    assert not torch.allclose(bn(x)[0], bn(other)[0])
    torch.testing.assert_close(ln(x)[0], ln(other)[0])
    torch.testing.assert_close(ln(x[:1])[0], ln(x)[0])  # one image alone: the same value


def test_critic_outputs_separate_passes_for_batch_norm():
    torch.manual_seed(0)
    real, fake = torch.randn(4, 1, 16, 16), torch.randn(4, 1, 16, 16)
    bn, ln = DCGANCritic(16, 1, 4, norm="batch"), DCGANCritic(16, 1, 4, norm="layer")
    t_real, t_fake = critic_outputs(bn, real, fake)
    torch.testing.assert_close(t_real, bn(real))
    torch.testing.assert_close(t_fake, bn(fake))
    joint = ln(torch.cat([real, fake]))
    t_real, t_fake = critic_outputs(ln, real, fake)
    assert torch.equal(t_real, joint[:4]) and torch.equal(t_fake, joint[4:])


def _digits16():
    from divergan.data import get_dataset

    return get_dataset("digits", size=16)


@pytest.mark.parametrize(
    ("objective", "norm"), [("wgan-gp", "layer"), ("non-saturating", "batch"), ("hinge", "batch")]
)
def test_auto_critic_norm_is_per_sample_with_a_gradient_penalty(objective, norm):
    cfg = Config(objective=objective, g_width=4, d_width=4, z_dim=8)
    obj = get_objective(objective)
    g, d = build_networks(cfg, _digits16(), obj)
    assert isinstance(g, DCGANGenerator) and isinstance(d, DCGANCritic)
    has_bn = any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert has_bn == (norm == "batch") and d.batch_dependent == (norm == "batch")
    if norm == "layer":  # the penalty's per-sample gradients are exactly those of one-image batches
        real, fake = torch.randn(3, 1, 16, 16), torch.randn(3, 1, 16, 16)
        x = real.requires_grad_(True)
        (grad,) = torch.autograd.grad(d(x).sum(), x)
        (one,) = torch.autograd.grad(d(x[:1]).sum(), x)
        torch.testing.assert_close(grad[0], one[0])
        assert obj.penalty(d, real.detach(), fake).dim() == 0


def test_recalibrated_statistics_are_the_average_of_batch_statistics():
    torch.manual_seed(0)
    g = DCGANGenerator(8, 16, 1, 4)
    batches = [torch.randn(16, 8) for _ in range(3)]
    it = iter(batches)
    recalibrate_batchnorm(g, lambda: (next(it),), batches=3)
    assert not g.training
    first_bn = g.net[1]
    means = [g.net[0](z[:, :, None, None]).mean(dim=(0, 2, 3)) for z in batches]
    torch.testing.assert_close(first_bn.running_mean, torch.stack(means).mean(0))
    with torch.no_grad():  # eval mode: one sample alone gives the same image as in a batch
        z = torch.randn(5, 8)
        torch.testing.assert_close(g(z)[2:3], g(z[2:3]))


def test_projection_critic_adds_the_inner_product():
    torch.manual_seed(0)
    d = DCGANCritic(16, 1, 4, norm="layer", num_classes=3)
    x, y = torch.randn(4, 1, 16, 16), torch.tensor([0, 1, 2, 1])
    h = d.features(x)
    expected = d.head(h).flatten() + (d.embed(y) * h.sum(dim=(2, 3))).sum(1)
    torch.testing.assert_close(d(x, y), expected)
    with torch.no_grad():
        d.embed.weight.zero_()
    torch.testing.assert_close(d(x, y), d.head(h).flatten())


def test_dcgan_init():
    g = DCGANGenerator(8, 32, 3, 16)
    init_weights(g, torch.Generator().manual_seed(0))
    w = torch.cat([m.weight.detach().flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(float(w.std()) - 0.02) < 0.002 and abs(float(w.mean())) < 0.002
