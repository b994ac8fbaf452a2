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
    G = StyleGenerator(cfg.z_dim, cfg.w_dim, 8, 1, 4, 1, info_codes=style.INFO_CODES if cfg.fine_info else 0)
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


def whole_and_resumed(tmp_path, steps: int, *more: str):
    """The last checkpoint's tensors of a run trained straight through ``steps`` steps, and of one trained half
    way and resumed by the CLI to the same step (``more`` are its overrides, with its checkpoint interval)."""
    whole, part = tmp_path / "whole", tmp_path / "part"
    apps.train(tiny(steps, *more), whole, progress=False)
    apps.train(tiny(steps // 2, *more), part, progress=False)
    assert main(["train", "--resume", str(part), "--steps", str(steps), "--quiet"]) == 0
    a, _ = ckpt.load(ckpt.latest(whole))
    b, _ = ckpt.load(ckpt.latest(part))
    assert a.keys() == b.keys()
    return a, b


@pytest.mark.parametrize("skip", ["true", "false"])
def test_resume_continues_bit_for_bit(tmp_path, skip):
    a, b = whole_and_resumed(tmp_path, 6, "checkpoint_every=3", "log_every=1", "r1_every=2", f"g_skip={skip}")
    assert all(a[k].equal(b[k]) for k in a)


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
    with pytest.raises(UserError, match="data 'digits' and 'mnist' only"):
        apps.check(apply_overrides(apps.preset("style-quick"), ["data=grid25"]))
    with pytest.raises(UserError, match="noise_from"):
        apps.check(apply_overrides(apps.preset("style-quick"), ["noise_from=5"]))
    with pytest.raises(UserError, match="r1_every must be at least 1"):
        apply_overrides(apps.preset("style-quick"), ["r1_every=0"])
    with pytest.raises(UserError, match="pl_every must be at least 1"):
        apply_overrides(apps.preset("style-quick"), ["pl_every=0"])
    with pytest.raises(UserError, match="pl_weight must be >= 0"):
        apply_overrides(apps.preset("style-quick"), ["pl_weight=-1"])
    apps.check(apps.preset("style-digits"))  # the control: the preset itself passes


def test_variation_sources_see_a_generator_without_noise():
    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1, noise_from=64)  # no noise layers at all
    v = style.variation_sources(g, n=50)
    assert v["from_noise"] == 0.0 and v["from_w"] > 0


def test_style_mnist_preset_checks_and_widths():
    cfg = apps.preset("style-mnist")
    apps.check(cfg)  # the control: the preset itself passes
    assert cfg.data == "mnist" and cfg.size == 28 and cfg.d_mbstd == 4
    assert style.synthesis_widths(cfg) == {28: 16, 14: 32, 7: 64}
    assert style.synthesis_widths(apps.preset("style-digits")) == 16  # constant: the digits preset as before
    with pytest.raises(UserError, match="size must be 28 or 32"):
        apps.check(apply_overrides(apps.preset("style-mnist"), ["size=16"]))
    with pytest.raises(UserError, match="noise_from must be a resolution 7, 14, 28"):
        apps.check(apply_overrides(apps.preset("style-mnist"), ["noise_from=8"]))
    with pytest.raises(UserError, match="g_skip"):
        apply_overrides(apps.preset("style-mnist"), ["g_skip=maybe"])


def test_ink_and_slant_of_known_strokes():
    x = torch.zeros(3, 1, 7, 7)
    x[0, 0, range(7), [6, 5, 4, 3, 2, 1, 0]] = 1.0  # "/": one column right per row up
    x[1, 0, range(7), range(7)] = 0.5  # "\"
    x[2, 0, :, 3] = 1.0  # "|"
    ink, slant = style.ink_and_slant(x)
    torch.testing.assert_close(ink, torch.tensor([7 / 49, 3.5 / 49, 7 / 49], dtype=torch.float64))
    torch.testing.assert_close(slant, torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64))
    sheared = torch.zeros(1, 1, 7, 7)
    sheared[0, 0, range(0, 7, 2), [6, 5, 4, 3]] = 1.0  # half a column per row: slant 1/2
    torch.testing.assert_close(style.ink_and_slant(sheared)[1], torch.tensor([0.5], dtype=torch.float64))


def test_mixing_measure_against_its_controls(monkeypatch):
    from divergan.metrics.images import resolve_feature_net

    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1)
    net = resolve_feature_net("digits")
    # crossover after every row: the "mix" is the coarse source itself; at row 0 it is the fine source
    monkeypatch.setattr(g, "crossover_row", lambda r: g.num_ws)
    m = style.mixing_measure(g, net, 8, n=40)
    assert m["keeps_coarse_class"] == 1.0 and m["ink_corr_coarse"] == pytest.approx(1.0)
    assert m["slant_corr_coarse"] == pytest.approx(1.0) and abs(m["ink_corr_fine"]) < 0.6
    monkeypatch.setattr(g, "crossover_row", lambda r: 0)
    m = style.mixing_measure(g, net, 8, n=40)
    assert m["takes_fine_class"] == 1.0 and m["ink_corr_fine"] == pytest.approx(1.0)
    assert m["slant_corr_fine"] == pytest.approx(1.0)
    # the stroke width's and slant's slopes: 1 on the source the mix copies, about 0 on the other
    assert m["width_slope_fine"] == pytest.approx(1.0) and m["slant_slope_fine"] == pytest.approx(1.0)
    assert abs(m["width_slope_coarse"]) < 0.6 and m["width_slope_se"] < 1e-6
    assert m["control_change"] == 0.0  # z₂ = z₁: the mix is the coarse source's image
    monkeypatch.setattr(g, "crossover_row", lambda r: g.num_ws)
    m = style.mixing_measure(g, net, 8, n=40)
    assert m["width_slope_coarse"] == pytest.approx(1.0) and m["slant_slope_coarse"] == pytest.approx(1.0)
    assert abs(m["width_slope_fine"]) < 0.6 and abs(m["width_slope_null"]) < 0.6
    assert m["frame_heavy"] == m["frame_heavy_coarse"]  # the mix is the coarse source: one border


