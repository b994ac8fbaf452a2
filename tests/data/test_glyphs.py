"""Glyph rendering from a tiny DejaVu font set, the held-out split, and the missing-font error."""

import math
from pathlib import Path

import pytest
import torch

from divergan.cli import main
from divergan.data import glyphs
from divergan.data.glyphs import glyph_pairs, has_glyph, render_glyph, split_characters
from divergan.errors import UserError

SANS, SERIF, MONO = "dejavu-sans", "dejavu-serif", "dejavu-sans-mono"


needs_dejavu = pytest.mark.usefixtures("dejavu")  # skip without the fonts; fail under CI (conftest)


@needs_dejavu
@pytest.mark.parametrize("size", [16, 32, 64])
def test_render_glyph_is_a_centred_image_in_range(size):
    img = render_glyph("H", SANS, size)
    assert img.shape == (size, size) and img.dtype == torch.float32
    assert img.min() == -1.0 and img.max() <= 1.0 and img.max() > 0.9
    ink = (img > 0).nonzero().float()  # (n, 2) rows, cols
    centre = (ink.min(0).values + ink.max(0).values) / 2
    assert torch.all((centre - (size - 1) / 2).abs() <= 1.0)  # the ink box is centred to a pixel


@needs_dejavu
def test_render_is_deterministic_and_fonts_differ():
    torch.testing.assert_close(render_glyph("g", SERIF, 32), render_glyph("g", SERIF, 32))
    assert (render_glyph("g", SANS, 32) - render_glyph("g", SERIF, 32)).abs().max() > 1.0


@needs_dejavu
def test_has_glyph():
    assert has_glyph(SANS, "A")
    assert not has_glyph(SANS, "学")  # DejaVu has no CJK: Pillow would draw the .notdef box
    assert not has_glyph(SANS, " ")


@needs_dejavu
def test_glyph_pairs_from_a_tiny_font_set():
    pairs = glyph_pairs("AB1学A", SANS, [SERIF, MONO], 32)
    assert pairs.chars == "AB1AB1"  # the CJK character is dropped, duplicates too
    assert pairs.source.shape == pairs.target.shape == (6, 1, 32, 32)
    assert pairs.category.tolist() == [0, 0, 0, 1, 1, 1]
    assert pairs.targets == (SERIF, MONO)
    torch.testing.assert_close(pairs.source[:3], pairs.source[3:])  # one source glyph per character
    torch.testing.assert_close(pairs.target[0, 0], render_glyph("A", SERIF, 32))
    torch.testing.assert_close(pairs.target[3, 0], render_glyph("A", MONO, 32))
    assert len(pairs) == 6


@needs_dejavu
def test_no_drawable_characters_is_an_error():
    with pytest.raises(UserError, match="none of the characters"):
        glyph_pairs("学中", SANS, [SERIF], 32)


@pytest.mark.parametrize("chars, held_out", [(glyphs.LATIN, 0.15), ("ABCDEFGHIJ", 0.25), (glyphs.CJK, 0.1)])
def test_split_is_disjoint_covering_and_seeded(chars, held_out):
    train, test = split_characters(chars, held_out, seed=3)
    assert not set(train) & set(test)
    assert set(train) | set(test) == set(chars)
    assert len(test) == math.ceil(held_out * len(set(chars)))
    assert split_characters(chars, held_out, seed=3) == (train, test)
    assert split_characters(chars, held_out, seed=4) != (train, test)


def test_split_rejects_bad_fractions():
    with pytest.raises(UserError, match="held_out"):
        split_characters("ABC", 1.0)
    with pytest.raises(UserError, match="at least 2"):
        split_characters("A", 0.5)


def test_missing_font_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setitem(glyphs.FONTS, "noto-sans-cjk", (tmp_path / "NotoSansCJK.ttc", "fonts-noto-cjk"))
    with pytest.raises(UserError, match="apt-get install fonts-noto-cjk"):
        glyphs.font_path("noto-sans-cjk")
    with pytest.raises(UserError, match="unknown font"):
        glyphs.font_path("comic-sans")
    with pytest.raises(UserError, match="does not exist"):
        glyphs.font_path(str(tmp_path / "nope.ttf"))
    font = tmp_path / "any.ttf"
    font.write_bytes(b"")  # an existing path is taken as given
    assert glyphs.font_path(str(font)) == font


def test_missing_font_on_the_command_line_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(glyphs.FONTS, "wqy-microhei", (tmp_path / "wqy-microhei.ttc", "fonts-wqy-microhei"))
    out = tmp_path / "run"
    code = main(["train", "--preset", "glyphs", "--set", "source=wqy-microhei", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "apt-get install fonts-wqy-microhei" in err
    assert not out.exists()  # no run folder for a run that cannot start


@needs_dejavu
def test_defaults_fall_back_to_latin_without_cjk_fonts(monkeypatch, tmp_path):
    for name in ("noto-sans-cjk", "noto-serif-cjk", "wqy-microhei", "arphic-ukai"):
        monkeypatch.setitem(glyphs.FONTS, name, (tmp_path / f"{name}.ttc", "some-package"))
    assert glyphs.default_fonts() == (SANS, (SERIF, MONO), "latin")
    monkeypatch.setitem(glyphs.FONTS, "wqy-microhei", (glyphs.FONTS[SANS][0], "fonts-wqy-microhei"))
    monkeypatch.setitem(glyphs.FONTS, "arphic-ukai", (glyphs.FONTS[SERIF][0], "fonts-arphic-ukai"))
    assert glyphs.default_fonts() == ("wqy-microhei", ("arphic-ukai",), "cjk")


def test_font_paths_are_absolute_debian_locations():
    for path, package in glyphs.FONTS.values():
        assert isinstance(path, Path) and path.is_absolute() and package.startswith("fonts-")
