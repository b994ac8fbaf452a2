"""The spectrally normalised DCGAN critic (``d_norm=spectral``, SNGAN): every weight used as W / σ(W)
against torch.linalg's largest singular value, exactly on a weight with a known spectrum and after power
iteration on a drawn one; no normalisation layer and no batch dependence; the initialisation restarting
the power iteration on the new weight; exact resume; and the configurations it refuses."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from divergan.nn.dcgan import DCGANCritic, init_weights
from divergan.train import Config, apply_overrides, preset
from divergan.train import checkpoint as ckpt


def top_singular_value(weight: torch.Tensor) -> float:
    """σ₁ of the weight reshaped to (out, rest), as SNGAN normalises it (the matrix 2-norm)."""
    return float(torch.linalg.matrix_norm(weight.detach().flatten(1).double(), ord=2))


def normalised(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if parametrize.is_parametrized(m, "weight")]


def spectral_critic(**kwargs) -> DCGANCritic:
    torch.manual_seed(0)
    d = DCGANCritic(16, 1, 8, "spectral", **kwargs)
    init_weights(d)
    return d


def test_every_weight_is_normalised_and_no_norm_layer_is_left():
    d = spectral_critic()
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and normalised(d) == convs  # input, hidden and head
    assert not any(isinstance(m, nn.BatchNorm2d | nn.GroupNorm) for m in d.modules())
    assert not d.batch_dependent
    plain = DCGANCritic(16, 1, 8, "none")  # the control: the same critic unnormalised
    assert normalised(plain) == []


def test_a_known_spectrum_is_divided_by_its_largest_singular_value():
    """W = U diag(3, 1, 0.5, …) Vᵀ: one power iteration multiplies the error by (1/3)², so after 40
    forward passes the normalised weight is W / 3 to round-off: singular values 1, 1/3, 1/6, …"""
    d = spectral_critic()
    conv = d.features[2]  # (16, 8, 4, 4): a 16 × 128 matrix
    g = torch.Generator().manual_seed(1)
    u, _ = torch.linalg.qr(torch.randn(16, 16, generator=g))
    v, _ = torch.linalg.qr(torch.randn(128, 16, generator=g))
    s = torch.tensor([3.0, 1.0] + [0.5] * 14)
    with torch.no_grad():
        conv.parametrizations.weight.original.copy_((u * s @ v.T).reshape(16, 8, 4, 4))
    x = torch.randn(4, 1, 16, 16, generator=g)
    for _ in range(40):
        d(x)
    got = torch.linalg.svdvals(conv.weight.detach().flatten(1).double())
    assert torch.allclose(got, s.double() / 3, atol=1e-5), got[:3]


def test_drawn_weights_reach_singular_value_one_from_above():
    """uᵀWv ≤ σ₁(W) for unit u, v, so σ₁(W / uᵀWv) ≥ 1 at every step, → 1 as the power iteration
    converges (here a mildly separated spectrum: 500 passes); the unnormalised weights are not at 1."""
    d = spectral_critic(pack=2, mbstd=2)
    x = torch.randn(8, 1, 16, 16, generator=torch.Generator().manual_seed(2))
    d(x)
    assert all(top_singular_value(m.weight) >= 1 - 1e-6 for m in normalised(d))
    for _ in range(500):
        d(x)
    for m in normalised(d):
        assert top_singular_value(m.weight) == pytest.approx(1.0, abs=1e-3)
        assert abs(top_singular_value(m.parametrizations.weight.original) - 1) > 0.05


def test_eval_mode_freezes_the_estimate_and_outputs_are_per_image():
    d = spectral_critic()
    d.eval()
    a, b = torch.randn(3, 1, 16, 16), torch.randn(5, 1, 16, 16)
    joint = d(torch.cat([a, b]))
    assert torch.allclose(joint, torch.cat([d(a), d(b)]), atol=1e-6)
    sn = d.features[2].parametrizations.weight[0]
    v = sn._v.clone()
    d(a)
    assert torch.equal(v, sn._v)
    d.train()
    d(a)
    assert not torch.equal(v, sn._v)  # a training pass iterates


def test_init_draws_the_unnormalised_weight_and_restarts_the_iteration():
    """After init_weights the power-iteration vector v fits the newly drawn weight (15 fresh iterations:
    ‖Wv‖ within 5 % of σ₁(W)); the vector fitted to the weight it replaced does not (the control)."""
    d = spectral_critic()
    conv = d.features[2]
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():  # another weight, with a clear top direction, that v then fits
        conv.parametrizations.weight.original.copy_(torch.randn(16, 8, 4, 4, generator=g) + 1.0)
    for _ in range(20):
        d(torch.randn(4, 1, 16, 16, generator=g))
    stale = conv.parametrizations.weight[0]._v.clone().double()
    init_weights(d)
    original = conv.parametrizations.weight.original.detach()
    assert original.std().item() == pytest.approx(0.02, rel=0.1)  # DCGAN's N(0, 0.02²), 2,048 draws
    assert normalised(d) == [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    w, sigma = original.flatten(1).double(), top_singular_value(original)
    fresh = conv.parametrizations.weight[0]._v.double()
    assert float(w.mv(fresh).norm()) == pytest.approx(sigma, rel=0.05)
    assert float(w.mv(stale).norm()) < 0.95 * sigma


def test_a_conditional_critic_normalises_its_projection_embedding():
    d = spectral_critic(num_classes=3)
    assert isinstance(d.embed, nn.Embedding) and d.embed in normalised(d)
    out = d(torch.randn(4, 1, 16, 16), torch.tensor([0, 1, 2, 0]))
    assert out.shape == (4,)


# -- training ----------------------------------------------------------------------------------------------


def digits(*overrides: str) -> Config:
    return apply_overrides(preset("digits-quick"), ["plot=false", "tensorboard=false", *overrides])


def final_tensors(run, steps):
    return ckpt.load(ckpt.checkpoint_path(run, steps))[0]


def test_a_spectral_run_changes_the_weights_and_resumes_exactly(tmp_path, stopped_and_resumed):
    """Checkpoints carry u and v: a run stopped at step 6 and resumed ends bit-identical to one that
    ran through (the power iteration state included); and it trains something other than batch norm."""
    cfg = digits("steps=12", "checkpoint_every=6", "keep_checkpoints=10", "d_norm=spectral")
    a, b = stopped_and_resumed(cfg)
    assert any(n.endswith("._u") for n in a) and any(n.endswith("._v") for n in a)
    compared = [n for n in a if n.split(".")[0] in ("G", "EMA", "D", "opt_G", "opt_D")]
    assert compared and all(torch.equal(a[n], b[n]) for n in compared)


@pytest.mark.parametrize(
    ("sets", "words"),
    [
        (["--data", "ring8", "--set", "d_norm=spectral"], "d_norm=spectral"),
        (["--preset", "digits-quick", "--objective", "mmd", "--set", "d_norm=spectral"], "d_norm=spectral"),
        (["--preset", "digits-quick", "--set", "arch=mlp", "--set", "d_norm=spectral"], "arch=mlp"),
        (["--set", "app=style", "--set", "d_norm=spectral"], "style application"),
        (["--set", "d_norm=spectrum"], "d_norm must be one of"),
    ],
)
def test_bad_uses_are_one_error_line(train_refuses, sets, words):
    train_refuses(sets, words)


def test_a_sweep_refuses_spectral_norm_instead_of_ignoring_it():
    from divergan.errors import UserError
    from divergan.train.sweep import check

    check([apply_overrides(preset("quick"), ["data=ring8"])])  # the control
    with pytest.raises(UserError, match="d_norm=spectral"):
        check([apply_overrides(preset("quick"), ["data=ring8", "d_norm=spectral"])])