def test_frame_ink_share_of_known_images():
    x = torch.zeros(4, 1, 28, 28)
    x[0, 0, 8:20, 12:15] = 1.0  # a centred stroke: no ink in the 4-px frame
    x[1, 0, 0:4, 24:28] = 1.0  # a blob in a corner: all of it
    x[2, 0, 10:12, 0:8] = 1.0  # a bar across the frame's edge: half of it
    torch.testing.assert_close(
        style.frame_ink_share(x), torch.tensor([0.0, 1.0, 0.5, 0.0], dtype=torch.float64)
    )
    assert style.frame_heavy(x) == 0.5  # the corner blob and the bar; not the stroke, not the blank image
    small = torch.zeros(1, 1, 8, 8)
    small[0, 0, 0, 3] = 1.0  # at 8 px the frame is one pixel wide
    assert float(style.frame_ink_share(small)) == 1.0


def test_stroke_width_of_known_strokes():
    x = torch.zeros(5, 1, 20, 20)
    x[0, 0, 2:18, 5:8] = 1.0  # a 16 x 3 vertical bar: 48 / (16 + 3)
    x[1, 0, 5:8, 2:18] = 1.0  # the same bar lying: the same width
    x[2, 0, 2:18, 3:5] = 1.0  # two 16 x 2 bars
    x[2, 0, 2:18, 10:12] = 1.0
    x[3, 0, 2:18, 3:5] = 0.4  # below the threshold: no stroke, width 0 (as the empty image)
    width = style.stroke_width(x)
    expected = [48 / 19, 48 / 19, 64 / (32 + 4), 0.0, 0.0]
    torch.testing.assert_close(width, torch.tensor(expected, dtype=torch.float64))
    # a bar twice as wide and as long reads twice as wide
    y = torch.zeros(1, 1, 40, 40)
    y[0, 0, 4:36, 10:16] = 1.0
    torch.testing.assert_close(style.stroke_width(y)[0], 2 * width[0].double())


def test_slope_and_its_standard_error_by_hand():
    x = torch.tensor([0.0, 1.0, 2.0, 3.0])
    y = torch.tensor([0.0, 2.0, 1.0, 3.0])
    beta, se = style.slope(y, x)
    # dx = (-1.5, -0.5, 0.5, 1.5), dy = (-1.5, 0.5, -0.5, 1.5): β = Σ dx dy / Σ dx² = 4 / 5
    assert beta == pytest.approx(0.8)
    # residuals dy - 0.8 dx = (-0.3, 0.9, -0.9, 0.3): σ_β = √(1.8 / (4 - 2)) / √5
    assert se == pytest.approx((1.8 / 2) ** 0.5 / 5**0.5)


def test_truncation_measure_uses_one_z_and_noise_for_every_psi():
    from divergan.metrics.images import extract, resolve_feature_net

    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.5)  # the noise matters: only the same draws reproduce the samples
        g.mapping.w_avg.normal_()
    net = resolve_feature_net("digits")
    z = torch.randn(30, 8, generator=torch.Generator().manual_seed(2))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        own = extract(style._unit(g(z)), net)[0]
    rows = style.truncation_measure(g, net, own, psis=(1.0, 0.0), n=30, seed=2)
    assert [r["psi"] for r in rows] == [1.0, 0.0]
    assert rows[0]["precision"] == rows[0]["recall"] == 1.0 and rows[0]["fd"] < 1e-6  # ψ = 1: its own samples
    assert rows[1]["fd"] > 1e-3  # ψ = 0: one w̄ for all (noise aside), not the same set


def test_w_centres_with_one_cluster_is_the_mean_of_w():
    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1)
    one = style.w_centres(g, k=1, n=300, seed=5)
    z = torch.randn(300, 8, generator=torch.Generator().manual_seed(5))
    w = g.mapping(z).detach().double()
    torch.testing.assert_close(one[0].double(), w.mean(0), atol=1e-6, rtol=0)
    four = style.w_centres(g, k=4, n=300, seed=5)
    assert four.shape == (4, 8) and torch.unique(four, dim=0).shape[0] == 4
    # each k-means centre is the mean of the w's nearest to it (Lloyd's fixed point)
    label = torch.cdist(w, four.double()).argmin(1)
    for k in range(4):
        torch.testing.assert_close(four[k].double(), w[label == k].mean(0), atol=1e-4, rtol=0)


