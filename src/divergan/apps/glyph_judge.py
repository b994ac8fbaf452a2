r"""A legibility judge for generated glyphs: a character classifier that never saw the target fonts.

L1 and SSIM reward a grey average of the strokes as much as a character (a blurred glyph can halve the
L1 of a crisp wrong one), so the glyph app is also judged by *reading*: a small convolutional
classifier, trained to name characters drawn in **other** fonts than the translator's source and
targets, is asked which character each generated glyph is. Its accuracy on the real target glyphs
is the ceiling (the judge must read the target style before its verdict on generated glyphs means
anything: the glyph app requires ≥ 95 %); blank or shuffled inputs give its floor (chance, 1/N).

The judge shipped with the package (``assets/glyph_judge_cjk.safetensors``, rebuilt by
``benchmarks/apps_glyph_judge.py``) names the held-out characters of the CJK glyph presets, learnt
from their renderings in WenQuanYi Zen Hei, Noto Sans/Serif CJK SC (regular and bold), LXGW WenKai
(light, regular, bold) and Smiley Sans, under small random affine maps, stroke thickening and blur; no
Arphic font (the targets' foundry, whose older fonts the targets were built from) is among them.
The shipped Latin judge (``assets/glyph_judge_latin.safetensors``, ``--latin`` of the same benchmark)
names the 69 characters of the ``latin`` set, learnt from 48 DejaVu, Liberation and URW faces
(:data:`LATIN_JUDGE_FONTS`): neither DejaVu Sans (regular; the Latin preset's source) nor any style
of URW P052 or Z003 (its targets). A judge's metadata holds the characters (class order), the fonts and the image
size; :func:`divergan.apps.glyphs.judge_for` gives a run only a judge that shares no font file with
the run's source and targets.

Images: (N, 1, S, S) in [−1, 1], ink = +1 (as :func:`divergan.data.glyphs.render_glyph` draws them).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from divergan.errors import UserError

ASSETS = Path(__file__).resolve().parent.parent / "assets"
#: the shipped CJK judge
CJK_JUDGE = ASSETS / "glyph_judge_cjk.safetensors"
#: the split of the CJK glyph presets whose held-out characters the shipped judge names:
#: (character set, held-out fraction, split seed)
CJK_SPLIT = ("gb2312", 0.08, 0)
#: the fonts the shipped judge learnt from: none is the CJK presets' source or a target
CJK_JUDGE_FONTS = (
    "wqy-zenhei",
    "noto-sans-cjk",
    "noto-sans-cjk-bold",
    "noto-serif-cjk",
    "noto-serif-cjk-bold",
    "lxgw-wenkai-light",
    "lxgw-wenkai",
    "lxgw-wenkai-bold",
    "smiley-sans",
)
#: fonts the CJK judge must not learn from: the presets' source and targets, and the Arphic fonts they
#: were made from (AR PL UMing merges AR PL SungtiL GB and Mingti2L Big5; AR PL UKai grew out of
#: KaitiM GB and Big5)
CJK_JUDGE_EXCLUDED = ("wqy-microhei", "arphic-ukai", "arphic-uming", "arphic-gbsn")

#: the shipped Latin judge: it names the 69 characters of the ``latin`` set (letters, digits, &?!@#%$)
LATIN_JUDGE = ASSETS / "glyph_judge_latin.safetensors"
_T, _O = "/usr/share/fonts/truetype/", "/usr/share/fonts/opentype/urw-base35/"
_STYLES = ("Regular", "Bold", "Italic", "BoldItalic")
#: the fonts the Latin judge learnt from (files of fonts-dejavu-core/-extra, fonts-liberation and
#: fonts-urw-base35): serif, sans, monospaced and narrow faces in upright, bold and italic styles; none
#: of them DejaVu Sans (the Latin preset's source; its bold, oblique and condensed styles are among
#: them, as WenQuanYi Zen Hei is among the CJK judge's) nor any style of URW P052 (a Palatino) or Z003
#: (a Zapf Chancery), the Latin preset's targets
LATIN_JUDGE_FONTS = (
    *(
        _T + "dejavu/" + f
        for f in (
            "DejaVuSans-Bold.ttf",
            "DejaVuSans-Oblique.ttf",
            "DejaVuSansCondensed.ttf",
            "DejaVuSansMono.ttf",
            "DejaVuSansMono-Bold.ttf",
            "DejaVuSerif.ttf",
            "DejaVuSerif-Bold.ttf",
            "DejaVuSerif-Italic.ttf",
            "DejaVuSerif-BoldItalic.ttf",
            "DejaVuSerifCondensed.ttf",
        )
    ),
    *(_T + f"liberation/Liberation{fam}-{st}.ttf" for fam in ("Sans", "Serif", "Mono") for st in _STYLES),
    _T + "liberation/LiberationSansNarrow-Regular.ttf",
    *(_O + f"NimbusRoman-{st}.otf" for st in _STYLES),
    *(_O + f"NimbusSans-{st}.otf" for st in _STYLES),
    *(_O + f"NimbusMonoPS-{st}.otf" for st in _STYLES),
    _O + "NimbusSansNarrow-Regular.otf",
    *(_O + f"C059-{st}.otf" for st in ("Roman", "Bold", "Italic", "BdIta")),
    *(_O + f"URWBookman-{st}.otf" for st in ("Light", "Demi", "LightItalic", "DemiItalic")),
    *(_O + f"URWGothic-{st}.otf" for st in ("Book", "Demi", "BookOblique", "DemiOblique")),
)
#: fonts (file-name stems) the Latin judge must not learn from: the Latin preset's source and targets
#: with every style of their families
LATIN_JUDGE_EXCLUDED = ("DejaVuSans.", "P052", "Z003")


def latin_characters() -> str:
    """The classes of the Latin judge: every character of the ``latin`` set."""
    from divergan.data.glyphs import charset

    return charset("latin")


def cjk_heldout_characters() -> str:
    """The held-out characters of :data:`CJK_SPLIT` (301 of GB 2312 level 1's 3,755)."""
    from divergan.data.glyphs import charset, split_characters

    name, fraction, seed = CJK_SPLIT
    return split_characters(charset(name), fraction, seed)[1]


class GlyphJudge(nn.Module):
    """Conv-BN-ReLU pairs at S, S/2, S/4 (max-pooled between), then two linear layers to N logits.

    >>> j = GlyphJudge(classes=5, size=32, width=8)
    >>> tuple(j(torch.zeros(2, 1, 32, 32)).shape)
    (2, 5)
    """

    def __init__(
        self, classes: int, size: int = 32, width: int = 16, hidden: int = 256, dropout: float = 0.2
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_ch = 1
        for i in range(3):
            out_ch = width * 2**i
            for _ in range(2):
                layers += [
                    nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False),
                    nn.BatchNorm2d(out_ch),
                    nn.ReLU(),
                ]
                in_ch = out_ch
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(in_ch * (size // 8) ** 2, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, classes),
        )

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.features(images))  # (N, classes) logits


@dataclass
class Judge:
    """A trained judge: the network (eval mode), its class characters and image size."""

    net: GlyphJudge
    chars: str
    size: int
    fonts: tuple[str, ...]

    @torch.no_grad()
    def predict(self, images: Tensor, batch: int = 512) -> str:
        """The character the judge reads in each image, (N, 1, S, S) → a string of length N."""
        if images.shape[-2:] != (self.size, self.size):
            raise UserError(f"the judge reads {self.size}×{self.size} glyphs, got {tuple(images.shape[-2:])}")
        self.net.eval()
        idx = torch.cat([self.net(x).argmax(1) for x in images.split(batch)])
        return "".join(self.chars[i] for i in idx.tolist())

    def accuracy(self, images: Tensor, chars: str) -> float:
        """Fraction of images read as their character; every character must be one the judge knows."""
        unknown = sorted(set(chars) - set(self.chars))
        if unknown:
            raise UserError(f"the judge does not know {''.join(unknown[:10])!r} ({len(unknown)} characters)")
        if len(chars) != len(images):
            raise ValueError(f"{len(images)} images but {len(chars)} characters")
        read = self.predict(images)
        return sum(a == b for a, b in zip(read, chars, strict=True)) / len(chars)


def save_judge(judge: Judge, path: Path) -> Path:
    """Weights as float16 safetensors; the characters, size, fonts and widths in its metadata."""
    from safetensors.torch import save_file

    state = {
        k: v.detach().to(torch.float16 if v.is_floating_point() else v.dtype).contiguous()
        for k, v in judge.net.state_dict().items()
    }
    first = judge.net.features[0]
    meta = {
        "chars": judge.chars,
        "size": str(judge.size),
        "fonts": json.dumps(list(judge.fonts)),
        "width": str(first.out_channels),
        "hidden": str(judge.net.head[2].out_features),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata=meta)
    return path


def load_judge(path: Path = CJK_JUDGE) -> Judge:
    """Load a judge written by :func:`save_judge` (float32, eval mode)."""
    from safetensors import safe_open

    if not Path(path).is_file():
        raise UserError(
            f"glyph judge {path} does not exist (rebuild it: python benchmarks/apps_glyph_judge.py)"
        )
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    size = int(meta["size"])
    with torch.random.fork_rng(devices=[]):  # the random initial weights are overwritten: leave the
        # global generator where it was, so a judge read during training changes nothing in the run
        net = GlyphJudge(len(meta["chars"]), size, int(meta["width"]), int(meta["hidden"]))
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    net.eval()
    return Judge(net, meta["chars"], size, tuple(json.loads(meta["fonts"])))


# -- training -----------------------------------------------------------------------------------------------


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """Random small renderings of the same glyphs: (N, 1, S, S) in [−1, 1] → same shape.

    Per image: an affine map (scale 0.85-1.1 per axis, rotation ±6°, shear ±0.15, shift ±2 px), with
    probability 1/4 stroke thickening (a 2 × 2 max filter), then a Gaussian blur of σ ∈ [0, 0.8] px.
    """
    n, _, s, _ = images.shape
    u = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    ink = (images + 1) / 2  # background 0, so the affine map pads with background
    angle = (u(n) * 2 - 1) * math.radians(6)
    shear = (u(n) * 2 - 1) * 0.15
    sx, sy = 0.85 + 0.25 * u(n), 0.85 + 0.25 * u(n)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos / sx, (-sin + shear) / sx
    theta[:, 1, 0], theta[:, 1, 1] = sin / sy, cos / sy
    theta[:, :, 2] = (u(n, 2) * 2 - 1) * (2 * 2 / s)  # ±2 px in [-1, 1] coordinates
    grid = F.affine_grid(theta, list(ink.shape), align_corners=False)
    ink = F.grid_sample(ink, grid, align_corners=False, padding_mode="zeros")
    bold = u(n) < 0.25
    if bold.any():
        thick = F.max_pool2d(F.pad(ink[bold], (0, 1, 0, 1)), 2, stride=1)
        ink = ink.clone()
        ink[bold] = thick
    sigma = 0.8 * u(n)
    r = torch.arange(-2, 3, dtype=torch.float32)
    kernel = torch.exp(-(r[None] ** 2) / (2 * sigma[:, None].clamp_min(1e-3) ** 2))  # (N, 5)
    kernel = kernel / kernel.sum(1, keepdim=True)
    x = ink.transpose(0, 1)  # (1, N, S, S): one group per image
    x = F.conv2d(F.pad(x, (2, 2, 0, 0), mode="replicate"), kernel[:, None, None, :], groups=n)
    x = F.conv2d(F.pad(x, (0, 0, 2, 2), mode="replicate"), kernel[:, None, :, None], groups=n)
    return x.transpose(0, 1).clamp(0, 1) * 2 - 1


def train_judge(
    images: Tensor,
    labels: Tensor,
    chars: str,
    fonts: tuple[str, ...],
    *,
    steps: int = 1500,
    batch: int = 64,
    lr: float = 1e-3,
    width: int = 16,
    seed: int = 0,
    log=None,
) -> Judge:
    """Train a judge on (images (M, 1, S, S), labels (M,) indices into ``chars``), augmented each step.

    Adam with a cosine learning-rate decay to 0 and label smoothing 0.1.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    size = images.shape[-1]
    net = GlyphJudge(len(chars), size, width)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    net.train()
    for step in range(steps):
        idx = torch.randint(len(images), (batch,), generator=gen)
        x = augment(images[idx], gen)
        loss = F.cross_entropy(net(x), labels[idx], label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if log is not None and ((step + 1) % 250 == 0 or step + 1 == steps):
            log(step + 1, float(loss.detach()))
    net.eval()
    return Judge(net, chars, size, tuple(fonts))
