"""Glyph translation: the networks' shapes, one training step on a fixed batch, a tiny run end to end."""

import json

import pytest
import torch

from divergan.cli import main
from divergan.data.glyphs import glyph_pairs
from divergan.metrics.similarity import l1_distance
from divergan.nn.translate import PatchCritic, UNetGenerator
from divergan.objectives import get_objective
from divergan.train.apps import apply_overrides
from divergan.train.translate import TranslateConfig, evaluate, preset, train_step, train_translation

needs_dejavu = pytest.mark.usefixtures("dejavu")  # skip without the fonts; fail under CI (conftest)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("size, patches", [(16, 16), (32, 64), (64, 256)])
def test_shapes(size, patches):
    g = UNetGenerator(size, categories=3, width=4, embed_dim=4)
    d = PatchCritic(categories=3, width=4)
    s, c = torch.randn(2, 1, size, size), torch.tensor([0, 2])
    out = g(s, c)
    assert out.shape == (2, 1, size, size) and out.abs().max() <= 1
    assert d(s, out, c).shape == (2, patches)


def test_the_category_embedding_steers_the_output():
    torch.manual_seed(0)
    g = UNetGenerator(32, categories=2, width=4, embed_dim=4).eval()
    s = torch.randn(1, 1, 32, 32)
    assert (g(s, torch.tensor([0])) - g(s, torch.tensor([1]))).abs().max() > 1e-4


def test_skip_connections_carry_the_source_past_the_bottleneck():
    # with the bottleneck's output zeroed the decoder still sees the encoder maps: output depends on s
    torch.manual_seed(0)
    g = UNetGenerator(32, categories=1, width=4, embed_dim=4).eval()
    g.down[-1].register_forward_hook(lambda m, i, o: torch.zeros_like(o))
    c = torch.tensor([0])
    assert (g(torch.randn(1, 1, 32, 32), c) - g(torch.randn(1, 1, 32, 32), c)).abs().max() > 1e-3


@needs_dejavu
def test_a_few_training_steps_lower_l1_on_a_fixed_batch():
    torch.manual_seed(0)
    pairs = glyph_pairs("ABCDEFGH", "dejavu-sans", ["dejavu-serif"], 16)
    g, d = UNetGenerator(16, 1, width=8, embed_dim=4), PatchCritic(1, width=8)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    before = float(l1_distance(evaluate(g, pairs)[1], pairs.target).mean())
    objective = get_objective("non-saturating")
    for _ in range(25):
        loss_d, adv, l1 = train_step(
            g, d, opt_g, opt_d, objective, pairs.source, pairs.target, pairs.category, 100.0
        )
        assert all(map(torch.isfinite, map(torch.tensor, (loss_d, adv, l1))))
    after = float(l1_distance(evaluate(g, pairs)[1], pairs.target).mean())
    assert after < 0.6 * before


def test_config_validation_and_overrides():
    cfg = apply_overrides(preset("glyphs"), ["size=64", "targets=dejavu-serif", "l1_weight=10"])
    assert (cfg.size, cfg.targets, cfg.l1_weight) == (64, "dejavu-serif", 10.0)
    for bad in (["size=48"], ["held_out=0"], ["steps=-1"], ["lr_g=0"], ["width=abc"]):
        with pytest.raises(ValueError):
            apply_overrides(preset("glyphs"), bad)


@needs_dejavu
def test_tiny_run_end_to_end(tmp_path):
    cfg = TranslateConfig(
        source="dejavu-sans",
        targets="dejavu-serif,dejavu-sans-mono",
        chars="ABCDEFGHIJ",
        held_out=0.2,
        size=16,
        width=4,
        embed_dim=4,
        steps=3,
        batch=4,
        log_every=1,
        eval_every=3,
    )
    final = train_translation(cfg, tmp_path, progress=False)
    assert not set(final["heldout_characters"]) & set(final["train_characters"])
    assert len(final["heldout_characters"]) == 2 and len(final["train_characters"]) == 8
    # the baseline is exactly the source glyph scored against the target
    assert set(final["heldout"]) >= {"model", "baseline_source", "baseline_mean_target"}
    held = glyph_pairs(final["heldout_characters"], "dejavu-sans", ["dejavu-serif", "dejavu-sans-mono"], 16)
    assert final["heldout"]["baseline_source"]["l1"] == pytest.approx(
        float(l1_distance(held.source, held.target).mean()), rel=1e-6
    )
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and "heldout_l1" in rows[-1]
    for name in ("config.json", "final_metrics.json", "heldout.png", "train.png"):
        assert (tmp_path / name).is_file()
    assert len(list((tmp_path / "checkpoints").glob("*.safetensors"))) == 1


@needs_dejavu
def test_cli_preset(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--preset", "glyphs-quick", "--steps", "2", "--out", str(out), "--quiet"]
    args += [
        "--set",
        "chars=ABCDEF",
        "--set",
        "size=16",
        "--set",
        "source=dejavu-sans",
        "--set",
        "targets=dejavu-serif",
    ]
    assert main(args) == 0
    assert "held-out characters" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["steps"] == 2
    assert main([*args[:-2], "--set", "nonsense=1"]) == 2


def test_mean_target_baseline_is_the_per_category_average():
    from divergan.data.glyphs import GlyphPairs
    from divergan.train.translate import mean_targets

    target = torch.arange(4, dtype=torch.float32).reshape(4, 1, 1, 1).expand(4, 1, 2, 2)
    pairs = GlyphPairs("abab", target, target, torch.tensor([0, 1, 0, 1]), ("x", "y"))
    torch.testing.assert_close(mean_targets(pairs)[:, 0, 0, 0], torch.tensor([1.0, 2.0]))
