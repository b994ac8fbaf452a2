"""Glyph translation as a Game on the one loop: the networks' shapes, the Game's losses, a tiny run end to
end through ``divergan train``, and what the loop gives it (resume, sample, eval, report, EMA, signals)."""

import json
import signal

import pytest
import torch

from divergan import apps
from divergan.apps import glyphs
from divergan.cli import main
from divergan.data.glyphs import GlyphPairs, glyph_pairs
from divergan.errors import UserError
from divergan.metrics.similarity import l1_distance
from divergan.nn.translate import PatchCritic, UNetGenerator
from divergan.objectives import get_objective
from divergan.train import checkpoint as ckpt
from divergan.train.config import apply_overrides

needs_dejavu = pytest.mark.usefixtures("dejavu")  # skip without the fonts; fail under CI (conftest)

pytestmark = pytest.mark.usefixtures("one_thread")

FONTS = ["source=dejavu-sans", "targets=dejavu-serif,dejavu-sans-mono", "chars=ABCDEFGHIJ", "held_out=0.2"]
TINY = [
    *FONTS,
    "size=16",
    "g_width=4",
    "d_width=4",
    "embed_dim=4",
    "batch=4",
    "threads=1",
    "tensorboard=false",
]


def tiny(steps: int = 3, *more: str):
    return apply_overrides(apps.preset("glyphs-quick"), [*TINY, f"steps={steps}", *more])


@pytest.mark.parametrize("size, patches", [(16, 16), (32, 64), (64, 256)])
def test_shapes(size, patches):
    g = UNetGenerator(size, categories=3, width=4, embed_dim=4)
    d = PatchCritic(categories=3, width=4)
    s, c = torch.randn(2, 1, size, size), torch.tensor([0, 2])
    out = g(s, c)
    assert out.shape == (2, 1, size, size) and out.abs().max() <= 1
    assert d(s, out, c).shape == (2, patches)


def test_the_generator_loss_is_adversarial_plus_weighted_l1():
    torch.manual_seed(0)
    d = PatchCritic(categories=2, width=4)
    s, y, fake = (torch.rand(3, 1, 16, 16) * 2 - 1 for _ in range(3))
    c = torch.tensor([0, 1, 1])
    obj = get_objective("non-saturating")
    total, terms = glyphs.generator_loss(obj, d, s, y, c, fake, l1_weight=7.0)
    adv = obj.generator_loss(None, d(s, fake, c))
    torch.testing.assert_close(terms["adversarial"], adv.detach())
    torch.testing.assert_close(terms["l1"], (fake - y).abs().mean())
    torch.testing.assert_close(total, adv + 7.0 * (fake - y).abs().mean())
    # negative control: λ = 0 leaves the adversarial term alone, which differs
    assert float(glyphs.generator_loss(obj, d, s, y, c, fake, 0.0)[0].detach()) != pytest.approx(
        float(total.detach())
    )


@needs_dejavu
def test_a_few_game_steps_lower_l1_on_a_fixed_batch():
    torch.manual_seed(0)
    pairs = glyph_pairs("ABCDEFGH", "dejavu-sans", ["dejavu-serif"], 16)
    g, d = UNetGenerator(16, 1, width=8, embed_dim=4), PatchCritic(1, width=8)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    game = glyphs.PairedGame(
        get_objective("non-saturating"),
        g,
        d,
        pairs,
        batch=8,
        rng=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
        l1_weight=100.0,
    )
    before = float(l1_distance(glyphs.translate(g, pairs), pairs.target).mean())
    for step in range(25):
        loss_d, _ = game.critic_loss(game.critic_batch(), step)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = game.generator_loss(game.generator_batch(), step)
        opt_g.zero_grad()
        loss_g.backward()
        game.after_generator_backward()
        opt_g.step()
        assert torch.isfinite(loss_d) and torch.isfinite(loss_g)
        assert all(p.requires_grad for p in d.parameters())  # the critic is unfrozen after the G step
    after = float(l1_distance(glyphs.translate(g, pairs), pairs.target).mean())
    assert after < 0.6 * before


