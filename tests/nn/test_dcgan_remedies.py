"""The DCGAN critic's remedies against mode collapse: packing (PacGAN) and minibatch standard deviation."""

from __future__ import annotations

import pytest
import torch

from divergan.data import get_dataset
from divergan.errors import UserError
from divergan.nn.dcgan import DCGANCritic
from divergan.nn.remedies import MinibatchStd, MinibatchStdMap
from divergan.objectives import get_objective
from divergan.objectives.penalties import gradient_norms
from divergan.train.config import Config
from divergan.train.loop import build_networks


def test_pack_stacks_consecutive_images_along_the_channels():
    torch.manual_seed(0)
    d = DCGANCritic(16, 3, 4, norm="layer", pack=2)
    assert d.features[0].in_channels == 6 and d.pack == 2 and d.batch_dependent
    x = torch.randn(6, 3, 16, 16)
    out = d(x)
    assert out.shape == (3,)
    for j in range(3):  # pack j holds images 2j and 2j + 1, channels of the first image first
        joint = torch.cat([x[2 * j], x[2 * j + 1]])[None]  # (1, 6, 16, 16)
        expect = d.head(d.features(joint)).flatten()
        torch.testing.assert_close(out[j], expect[0])
    swapped = x[[1, 0, 2, 3, 4, 5]]  # the order inside a pack matters, other packs are untouched
    assert not torch.allclose(d(swapped)[0], out[0])
    torch.testing.assert_close(d(swapped)[1:], out[1:])


def test_the_gradient_reaches_every_packed_image():
    torch.manual_seed(0)
    d = DCGANCritic(28, 3, 4, norm="batch", pack=2)
    x = torch.randn(8, 3, 28, 28, requires_grad=True)
    (grad,) = torch.autograd.grad(d(x).sum(), x)
    assert (grad.flatten(1).norm(dim=1) > 0).all()
    norms = gradient_norms(DCGANCritic(28, 3, 4, norm="layer", pack=2), x)
    assert norms.shape == (4,)  # one per pack


def test_pack_refuses_bad_batches_and_labels():
    d = DCGANCritic(16, 1, 4, pack=3)
    with pytest.raises(ValueError, match="multiple of 3"):
        d(torch.randn(4, 1, 16, 16))
    with pytest.raises(UserError, match="unconditional"):
        DCGANCritic(16, 1, 4, num_classes=10, pack=2)
    with pytest.raises(UserError, match="mbstd 0 or at least 2"):
        DCGANCritic(16, 1, 4, mbstd=1)


def test_pointwise_packs_each_image_with_copies_of_itself():
    torch.manual_seed(0)
    d = DCGANCritic(16, 1, 4, norm="layer", pack=2)
    x = torch.randn(3, 1, 16, 16)
    out = d.pointwise(x)
    assert out.shape == (3,)
    torch.testing.assert_close(out, d(x.repeat_interleave(2, dim=0)))
    torch.testing.assert_close(out[1], d(torch.cat([x[1:2], x[1:2]]))[0])


def test_minibatch_std_by_hand():
    minibatch_std = lambda h, g: MinibatchStdMap(MinibatchStd(g))(h)  # noqa: E731
    h = torch.tensor([0.0, 2.0, 1.0, 1.0, 5.0, 5.0]).reshape(6, 1, 1, 1).expand(6, 1, 2, 2)
    out = minibatch_std(h, 2)  # groups {0, 2}, {1, 1}, {5, 5}
    assert out.shape == (6, 2, 2, 2)
    torch.testing.assert_close(out[:, :1], h)
    expect = torch.tensor([1.0, 1.0, 1e-4, 1e-4, 1e-4, 1e-4])  # biased std of {0, 2} is 1; √1e-8
    torch.testing.assert_close(out[:, 1], expect[:, None, None].expand(6, 2, 2))
    # a batch that is not a multiple of the group is one group: std of {0, 2, 1, 1, 5} (biased)
    five = minibatch_std(h[:5], 2)[:, 1, 0, 0]
    torch.testing.assert_close(
        five, torch.full((5,), (torch.tensor([0.0, 2, 1, 1, 5]).var(unbiased=False) + 1e-8).sqrt())
    )


def test_mbstd_critic_sees_the_other_images_of_its_group_only():
    torch.manual_seed(0)
    d = DCGANCritic(16, 1, 4, norm="layer", mbstd=2)
    assert d.head.in_channels == d.features[-3].out_channels + 1 and d.batch_dependent
    x = torch.randn(4, 1, 16, 16)
    other = x.clone()
    other[1] = torch.randn(1, 16, 16)
    a, b = d(x), d(other)
    assert not torch.allclose(a[0], b[0])  # image 1 is in image 0's group
    torch.testing.assert_close(a[2:], b[2:])  # not in the group of images 2 and 3


def test_trainer_builds_the_dcgan_critic_with_the_remedies():
    data = get_dataset("digits", size=16)
    cfg = Config(g_width=4, d_width=4, z_dim=8, pack=2, d_mbstd=4).validate()
    _, d = build_networks(cfg, data, get_objective("non-saturating"))
    assert isinstance(d, DCGANCritic) and (d.pack, d.mbstd) == (2, 4)
    assert d(torch.randn(8, 1, 16, 16)).shape == (4,)
    _, plain = build_networks(Config(g_width=4, d_width=4, z_dim=8), data, get_objective("non-saturating"))
    assert (plain.pack, plain.mbstd) == (1, 0) and plain.features[0].in_channels == 1


def test_a_packed_conditional_run_is_one_error_line(tmp_path, capsys):
    from divergan.cli import main

    args = ["train", "--preset", "digits-quick", "--set", "conditional=true", "--set", "pack=2"]
    assert main([*args, "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: pack > 1 takes an unconditional critic") and err.count("\n") == 1
    assert not (tmp_path / "run").exists()
