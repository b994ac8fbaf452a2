"""The glyph Game's extra generator terms: the L1-weight schedule and zi2zi's constant loss."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from divergan.apps.glyphs import feature_matching, generator_loss, l1_weight_at, total_variation
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
        ({"glyph_jitter": -1}, "glyph_jitter"),
        ({"size": 32, "glyph_jitter": 9}, "glyph_jitter"),  # at most size / 4
        ({"tv_weight": -1.0}, "tv_weight"),
        ({"tv_weight": float("inf")}, "tv_weight"),
        ({"tv_norm": "l3"}, "tv_norm"),
        ({"fm_weight": -0.5}, "fm_weight"),
        ({"fm_weight": float("nan")}, "fm_weight"),
        ({"ssim_weight": -1.0}, "ssim_weight"),
        ({"ssim_weight": float("inf")}, "ssim_weight"),
    ],
)
def test_config_rejects_bad_glyph_keys(item, message):
    with pytest.raises(UserError, match=message):
        Config(**item).validate()


@pytest.mark.usefixtures("dejavu")
def test_judge_scores_identities():
    from divergan.apps.glyph_judge import cjk_heldout_characters
    from divergan.apps.glyphs import judge_for, judge_scores
    from divergan.data import glyphs

    latin = glyphs.glyph_pairs("ABC", "dejavu-sans", ["dejavu-serif"], 32)
    # the Latin judge learnt from DejaVu Serif: it does not judge a run with that target, nor does any
    assert (
        judge_for(latin, "dejavu-sans", 32) is None
        and judge_scores(latin, latin.target, "dejavu-sans") is None
    )
    if glyphs.installed("p052"):
        p052 = glyphs.glyph_pairs("ABC", "dejavu-sans", ["p052"], 32)
        judge = judge_for(p052, "dejavu-sans", 32)
        assert judge is not None and len(judge.chars) == 69  # the Latin judge
        assert judge_for(p052, "dejavu-sans", 16) is None  # it reads 32-px glyphs only
        assert judge_for(p052, "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", 32) is None
        scores = judge_scores(p052, p052.target, "dejavu-sans")
        assert scores["p052"]["generated"] == scores["p052"]["real_target"] and scores["p052"]["n"] == 3
        assert scores["p052"]["read_at"] == 32
        # 64-px glyphs are read at 32 px: every image reduced by the same 2 × 2 area average
        big = glyphs.glyph_pairs("ABC", "dejavu-sans", ["p052"], 64)
        read = judge_scores(big, torch.full_like(big.target, -1.0), "dejavu-sans")["p052"]
        assert read["read_at"] == 32 and read["generated"] <= 1 / 3  # blank: one answer for all
        assert read["real_target"] == judge.accuracy(F.avg_pool2d(big.target, 2), big.chars)
        assert read["source"] == judge.accuracy(F.avg_pool2d(big.source, 2), big.chars)
        assert (
            judge_scores(
                glyphs.glyph_pairs("ABC", "dejavu-sans", ["p052"], 16),
                big.target[..., :16, :16],
                "dejavu-sans",
            )
            is None
        )
    if not all(glyphs.installed(f) for f in ("wqy-microhei", "arphic-ukai", "arphic-uming")):
        pytest.skip("the CJK fonts of the glyph presets are not installed")
    chars = cjk_heldout_characters()[:40]
    pairs = glyphs.glyph_pairs(chars, "wqy-microhei", ["arphic-ukai", "arphic-uming"], 32)
    scores = judge_scores(pairs, pairs.target, "wqy-microhei")  # "generated" = the real targets
    for font in ("arphic-ukai", "arphic-uming"):
        assert scores[font]["generated"] == scores[font]["real_target"] and scores[font]["n"] == 40
    copied = judge_scores(pairs, pairs.source, "wqy-microhei")  # "generated" = the source glyphs
    assert all(copied[f]["generated"] == copied[f]["source"] for f in copied)
    blank = judge_scores(pairs, torch.full_like(pairs.target, -1.0), "wqy-microhei")
    assert all(blank[f]["generated"] <= 1 / 40 for f in blank)  # one answer for all 40


def test_training_only_characters_leave_the_heldout_split_alone():
    from divergan.data.glyphs import charset, gb2312_level1, gb2312_level2, split_characters, split_charset

    level1, level2 = gb2312_level1(), gb2312_level2()
    assert (len(level1), len(level2)) == (3755, 3008) and not set(level1) & set(level2)
    assert charset("gb2312+2") == level1 + level2
    train, held = split_charset("gb2312+2", 0.08, 0)
    base_train, base_held = split_characters(level1, 0.08, 0)
    assert held == base_held and len(held) == 301  # the judge's held-out characters do not move
    assert train == base_train + level2 and not set(train) & set(held)
    assert split_charset("gb2312", 0.08, 0) == (base_train, base_held)


def test_gbk_extras_add_training_characters_only():
    from divergan.data.glyphs import gb2312_level1, gb2312_level2, gbk_extension, split_charset

    extra = gbk_extension()
    assert len(extra) == 14139 and len(set(extra)) == len(extra) and "體" in extra and "龍" in extra
    assert not set(extra) & (set(gb2312_level1()) | set(gb2312_level2()))
    assert "\u4e00" <= min(extra) and max(extra) <= "\u9fff"  # CJK unified ideographs only
    train, held = split_charset("gb2312+gbk", 0.08, 0)
    base_train, base_held = split_charset("gb2312+2", 0.08, 0)
    assert held == base_held and train == base_train + extra and not set(train) & set(held)


def test_accented_extras_never_show_a_heldout_letter():
    import unicodedata

    from divergan.data.glyphs import LATIN, latin_accented, split_characters, split_charset

    accented = latin_accented()
    assert len(accented) == 161 and "é" in accented and "ø" not in accented  # ø does not decompose
    train, held = split_charset("latin+accents", 0.2, 0)
    base_train, base_held = split_characters(LATIN, 0.2, 0)
    assert held == base_held and train.startswith(base_train)
    extras = train[len(base_train) :]
    assert extras and set(extras) <= set(accented)
    for c in extras:  # an extra's base letter is a training letter, never a held-out one
        assert unicodedata.normalize("NFD", c)[0] in base_train
    # negative control: with e held out, é, è, ê, ë, ē, ĕ, ė, ę, ě all stay out of training
    e_out = [c for c in accented if unicodedata.normalize("NFD", c)[0] == "e"]
    assert len(e_out) == 9
    for seed in range(50):
        train, held = split_charset("latin+accents", 0.2, seed)
        if "e" in held:
            assert not set(e_out) & set(train)
            break
    else:
        pytest.fail("no seed below 50 holds e out")


def test_decoder_dropout_acts_only_in_training_and_keeps_the_parameter_names():
    torch.manual_seed(0)
    plain = UNetGenerator(32, 2, width=4, embed_dim=4, norm="instance")
    drop = UNetGenerator(32, 2, width=4, embed_dim=4, norm="instance", dropout=0.5)
    assert plain.state_dict().keys() == drop.state_dict().keys()
    drop.load_state_dict(plain.state_dict())
    n_drop = sum(isinstance(m, torch.nn.Dropout) for m in drop.modules())
    assert n_drop == 2 and not any(isinstance(m, torch.nn.Dropout) for m in plain.modules())
    s, c = torch.randn(4, 1, 32, 32).tanh(), torch.tensor([0, 1, 0, 1])
    plain.eval(), drop.eval()
    assert torch.equal(plain(s, c), drop(s, c))  # eval: no dropout
    drop.train()
    torch.manual_seed(1)
    a = drop(s, c)
    torch.manual_seed(2)
    assert not torch.equal(a, drop(s, c))  # training: a different mask each call
    with pytest.raises(UserError, match="glyph_dropout"):
        Config(glyph_dropout=1.0).validate()


def test_pyramid_l1_exact_values():
    from divergan.apps.glyphs import pyramid_l1

    y = torch.full((1, 1, 8, 8), -1.0)
    y[..., 2] = 1.0  # a one-pixel vertical stroke in column 2
    shifted = torch.roll(y, 1, dims=-1)  # the stroke one pixel over, column 3: the same 2×2 cells
    blank = torch.full_like(y, -1.0)
    assert float(pyramid_l1(shifted, y, 1)) == float((shifted - y).abs().mean()) == 0.5  # 16 px × 2 / 64
    assert float(pyramid_l1(shifted, y, 2)) == 0.5  # pooled by 2: equal cell means, + 0
    assert float(pyramid_l1(blank, y, 1)) == 0.25  # erasing the stroke costs half of moving it ...
    assert float(pyramid_l1(blank, y, 2)) == 0.5  # ... at one scale; at two it costs as much
    assert float(pyramid_l1(blank, y, 3)) == 0.75  # (4 × 4 cells: 0.25 again)
    far = torch.roll(y, -1, dims=-1)  # column 1: another 2×2 cell, the same 4×4 cell
    assert float(pyramid_l1(far, y, 3)) == 0.5 + 0.5 + 0.0
    fake = torch.randn(2, 1, 8, 8, requires_grad=True)
    _, terms = generator_loss(
        get_objective("lsgan"),
        PatchCritic(1, 4),
        y.expand(2, -1, -1, -1),
        y.expand(2, -1, -1, -1),
        torch.zeros(2, dtype=torch.long),
        fake,
        3.0,
        l1_scales=2,
    )
    assert torch.allclose(terms["l1_pyramid"], pyramid_l1(fake, y, 2)) and "l1_pyramid" in terms
    assert torch.allclose(terms["l1"], (fake - y).abs().mean())
    with pytest.raises(UserError, match="l1_scales"):
        Config(l1_scales=0).validate()


def test_loading_a_judge_leaves_the_global_random_generator_alone():
    """The glyph app reads the judge at every evaluation interval: building its network (random initial
    weights, then overwritten) must not move torch's global generator, or a resumed run would differ
    from an unbroken one."""
    from divergan.apps.glyph_judge import CJK_JUDGE, GlyphJudge, load_judge

    torch.manual_seed(3)
    before = torch.random.get_rng_state()
    judge = load_judge(CJK_JUDGE)
    assert torch.equal(torch.random.get_rng_state(), before)
    GlyphJudge(len(judge.chars), judge.size)  # the control: building one draws from the generator
    assert not torch.equal(torch.random.get_rng_state(), before)


def test_shift_images_moves_whole_pixels_and_fills_the_border():
    from divergan.apps.glyphs import shift_images

    x = torch.rand(3, 2, 8, 8) * 2 - 1
    assert shift_images(x, torch.zeros(3, 2, dtype=torch.long)).equal(x)  # (0, 0): the identity
    out = shift_images(x, torch.tensor([[2, 1], [-3, 0], [0, -1]]))  # (dx, dy) per image
    assert out[0, :, 1:, 2:].equal(x[0, :, :-1, :-2])  # right 2, down 1
    assert (out[0, :, :1] == -1).all() and (out[0, :, :, :2] == -1).all()
    assert out[1, :, :, :-3].equal(x[1, :, :, 3:]) and (out[1, :, :, -3:] == -1).all()  # left 3
    assert out[2, :, :-1].equal(x[2, :, 1:]) and (out[2, :, -1:] == -1).all()  # up 1
    assert not out[0].equal(x[0])  # negative control: a real shift changes the image


def test_jitter_moves_source_and_target_of_a_pair_alike():
    from divergan.apps.glyphs import jitter_pairs, shift_images

    s, y = torch.rand(16, 1, 8, 8) * 2 - 1, torch.rand(16, 1, 8, 8) * 2 - 1
    rng = torch.Generator().manual_seed(0)
    state = rng.get_state()
    s0, y0, shifts0 = jitter_pairs(s, y, 0, rng)
    assert s0.equal(s) and y0.equal(y) and not shifts0.any()  # 0: the identity
    assert rng.get_state().equal(state)  # and nothing drawn: a jitter-free run's stream is unchanged
    s2, y2, shifts = jitter_pairs(s, y, 2, rng)
    assert shifts.abs().max() <= 2 and shifts.any()
    expected = torch.randint(-2, 3, (16, 2), generator=torch.Generator().manual_seed(0))
    assert shifts.equal(expected)  # drawn from the run's generator
    assert s2.equal(shift_images(s, shifts)) and y2.equal(shift_images(y, shifts))  # one shift per pair
    other = shifts.roll(1, dims=0)  # negative control: the target moved by another pair's shift
    moved = [i for i in range(16) if not other[i].equal(shifts[i])]
    assert moved and not shift_images(y, other)[moved].equal(y2[moved])


def test_total_variation_exact_values_and_what_each_norm_prefers():
    """On a 4×4 image: a vertical step from −1 to 1 (one jump of 2 in each of 4 rows) and the same step as
    a ramp over two pixels (jumps of 1 and 1); on a 4×6 image, two pixels of ink side by side and the same
    ink as two dots. The l1 form charges the step and the ramp alike and the dots more than the solid
    stroke; the l2 form (zi2zi's) charges the ramp half the step."""
    step = torch.tensor([[-1.0, -1, 1, 1]]).expand(4, 4).reshape(1, 1, 4, 4)
    ramp = torch.tensor([[-1.0, 0, 1, 1]]).expand(4, 4).reshape(1, 1, 4, 4)
    # 4 rows × 3 pairs = 12 pairs per direction; nothing changes down a column
    assert float(total_variation(step, "l1")) == pytest.approx(8 / 12, rel=1e-6)  # 4 jumps of 2
    assert float(total_variation(ramp, "l1")) == pytest.approx(8 / 12, rel=1e-6)  # 8 jumps of 1: the same
    assert float(total_variation(step, "l2")) == pytest.approx(16 / 12, rel=1e-6)  # 4 × 2²
    assert float(total_variation(ramp, "l2")) == pytest.approx(8 / 12, rel=1e-6)  # 8 × 1²: blur is cheaper
    solid = torch.full((1, 1, 4, 6), -1.0)
    solid[..., 1, 1:3] = 1.0  # two pixels of ink side by side
    dotted = torch.full((1, 1, 4, 6), -1.0)
    dotted[..., 1, 1] = dotted[..., 1, 3] = 1.0  # the same ink as two dots
    # 3 × 6 = 18 vertical pairs, 4 × 5 = 20 horizontal ones; every jump is 2
    assert float(total_variation(solid, "l1")) == pytest.approx(4 * 2 / 18 + 2 * 2 / 20, rel=1e-6)
    assert float(total_variation(dotted, "l1")) == pytest.approx(4 * 2 / 18 + 4 * 2 / 20, rel=1e-6)
    assert float(total_variation(torch.zeros(2, 1, 5, 5))) == 0.0  # a flat image has none
    with pytest.raises(ValueError, match="norm"):
        total_variation(step, "l3")


def _without_and_with(term: str, **options):
    """((D, s, y, c, fake), the generator loss without an optional term, with it (``options``), its terms). Without
    its weight the term is absent (the loss as before, bit for bit)."""
    G, D, s, y, c = _batch()
    obj = get_objective("non-saturating")
    fake = G(s, c)
    plain, plain_terms = generator_loss(obj, D, s, y, c, fake, 100.0)
    assert term not in plain_terms
    loss, terms = generator_loss(obj, D, s, y, c, fake, 100.0, **options)
    return (D, s, y, c, fake), plain, loss, terms


def test_the_total_variation_term_adds_exactly_and_is_absent_at_weight_zero():
    (_, _, _, _, fake), plain, loss, terms = _without_and_with("tv", tv_weight=7.0, tv_norm="l2")
    assert torch.allclose(terms["tv"], total_variation(fake, "l2"))
    assert torch.equal(loss, plain + 7.0 * total_variation(fake, "l2"))


def test_the_critic_features_are_its_hidden_layers_and_its_logits():
    _G, D, s, y, c = _batch()
    hidden, logits = D.features(s, y, c)
    assert torch.equal(logits, D(s, y, c))  # one pass gives forward's logits
    assert [h.shape[1] for h in hidden] == [4, 8, 16]  # two stride-2 convolutions and the 3×3, each activated
    x = torch.cat([s, y, F.one_hot(c, 2).float()[:, :, None, None].expand(-1, -1, 16, 16)], dim=1)
    torch.testing.assert_close(hidden[0], F.leaky_relu(D.net[0](x), 0.2))


def test_feature_matching_by_hand_and_its_term_in_the_loss():
    a, b = [torch.zeros(2, 3), torch.ones(1, 4)], [torch.ones(2, 3), torch.ones(1, 4) * 3]
    assert float(feature_matching(a, b)) == pytest.approx((1.0 + 2.0) / 2)  # each layer's mean, averaged
    assert float(feature_matching(b, b)) == 0.0  # the same activations: no loss
    (D, s, y, c, fake), plain, loss, terms = _without_and_with("feature_matching", fm_weight=10.0)
    obj = get_objective("non-saturating")
    expected = feature_matching(D.features(s, fake, c)[0], D.features(s, y, c)[0]).detach()
    assert torch.allclose(terms["feature_matching"], expected) and float(expected) > 0
    torch.testing.assert_close(loss.detach(), plain.detach() + 10.0 * expected)
    _, at_target = generator_loss(obj, D, s, y, c, y.clone().requires_grad_(), 100.0, fm_weight=10.0)
    assert float(at_target["feature_matching"]) == 0.0  # control: the real glyph itself matches exactly
    rp = get_objective("rpgan")  # a generator loss that reads V(s, y, c): one real pass serves both terms
    loss, _ = generator_loss(rp, D, s, y, c, fake, 100.0, fm_weight=10.0)
    plain, _ = generator_loss(rp, D, s, y, c, fake, 100.0)
    torch.testing.assert_close(loss.detach(), plain.detach() + 10.0 * expected)


def test_the_ssim_term_adds_one_minus_the_evaluations_ssim_and_is_absent_at_weight_zero():
    from divergan.metrics.similarity import ssim

    (D, s, y, c, fake), plain, loss, terms = _without_and_with("ssim", ssim_weight=30.0)
    obj = get_objective("non-saturating")
    expected = 1 - ssim(fake, y).mean().detach()
    torch.testing.assert_close(terms["ssim"], expected)
    assert float(expected) > 0.1  # an untrained U-Net is far from the target
    torch.testing.assert_close(loss.detach(), plain.detach() + 30.0 * expected)
    (grad,) = torch.autograd.grad(loss - plain, fake)
    assert grad.abs().sum() > 0  # the term trains the generator
    _, at_target = generator_loss(obj, D, s, y, c, y.clone().requires_grad_(), 100.0, ssim_weight=30.0)
    assert float(at_target["ssim"]) == pytest.approx(0.0, abs=1e-6)  # control: the target itself


def _pairs(chars, sources, targets):
    from divergan.data.glyphs import GlyphPairs

    def images(codes):  # each glyph a 4×4 image: -1 everywhere but the listed pixels (+1)
        out = -torch.ones(len(codes), 16)
        for i, on in enumerate(codes):
            out[i, list(on)] = 1.0
        return out.view(-1, 1, 4, 4)

    return GlyphPairs(
        chars, images(sources), images(targets), torch.zeros(len(chars), dtype=torch.long), ("t",)
    )


def test_near_copies_of_heldout_glyphs_leave_training():
    from divergan.data.glyphs import near_copies, without_characters

    a, b, c, h = (), (0, 1, 2), tuple(range(3, 9)), tuple(range(9, 16))  # the closest two: a and b, 3 px
    train = _pairs(
        "abcXYZ",
        [a, b, c, range(16), range(16), h[:-1]],  # Z's source: h's less one pixel
        [a, b, c, h[2:], h[3:], range(6)],  # X's target: h's less 2 pixels; Y's: less 3 (= the bar)
    )
    held = _pairs("h", [h], [h])
    assert near_copies(train, held, "XYZ") == "XZ"  # X through the target font, Z through the source
    assert near_copies(train, held, "") == ""  # base characters are never left out (a and b stay)
    kept = without_characters(train, "XZ")
    assert kept.chars == "abcY" and torch.equal(kept.target[3], train.target[4]) and len(kept.category) == 4
    # negative control: with a and b as far apart as any other pair, the bar moves past Y (3 px < 6 px)
    wide = _pairs(
        "abcXYZ",
        [a, tuple(range(6)), c, range(16), range(16), h[:-1]],
        [a, tuple(range(6)), c, h[2:], h[3:], range(6)],
    )
    assert near_copies(wide, held, "XYZ") == "XYZ"


def test_summary_names_the_near_copies_only_when_there_are_some():
    from pathlib import Path

    from divergan.apps.glyphs import summary

    row = {"l1": 0.1, "ssim": 0.5, "iou": 0.4}
    final = {
        "heldout": {"model": row, "baseline_source": row, "baseline_mean_target": row},
        "source": "s",
        "targets": ["t"],
        "train_seconds": 1.0,
        "heldout_characters": "苟统",
        "near_copies_left_out": "統茍",
    }
    line = "left out of training as near copies of held-out glyphs: 統茍"
    assert line in summary(Path("run"), final).splitlines()
    assert "near copies" not in summary(Path("run"), {**final, "near_copies_left_out": ""})
    assert "near copies" not in summary(
        Path("run"), {k: v for k, v in final.items() if k != "near_copies_left_out"}
    )