def test_one_generator_forward_a_step_and_the_same_update_as_two():
    """The critic phase's G(s, c), kept with its graph, is what the generator phase trains through: one
    encoder pass on the sources a step (the constant loss's pass on the fakes beside it), and without
    dropout the generator's loss and gradients equal those of a fresh forward of the same pairs."""
    torch.manual_seed(0)
    s, y = (torch.rand(20, 1, 16, 16) * 2 - 1 for _ in range(2))
    pairs = GlyphPairs("ABCDEFGHIJKLMNOPQRST", s, y, torch.arange(20) % 2, ["a", "b"])
    g, d = UNetGenerator(16, 2, width=4, embed_dim=4), PatchCritic(2, width=4)
    game = glyphs.PairedGame(get_objective("non-saturating"), g, d, pairs, batch=6,
                             rng=torch.Generator().manual_seed(0), device=torch.device("cpu"),
                             l1_weight=10.0, const_weight=15.0)  # fmt: skip
    calls = []
    encode = g.encode
    g.encode = lambda x: (calls.append(x), encode(x))[1]
    batch = game.critic_batch()
    loss_d, _ = game.critic_loss(batch, 0)
    loss_d.backward()  # the critic's backward leaves the kept graph of G alone
    assert not any(p.grad is not None for p in g.parameters())
    shared = game.generator_loss(game.generator_batch(), 0)
    assert len(calls) == 2 and calls[0] is batch[0]  # the sources once, the fakes once (constant loss)
    grads = torch.autograd.grad(shared, list(g.parameters()))
    assert game.forward is None  # used once: a second generator update would draw again
    fresh = game.generator_loss(batch, 0)  # the control: a fresh forward of the same pairs
    assert len(calls) == 4
    torch.testing.assert_close(shared, fresh)
    for a, b in zip(grads, torch.autograd.grad(fresh, list(g.parameters())), strict=True):
        torch.testing.assert_close(a, b)
    # the critic's one call on real and fake pairs equals its two calls
    fake = g(batch[0], batch[2]).detach()
    obj = get_objective("non-saturating")
    two = obj.critic_loss(d(batch[0], batch[1], batch[2]), d(batch[0], fake, batch[2]))
    torch.testing.assert_close(game.critic_loss(batch, 1)[1], two)


def test_presets_and_config_validation():
    cfg = apply_overrides(apps.preset("glyphs"), ["size=64", "targets=dejavu-serif", "l1_weight=10"])
    assert (cfg.app, cfg.size, cfg.targets, cfg.l1_weight) == ("glyphs", 64, "dejavu-serif", 10.0)
    assert apps.preset("glyphs-64").size == 64 and apps.preset("glyphs-latin").chars == "latin+accents"
    assert apps.preset("default").app == ""  # the trainer's presets are reachable the same way
    for bad in (["held_out=0"], ["steps=-1"], ["lr_g=0"], ["g_width=abc"], ["l1_weight=-1"]):
        with pytest.raises(UserError):
            apply_overrides(apps.preset("glyphs"), bad)
    with pytest.raises(UserError, match="size must be 16, 32, 64, 128"):
        apps.check(apply_overrides(apps.preset("glyphs"), ["size=48"]))
    with pytest.raises(UserError, match="has no critic"):
        apps.check(apply_overrides(apps.preset("glyphs"), ["objective=mmd"]))
    with pytest.raises(UserError, match="unknown app 'nope'"):
        apps.check(apply_overrides(apps.preset("glyphs"), ["app=nope"]))


@needs_dejavu
def test_tiny_run_end_to_end(tmp_path):
    final = apps.train(tiny(3, "log_every=1", "eval_every=3"), tmp_path, progress=False)
    assert not set(final["heldout_characters"]) & set(final["train_characters"])
    assert len(final["heldout_characters"]) == 2 and len(final["train_characters"]) == 8
    assert (tmp_path / "heldout.txt").read_text().splitlines() == list(final["heldout_characters"])
    # the baseline is exactly the source glyph scored against the target
    assert set(final["heldout"]) >= {"model", "baseline_source", "baseline_mean_target"}
    held = glyph_pairs(final["heldout_characters"], "dejavu-sans", ["dejavu-serif", "dejavu-sans-mono"], 16)
    assert final["heldout"]["baseline_source"]["l1"] == pytest.approx(
        float(l1_distance(held.source, held.target).mean()), rel=1e-6
    )
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and "heldout_l1" in rows[-1] and "heldout_l1" not in rows[0]
    assert "divergence_estimate" not in rows[0]  # a patch critic's loss bounds no image divergence
    assert not any(k.startswith("heldout_judge") for k in rows[-1])  # no shipped judge reads 16-px Latin
    for name in ("config.json", "final_metrics.json", "heldout.png", "train.png"):
        assert (tmp_path / name).is_file()
    assert json.loads((tmp_path / "config.json").read_text())["app"] == "glyphs"
    # the EMA at half-life 0 is the generator, batch-norm statistics included: its numbers are G's
    tensors, _ = ckpt.load(ckpt.latest(tmp_path))
    for key in (k for k in tensors if k.startswith("G.")):
        assert tensors[key].equal(tensors["EMA." + key[2:]]), key


