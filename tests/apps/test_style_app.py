"""The style generator as a Game on the one loop: digits data, the Game's lazy R1 and style mixing, a tiny
run end to end with its figures, the CLI preset, and what the loop gives it (resume, sample, eval, report)."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from divergan import apps
from divergan.apps import style
from divergan.cli import main
from divergan.errors import UserError
from divergan.nn.stylegan import StyleCritic, StyleGenerator
from divergan.objectives import get_objective
from divergan.train import TrainingDiverged
from divergan.train import checkpoint as ckpt
from divergan.train.config import apply_overrides

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(steps: int = 3, *more: str):
    return apply_overrides(
        apps.preset("style-quick"), [f"steps={steps}", "size=8", "threads=1", "tensorboard=false", *more]
    )


def test_digits_are_images_in_range():
    x = style.load_digits(16)
    assert x.shape == (1797, 1, 16, 16) and x.min() == -1.0 and x.max() <= 1.0
    raw = style.load_digits(8)
    assert raw.shape == (1797, 1, 8, 8) and set((raw * 8 + 8).round().unique().tolist()) <= set(range(17))


def game(cfg, objective="non-saturating", **over):
    torch.manual_seed(0)
    cfg = dataclasses.replace(cfg, objective=objective, **over)
    obj = get_objective(objective)
    G = StyleGenerator(cfg.z_dim, cfg.w_dim, 8, 1, 4, 1)
    D = StyleCritic(8, 1, 4, obj.critic_outputs)
    data = style.StyleData(train=torch.rand(20, 1, 8, 8) * 2 - 1, held_out=torch.rand(5, 1, 8, 8))
    rng = torch.Generator().manual_seed(0)
    return style.StyleGame(obj, G, D, data, cfg=cfg, rng=rng, device=torch.device("cpu")), G, D


def test_lazy_r1_every_kth_step_weighted_by_k():
    from divergan.objectives import r1_penalty

    g, _G, D = game(tiny(), r1_gamma=0.5, r1_every=4)
    batch = g.critic_batch()
    plain, value = g.critic_loss(batch, step=1)  # not a multiple of 4: no R1
    with_r1, _ = g.critic_loss(batch, step=8)
    torch.testing.assert_close(plain, value)  # the game value is the objective's loss alone
    torch.testing.assert_close(with_r1 - plain, r1_penalty(D, batch[0], 0.5 * 4), rtol=1e-5, atol=1e-6)
    assert float((with_r1 - plain).detach()) > 0  # the control: R1 is there at step 8, not at step 1


def test_style_mixing_crosses_a_fraction_of_the_batch():
    _g, G, _ = game(tiny())
    z = torch.randn(64, G.z_dim)
    none = style.mixed_styles(G, z, 0.0, torch.Generator().manual_seed(1))
    torch.testing.assert_close(none, G.styles(z))  # mixing 0: every row is w(z)
    all_ = style.mixed_styles(G, z, 1.0, torch.Generator().manual_seed(1))
    differs = (all_ != G.styles(z)).any(dim=2)  # (B, num_ws): rows that take w(z₂)
    assert differs.any(dim=1).all() and not differs[:, 0].any()  # every sample crosses, never at row 0


def test_generator_loss_reads_real_outputs_not_the_fakes():
    g, _G, D = game(tiny(), objective="mmd-gan")
    real = torch.rand(6, 1, 8, 8) * 2 - 1
    t_real = style.real_outputs(g.objective, D, real)
    assert t_real.shape == (6, 16) and not t_real.requires_grad  # the feature critic's K outputs
    torch.testing.assert_close(t_real, D(real).detach())
    t_fake = D(torch.rand(6, 1, 8, 8) * 2 - 1).detach()
    # the old code passed the fakes as "real": MMD² of a batch with itself, not the game's loss
    assert float(g.objective.generator_loss(t_real, t_fake)) != pytest.approx(
        float(g.objective.generator_loss(t_fake, t_fake))
    )
    assert style.real_outputs(get_objective("non-saturating"), D, real) is None  # not read: not computed


def test_tiny_run_end_to_end(tmp_path):
    final = apps.train(tiny(3, "log_every=1", "eval_every=3"), tmp_path, progress=False)
    assert set(final["by_psi"]) == {"0", "0.5", "0.7", "1"} and final["num_ws"] == 5
    assert final["crossover_rows"] == {"4": 0, "8": 2}
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3] and "w1" in rows[-1] and "w1" not in rows[0]
    for name in ("mixing-8.png", "truncation.png", "samples.png", "final_metrics.json", "config.json"):
        assert (tmp_path / name).is_file()
    # the EMA copies w̄ (the truncation trick's centre) from the generator
    tensors, _ = ckpt.load(ckpt.latest(tmp_path))
    assert tensors["EMA.mapping.w_avg"].equal(tensors["G.mapping.w_avg"])


def test_a_feature_critic_objective_trains(tmp_path):
    final = apps.train(tiny(2, "objective=mmd-gan", "eval_every=2"), tmp_path, progress=False)
    assert final["steps"] == 2 and math.isfinite(final["by_psi"]["1"]["w1"])


def test_one_nan_policy(tmp_path, monkeypatch):
    real = style.get_objective

    def broken(name, **params):
        return dataclasses.replace(
            real(name, **params), generator_loss=lambda tr, tf: tf.mean() * float("nan")
        )

    monkeypatch.setattr(style, "get_objective", broken)
    with pytest.raises(TrainingDiverged, match="loss_g became nan at step 0"):
        apps.train(tiny(3), tmp_path / "r", progress=False)


def test_resume_continues_bit_for_bit(tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    apps.train(tiny(6, "checkpoint_every=3", "log_every=1", "r1_every=2"), whole, progress=False)
    apps.train(tiny(3, "checkpoint_every=3", "log_every=1", "r1_every=2"), part, progress=False)
    assert main(["train", "--resume", str(part), "--steps", "6", "--quiet"]) == 0
    a, _ = ckpt.load(ckpt.latest(whole))
    b, _ = ckpt.load(ckpt.latest(part))
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


def test_figure_layouts():
    cfg = apps.preset("style-quick")
    g = StyleGenerator(cfg.z_dim, cfg.w_dim, 8, 1, 4, 1)
    grid = style.mixing_grid(g, torch.randn(2, cfg.z_dim), torch.randn(3, cfg.z_dim), g.crossover_row(8))
    assert grid.shape == (12, 1, 8, 8)  # (1 + 2) rows of (1 + 3)
    assert torch.all(grid[0] == -1)  # the blank corner
    strip = style.truncation_strip(g, torch.randn(2, cfg.z_dim), [0.0, 0.5, 1.0])
    torch.testing.assert_close(strip[0], strip[3])  # ψ = 0: both rows start at the w̄ image


def test_cli_preset_sample_eval_report_and_errors(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--preset", "style-quick", "--steps", "2", "--set", "size=8", "--set", "threads=1"]
    assert main([*args, "--out", str(out)]) == 0
    assert "held-out digits" in capsys.readouterr().out
    assert main(["sample", str(out), "--n", "4", "--out", str(tmp_path / "s.npy")]) == 0
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (4, 1, 8, 8) and 0 <= x.min() and x.max() <= 1
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert set(ev["direct"]) == {"w1", "mmd", "spread"} and "psi=0" in ev
    assert main(["report", str(out)]) == 0
    assert "mixing-8.png" in (out / "report.html").read_text()
    # one error line, exit 2, no folder
    assert main(["train", "--preset", "style-quick", "--set", "size=12", "--out", str(tmp_path / "b")]) == 2
    assert main(["train", "--preset", "style-quick", "--sampler", "mh", "--out", str(tmp_path / "c")]) == 2
    assert main(["train", "--preset", "style-quick", "--set", "mixing=2", "--out", str(tmp_path / "d")]) == 2
    assert not any((tmp_path / n).exists() for n in "bcd")


def test_config_checks():
    with pytest.raises(UserError, match="data 'digits' only"):
        apps.check(apply_overrides(apps.preset("style-quick"), ["data=grid25"]))
    with pytest.raises(UserError, match="noise_from"):
        apps.check(apply_overrides(apps.preset("style-quick"), ["noise_from=5"]))
    with pytest.raises(UserError, match="r1_every must be at least 1"):
        apply_overrides(apps.preset("style-quick"), ["r1_every=0"])
    apps.check(apps.preset("style-digits"))  # the control: the preset itself passes


def test_variation_sources_see_a_generator_without_noise():
    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1, noise_from=64)  # no noise layers at all
    v = style.variation_sources(g, n=50)
    assert v["from_noise"] == 0.0 and v["from_w"] > 0