def linear_generator(A: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
    """images (B, 1, 2, 2) = ws (B, L, J) flattened times A (L·J, 4): a linear map of the styles."""
    return (ws.reshape(len(ws), -1) @ A).reshape(len(ws), 1, 2, 2)


def test_path_lengths_of_a_linear_generator_by_hand():
    g = torch.Generator().manual_seed(0)
    B, L, J = 3, 2, 4
    A = torch.randn(L * J, 4, generator=g, dtype=torch.float64)
    ws = torch.randn(B, L, J, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(B, 1, 2, 2, generator=g, dtype=torch.float64)
    lengths = style.path_lengths(linear_generator(A, ws), ws, y)
    # by hand: ∂(Σ y·(ws A))/∂ws = y Aᵀ, per sample; then the root mean over rows of the squared norms
    grad = (y.reshape(B, 4) @ A.T).reshape(B, L, J)
    expected = torch.stack([((grad[b] ** 2).sum(1).mean()).sqrt() for b in range(B)])
    torch.testing.assert_close(lengths, expected, rtol=1e-12, atol=0)
    # the penalty and the running mean: a = 0.7 + 0.01 (mean ℓ − 0.7), penalty = mean (ℓ − a)²
    penalty, a = style.path_length_penalty(lengths, torch.tensor(0.7, dtype=torch.float64))
    a_hand = 0.7 + 0.01 * (float(expected.mean()) - 0.7)
    assert float(a) == pytest.approx(a_hand, rel=1e-12)
    assert float(penalty.detach()) == pytest.approx(float(((expected - a_hand) ** 2).mean()), rel=1e-12)
    # controls: twice the map, twice the lengths; no noise, no length
    torch.testing.assert_close(style.path_lengths(linear_generator(2 * A, ws), ws, y), 2 * expected)
    assert style.path_lengths(linear_generator(A, ws), ws, 0 * y).abs().max() == 0
    # the penalty trains the map (double backward): its gradient in A matches finite differences
    A.requires_grad_(True)

    def pen(A_):
        w_ = ws.detach().requires_grad_(True)
        return style.path_length_penalty(style.path_lengths(linear_generator(A_, w_), w_, y), a.detach())[0]

    assert torch.autograd.gradcheck(pen, (A,))
    (dA,) = torch.autograd.grad(pen(A), A)
    assert dA.abs().max() > 0


def test_path_length_term_is_lazy_weighted_and_moves_the_running_mean():
    g, G, _D = game(tiny(), pl_weight=2.0, pl_every=2)
    G.register_buffer("pl_mean", torch.zeros(()))
    batch = g.critic_batch()
    state, gstate = g.rng.get_state(), torch.get_rng_state()

    def again():
        g.rng.set_state(state)
        torch.set_rng_state(gstate)

    off = g.generator_loss(batch, step=1)  # not a multiple of 2: no path-length term
    assert float(G.pl_mean) == 0.0
    again()
    on = g.generator_loss(batch, step=2)
    a = float(G.pl_mean)
    assert a > 0  # a ← 0 + 0.01 · mean ℓ
    again()
    G.pl_mean.zero_()
    g.generator_loss(batch, step=1)  # the same draws as the main term of step 2, then the term's own
    term = g.path_length_term(len(batch[-1]))
    assert float(G.pl_mean) == a
    torch.testing.assert_close(on - off, 2.0 * 2 * term)
    assert float(term.detach()) > 0


def test_path_length_regularised_run_checkpoints_its_mean_and_resumes_bit_for_bit(tmp_path):
    a, b = whole_and_resumed(tmp_path, 4, "checkpoint_every=2", "pl_weight=2", "pl_every=2")
    assert all(a[k].equal(b[k]) for k in a)
    assert float(a["G.pl_mean"]) > 0 and a["EMA.pl_mean"].equal(a["G.pl_mean"])
    # without the regulariser the generator has no such buffer: older checkpoints still load
    apps.train(tiny(1), tmp_path / "plain", progress=False)
    assert "G.pl_mean" not in ckpt.load(ckpt.latest(tmp_path / "plain"))[0]


def test_row_measure_sees_a_row_the_synthesis_ignores():
    from divergan.metrics.images import resolve_feature_net

    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1)
    with torch.no_grad():  # row 0 (the 4-px conv): a style that does not depend on w
        g.synthesis.convs[0][0].conv.affine.weight.zero_()
    rows = style.row_measure(g, resolve_feature_net("digits"), n=40)
    assert [r["row"] for r in rows] == list(range(g.num_ws))
    assert rows[0]["keeps_class"] == 1.0  # the mix is z₁'s own image
    assert min(r["keeps_class"] for r in rows[1:]) < 1.0  # the control: a row that w reaches


def _moved_mean_generator():
    """A small generator whose running mean w̄ is moved off 0 (so truncation changes its samples), and the
    shipped digit classifier."""
    from divergan.metrics.images import resolve_feature_net

    torch.manual_seed(0)
    g = StyleGenerator(8, 8, 8, 1, 4, 1)
    with torch.no_grad():
        g.mapping.w_avg.normal_()
    return g, resolve_feature_net("digits")


def test_truncation_measure_carries_the_standard_errors_of_its_paired_changes():
    from divergan.metrics.features import paired_difference_se, precision_recall_density_coverage
    from divergan.metrics.images import extract

    g, net = _moved_mean_generator()
    real = extract(torch.rand(40, 1, 8, 8, generator=torch.Generator().manual_seed(5)), net)[0]
    rows = style.truncation_measure(g, net, real, psis=(1.0, 1.0, 0.0), n=40)
    assert "precision_se_step" not in rows[0]  # the first row has nothing to change from
    # ψ = 1 twice: the same samples, so every paired change and its standard error are exactly 0
    assert rows[1]["precision_se_step"] == rows[1]["recall_se_step"] == 0.0
    # ψ = 0 by hand: the indicators of the same z at ψ = 1 and ψ = 0
    hits = []
    for psi in (1.0, 0.0):
        z = torch.randn(40, 8, generator=torch.Generator().manual_seed(2))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(2)
            feats = extract(style._draw(g, z, psi=psi), net)[0]
        hits.append(precision_recall_density_coverage(real, feats, hits=True))
    for name in ("precision", "recall"):
        se = paired_difference_se(hits[0][f"{name}_hits"], hits[1][f"{name}_hits"])
        assert rows[2][f"{name}_se_step"] == rows[2][f"{name}_se_first"] == pytest.approx(se)
    assert rows[2]["recall_se_step"] > 0  # the control: ψ = 0 changes which real digits the samples cover


def test_truncation_measure_toward_one_centre_is_the_one_centre_trick():
    from divergan.metrics.images import extract

    g, net = _moved_mean_generator()
    real = extract(torch.rand(30, 1, 8, 8), net)[0]
    plain = style.truncation_measure(g, net, real, psis=(1.0, 0.5), n=30)
    one = style.truncation_measure(g, net, real, psis=(1.0, 0.5), n=30, centres=g.mapping.w_avg[None])
    assert plain == one
    far = style.truncation_measure(g, net, real, psis=(0.5,), n=30, centres=g.mapping.w_avg[None] + 5)
    assert far[0]["fd"] != plain[1]["fd"]  # the control: another centre, other samples


def test_lazy_objective_penalty_every_kth_step_weighted_by_k():
    """penalty_every = k: the objective's R1/R2 (rpgan's, γ = 1 each) enters the critic loss as k·penalty on
    steps 0, k, 2k, … and not between; k = 1 (the default) puts it on every step."""
    g, G, D = game(tiny(), objective="rpgan", penalty_every=4, r1_gamma=0.0)  # no lazy R1 beside it
    obj = get_objective("rpgan")
    batch = g.critic_batch()
    real, _, z = batch
    losses = {}
    for step in (1, 8):
        torch.manual_seed(5)  # the per-pixel noise of the critic phase's fakes
        losses[step] = g.critic_loss(batch, step)
    torch.manual_seed(5)
    with torch.no_grad():
        fake = G(z)
    plain, value = losses[1]
    torch.testing.assert_close(plain, value)  # step 1: no penalty, the objective's loss alone
    torch.testing.assert_close(losses[8][0] - plain, 4 * obj.penalty(D, real, fake), rtol=1e-5, atol=1e-6)
    assert float((losses[8][0] - plain).detach()) > 0  # the control: the penalty is there at step 8
    eager, _, _ = game(tiny(), objective="rpgan", r1_gamma=0.0)
    torch.manual_seed(5)
    every, _ = eager.critic_loss(eager.critic_batch(), 1)
    torch.testing.assert_close(every - value, obj.penalty(D, real, fake), rtol=1e-5, atol=1e-6)


def test_penalty_every_needs_an_objective_penalty_and_trains(tmp_path):
    with pytest.raises(UserError, match=r"penalty_every .*'non-saturating' has none"):
        apps.check(tiny(3, "penalty_every=2"))
    with pytest.raises(UserError, match=r"penalty_until .*r1_every"):
        tiny(3, "penalty_until=0.5")  # the style game has no penalty stop
    runs = {}
    for name, extra in [("eager", []), ("lazy", ["penalty_every=2"])]:
        cfg = tiny(4, "objective=rpgan", "checkpoint_every=4", "eval_every=4", *extra)
        apps.train(cfg, tmp_path / name, progress=False)
        runs[name] = ckpt.load(ckpt.checkpoint_path(tmp_path / name, 4))[0]
    keys = [k for k in runs["eager"] if k.startswith("D.")]
    assert keys and any(not torch.equal(runs["eager"][k], runs["lazy"][k]) for k in keys)
    assert all(torch.isfinite(runs["lazy"][k]).all() for k in keys)


def test_critic_mixing_judges_the_generators_mixed_fakes():
    """With critic_mixing the critic's fakes are G.synthesis(mixed_styles(z)) with the game's own random
    draws (StyleGAN2 mixes in both phases); without it G(z). Per-pixel noise is off (noise_mode none is
    reproduced by seeding torch's stream before each draw), w̄ is not moved by the critic phase."""
    g, G, _ = game(tiny(), mixing=1.0, critic_mixing=True)
    z = torch.randn(16, G.z_dim)
    state = g.rng.get_state()
    w_avg = G.mapping.w_avg.clone()
    torch.manual_seed(3)
    fake = g.critic_fakes(z)
    torch.testing.assert_close(G.mapping.w_avg, w_avg)  # the critic phase leaves w̄ alone
    torch.manual_seed(3)
    expected = G.synthesis(style.mixed_styles(G, z, 1.0, torch.Generator().set_state(state)))
    torch.testing.assert_close(fake, expected, rtol=0, atol=0)
    torch.manual_seed(3)
    unmixed = G(z)
    assert (fake - unmixed).abs().amax(dim=(1, 2, 3)).gt(1e-6).all()  # control: every fake is mixed
    g_off, G_off, _ = game(tiny(), mixing=1.0, critic_mixing=False)
    state = g_off.rng.get_state()
    torch.manual_seed(3)
    off = g_off.critic_fakes(z)
    torch.manual_seed(3)
    torch.testing.assert_close(off, G_off(z), rtol=0, atol=0)  # off: the unmixed fakes, as before
    assert torch.equal(g_off.rng.get_state(), state)  # and no random draws of the mixing


def test_critic_mixing_is_a_checked_config_key():
    assert apps.preset("style-quick").critic_mixing is False  # off unless asked for
    assert apply_overrides(apps.preset("style-quick"), ["critic_mixing=true"]).critic_mixing is True
    with pytest.raises(UserError, match="critic_mixing must be true or false"):
        apply_overrides(apps.preset("style-quick"), ["critic_mixing=maybe"])


def test_clean_measure_counts_empty_and_unsure_samples():
    real = torch.zeros(4, 1, 8, 8)
    real[:, :, 2:6, 3:5] = 1.0  # 8 inked pixels each: half the sparsest is 4
    fake = real.clone()
    fake[0] = 0.0  # empty
    fake[1, :, 2:4, 3] = 0.0  # 6 inked pixels: not empty
    fake[1, :, 2:5, 4] = 0.0  # 3 inked pixels: empty
    sure = torch.full((4, 1, 10), -10.0)
    sure[:, 0, 3] = 10.0  # every real digit a confident 3
    unsure = sure.clone()
    unsure[2, 0, 5] = 9.0  # a runner-up class: top probability e/(e + 1) = 0.73, still sure
    unsure[3, 0, :] = 0.0  # uniform over 10 classes: top probability 0.1
    m = style.clean_measure(fake, unsure, real, sure)
    assert m == {"empty": 2, "real_min_inked": 8, "unsure": 0.25, "real_unsure": 0.0, "real_frame_heavy": 0.0}
    # the control: the real digits against themselves are clean
    assert style.clean_measure(real, sure, real, sure) == {
        "empty": 0, "real_min_inked": 8, "unsure": 0.0, "real_unsure": 0.0, "real_frame_heavy": 0.0
    }  # fmt: skip
    # 2 of this digit's 10 inked pixels in the 1-px frame of 8 px: 1 digit in 4 is frame-heavy
    real[1, :, 0, 0:2] = 1.0
    assert style.clean_measure(real, sure, real, sure)["real_frame_heavy"] == 0.25


def test_diffaugment_shows_the_critic_transformed_digits_in_both_phases():
    """With d_augment the critic loss is the objective's on (D(T(x)), D(T(G(z)))), T drawn from the game's
    stream after the fakes (reals first), and the generator loss is on D(T(G(z))) with T differentiable in
    G's images; without it no draw is made and the loss is on the images themselves (the control)."""
    from divergan.nn.augment import DiffAugment

    aug = DiffAugment(("translation",))
    g, G, D = game(tiny(), d_augment="translation", mixing=0.0)
    batch = g.critic_batch()
    state = g.rng.get_state()
    torch.manual_seed(3)
    _, value = g.critic_loss(batch, step=1)
    r = torch.Generator().set_state(state)
    torch.manual_seed(3)
    fake = G(batch[2])
    real_t, fake_t = aug.augment(batch[0], r), aug.augment(fake, r)
    torch.testing.assert_close(value, g.objective.critic_loss(D(real_t), D(fake_t)), rtol=0, atol=0)
    assert not torch.equal(value, g.objective.critic_loss(D(batch[0]), D(fake)))  # T is not the identity
    assert torch.equal(g.rng.get_state(), r.get_state())  # exactly the augmentation's draws

    state = g.rng.get_state()
    torch.manual_seed(4)
    loss = g.generator_loss(g.generator_batch(), step=1)
    loss.backward()
    torch.manual_seed(4)  # the per-pixel noise
    r2 = torch.Generator().set_state(state)
    z = torch.randn(g.batch, g.z_dim, generator=r2)  # generator_batch's fresh noise
    ws = style.mixed_styles(G, z, 0.0, r2, update_w_avg=False)
    expected = g.objective.generator_loss(None, D(aug.augment(G.synthesis(ws), r2)))
    torch.testing.assert_close(loss.detach(), expected.detach(), rtol=0, atol=0)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.synthesis.parameters())

    off, G_off, D_off = game(tiny(), mixing=0.0)
    batch = off.critic_batch()
    state = off.rng.get_state()
    torch.manual_seed(3)
    _, value = off.critic_loss(batch, step=1)
    torch.manual_seed(3)
    expected = off.objective.critic_loss(D_off(batch[0]), D_off(G_off(batch[2])))
    torch.testing.assert_close(value, expected, rtol=0, atol=0)
    assert torch.equal(off.rng.get_state(), state)  # off: no draws


