"""The style-generator trainer: digits data, a tiny run end to end, its figures and the CLI preset."""

import json

import pytest
import torch

from divergan.cli import main
from divergan.train.apps import apply_overrides
from divergan.train.style import load_digits, mixing_grid, preset, train_style, truncation_strip

pytestmark = pytest.mark.usefixtures("one_thread")


def test_digits_are_images_in_range():
    x = load_digits(16)
    assert x.shape == (1797, 1, 16, 16) and x.min() == -1.0 and x.max() <= 1.0
    raw = load_digits(8)
    assert raw.shape == (1797, 1, 8, 8) and set((raw * 8 + 8).round().unique().tolist()) <= set(range(17))


def test_tiny_run_end_to_end(tmp_path):
    cfg = apply_overrides(preset("style-quick"), ["steps=3", "log_every=1", "eval_every=3", "size=8"])
    final = train_style(cfg, tmp_path, progress=False)
    assert set(final["by_psi"]) == {"0", "0.5", "0.7", "1"} and final["num_ws"] == 5
    assert final["crossover_rows"] == {"4": 0, "8": 2}
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and "w1" in rows[-1]
    for name in ("mixing-8.png", "truncation.png", "samples.png", "final_metrics.json", "config.json"):
        assert (tmp_path / name).is_file()


def test_figure_layouts():
    cfg = preset("style-quick")
    from divergan.nn.stylegan import StyleGenerator

    g = StyleGenerator(cfg.z_dim, cfg.w_dim, 8, 1, 4, 1)
    grid = mixing_grid(g, torch.randn(2, cfg.z_dim), torch.randn(3, cfg.z_dim), g.crossover_row(8))
    assert grid.shape == (12, 1, 8, 8)  # (1 + 2) rows of (1 + 3)
    assert torch.all(grid[0] == -1)  # the blank corner
    strip = truncation_strip(g, torch.randn(2, cfg.z_dim), [0.0, 0.5, 1.0])
    torch.testing.assert_close(strip[0], strip[3])  # ψ = 0: both rows start at the w̄ image


def test_cli_preset_and_errors(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["train", "--preset", "style-quick", "--steps", "2", "--set", "size=8", "--out", str(out)]) == 0
    )
    assert "held-out digits" in capsys.readouterr().out
    assert main(["train", "--preset", "style-quick", "--set", "size=12", "--out", str(tmp_path / "b")]) == 2
    assert main(["train", "--preset", "style-quick", "--sampler", "mh", "--out", str(tmp_path / "c")]) == 2
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_variation_sources_see_a_generator_without_noise_or_without_w():
    from divergan.nn.stylegan import StyleGenerator
    from divergan.train.style import variation_sources

    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1, noise_from=64)  # no noise layers at all
    v = variation_sources(g, n=50)
    assert v["from_noise"] == 0.0 and v["from_w"] > 0
