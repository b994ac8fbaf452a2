"""category_weights: the share of each target font in the training batches (pair_weights)."""

from __future__ import annotations

import pytest
import torch

from divergan.apps.glyphs import PairedGame, pair_weights
from divergan.data.glyphs import GlyphPairs
from divergan.errors import UserError
from divergan.objectives import get_objective
from divergan.train.config import Config, parse_weights

pytestmark = pytest.mark.usefixtures("one_thread")


def test_pair_weights_exact_values():
    c = torch.tensor([0, 0, 0, 1, 1, 1, 1, 1, 1])  # three pairs of font 0, six of font 1
    p = pair_weights(c, (2.0, 1.0))  # font 0 gets 2/3 of a batch, 1/3 × 1/3 = 2/9 per pair ...
    want = torch.tensor([2 / 9] * 3 + [1 / 18] * 6, dtype=torch.float64)  # ... font 1 1/3 × 1/6
    assert torch.allclose(p, want, atol=1e-15, rtol=0) and abs(float(p.sum()) - 1) < 1e-15
    even = pair_weights(c, (1.0, 1.0))  # equal weights: each font half a batch, not each pair alike
    assert torch.allclose(even, torch.tensor([1 / 6] * 3 + [1 / 12] * 6, dtype=torch.float64))
    assert pair_weights(c, None) is None
    with pytest.raises(ValueError, match="3 weights"):
        pair_weights(c, (1.0, 1.0, 1.0))  # a font with no pairs
    with pytest.raises(ValueError, match="1 weights"):
        pair_weights(c, (1.0,))


def _game(weights, seed=0, n0=10, n1=30, batch=3000):
    cat = torch.tensor([0] * n0 + [1] * n1)
    pairs = GlyphPairs(
        source=torch.arange(n0 + n1, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 4, 4),
        target=torch.zeros(n0 + n1, 1, 4, 4),
        category=cat,
        chars="x" * (n0 + n1),
        targets=("a", "b"),
    )
    obj = get_objective("non-saturating")
    rng = torch.Generator().manual_seed(seed)
    game = PairedGame(
        obj,
        None,
        None,
        pairs,
        batch=batch,
        rng=rng,
        device=torch.device("cpu"),
        l1_weight=1.0,
        category_weights=weights,
    )
    return game, pairs


def test_weighted_batches_have_the_asked_share_and_unweighted_ones_the_former_draw():
    game, _ = _game((3.0, 1.0))
    _s, _y, c = game.critic_batch()
    share = float((c == 0).double().mean())  # 3/4 asked; binomial sd sqrt(3/16/3000) = 0.0079
    assert abs(share - 0.75) < 5 * 0.0079
    plain, _ = _game(None)
    _s, _y, c = plain.critic_batch()
    assert abs(float((c == 0).double().mean()) - 0.25) < 5 * 0.0079  # by pairs: 10 of 40 (the control)
    # no weights: the very draw of torch.randint, so runs without category_weights are unchanged
    want = torch.randint(40, (3000,), generator=torch.Generator().manual_seed(0))
    assert torch.equal(plain.last[0][:, 0, 0, 0].long(), want)


def test_category_weights_config_errors():
    assert parse_weights("2,1") == (2.0, 1.0) and parse_weights("0.5") == (0.5,)
    for bad in ("2,x", "1,0", "-1,1", "nan,1", "inf", ""):
        with pytest.raises(UserError, match="category_weights"):
            parse_weights(bad)
    with pytest.raises(UserError, match="category_weights"):
        Config(category_weights="1,,2").validate()
    with pytest.raises(UserError, match="glyph_upsample"):
        Config(glyph_upsample="bilinear").validate()
    Config(category_weights="2,1", glyph_upsample="resize").validate()


@pytest.mark.usefixtures("dejavu")
def test_the_app_wants_one_weight_per_target_font():
    from divergan import apps
    from divergan.train.config import apply_overrides

    fonts = [
        "source=dejavu-sans",
        "targets=dejavu-serif,dejavu-sans-mono",
        "chars=ABCDEFGHIJ",
        "held_out=0.2",
    ]
    cfg = apply_overrides(apps.preset("glyphs-quick"), [*fonts, "category_weights=1,2,3"])
    with pytest.raises(UserError, match=r"one weight per target font \(2\)"):
        apps.check(cfg)
    apps.check(apply_overrides(apps.preset("glyphs-quick"), [*fonts, "category_weights=2,1"]))