@needs_dejavu
def test_the_interval_rows_carry_the_judges_reading_per_target_font(tmp_path, monkeypatch):
    seen = []

    def fake_scores(pairs, out, source):  # the judge's reading of what the EMA drew, per target font
        seen.append((len(pairs), tuple(out.shape), source))
        return {name: {"generated": 0.25 * (k + 1)} for k, name in enumerate(pairs.targets)}

    monkeypatch.setattr(glyphs, "judge_scores", fake_scores)
    apps.train(tiny(2, "log_every=1", "eval_every=2"), tmp_path, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["heldout_judge_dejavu-serif"] == 0.25
    assert rows[-1]["heldout_judge_dejavu-sans-mono"] == 0.5
    assert not any(k.startswith("heldout_judge") for k in rows[0])  # only at the evaluation interval
    assert seen[0] == (4, (4, 1, 16, 16), "dejavu-sans")  # 2 held-out characters × 2 fonts


@needs_dejavu
@pytest.mark.parametrize(
    "jitter", ["glyph_jitter=0", "glyph_jitter=2", "fm_weight=10", "ssim_weight=10", "glyph_warp=true"]
)
def test_resume_continues_bit_for_bit(tmp_path, jitter):
    whole = tmp_path / "whole"
    apps.train(tiny(4, "checkpoint_every=2", "log_every=1", jitter), whole, progress=False)
    part = tmp_path / "part"
    apps.train(tiny(2, "checkpoint_every=2", "log_every=1", jitter), part, progress=False)
    assert main(["train", "--resume", str(part), "--steps", "4", "--quiet"]) == 0
    a, _ = ckpt.load(ckpt.latest(whole))
    b, _ = ckpt.load(ckpt.latest(part))
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)
    rows = [json.loads(line) for line in (whole / "metrics.jsonl").read_text().splitlines()]
    assert ("loss_g_fm" in rows[-1]) == jitter.startswith("fm_weight")  # the term is logged when it is on
    assert ("loss_g_ssim" in rows[-1]) == jitter.startswith("ssim_weight")
    assert (
        json.loads((whole / "final_metrics.json").read_text())["heldout"]
        == json.loads((part / "final_metrics.json").read_text())["heldout"]
    )


@needs_dejavu
def test_jitter_shifts_the_training_batches_but_never_the_held_out_evaluation():
    cfg = tiny(2, "glyph_jitter=2")
    app = apps.app_for(cfg)
    parts = app.build(cfg)
    game = app.game(cfg, parts, parts.generator, parts.critic, device=torch.device("cpu"), timer=None)
    state = parts.rng.get_state()
    s, y, c = game.critic_batch()
    again = torch.Generator()
    again.set_state(state)  # the same draws, by hand: the pairs, then one shift per pair
    idx = torch.randint(len(game.pairs), (cfg.batch,), generator=again)
    shifts = torch.randint(-2, 3, (cfg.batch, 2), generator=again)
    assert s.equal(glyphs.shift_images(game.pairs.source[idx], shifts))
    assert y.equal(glyphs.shift_images(game.pairs.target[idx], shifts)) and c.equal(game.pairs.category[idx])
    assert not (s.equal(game.pairs.source[idx]) and y.equal(game.pairs.target[idx]))  # it did shift
    held = parts.dataset.held_out
    state = parts.rng.get_state()
    _, out = app.evaluate(cfg, parts)
    assert out["direct"].equal(glyphs.translate(parts.ema, held))  # the held-out glyphs as rendered
    assert parts.rng.get_state().equal(state)  # evaluation draws no shift


