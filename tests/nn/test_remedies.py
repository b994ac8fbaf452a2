"""Remedies for mode collapse as networks: packing, minibatch std, maxout, batch norm in G; the builder."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from divergan.errors import UserError
from divergan.nn import MLP
from divergan.nn.dcgan import recalibrate_batchnorm
from divergan.nn.remedies import CriticMLP, Maxout, MinibatchStd, PackedCritic, generator_mlp, toy_networks
from divergan.train import apply_overrides, preset


class Recorder(nn.Module):
    """Returns the sum of its (B, k) input's rows and remembers the input."""

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        self.seen = v
        return v.sum(dim=1)


def test_packing_reshapes_consecutive_samples_into_one_input():
    inner = Recorder()
    x = torch.arange(12.0).reshape(6, 2)  # rows (0,1), (2,3), ...
    out = PackedCritic(inner, 3)(x)
    assert inner.seen.shape == (2, 6)
    torch.testing.assert_close(inner.seen, torch.tensor([[0.0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]))
    assert out.shape == (2,)


def test_a_packed_critic_refuses_a_batch_it_cannot_pack():
    with pytest.raises(ValueError, match="multiple of 4"):
        PackedCritic(Recorder(), 4)(torch.zeros(6, 2))


def test_the_packed_critics_gradient_reaches_every_packed_sample():
    torch.manual_seed(0)
    inner = nn.Linear(8, 1)  # m = 4 samples of d = 2
    critic = PackedCritic(inner, 4)
    x = torch.randn(8, 2, requires_grad=True)
    critic(x).sum().backward()
    w = inner.weight.detach().reshape(4, 2)  # slot j of a pack sees weights w[j]
    torch.testing.assert_close(x.grad, torch.cat([w, w]))  # each row gets the weights of its slot
    assert (x.grad.abs().sum(dim=1) > 0).all()


def test_pointwise_packs_each_point_with_copies_of_itself():
    inner = Recorder()
    v = PackedCritic(inner, 2).pointwise(torch.tensor([[1.0, 2.0], [3.0, 5.0], [0.0, 1.0]]))
    torch.testing.assert_close(v, torch.tensor([6.0, 16.0, 2.0]))


def test_minibatch_std_appends_the_groups_mean_feature_std():
    x = torch.tensor([[0.0, 0.0], [2.0, 4.0], [1.0, 1.0], [1.0, 1.0]])
    out = MinibatchStd(group=2)(x)
    # group 1: stds (1, 2) -> 1.5; group 2: stds (0, 0) -> 1e-4 (the sqrt of the 1e-8)
    torch.testing.assert_close(out[:, 2], torch.tensor([1.5, 1.5, 1e-4, 1e-4]))
    torch.testing.assert_close(out[:, :2], x)
    # a batch the group does not divide is one group: variances 2/3 and 26/9 over rows 0-2
    torch.testing.assert_close(
        MinibatchStd(group=4)(x[:3])[:, 2], torch.full((3,), ((2 / 3) ** 0.5 + (26 / 9) ** 0.5) / 2)
    )


def test_minibatch_std_equals_torchs_biased_variance_to_second_order():
    # the layer computes the variance as a mean of squared deviations (torch.var is slow on CPU here):
    # value, gradient and the gradient of the gradient (what R1/R2 differentiate) must equal torch.var's
    def reference(x):
        var = x.reshape(-1, 8, x.shape[1]).var(dim=1, unbiased=False, keepdim=True)
        s = (var + 1e-8).sqrt().mean(dim=2, keepdim=True)
        return torch.cat([x, s.expand(-1, 8, 1).reshape(x.shape[0], 1)], dim=1)

    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(32, 5, generator=gen, dtype=torch.float64) + 100.0).requires_grad_()
    w = torch.randn(32, 6, generator=gen, dtype=torch.float64)
    outs = [f(x) for f in (MinibatchStd(group=8), reference)]
    torch.testing.assert_close(outs[0], outs[1])
    grads = [torch.autograd.grad((o * w).sum(), x, create_graph=True)[0] for o in outs]
    torch.testing.assert_close(grads[0], grads[1])
    second = [torch.autograd.grad(g.square().sum(), x)[0] for g in grads]
    torch.testing.assert_close(second[0], second[1])
    assert second[0].abs().max() > 1e-3  # the second-order term is not trivially zero
    assert torch.autograd.gradgradcheck(MinibatchStd(group=8), (x[:16].detach().requires_grad_(),))


