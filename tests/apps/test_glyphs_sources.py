"""extra_sources: the training characters drawn in further source fonts, paired with the same targets.

Exact checks: the extra pairs are the training characters in the extra font with the very target glyphs
of the main pairs; the held-out pairs (everything that is measured) do not change; without the option the
game draws from the very training pairs of before; the judge is refused when an extra source is one of
its fonts; bad names are one-line user errors."""

from __future__ import annotations

import pytest
import torch

from divergan import apps
from divergan.apps import glyphs
from divergan.data.glyphs import GlyphPairs, concat_pairs, font_file, render_glyph
from divergan.errors import UserError
from divergan.train.config import apply_overrides

from .test_glyph_app import TINY  # the same tiny DejaVu run

pytestmark = pytest.mark.usefixtures("one_thread", "dejavu")


def tiny(*more: str):
    return apply_overrides(apps.preset("glyphs-quick"), [*TINY, "steps=2", *more])


def test_extra_pairs_are_the_training_characters_in_the_extra_font_with_the_same_targets():
    plain = glyphs.load_data(tiny())
    data = glyphs.load_data(tiny("extra_sources=dejavu-sans-bold"))
    assert data.extra_sources == ("dejavu-sans-bold",) and plain.extra is None and plain.extra_sources == ()
    # the main training pairs and the held-out pairs are exactly those of the run without extra sources
    for a, b in ((data.train, plain.train), (data.held_out, plain.held_out)):
        assert a.chars == b.chars and a.source.equal(b.source) and a.target.equal(b.target)
        assert a.category.equal(b.category)
    extra = data.extra
    assert extra.chars == data.train.chars  # every training character, per target font, in the same order
    assert not set(extra.chars) & set(data.held_out.chars)  # no held-out character in any font
    assert extra.target.equal(data.train.target) and extra.category.equal(data.train.category)
    want = torch.stack([render_glyph(c, "dejavu-sans-bold", 16) for c in extra.chars])[:, None]
    assert extra.source.equal(want)
    assert not extra.source.equal(data.train.source)  # a different drawing of the same characters
    both = data.training
    assert len(both) == 2 * len(data.train) and both.source[len(data.train) :].equal(extra.source)
    assert data.sources == ("dejavu-sans", "dejavu-sans-bold") and plain.sources == "dejavu-sans"


def test_without_extra_sources_the_game_draws_from_the_very_training_pairs():
    for extra, n in (("", 1), ("dejavu-sans-bold", 2), ("dejavu-sans-bold,dejavu-serif-bold", 3)):
        cfg = tiny(f"extra_sources={extra}")
        app = apps.app_for(cfg)
        parts = app.build(cfg)
        game = app.game(cfg, parts, parts.generator, parts.critic, device=torch.device("cpu"), timer=None)
        assert len(game.pairs) == n * len(parts.dataset.train)
        assert (game.pairs is parts.dataset.train) == (extra == "")  # the object itself: the same draws


def test_concat_pairs_keeps_order_and_refuses_other_targets():
    def pairs(v: float, targets=("a", "b")) -> GlyphPairs:
        return GlyphPairs(
            "xy", torch.full((2, 1, 2, 2), v), torch.zeros(2, 1, 2, 2), torch.tensor([0, 1]), targets
        )

    both = concat_pairs(pairs(1.0), pairs(2.0))
    assert both.chars == "xyxy" and both.source[:, 0, 0, 0].tolist() == [1.0, 1.0, 2.0, 2.0]
    assert both.category.tolist() == [0, 1, 0, 1] and both.targets == ("a", "b")
    with pytest.raises(ValueError, match="different target fonts"):
        concat_pairs(pairs(1.0), pairs(2.0, ("a", "c")))


@pytest.mark.parametrize(
    "value, words",
    [
        ("dejavu-sans", "already a font of the run (dejavu-sans)"),
        ("dejavu-serif", "already a font of the run (dejavu-serif)"),
        ("dejavu-sans-bold,dejavu-sans-bold", "already a font of the run (dejavu-sans-bold)"),
        ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "already a font of the run (dejavu-sans)"),
        ("nope", "unknown font 'nope'"),
    ],
)
def test_bad_extra_sources_are_user_errors(value, words):
    with pytest.raises(UserError, match=words.replace("(", r"\(").replace(")", r"\)")):
        glyphs.load_data(tiny(f"extra_sources={value}"))


def test_blank_entries_are_refused_by_the_config(train_refuses):
    with pytest.raises(UserError, match="extra_sources must be comma-separated font names"):
        tiny("extra_sources=dejavu-sans-bold,,dejavu-serif-bold")
    train_refuses(
        [
            "--preset",
            "glyphs-quick",
            *(arg for s in TINY for arg in ("--set", s)),
            "--set",
            "extra_sources=dejavu-serif",
        ],
        "extra source 'dejavu-serif'",
    )


def test_the_judge_is_refused_when_an_extra_source_is_one_of_its_fonts(require):
    from divergan.data.glyphs import glyph_pairs, installed

    require(installed("p052") and installed("dejavu-sans-bold"), "fonts-urw-base35 is not installed")
    pairs = glyph_pairs("abc", "dejavu-sans", ["p052"], 32)
    judge = glyphs.judge_for(pairs, "dejavu-sans", 32)
    assert judge is not None  # the Latin judge reads DejaVu Sans -> P052 (neither is one of its fonts) ...
    assert glyphs.judge_for(pairs, ("dejavu-sans",), 32) is not None  # (one source as a tuple: the same)
    assert font_file("dejavu-sans-bold") in {font_file(f) for f in judge.fonts}
    assert glyphs.judge_for(pairs, ("dejavu-sans", "dejavu-sans-bold"), 32) is None  # ... not with its font


def test_split_seed_keeps_the_split_of_another_seed_and_defaults_to_the_seed():
    """split_seed fixes the held-out characters whatever the run's seed; negative (the default) is the seed.
    Negative control: two seeds without split_seed split differently (else the check could not fail)."""
    held = {s: set(glyphs.load_data(tiny(f"seed={s}")).held_out.chars) for s in (0, 1)}
    assert held[0] != held[1]  # the seed alone moves the split
    kept = glyphs.load_data(tiny("seed=1", "split_seed=0"))
    assert set(kept.held_out.chars) == held[0] and not set(kept.train.chars) & held[0]
    assert set(glyphs.load_data(tiny("seed=1", "split_seed=-1")).held_out.chars) == held[1]