def test_a_style_run_with_diffaugment_trains_and_resumes_bit_for_bit(tmp_path):
    a, b = whole_and_resumed(tmp_path, 6, "checkpoint_every=3", "d_augment=translation,cutout", "r1_every=2")
    assert all(a[k].equal(b[k]) for k in a)
    apps.train(tiny(6, "checkpoint_every=3", "r1_every=2"), tmp_path / "off", progress=False)
    c, _ = ckpt.load(ckpt.latest(tmp_path / "off"))
    assert any(not a[k].equal(c[k]) for k in a if k.startswith("G."))  # the control: augmentation acts


def test_augment_groups_draws_one_transform_per_minibatch_std_group():
    """With augment_groups each group of d_mbstd consecutive images gets one shift: four copies of a digit
    stay four equal images (spread 0, as unshifted), where per-image shifts spread them (the control)."""
    from divergan.nn.remedies import MinibatchStd

    digit = torch.full((1, 1, 8, 8), -1.0)
    digit[..., 2:6, 3:5] = 1.0
    copies = digit.expand(16, -1, -1, -1)
    grouped, _, _ = game(tiny(), d_augment="translation", d_mbstd=4, augment_groups=True)
    out = grouped.transform(copies)
    assert all(torch.equal(out[i], out[i - i % 4]) for i in range(16))  # one shift per group
    assert not torch.equal(out[0], out[4]) or not torch.equal(out[4], out[8])  # groups differ
    spread = MinibatchStd(4)(out.flatten(1))[:, -1]
    assert float(spread.max()) < 1e-3  # four equal images: no spread
    single, _, _ = game(tiny(), d_augment="translation", d_mbstd=4)
    spread = MinibatchStd(4)(single.transform(copies).flatten(1))[:, -1]
    assert float(spread.min()) > 1e-2  # control: per-image shifts spread the copies of one digit
    with pytest.raises(UserError, match="augment_groups"):
        apply_overrides(apps.preset("style-quick"), ["augment_groups=true"])  # nothing to group