def test_a_minibatch_std_critic_is_batch_dependent_and_reads_the_batch():
    torch.manual_seed(0)
    d = CriticMLP(2, 1, 16, 2, mbstd=2)
    assert d.batch_dependent and not CriticMLP(2, 1, 16, 2).batch_dependent
    x = torch.randn(4, 2)
    changed = x.clone()
    changed[1] += 3.0  # row 0 shares its group with row 1
    assert d(x)[0] != d(changed)[0]
    assert d(x)[2] == d(changed)[2]  # the other group is untouched


def test_maxout_takes_the_maximum_of_its_pieces():
    m = Maxout(3, 2, pieces=4)
    x = torch.randn(5, 3)
    pieces = (x @ m.linear.weight.T + m.linear.bias).reshape(5, 2, 4)
    torch.testing.assert_close(m(x), pieces.max(dim=2).values)


def test_without_remedies_the_builder_makes_the_plain_mlps():
    kw = dict(g_width=16, g_depth=2, d_width=8, d_depth=2, d_fourier=4)
    torch.manual_seed(3)
    (g,), (d,) = toy_networks(1, 2, 2, 1, **kw)
    torch.manual_seed(3)
    g_ref, d_ref = MLP(2, 2, 16, 2, "relu"), MLP(2, 1, 8, 2, "leaky_relu", 4, 3.0, squeeze=True)
    for a, b in ((g, g_ref), (d, d_ref)):
        assert type(a) is type(b)
        for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
            assert torch.equal(p, q), name


def test_builder_options():
    (g,), (d,) = toy_networks(1, 2, 2, 1, g_width=8, g_depth=2, d_width=8, d_depth=2, g_norm="batch", pack=4)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in g.modules()) == 2
    assert isinstance(d, PackedCritic) and d.pack == 4 and d(torch.zeros(8, 2)).shape == (2,)
    gs, ds = toy_networks(3, 2, 2, 1, g_width=8, g_depth=1, d_width=8, d_depth=1, critic=False)
    assert len(gs) == 3 and ds == []


def test_standing_statistics_for_a_batch_norm_generator():
    torch.manual_seed(0)
    g = generator_mlp(2, 2, 8, 2, "batch")
    z = torch.randn(256, 2)
    recalibrate_batchnorm(g, lambda: (z,), batches=1)
    assert not g.training
    g_train = generator_mlp(2, 2, 8, 2, "batch")
    g_train.load_state_dict(g.state_dict())
    # eval mode with statistics of exactly this batch = train mode on this batch (biased variance aside)
    bn = [m for m in g.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(m.num_batches_tracked == 1 for m in bn)
    torch.testing.assert_close(g(z), g_train.train()(z), rtol=0, atol=0.05)


@pytest.mark.parametrize(
    "sets",
    [
        ["pack=4"],
        ["g_norm=batch"],
        ["d_maxout=3"],
        ["d_mbstd=4"],
        ["objective=rpgan", "pack=2", "objective.r1=0.1", "objective.r2=0.1"],
        ["objective=wgan-gp", "pack=2", "d_mbstd=2"],
    ],
)
def test_every_remedy_trains(tmp_path, sets):
    from divergan.train import train

    cfg = apply_overrides(
        preset("quick"), ["steps=4", "eval_every=2", "eval_samples=64", "batch=32", "threads=1", *sets]
    )
    final = train(cfg, tmp_path / "run", progress=False)
    assert 0 <= final["direct"]["modes"] <= 25


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["pack=3"], "multiple of pack"),
        (["pack=0"], "pack must be at least 1"),
        (["g_norm=layer"], "g_norm must be one of"),
        (["d_mbstd=1"], "at least 2"),
        (["d_maxout=-1"], "must not be negative"),
        (["mix_components=2", "d_mbstd=4"], "use pack=1 and d_mbstd=0"),
        (["mix_components=2", "pack=2"], "use pack=1 and d_mbstd=0"),
    ],
)
def test_bad_remedy_settings_are_user_errors(sets, message):
    from divergan.train import build

    with pytest.raises(UserError, match=message):
        build(apply_overrides(preset("quick"), ["batch=128", *sets]))


def test_a_sweep_refuses_the_remedies_it_cannot_vmap():
    from divergan.train.sweep import check

    with pytest.raises(UserError, match="plain MLPs"):
        check([apply_overrides(preset("quick"), ["pack=2"])])
    check([apply_overrides(preset("quick"), [])])  # the control: plain MLPs pass
