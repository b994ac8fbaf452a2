"""``divergan translate RUN --text "永和九年" --out DIR [--style K]``: text in a glyph run's learnt style.

Each character of the text (whitespace skipped) is drawn in the run's source font and translated by
the run's generator into target font K (an index into the run's targets, or the font's name; default
the first). ``DIR`` gets one PNG per character, ``NN-U+XXXX.png`` in text order, black ink on white at
``--scale`` × the run's glyph size, and ``strip.png`` with all of them in one row. The command prints
for each character whether the run trained on it, held it out (``heldout.txt`` of the run folder), or
never had it among its characters, so the output of characters the model never saw can be told apart.

A character the source font does not draw, an unknown style, a folder that is not a glyph run: one
line ``error: ...`` and exit status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from divergan.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("translate", help="draw text in the target font style learnt by a glyph run")
    p.add_argument("run", metavar="RUN", help="a glyph run folder (divergan train --preset glyphs...)")
    p.add_argument("--text", required=True, help="the characters to draw")
    p.add_argument("--out", required=True, help="output folder (created; PNG files in it are replaced)")
    p.add_argument("--style", default="0", help="target font: index into the run's targets or its name")
    p.add_argument("--scale", type=int, default=4, help="pixels per glyph pixel in the PNGs (default 4)")
    p.set_defaults(func=run)


def glyph_run_fonts(folder: Path) -> tuple[str, list[str], int]:
    """(source font, target fonts, glyph size) of a glyph run, from its config.json (fonts resolved)."""
    from divergan.train.runs import read_config_json

    if not (folder / "config.json").is_file():
        raise UserError(f"{folder} is not a divergan run folder (no config.json)")
    raw = read_config_json(folder / "config.json")
    older = "app" not in raw and "chars" in raw  # a glyph run from before the one Config
    if raw.get("app") != "glyphs" and not older:
        raise UserError(f"{folder} is not a glyph run (train one with --preset glyphs)")
    final = folder / "final_metrics.json"
    done = json.loads(final.read_text(encoding="utf-8")) if final.is_file() else {}
    if isinstance(done, dict) and "source" in done and "targets" in done:  # "auto" as resolved then
        return done["source"], list(done["targets"]), int(raw.get("size", 32))
    from divergan.data.glyphs import default_fonts

    source, targets, _ = default_fonts()
    if raw.get("source", "auto") != "auto":
        source = raw["source"]
    if raw.get("targets", "auto") != "auto":
        targets = tuple(t.strip() for t in raw["targets"].split(",") if t.strip())
    return source, list(targets), int(raw.get("size", 32))


def style_index(style: str, targets: list[str]) -> int:
    """The category of ``--style``: an index into ``targets`` or one of their names."""
    if style in targets:
        return targets.index(style)
    try:
        k = int(style)
    except ValueError:
        raise UserError(
            f"--style {style!r} is not a target of this run; choose from {', '.join(targets)}"
        ) from None
    if not 0 <= k < len(targets):
        raise UserError(
            f"--style {k} is out of range: this run has {len(targets)} target font(s) (0..{len(targets) - 1})"
        )
    return k


def _seen(folder: Path) -> tuple[set[str], set[str]]:
    """(held-out characters from heldout.txt, training characters from final_metrics.json); empty sets
    where the run has not written them (yet)."""
    held_file, final = folder / "heldout.txt", folder / "final_metrics.json"
    held = set(held_file.read_text(encoding="utf-8").split()) if held_file.is_file() else set()
    done = json.loads(final.read_text(encoding="utf-8")) if final.is_file() else {}
    trained = set(done.get("train_characters", "")) if isinstance(done, dict) else set()
    return held, trained


def _png(image, path: Path, scale: int) -> None:
    """(S, S) in [−1, 1], ink = +1 → black ink on white, upscaled ``scale``× (nearest)."""
    import numpy as np
    from PIL import Image

    arr = np.round((1 - (image.clamp(-1, 1).numpy() + 1) / 2) * 255).astype(np.uint8)
    img = Image.fromarray(arr)
    img.resize((img.width * scale, img.height * scale), Image.NEAREST).save(path)


def run(args: argparse.Namespace) -> int:
    folder, out = Path(args.run), Path(args.out)
    if not 1 <= args.scale <= 32:
        raise UserError(f"--scale must lie in 1..32, got {args.scale}")
    source, targets, size = glyph_run_fonts(folder)
    k = style_index(args.style, targets)
    chars = [c for c in args.text if not c.isspace()]
    if not chars:
        raise UserError("--text has no characters to draw")
    from divergan.data.glyphs import has_glyph, render_glyph

    missing = "".join(dict.fromkeys(c for c in chars if not has_glyph(source, c)))
    if missing:
        raise UserError(f"the source font {source} does not draw {missing!r}: nothing to translate from")
    if out.is_file():
        raise UserError(f"--out {out} is a file; give a folder")
    import torch

    from divergan.api import load_generator

    G = load_generator(folder)
    s = torch.stack([render_glyph(c, source, size) for c in chars])[:, None]  # (N, 1, S, S)
    with torch.no_grad():
        y = G(s, torch.full((len(chars),), k, dtype=torch.long))  # (N, 1, S, S)
    held, trained = _seen(folder)
    out.mkdir(parents=True, exist_ok=True)
    for i, c in enumerate(chars):
        path = out / f"{i:02d}-U+{ord(c):04X}.png"
        _png(y[i, 0], path, args.scale)
        seen = "held out" if c in held else "trained on" if c in trained else "not among the run's characters"
        print(f"{c}  {path}  ({seen})")
    strip = torch.cat(list(y[:, 0]), dim=1)  # (S, N·S)
    _png(strip, out / "strip.png", args.scale)
    print(f"{''.join(chars)}  {out / 'strip.png'}  (style {k}: {targets[k]}, from {source})")
    return 0