# -- fine_diversity: MSGAN's mode-seeking term on the finest block's styles


def _finest_affines(G: StyleGenerator) -> list[torch.nn.Linear]:
    """The style affines of every layer from the finest block's crossover row on (its convs and toRGB)."""
    syn = G.synthesis
    i = syn.resolutions.index(syn.resolutions[-1])
    layers = [layer.conv.affine for layer in syn.convs[i]]
    return layers + ([syn.torgbs[-1].conv.affine] if syn.has_rgb[i] else [])


def test_fine_diversity_term_by_hand_and_in_the_generator_loss():
    g, G, _D = game(tiny(), fine_diversity=1.5)
    _noisy(G)  # so that the noise the pair shares matters
    batch = g.critic_batch()
    state, gstate = g.rng.get_state(), torch.get_rng_state()
    term = g.fine_diversity_term(len(batch[-1]))
    # by hand, from the same draws: a quarter batch of z, then z_a, z_b
    g.rng.set_state(state)
    n = len(batch[-1]) // 4
    z, za, zb = (torch.randn(n, G.z_dim, generator=g.rng) for _ in range(3))
    fine = G.crossover_row(G.synthesis.resolutions[-1])
    ws_a = G.styles(z, z2=za, crossover=fine)
    ws_b = G.styles(z, z2=zb, crossover=fine)
    torch.set_rng_state(gstate)  # the pair's one noise draw, from where the term took it
    x = G.synthesis(torch.cat([ws_a, ws_b]), "paired")
    xa, xb = x[:n], x[n:]
    r = (xa - xb).abs().mean() / (G.w(za) - G.w(zb)).abs().mean()
    torch.testing.assert_close(term, 1 / (r + 1e-5))
    assert g.fine_ratio == pytest.approx(float(r.detach()))
    # in the generator loss: the main term's draws, then the term's own, weighted by 1.5
    extra, again, off_game = _added_to_the_generator_loss(g, batch, state, gstate, g.fine_diversity_term)
    torch.testing.assert_close(extra, 1.5 * again)
    assert off_game.fine_ratio is None  # without the term nothing is drawn or logged