@needs_dejavu
def test_a_signal_leaves_a_resumable_checkpoint(tmp_path, monkeypatch):
    from divergan.errors import Interrupted
    from divergan.train import loop

    def hook(state, done, stats):  # a SIGTERM arriving during step 2
        if done == 2:
            state.received.append(signal.SIGTERM)

    real = loop.stop_on_signal
    monkeypatch.setattr(
        loop,
        "stop_on_signal",
        lambda state, done, stats: (hook(state, done, stats), real(state, done, stats)),
    )
    with pytest.raises(Interrupted, match="SIGTERM: stopped after step 2"):
        apps.train(tiny(5), tmp_path, progress=False)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-00000002.safetensors"]


@needs_dejavu
def test_cli_train_sample_eval_report(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--preset", "glyphs-quick", "--steps", "2", "--out", str(out), "--quiet"]
    for item in [*FONTS, "size=16", "threads=1"]:
        args += ["--set", item]
    assert main(args) == 0
    assert "held-out characters" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["steps"] == 2
    assert main(["sample", str(out), "--n", "5", "--out", str(tmp_path / "s.npy")]) == 0
    import numpy as np

    x = np.load(tmp_path / "s.npy")
    assert x.shape == (5, 1, 16, 16) and 0 <= x.min() and x.max() <= 1
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    final = json.loads((out / "final_metrics.json").read_text())
    assert ev["direct"] == pytest.approx(final["heldout"]["model"])
    assert ev["baseline_source"] == pytest.approx(final["heldout"]["baseline_source"])
    assert main(["report", str(out)]) == 0
    assert "heldout.png" in (out / "report.html").read_text()
    # one error line, exit 2: an unknown key, a flag the app does not take, a bad size
    assert main([*args[:-2], "--set", "nonsense=1"]) == 2
    assert main([*args, "--data", "grid25"]) == 2
    assert main(["train", "--preset", "glyphs", "--set", "size=48", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


@needs_dejavu
def test_load_generator_of_a_glyph_run_and_an_older_one(tmp_path):
    import divergan

    apps.train(
        tiny(2, "ema_half_life=1", "glyph_norm=batch"), tmp_path / "r", progress=False
    )  # as older runs
    G = divergan.load_generator(tmp_path / "r")
    tensors, _ = ckpt.load(ckpt.latest(tmp_path / "r"))
    ema = {k[4:]: v for k, v in tensors.items() if k.startswith("EMA.")}
    g = {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
    assert any(not ema[k].equal(g[k]) for k in ema if k.endswith("weight"))  # an average, not G
    assert all(G.state_dict()[k].equal(v) for k, v in ema.items()) and G.z_dim is None
    # a glyph run's config.json from before the one Config (its own class: width, no app)
    old = {
        "source": "dejavu-sans", "targets": "dejavu-serif,dejavu-sans-mono", "chars": "ABCDEFGHIJ",
        "size": 16, "held_out": 0.2, "width": 4, "embed_dim": 4, "steps": 2, "l1_weight": 100.0,
    }  # fmt: skip
    (tmp_path / "r" / "config.json").write_text(json.dumps(old))
    assert all(divergan.load_generator(tmp_path / "r").state_dict()[k].equal(v) for k, v in ema.items())


def test_mean_target_baseline_is_the_per_category_average():
    target = torch.arange(4, dtype=torch.float32).reshape(4, 1, 1, 1).expand(4, 1, 2, 2)
    pairs = GlyphPairs("abab", target, target, torch.tensor([0, 1, 0, 1]), ("x", "y"))
    torch.testing.assert_close(glyphs.mean_targets(pairs)[:, 0, 0, 0], torch.tensor([1.0, 2.0]))


@needs_dejavu
def test_tensorboard_gets_the_scalars_and_the_held_out_translations(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    apps.train(tiny(2, "tensorboard=true", "log_every=1", "eval_every=2"), tmp_path, progress=False)
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    assert {"loss_d", "loss_g", "l1_train_batch", "heldout_l1"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Images("heldout")] == [2]  # at the evaluation interval only
    assert "samples" not in acc.Tags()["images"]  # the trainer's scatter of G(z) is not drawn for pairs
