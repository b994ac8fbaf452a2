"""``divergan translate RUN --text ... --out DIR [--style K]`` on a tiny glyph run (DejaVu fonts)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from divergan.cli import main

pytestmark = pytest.mark.usefixtures("one_thread", "dejavu")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("glyph-run") / "run"
    sets = ["source=dejavu-sans", "targets=dejavu-serif,dejavu-sans-mono", "chars=ABCDEFGHIJ", "held_out=0.2"]
    argv = ["train", "--preset", "glyphs-quick", "--steps", "2", "--out", str(folder)]
    for item in [*sets, "threads=1"]:
        argv += ["--set", item]
    assert main(argv) == 0
    return folder


def _ink(path) -> np.ndarray:
    """A PNG written by translate back to ink in [−1, 1] (black ink on white → +1 on −1)."""
    with Image.open(path) as img:
        arr = np.asarray(img.convert("L"), dtype=np.float64)
    return 1 - 2 * arr / 255


def test_one_png_per_character_and_a_strip_exactly_the_generator_output(run, tmp_path, capsys):
    from divergan.api import load_generator
    from divergan.data.glyphs import render_glyph

    out = tmp_path / "out"
    assert (
        main(["translate", str(run), "--text", "A b", "--out", str(out), "--style", "1", "--scale", "1"]) == 0
    )
    files = sorted(p.name for p in out.iterdir())
    assert files == ["00-U+0041.png", "01-U+0062.png", "strip.png"]
    G = load_generator(run)
    s = torch.stack([render_glyph(c, "dejavu-sans", 32) for c in "Ab"])[:, None]
    with torch.no_grad():
        want = G(s, torch.tensor([1, 1]))[:, 0].double().numpy()
    for i, name in enumerate(files[:2]):
        assert np.abs(_ink(out / name) - want[i]).max() <= 1 / 255 + 1e-9  # 8-bit rounding only
    assert np.abs(_ink(out / "strip.png") - np.concatenate(list(want), axis=1)).max() <= 1 / 255 + 1e-9
    # style 0 is another category: another image (the check above could not pass with a wrong --style)
    with torch.no_grad():
        other = G(s, torch.tensor([0, 0]))[:, 0].double().numpy()
    assert np.abs(_ink(out / files[0]) - other[0]).max() > 1 / 255
    printed = capsys.readouterr().out
    assert "dejavu-sans-mono" in printed and "strip.png" in printed


def test_style_by_name_and_scale(run, tmp_path):
    out = tmp_path / "out"
    assert main(["translate", str(run), "--text", "C", "--out", str(out), "--style", "dejavu-serif"]) == 0
    with Image.open(out / "00-U+0043.png") as img:
        assert img.size == (128, 128)  # 32 px × the default scale 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["--text", "A永"], "does not draw '永'"),  # DejaVu Sans has no CJK
        (["--text", "A", "--style", "2"], "out of range"),
        (["--text", "A", "--style", "z003"], "not a target"),
        (["--text", "   "], "no characters"),
        (["--text", "A", "--scale", "0"], "--scale"),
    ],
)
def test_user_errors_are_one_line_exit_2_and_write_nothing(run, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert main(["translate", str(run), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_not_a_run_folder(tmp_path, capsys):
    assert main(["translate", str(tmp_path), "--text", "A", "--out", str(tmp_path / "o")]) == 2
    assert "not a divergan run folder" in capsys.readouterr().err
    (tmp_path / "config.json").write_text('{"app": "", "targets": "auto", "source": "auto"}')  # a GAN run
    assert main(["translate", str(tmp_path), "--text", "A", "--out", str(tmp_path / "o")]) == 2
    assert "not a glyph run" in capsys.readouterr().err


def test_each_character_is_labelled_trained_on_or_held_out_from_heldout_txt(run, tmp_path, capsys):
    held = (run / "heldout.txt").read_text(encoding="utf-8").split()
    assert len(held) == 2 and set(held) < set("ABCDEFGHIJ")  # ⌈0.2 · 10⌉ characters, one per line
    assert main(["translate", str(run), "--text", "ABCDEFGHIJK", "--out", str(tmp_path / "o")]) == 0
    lines = capsys.readouterr().out.splitlines()[:11]
    labels = {line[0]: line.rsplit("(", 1)[1].rstrip(")") for line in lines}
    assert {c for c, label in labels.items() if label == "held out"} == set(held)
    assert {c for c, label in labels.items() if label == "trained on"} == set("ABCDEFGHIJ") - set(held)
    assert labels["K"] == "not among the run's characters"  # neither trained on nor held out
