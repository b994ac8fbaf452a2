"""The glyph Game's extra generator terms: the L1-weight schedule and zi2zi's constant loss."""

from __future__ import annotations

import pytest
import torch

from divergan.apps.glyphs import generator_loss, l1_weight_at
from divergan.errors import UserError
from divergan.nn.translate import PatchCritic, UNetGenerator
from divergan.objectives import get_objective
from divergan.train.config import Config

pytestmark = pytest.mark.usefixtures("one_thread")


def test_l1_weight_schedule_exact_values():
    assert [l1_weight_at(100.0, -1.0, t, 5) for t in range(5)] == [100.0] * 5  # constant
    assert [l1_weight_at(100.0, 20.0, t, 5) for t in range(5)] == [100.0, 80.0, 60.0, 40.0, 20.0]
    assert l1_weight_at(10.0, 50.0, 99, 100) == 50.0 and l1_weight_at(10.0, 50.0, 0, 100) == 10.0
    assert l1_weight_at(7.0, 0.0, 0, 1) == 7.0  # one step: the start weight


def _batch():
    torch.manual_seed(0)
    G = UNetGenerator(16, 2, width=4, embed_dim=4, norm="instance")
    D = PatchCritic(2, width=4)
    s, y = torch.randn(3, 1, 16, 16).tanh(), torch.randn(3, 1, 16, 16).tanh()
    return G, D, s, y, torch.tensor([0, 1, 1])


def test_the_terms_add_up_to_the_loss():
    G, D, s, y, c = _batch()
    obj = get_objective("non-saturating")
    code, skips = G.encode(s)
    fake = G.decode(code, skips, c)
    const = (G.encode(fake)[0], code)
    loss, terms = generator_loss(obj, D, s, y, c, fake, 100.0, const, 15.0)
    want_const = ((G.encode(fake)[0] - code) ** 2).mean()
    assert torch.allclose(terms["constant"], want_const)
    assert torch.allclose(terms["l1"], (fake - y).abs().mean())
    assert torch.allclose(loss, terms["adversarial"] + 100.0 * terms["l1"] + 15.0 * want_const)
    plain, plain_terms = generator_loss(obj, D, s, y, c, fake, 100.0)
    assert "constant" not in plain_terms
    assert torch.allclose(plain, terms["adversarial"] + 100.0 * terms["l1"])


def test_the_constant_loss_is_zero_for_a_copy_and_holds_the_source_code_fixed():
    G, D, s, y, c = _batch()
    code, _ = G.encode(s)
    zero = generator_loss(get_objective("lsgan"), D, s, y, c, s, 1.0, (G.encode(s)[0], code), 1.0)[1]
    assert float(zero["constant"]) == 0.0  # G(s) = s encodes as s
    # the gradient flows into enc(G(s, c)) only: enc(s) is the fixed reference
    enc_fake = torch.randn(3, 8, 1, 1, requires_grad=True)
    enc_src = torch.randn(3, 8, 1, 1, requires_grad=True)
    loss, _ = generator_loss(get_objective("lsgan"), D, s, y, c, s.clone(), 0.0, (enc_fake, enc_src), 1.0)
    g_fake, g_src = torch.autograd.grad(loss, [enc_fake, enc_src], allow_unused=True)
    assert g_src is None
    assert torch.allclose(g_fake, 2 * (enc_fake - enc_src) / enc_fake.numel())


@pytest.mark.parametrize(
    "item, message",
    [
        ({"glyph_norm": "layer"}, "glyph_norm"),
        ({"patch_down": 0}, "patch_down"),
        ({"patch_down": 4}, "patch_down"),
        ({"const_weight": -1.0}, "const_weight"),
        ({"l1_weight_end": float("nan")}, "l1_weight_end"),
    ],
)
def test_config_rejects_bad_glyph_keys(item, message):
    with pytest.raises(UserError, match=message):
        Config(**item).validate()


@pytest.mark.usefixtures("dejavu")
def test_judge_scores_identities():
    from divergan.apps.glyph_judge import cjk_heldout_characters
    from divergan.apps.glyphs import judge_scores
    from divergan.data import glyphs

    latin = glyphs.glyph_pairs("ABC", "dejavu-sans", ["dejavu-serif"], 32)
    assert judge_scores(latin, latin.target) is None  # characters the judge does not know
    if not all(glyphs.installed(f) for f in ("wqy-microhei", "arphic-ukai", "arphic-uming")):
        pytest.skip("the CJK fonts of the glyph presets are not installed")
    chars = cjk_heldout_characters()[:40]
    pairs = glyphs.glyph_pairs(chars, "wqy-microhei", ["arphic-ukai", "arphic-uming"], 32)
    scores = judge_scores(pairs, pairs.target)  # "generated" = the real targets
    for font in ("arphic-ukai", "arphic-uming"):
        assert scores[font]["generated"] == scores[font]["real_target"] and scores[font]["n"] == 40
    copied = judge_scores(pairs, pairs.source)  # "generated" = the source glyphs
    assert all(copied[f]["generated"] == copied[f]["source"] for f in copied)
    blank = judge_scores(pairs, torch.full_like(pairs.target, -1.0))
    assert all(blank[f]["generated"] <= 1 / 40 for f in blank)  # one answer for all 40