def _added_to_the_generator_loss(g, batch, state, gstate, term):
    """(the generator loss of ``g`` less that of the same game without its fine term, both from the random
    states ``state`` / ``gstate``; the term drawn again from where the main loss left the streams; the game
    without it). Also checks that the term's second drawing leaves the stream where the loss left it."""
    off_game, off_G, off_D = game(tiny())
    _noisy(off_G)
    off_D.load_state_dict(g.D.state_dict())  # a Q's initialisation draws before the critic's
    for gg in (g, off_game):
        gg.rng.set_state(state)
    torch.set_rng_state(gstate)
    on = g.generator_loss(batch, step=1)
    after_on = g.rng.get_state()
    torch.set_rng_state(gstate)
    off = off_game.generator_loss(batch, step=1)
    g.rng.set_state(off_game.rng.get_state())  # where the main term left the streams (the global one too)
    again = term(len(batch[-1]))
    assert g.rng.get_state().equal(after_on)
    return on - off, again, off_game


def _noisy(G: StyleGenerator) -> StyleGenerator:
    """G with every per-pixel noise input switched on (their strengths start at 0, as in StyleGAN2)."""
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(1.0)
    return G


def test_paired_noise_shares_one_draw_between_the_batch_halves():
    cfg = tiny()
    torch.manual_seed(0)
    G = _noisy(StyleGenerator(cfg.z_dim, cfg.w_dim, 8, 1, 4, 1))
    ws = G.styles(torch.randn(3, cfg.z_dim))
    twice = torch.cat([ws, ws])
    x = G.synthesis(twice, "paired")
    assert torch.equal(x[:3], x[3:])  # one style, one noise draw: one image
    y = G.synthesis(twice, "random")
    assert not torch.allclose(y[:3], y[3:])  # the control: a draw per image
    assert not torch.allclose(x, G.synthesis(twice, "paired"))  # and a fresh draw per call
    with pytest.raises(ValueError, match="even batch"):
        G.synthesis(ws, "paired")


def test_fine_diversity_does_not_see_the_const_noise_field():
    g, G, _D = game(tiny(), fine_diversity=1.0)
    _noisy(G)
    state, gstate = g.rng.get_state(), torch.get_rng_state()
    before = g.fine_diversity_term(8)
    ws = G.styles(torch.randn(4, G.z_dim))
    const = G.synthesis(ws, "const")
    with torch.no_grad():  # another fixed field, as another generator would have drawn
        for name, b in G.named_buffers():
            if name.endswith("noise_const"):
                b.copy_(torch.randn_like(b))
    assert not torch.allclose(const, G.synthesis(ws, "const"))  # the control: const images see the field
    g.rng.set_state(state)
    torch.set_rng_state(gstate)
    # the term, drawn from random noise, does not
    torch.testing.assert_close(g.fine_diversity_term(8), before)


def test_fine_diversity_is_largest_for_a_finest_block_that_ignores_its_styles():
    g, G, _D = game(tiny(), fine_diversity=1.0)
    state = g.rng.get_state()
    live = g.fine_diversity_term(8)
    with torch.no_grad():  # the finest block's styles no longer depend on w
        for affine in _finest_affines(G):
            affine.weight.zero_()
    g.rng.set_state(state)
    dead = g.fine_diversity_term(8)
    assert g.fine_ratio == 0.0  # r = 0, and with it the term's largest value:
    assert float(dead.detach()) == pytest.approx(1e5)
    assert float(live.detach()) < 1e3  # the control: a block that reads its styles changes the image


def test_fine_diversity_trains_the_finest_styles_and_not_the_mapping():
    g, G, _D = game(tiny(), fine_diversity=1.0)
    g.fine_diversity_term(8).backward()
    assert all(a.weight.grad is not None and a.weight.grad.abs().max() > 0 for a in _finest_affines(G))
    assert all(p.grad is None for p in G.mapping.parameters())  # the ws are given, without gradient


