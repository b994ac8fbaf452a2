"""The glyph networks: the PatchGAN's receptive field, the U-Net's encoder/decoder split, its norms."""

from __future__ import annotations

import pytest
import torch

from divergan.nn.translate import PatchCritic, UNetGenerator, receptive_field

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
