"""Glyph pairs for zi2zi-style font translation (Sun (PaperWeekly), §5.4), rendered with Pillow.

The same character is drawn in a *source* font and in one or more *target* fonts; a conditional
image-to-image GAN learns source → target for each target (its category). The characters are split
once, by a seeded permutation, into a training set and a **held-out** set that the model never sees,
so that what is measured is generalisation to new characters in a known style.

Fonts come from Debian packages; a font is named by a key of :data:`FONTS` or given as a path:

==================  ==========================================  =======================
name                file                                        Debian package
==================  ==========================================  =======================
dejavu-sans         dejavu/DejaVuSans.ttf                       fonts-dejavu-core
dejavu-serif        dejavu/DejaVuSerif.ttf                      fonts-dejavu-core
dejavu-sans-mono    dejavu/DejaVuSansMono.ttf                   fonts-dejavu-core
dejavu-sans-bold    dejavu/DejaVuSans-Bold.ttf                  fonts-dejavu-core
dejavu-serif-bold   dejavu/DejaVuSerif-Bold.ttf                 fonts-dejavu-core
dejavu-serif-italic dejavu/DejaVuSerif-Italic.ttf               fonts-dejavu-extra
liberation-serif    liberation/LiberationSerif-Regular.ttf      fonts-liberation
wqy-microhei        wqy/wqy-microhei.ttc                        fonts-wqy-microhei
wqy-zenhei          wqy/wqy-zenhei.ttc                          fonts-wqy-zenhei
arphic-ukai         arphic/ukai.ttc                             fonts-arphic-ukai
arphic-uming        arphic/uming.ttc                            fonts-arphic-uming
noto-sans-cjk       (opentype) noto/NotoSansCJK-Regular.ttc     fonts-noto-cjk
noto-serif-cjk      (opentype) noto/NotoSerifCJK-Regular.ttc    fonts-noto-cjk
noto-sans-cjk-bold  (opentype) noto/NotoSansCJK-Bold.ttc        fonts-noto-cjk
noto-serif-cjk-bold (opentype) noto/NotoSerifCJK-Bold.ttc       fonts-noto-cjk
lxgw-wenkai         lxgw-wenkai/LXGWWenKai-Regular.ttf          fonts-lxgw-wenkai
lxgw-wenkai-light   lxgw-wenkai/LXGWWenKai-Light.ttf            fonts-lxgw-wenkai
lxgw-wenkai-bold    lxgw-wenkai/LXGWWenKai-Bold.ttf             fonts-lxgw-wenkai
arphic-gbsn         arphic-gbsn00lp/gbsn00lp.ttf                fonts-arphic-gbsn00lp
smiley-sans         smiley-sans/SmileySans-Oblique.ttf          fonts-smiley-sans
hanazono            hanazono/HanaMinA.ttf                       fonts-hanazono
nimbus-roman        (opentype) urw-base35/NimbusRoman-Regular   fonts-urw-base35
nimbus-sans         (opentype) urw-base35/NimbusSans-Regular    fonts-urw-base35
c059                (opentype) urw-base35/C059-Roman            fonts-urw-base35
p052                (opentype) urw-base35/P052-Roman            fonts-urw-base35
urw-bookman         (opentype) urw-base35/URWBookman-Light      fonts-urw-base35
urw-gothic          (opentype) urw-base35/URWGothic-Book        fonts-urw-base35
z003                (opentype) urw-base35/Z003-MediumItalic     fonts-urw-base35
==================  ==========================================  =======================

The Noto CJK collections are read at their simplified-Chinese face (``Noto Sans CJK SC``, index 2 of
the .ttc); the other collections at their first face. ``gb2312`` is the 3,755 characters of GB 2312
level 1 (the frequent simplified Chinese characters, decoded from the standard's code table), drawn by
every CJK font above.

A missing font raises :class:`~divergan.errors.UserError` naming the package to install.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from divergan.errors import UserError

TRUETYPE = Path("/usr/share/fonts/truetype")
OPENTYPE = Path("/usr/share/fonts/opentype")

#: font name -> (path, Debian package that installs it)
FONTS: dict[str, tuple[Path, str]] = {
    "dejavu-sans": (TRUETYPE / "dejavu/DejaVuSans.ttf", "fonts-dejavu-core"),
    "dejavu-serif": (TRUETYPE / "dejavu/DejaVuSerif.ttf", "fonts-dejavu-core"),
    "dejavu-sans-mono": (TRUETYPE / "dejavu/DejaVuSansMono.ttf", "fonts-dejavu-core"),
    "dejavu-sans-bold": (TRUETYPE / "dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "dejavu-serif-bold": (TRUETYPE / "dejavu/DejaVuSerif-Bold.ttf", "fonts-dejavu-core"),
    "dejavu-serif-italic": (TRUETYPE / "dejavu/DejaVuSerif-Italic.ttf", "fonts-dejavu-extra"),
    "liberation-serif": (TRUETYPE / "liberation/LiberationSerif-Regular.ttf", "fonts-liberation"),
    "wqy-microhei": (TRUETYPE / "wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
    "wqy-zenhei": (TRUETYPE / "wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
    "arphic-ukai": (TRUETYPE / "arphic/ukai.ttc", "fonts-arphic-ukai"),
    "arphic-uming": (TRUETYPE / "arphic/uming.ttc", "fonts-arphic-uming"),
    "noto-sans-cjk": (OPENTYPE / "noto/NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
    "noto-serif-cjk": (OPENTYPE / "noto/NotoSerifCJK-Regular.ttc", "fonts-noto-cjk"),
    "noto-sans-cjk-bold": (OPENTYPE / "noto/NotoSansCJK-Bold.ttc", "fonts-noto-cjk"),
    "noto-serif-cjk-bold": (OPENTYPE / "noto/NotoSerifCJK-Bold.ttc", "fonts-noto-cjk"),
    "lxgw-wenkai": (TRUETYPE / "lxgw-wenkai/LXGWWenKai-Regular.ttf", "fonts-lxgw-wenkai"),
    "lxgw-wenkai-light": (TRUETYPE / "lxgw-wenkai/LXGWWenKai-Light.ttf", "fonts-lxgw-wenkai"),
    "lxgw-wenkai-bold": (TRUETYPE / "lxgw-wenkai/LXGWWenKai-Bold.ttf", "fonts-lxgw-wenkai"),
    "arphic-gbsn": (TRUETYPE / "arphic-gbsn00lp/gbsn00lp.ttf", "fonts-arphic-gbsn00lp"),
    "smiley-sans": (TRUETYPE / "smiley-sans/SmileySans-Oblique.ttf", "fonts-smiley-sans"),
    # Hanazono Mincho A (GlyphWiki's KAGE outlines: a Japanese mincho, no Arphic ancestry), every GB 2312
    # character: an extra *source* of training pairs (extra_sources), not a judge font
    "hanazono": (TRUETYPE / "hanazono/HanaMinA.ttf", "fonts-hanazono"),
    "nimbus-roman": (OPENTYPE / "urw-base35/NimbusRoman-Regular.otf", "fonts-urw-base35"),
    "nimbus-sans": (OPENTYPE / "urw-base35/NimbusSans-Regular.otf", "fonts-urw-base35"),
    "c059": (OPENTYPE / "urw-base35/C059-Roman.otf", "fonts-urw-base35"),
    "p052": (OPENTYPE / "urw-base35/P052-Roman.otf", "fonts-urw-base35"),
    "urw-bookman": (OPENTYPE / "urw-base35/URWBookman-Light.otf", "fonts-urw-base35"),
    "urw-gothic": (OPENTYPE / "urw-base35/URWGothic-Book.otf", "fonts-urw-base35"),
    "z003": (OPENTYPE / "urw-base35/Z003-MediumItalic.otf", "fonts-urw-base35"),
}

#: the face of a font collection (.ttc) to read, where it is not the first: Noto's simplified Chinese
FACES: dict[str, int] = {
    "noto-sans-cjk": 2,
    "noto-serif-cjk": 2,
    "noto-sans-cjk-bold": 2,
    "noto-serif-cjk-bold": 2,
}

#: Latin letters, digits and a few punctuation marks (the default when no CJK font is installed)
LATIN = string.ascii_uppercase + string.ascii_lowercase + string.digits + "&?!@#%$"
#: frequent simplified Chinese characters, most frequent first (the default when CJK fonts are installed)
CJK = "".join(
    dict.fromkeys(
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
        "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
        "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
        "间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
        "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计"
        "或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让"
        "认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办"
        "运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持"
    )
)


def gb2312_level1() -> str:
    """The 3,755 characters of GB 2312 level 1 (rows 16-55 of the code table, in its pinyin order)."""
    chars = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:  # the last row ends early (0xD7FA..0xD7FE are unassigned)
                pass
    return "".join(chars)


def gb2312_level2() -> str:
    """The 3,008 characters of GB 2312 level 2 (rows 56-87 of the code table, ordered by radical):
    rarer characters, disjoint from level 1."""
    chars = []
    for row in range(0xD8, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def gbk_extension() -> str:
    """The CJK unified ideographs (U+4E00..U+9FFF) of GBK (code page 936) that GB 2312 lacks, in GBK
    code order: 14,139 characters, mostly traditional forms and rarer characters (繁, 體, 龍 …), none
    of GB 2312 level 1 or 2. GBK's two-byte codes: lead byte 0x81..0xFE, trail byte 0x40..0xFE but 0x7F."""
    gb2312 = set(gb2312_level1()) | set(gb2312_level2())
    chars = []
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail == 0x7F:
                continue
            try:
                c = bytes([lead, trail]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if len(c) == 1 and 0x4E00 <= ord(c) <= 0x9FFF and c not in gb2312:
                chars.append(c)
    return "".join(chars)


def latin_accented() -> str:
    """The accented letters of Latin-1 Supplement and Latin Extended-A (À … ž): each a letter of
    :data:`LATIN` with diacritics (it decomposes, NFD, into that letter and combining marks)."""
    out = []
    for code in range(0xC0, 0x180):
        c = chr(code)
        parts = unicodedata.normalize("NFD", c)
        if len(parts) > 1 and parts[0] in LATIN and all(unicodedata.combining(m) for m in parts[1:]):
            out.append(c)
    return "".join(out)


#: character sets that add training-only characters to a base set: name -> (base set, extra characters).
#: The held-out split is the base set's, so the held-out characters do not move when training grows.
TRAIN_EXTRA = {
    "gb2312+2": ("gb2312", gb2312_level2),
    "gb2312+gbk": ("gb2312", lambda: gb2312_level2() + gbk_extension()),
    "latin+accents": ("latin", latin_accented),
}


def _shows(extra: str, held: str) -> bool:
    """Whether the training-only character ``extra`` contains a held-out one (é shows e)."""
    return any(c in held for c in unicodedata.normalize("NFD", extra))


#: defaults: (source, targets, character set), CJK first when its fonts are installed
DEFAULTS = [
    ("noto-sans-cjk", ("noto-serif-cjk",), "cjk"),
    ("wqy-microhei", ("arphic-ukai",), "cjk"),
    ("dejavu-sans", ("dejavu-serif", "dejavu-sans-mono"), "latin"),
]


def font_path(font: str) -> Path:
    """The file of a font given by name (a key of :data:`FONTS`) or path.

    Raises:
        UserError: unknown name, or the font is not installed (the message names the Debian package).
    """
    if font in FONTS:
        path, package = FONTS[font]
        if not path.is_file():
            raise UserError(
                f"font {font!r} is not installed ({path} missing); install it: apt-get install {package}"
            )
        return path
    path = Path(font)
    if path.suffix.lower() in (".ttf", ".otf", ".ttc"):
        if not path.is_file():
            raise UserError(f"font file {font} does not exist")
        return path
    raise UserError(f"unknown font {font!r}; choose from {', '.join(FONTS)} or give a .ttf/.otf/.ttc file")


def installed(font: str) -> bool:
    """Whether a named font's file is present."""
    return font in FONTS and FONTS[font][0].is_file()


def default_fonts() -> tuple[str, tuple[str, ...], str]:
    """(source, targets, charset): CJK fonts if installed, else DejaVu Sans → Serif, Sans Mono."""
    for source, targets, charset in DEFAULTS:
        if installed(source) and all(installed(t) for t in targets):
            return source, targets, charset
    return DEFAULTS[-1]


def _resolve(font: str | Path) -> Path:
    return font if isinstance(font, Path) else font_path(font)


def _face(font: str | Path) -> tuple[str, int]:
    """(file, face index) of a font name or path."""
    return str(_resolve(font)), FACES.get(font, 0) if isinstance(font, str) else 0


def font_file(font: str | Path) -> tuple[str, int]:
    """(resolved file path, face index) of a font name or path: two names of one face compare equal.
    The file need not exist (nothing is read)."""
    if isinstance(font, str) and font in FONTS:
        return str(FONTS[font][0].resolve()), FACES.get(font, 0)
    return str(Path(font).resolve()), 0


@lru_cache(maxsize=64)
def _font(path: str, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def has_glyph(font: str | Path, char: str) -> bool:
    """Whether the font draws ``char`` as something other than its "missing glyph" box (or nothing)."""
    path, index = _face(font)
    f = _font(path, 32, index)
    mask = np.asarray(f.getmask(char))
    if mask.size == 0 or mask.max() == 0:
        return False
    missing = np.asarray(f.getmask("\uffff"))  # a noncharacter: always the .notdef glyph
    return not (mask.shape == missing.shape and np.array_equal(mask, missing))


def render_glyph(char: str, font: str | Path, size: int = 32, fill: float = 0.8) -> Tensor:
    """One character as a (size, size) float tensor in [-1, 1], ink = +1 on a −1 background.

    The font is drawn at ``fill · size`` pixels and the glyph's ink box is centred in the square (as
    zi2zi does), so every font puts the character at the same place; a glyph larger than the square
    is scaled down to fit.
    """
    path, index = _face(font)
    canvas = 2 * size
    f = _font(path, max(1, round(fill * size)), index)
    img = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=f)
    draw.text(
        ((canvas - (right - left)) / 2 - left, (canvas - (bottom - top)) / 2 - top), char, fill=255, font=f
    )
    box = img.getbbox()
    if box is None:
        raise UserError(f"font {font} draws nothing for {char!r}")
    glyph = img.crop(box)
    scale = min(1.0, (size - 2) / max(glyph.width, glyph.height))
    if scale < 1.0:
        glyph = glyph.resize(
            (max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))), Image.LANCZOS
        )
    out = Image.new("L", (size, size), 0)
    out.paste(glyph, ((size - glyph.width) // 2, (size - glyph.height) // 2))
    return torch.from_numpy(np.asarray(out, dtype=np.float32) / 127.5 - 1.0)


def split_characters(chars: str, held_out: float, seed: int = 0) -> tuple[str, str]:
    """(train, held_out): a seeded permutation of the distinct characters, the last ⌈held_out·n⌉ held out."""
    chars = "".join(dict.fromkeys(chars))
    if not 0 < held_out < 1:
        raise UserError(f"held_out must lie in (0, 1), got {held_out}")
    n_out = max(1, int(np.ceil(held_out * len(chars))))
    if n_out >= len(chars):
        raise UserError(f"need at least 2 characters to hold some out, got {len(chars)}")
    order = torch.randperm(len(chars), generator=torch.Generator().manual_seed(seed)).tolist()
    perm = "".join(chars[i] for i in order)
    return perm[:-n_out], perm[-n_out:]


@dataclass(frozen=True)
class GlyphPairs:
    """Rendered pairs: ``source[i]`` → ``target[i]`` in style ``category[i]``.

    Attributes:
        chars: the character of each pair, length N.
        source: (N, 1, size, size) the character in the source font, in [-1, 1].
        target: (N, 1, size, size) the character in target font ``targets[category[i]]``.
        category: (N,) long, index into ``targets``.
        targets: the target fonts' names, one per category.
    """

    chars: str
    source: Tensor
    target: Tensor
    category: Tensor
    targets: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.chars)


def glyph_pairs(chars: str, source: str, targets: tuple[str, ...] | list[str], size: int = 32) -> GlyphPairs:
    """Render every character of ``chars`` that *all* fonts draw, in ``source`` and each target."""
    if size < 8:
        raise UserError(f"glyph size must be at least 8, got {size}")
    fonts = [source, *targets]
    for f in fonts:
        _resolve(f)  # a missing font is a UserError naming its package
    kept = "".join(c for c in dict.fromkeys(chars) if not c.isspace() and all(has_glyph(f, c) for f in fonts))
    if not kept:
        raise UserError(f"none of the characters are drawn by all of {', '.join(fonts)}")
    src, tgt, cat, pair_chars = [], [], [], []
    sources = {c: render_glyph(c, source, size) for c in kept}
    for k, target in enumerate(targets):
        for c in kept:
            src.append(sources[c])
            tgt.append(render_glyph(c, target, size))
            cat.append(k)
            pair_chars.append(c)
    return GlyphPairs(
        chars="".join(pair_chars),
        source=torch.stack(src)[:, None],
        target=torch.stack(tgt)[:, None],
        category=torch.tensor(cat, dtype=torch.long),
        targets=tuple(targets),
    )


def concat_pairs(*parts: GlyphPairs) -> GlyphPairs:
    """The pairs of ``parts`` one after the other (the same target fonts, in the same order)."""
    targets = {p.targets for p in parts}
    if len(targets) != 1:
        raise ValueError(f"pairs of different target fonts: {sorted(targets)}")
    return GlyphPairs(
        chars="".join(p.chars for p in parts),
        source=torch.cat([p.source for p in parts]),
        target=torch.cat([p.target for p in parts]),
        category=torch.cat([p.category for p in parts]),
        targets=parts[0].targets,
    )


def _glyph_distances(a: Tensor, b: Tensor) -> Tensor:
    """Mean absolute difference, in ink units (0 … 1), between every glyph of ``a`` (N, 1, S, S) and every
    glyph of ``b`` (M, 1, S, S) in [-1, 1]: an (N, M) matrix."""
    return torch.cdist(a.flatten(1).float(), b.flatten(1).float(), p=1) / (2 * a[0].numel())


def _closest_distinct(a: Tensor, b: Tensor | None = None) -> float:
    """The smallest distance (:func:`_glyph_distances`) between a glyph of ``a`` and one of ``b`` (of two
    glyphs of ``a`` when ``b`` is None), counting only glyphs of different characters that a font draws
    differently (distance > 0): how close two characters of the set can be and stay two."""
    d = _glyph_distances(a, a if b is None else b)
    if b is None:
        d.fill_diagonal_(float("inf"))
    d[d == 0] = float("inf")
    return float(d.min())


def near_copies(train: GlyphPairs, held_out: GlyphPairs, extra: str) -> str:
    """The training-only characters of ``extra`` that some font draws as a near copy of a held-out one.

    A variant form can be a separate code point that a font draws almost as the held-out character (AR PL
    UKai draws 茍 as 苟 and 統 as 统): training on it would show the model the held-out glyph. The bar is
    the set's own: in each font (the source, and each target), a training-only character whose glyph lies
    closer to a held-out character's glyph than the two closest *distinct* characters of the base set
    (the training characters not in ``extra`` and the held-out ones: in GB 2312 level 1 王 and 玉) lie to
    each other is a near copy. Returns those characters, in ``train``'s order.

    The bar is the smaller of two minima: over pairs that involve a held-out glyph (cheap) and over pairs
    of base training glyphs (the square of the base set: about 13 s for GB 2312 level 1 in three fonts).
    The second is computed only when some training-only glyph lies under the first; otherwise nothing
    can lie under the bar."""
    extra_set = set(extra)
    categories = train.category.tolist()
    base = [i for i, c in enumerate(train.chars) if c not in extra_set]
    added = [i for i, c in enumerate(train.chars) if c in extra_set]
    if not added or not base:
        return ""
    found: set[str] = set()
    views = [("source", 0)] + [("target", k) for k in range(len(train.targets))]
    for kind, k in views:
        tr = [i for i in base if categories[i] == k]
        ad = [i for i in added if categories[i] == k]
        ho = (held_out.category == k).nonzero().squeeze(1)
        images = getattr(train, kind)
        held = getattr(held_out, kind)[ho]
        near = _glyph_distances(images[ad], held)
        bar = min(_closest_distinct(held), _closest_distinct(held, images[tr]))
        if not (near < bar).any():
            continue
        bar = min(bar, _closest_distinct(images[tr]))
        close = (near < bar).any(1)
        found.update(train.chars[ad[j]] for j in close.nonzero().squeeze(1).tolist())
    return "".join(c for c in dict.fromkeys(train.chars) if c in found)


def without_characters(pairs: GlyphPairs, chars: str) -> GlyphPairs:
    """``pairs`` without the pairs of the characters in ``chars``."""
    keep = torch.tensor([c not in chars for c in pairs.chars])
    return GlyphPairs(
        chars="".join(c for c in pairs.chars if c not in chars),
        source=pairs.source[keep],
        target=pairs.target[keep],
        category=pairs.category[keep],
        targets=pairs.targets,
    )


def extra_characters(name: str, train: str) -> str:
    """The characters of ``train`` that a :data:`TRAIN_EXTRA` set ``name`` adds to its base set's split
    ("" for any other set)."""
    if name not in TRAIN_EXTRA:
        return ""
    base = set(charset(TRAIN_EXTRA[name][0]))
    return "".join(c for c in train if c not in base)


def split_charset(name: str, held_out: float, seed: int = 0) -> tuple[str, str]:
    """(train, held_out) characters of a character set (:func:`charset`): :func:`split_characters` of the
    set, or for a name of :data:`TRAIN_EXTRA` (``gb2312+2``: GB 2312 level 1 split as ``gb2312`` is,
    level 2's 3,008 characters added to training only; ``gb2312+gbk``: level 2 and GBK's other
    ideographs added to training only; ``latin+accents``: the ``latin`` split, and the
    accented letters of :func:`latin_accented` whose base letter is a training one) the base set's split
    with the extras appended to the training characters. An extra character that contains a held-out
    one (é when e is held out) is left out: the held-out shapes stay unseen."""
    if name in TRAIN_EXTRA:
        base, extra = TRAIN_EXTRA[name]
        train, held = split_characters(charset(base), held_out, seed)
        return train + "".join(c for c in extra() if c not in train and not _shows(c, held)), held
    return split_characters(charset(name), held_out, seed)


def charset(name: str) -> str:
    """``latin``, ``cjk`` (420 frequent characters), ``gb2312`` (3,755), ``gb2312+2`` (GB 2312 levels 1
    and 2, 6,763), ``gb2312+gbk`` (those and :func:`gbk_extension`'s 14,139, 20,902), ``latin+accents`` (``latin`` and 161 accented letters), or the characters themselves."""
    if name in TRAIN_EXTRA:
        base, extra = TRAIN_EXTRA[name]
        return charset(base) + extra()
    if name == "gb2312":
        return gb2312_level1()
    return {"latin": LATIN, "cjk": CJK}.get(name, name)