def test_fine_diversity_run_logs_its_ratio_and_resumes_bit_for_bit(tmp_path):
    a, b = whole_and_resumed(tmp_path, 4, "checkpoint_every=2", "log_every=1", "fine_diversity=1")
    assert all(a[k].equal(b[k]) for k in a)
    rows = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    ratios = [r["fine_ratio"] for r in rows if "fine_ratio" in r]
    assert len(ratios) == 4 and all(r > 0 for r in ratios)
    apps.train(tiny(2, "log_every=1"), tmp_path / "plain", progress=False)
    plain = (tmp_path / "plain" / "metrics.jsonl").read_text()
    assert "fine_ratio" not in plain  # the control: off, nothing logged


def test_fine_diversity_must_be_non_negative(capsys):
    with pytest.raises(UserError, match="fine_diversity must be >= 0"):
        apply_overrides(apps.preset("style-quick"), ["fine_diversity=-1"])
    assert main(["train", "--preset", "style-quick", "--set", "fine_diversity=nan", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: fine_diversity")


def test_fine_from_moves_the_terms_crossover_past_a_row():
    g, G, _D = game(tiny(), fine_diversity=1.0)
    first = G.crossover_row(G.synthesis.resolutions[-1])
    state = g.rng.get_state()
    block = g.fine_diversity_term(8)
    later, _, _ = game(tiny(), fine_diversity=1.0, fine_from=first + 1)
    later.rng.set_state(state)
    past = later.fine_diversity_term(8)
    assert float(past.detach()) != float(block.detach())  # another crossover, another ratio
    with torch.no_grad():  # cut off every style from first + 1 on: the later term sees nothing change
        for affine in _finest_affines(later.G)[1:]:
            affine.weight.zero_()
    later.rng.set_state(state)
    assert later.fine_ratio is not None and float(later.fine_diversity_term(8).detach()) == pytest.approx(1e5)
    g.rng.set_state(state)
    with torch.no_grad():
        for affine in _finest_affines(G)[1:]:
            affine.weight.zero_()
    assert float(g.fine_diversity_term(8).detach()) < 1e3  # the control: the first row still reads its style


def test_fine_from_is_checked_against_the_rows_of_ws(capsys):
    with pytest.raises(UserError, match="fine_from must be >= 0"):
        apply_overrides(apps.preset("style-quick"), ["fine_from=-1"])
    argv = [
        "train",
        "--preset",
        "style-quick",
        "--set",
        "fine_diversity=1",
        "--set",
        "fine_from=8",
        "--quiet",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: fine_from must lie in 1..7 (the rows of ws; 0: the finest block's first), got 8"]
    apps.check(apps.preset("style-mnist"))  # 0: the default, always valid
    # the fine terms act on a generator without the coarse rows' split (cluster_until=0)
    apps.check(
        apply_overrides(
            apps.preset("style-mnist"),
            ["cluster_until=0", "coarse_z=true", "fine_diversity=1", "fine_from=7"],
        )
    )
    with pytest.raises(UserError, match="fine_from needs a term it moves"):
        apply_overrides(apps.preset("style-mnist"), ["fine_from=6"])  # without a fine term: no effect
    apps.check(
        apply_overrides(
            apps.preset("style-mnist"), ["cluster_until=0", "coarse_z=true", "fine_info=1", "fine_from=6"]
        )
    )
    with pytest.raises(UserError, match="fine_info_noise is the noise of the fine_info term"):
        apply_overrides(apps.preset("style-mnist"), ["fine_info_noise=2"])


def test_fine_diversity_draws_the_fine_sources_in_the_coarse_sources_cluster():
    cfg = tiny()
    g, _G, _D = game(cfg, fine_diversity=1.0)
    torch.manual_seed(0)
    G = StyleGenerator(cfg.z_dim, cfg.w_dim, 8, 1, 4, 1, clusters=5)
    g.G = G
    seen, w = [], G.w

    def record(z, c=None, update_w_avg=False):
        seen.append((z, c))
        return w(z, c, update_w_avg)

    G.w = record
    g.fine_diversity_term(16)
    (z, c), (za, ca), (zb, cb) = seen
    assert torch.equal(c, G.cluster_of(z)) and torch.equal(ca, c) and torch.equal(cb, c)
    # the control: the fine sources' own clusters would differ from z's for some rows
    assert not (torch.equal(G.cluster_of(za), c) and torch.equal(G.cluster_of(zb), c))


# -- fine_info: InfoGAN's term on the finest block's styles


def test_info_head_projection_is_orthonormal_and_the_same_in_every_generator():
    from divergan.nn.stylegan import InfoHead

    a, b = InfoHead(28, w_dim=16), InfoHead(8, w_dim=16)
    torch.testing.assert_close(a.projection @ a.projection.T, torch.eye(2))
    assert a.projection.equal(b.projection)  # seeded: a checkpoint reader rebuilds the same P
    w = torch.randn(5, 16)
    torch.testing.assert_close(a.codes_of(w), w @ a.projection.T)
    assert "projection" in dict(a.named_buffers())
    with pytest.raises(ValueError, match=r"codes must lie in 1\.\.w_dim"):
        InfoHead(28, w_dim=2, codes=3)


def test_fine_info_term_by_hand_and_in_the_generator_loss():
    g, G, _D = game(tiny(), fine_info=0.5)
    _noisy(G)
    batch = g.critic_batch()
    state, gstate = g.rng.get_state(), torch.get_rng_state()
    term = g.fine_info_term(len(batch[-1]))
    # by hand, from the same draws: half a batch of z, then z_a
    g.rng.set_state(state)
    n = len(batch[-1]) // 2
    z, za = (torch.randn(n, G.z_dim, generator=g.rng) for _ in range(2))
    ws = G.styles(z, z2=za, crossover=G.crossover_row(G.synthesis.resolutions[-1]))
    torch.set_rng_state(gstate)  # the noise draw, from where the term took it
    q = G.info(G.synthesis(ws))  # (n, 2)
    t = G.w(za) @ G.info.projection.T
    t = (t - t.mean(0)) / t.std(0, unbiased=False)
    torch.testing.assert_close(term, ((q - t) ** 2).mean())
    assert g.fine_r2 == pytest.approx(1 - float(term.detach()))
    # in the generator loss: the main term's draws, then the term's own, weighted by 0.5
    extra, again, off_game = _added_to_the_generator_loss(g, batch, state, gstate, g.fine_info_term)
    torch.testing.assert_close(extra, 0.5 * again)
    assert off_game.fine_r2 is None and not hasattr(off_game.G, "info")


def test_fine_info_noise_is_drawn_after_the_latents_and_added_to_what_q_reads():
    g, G, _D = game(tiny(), fine_info=1.0, fine_info_noise=0.7)
    state, gstate = g.rng.get_state(), torch.get_rng_state()
    term = g.fine_info_term(8)
    g.rng.set_state(state)
    z, za = (torch.randn(4, G.z_dim, generator=g.rng) for _ in range(2))
    ws = G.styles(z, z2=za, crossover=G.crossover_row(G.synthesis.resolutions[-1]))
    torch.set_rng_state(gstate)
    x = G.synthesis(ws)
    x = x + 0.7 * torch.randn(x.shape, generator=g.rng)
    t = G.w(za) @ G.info.projection.T
    t = (t - t.mean(0)) / t.std(0, unbiased=False)
    torch.testing.assert_close(term, ((G.info(x) - t) ** 2).mean())
    g.rng.set_state(state)
    torch.set_rng_state(gstate)
    g.fine_info_noise = 0.0
    assert float(g.fine_info_term(8).detach()) != pytest.approx(float(term.detach()))  # the control: no noise


def test_fine_info_noise_far_above_the_images_leaves_q_at_chance():
    # the same live generator whose finest styles a trained Q reads without noise (the test below): with
    # noise of SD 100 on images in [-1, 1] it reads at chance, E(q - t̃)² >= 1 (SD of the mean about 0.03)
    g, G, _D = game(tiny(), fine_info=1.0, fine_info_noise=100.0)
    assert _trained_q_reading(g, G) > 0.9


def test_fine_info_is_one_for_a_q_that_reads_nothing():
    g, G, _D = game(tiny(), fine_info=1.0)
    with torch.no_grad():  # Q says 0, the batch mean of the standardised codes, for every image
        G.info.net[-1].weight.zero_()
        G.info.net[-1].bias.zero_()
    torch.testing.assert_close(g.fine_info_term(16), torch.tensor(1.0))  # mean t̃² = 1 exactly
    assert g.fine_r2 == pytest.approx(0.0, abs=1e-6)


def _trained_q_reading(g, G, steps: int = 150) -> float:
    """Train Q alone (G frozen) on fresh draws, then the term's mean over 20 fresh batches of 64."""
    G.requires_grad_(False)
    G.info.requires_grad_(True)
    opt = torch.optim.Adam(G.info.parameters(), lr=3e-3)
    for _ in range(steps):
        opt.zero_grad()
        g.fine_info_term(64).backward()
        opt.step()
    with torch.no_grad():
        return float(torch.stack([g.fine_info_term(128) for _ in range(20)]).mean())


def test_fine_info_q_can_read_a_live_finest_block_and_not_a_dead_one():
    # a Q independent of t̃ (mean 0, variance 1 over each batch) scores E(q - t̃)^2 = E q^2 + 1 >= 1; 20
    # batches of 64 pairs x 2 codes put the SD of the mean near 0.03, so 0.9 is over 3 SD below chance
    g, G, _D = game(tiny(), fine_info=1.0)
    live = _trained_q_reading(g, G)
    dead_g, dead_G, _ = game(tiny(), fine_info=1.0)
    with torch.no_grad():  # the control: the finest block's styles no longer depend on w
        for affine in _finest_affines(dead_G):
            affine.weight.zero_()
    dead = _trained_q_reading(dead_g, dead_G)
    assert live < 0.9
    assert dead > 0.9


def test_fine_info_trains_the_synthesis_and_q_and_not_the_mapping():
    g, G, _D = game(tiny(), fine_info=1.0)
    g.fine_info_term(8).backward()
    assert all(a.weight.grad is not None and a.weight.grad.abs().max() > 0 for a in _finest_affines(G))
    assert all(p.grad is not None for p in G.info.parameters())
    assert all(p.grad is None for p in G.mapping.parameters())  # the ws are given, without gradient


def test_fine_info_run_logs_its_reading_and_resumes_bit_for_bit(tmp_path):
    a, b = whole_and_resumed(tmp_path, 4, "checkpoint_every=2", "log_every=1", "fine_info=1", "fine_from=4")
    assert all(a[k].equal(b[k]) for k in a)
    assert any(k.startswith("G.info.") for k in a)  # Q is saved with G
    rows = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    r2 = [r["fine_info_r2"] for r in rows if "fine_info_r2" in r]
    assert len(r2) == 4 and all(v <= 1 for v in r2)
    assert main(["sample", str(tmp_path / "whole"), "--n", "4", "--out", str(tmp_path / "s.npy")]) == 0


def test_fine_info_must_be_non_negative(capsys):
    with pytest.raises(UserError, match="fine_info must be >= 0"):
        apply_overrides(apps.preset("style-quick"), ["fine_info=-1"])
    assert main(["train", "--preset", "style-quick", "--set", "fine_info=inf", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: fine_info")
