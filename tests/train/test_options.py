"""Training options checked against hand-derived values: the linear learning-rate schedule, several critic
or generator updates per step, the critic's Fourier features, the optimizer choice, the EMA formula and
EMA off; and exact resume for a linear schedule, RMSprop with weight clipping and a conditional image run."""

from __future__ import annotations

import pytest
import torch

from divergan.train import Config, apply_overrides, build, preset, train
from divergan.train import checkpoint as ckpt


def quick(*overrides: str):
    return apply_overrides(preset("quick"), ["data=ring8", "eval_samples=200", *overrides])


def saved(run, step):
    return ckpt.load(ckpt.checkpoint_path(run, step))


def test_linear_schedule_decays_to_zero_over_the_second_half(tmp_path):
    """lr at step t (0-based) is base·min(1, 2(1 − t/T)); a checkpoint after step s holds the lr of t = s − 1."""
    train(
        quick("steps=20", "checkpoint_every=5", "keep_checkpoints=10", "lr_schedule=linear"),
        tmp_path / "r",
        progress=False,
    )
    base = preset("quick").lr_g
    for s, factor in [(5, 1.0), (10, 1.0), (15, 0.6), (20, 0.1)]:
        meta = saved(tmp_path / "r", s)[1]
        for opt in ("G", "D"):
            assert meta["optimizers"][opt]["param_groups"][0]["lr"] == pytest.approx(base * factor, rel=1e-12)


def test_constant_schedule_keeps_the_rate(tmp_path):
    train(quick("steps=10", "checkpoint_every=5"), tmp_path / "r", progress=False)
    assert saved(tmp_path / "r", 10)[1]["optimizers"]["G"]["param_groups"][0]["lr"] == preset("quick").lr_g


def test_critic_and_generator_steps_count_optimizer_updates(tmp_path):
    train(
        quick("steps=4", "critic_steps=3", "generator_steps=2", "checkpoint_every=4"),
        tmp_path / "r",
        progress=False,
    )
    tensors = saved(tmp_path / "r", 4)[0]
    assert float(tensors["opt_D.0.step"]) == 12 and float(tensors["opt_G.0.step"]) == 8


@pytest.mark.parametrize(("objective", "choice", "state"), [
    ("non-saturating", "rmsprop", "square_avg"),
    ("wgan", "adam", "exp_avg"),
    ("wgan", "auto", "square_avg"),  # WGAN is defined with RMSprop
    ("non-saturating", "auto", "exp_avg"),
])  # fmt: skip
def test_optimizer_choice(objective, choice, state):
    parts = build(quick(f"objective={objective}", f"optimizer={choice}"))
    expected = torch.optim.RMSprop if state == "square_avg" else torch.optim.Adam
    assert type(parts.opt_g) is expected and type(parts.opt_d) is expected


def test_critic_fourier_features_are_sin_and_cos_of_a_fixed_projection():
    parts = build(quick("d_fourier=8", "d_fourier_scale=2.0"))
    critic = parts.critic
    freq = dict(critic.named_buffers())["features.frequencies"]
    assert freq.shape == (2, 8)
    first = next(m for m in critic.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 2 + 2 * 8
    x = torch.randn(5, 2)
    h = x @ freq
    manual = critic.net(torch.cat([x, torch.sin(h), torch.cos(h)], dim=1))[:, 0]
    torch.testing.assert_close(critic(x), manual, rtol=0, atol=0)
    assert build(quick()).critic.net[0].in_features == 2  # off by default


def test_ema_follows_its_formula(tmp_path):
    """ema_t = β·ema_{t−1} + (1 − β)·G_t with β = 2^(−1/h), ema_0 = G_0 (h = 3)."""
    cfg = quick("steps=3", "checkpoint_every=1", "keep_checkpoints=10", "ema_half_life=3")
    train(cfg, tmp_path / "r", progress=False)
    beta = 0.5 ** (1 / 3)
    ema = {f"G.{k}": v for k, v in build(cfg).generator.state_dict().items()}  # G_0 = ema_0
    for step in (1, 2, 3):
        tensors = saved(tmp_path / "r", step)[0]
        for name in ema:
            ema[name] = torch.lerp(ema[name], tensors[name], 1 - beta)
            torch.testing.assert_close(tensors["EMA." + name[2:]], ema[name], rtol=1e-6, atol=1e-7)
    moved = saved(tmp_path / "r", 3)[0]
    assert any(not torch.equal(moved["EMA." + n[2:]], moved[n]) for n in ema)  # EMA is not G


def test_ema_rampup_follows_its_formula(tmp_path):
    """With ramp-up r the half-life after t steps is min(h, r·t): h = 2, r = 1 gives β = 0 (a copy of G_1),
    then 0.5 (h = 1), then 0.5^(1/2) (h = 2, the cap)."""
    cfg = quick("steps=3", "checkpoint_every=1", "keep_checkpoints=10", "ema_half_life=2", "ema_rampup=1")
    train(cfg, tmp_path / "r", progress=False)
    ema: dict[str, torch.Tensor] = {}
    for step, beta in ((1, 0.0), (2, 0.5), (3, 0.5**0.5)):
        tensors = saved(tmp_path / "r", step)[0]
        names = [k for k in tensors if k.startswith("G.")]
        for name in names:
            ema[name] = tensors[name].clone() if step == 1 else torch.lerp(ema[name], tensors[name], 1 - beta)
            torch.testing.assert_close(tensors["EMA." + name[2:]], ema[name], rtol=1e-6, atol=1e-7)
        if step == 1:  # the first update copies the generator, which a fixed half-life never does
            assert all(torch.equal(tensors["EMA." + n[2:]], tensors[n]) for n in names)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["ema_rampup=-0.1"], "ema_rampup must be >= 0"),
        (["ema_rampup=nan"], "ema_rampup must be a finite number"),
        (["ema_half_life=0", "ema_rampup=0.25"], "ema_rampup needs a weight average"),
    ],
)
def test_bad_ema_rampup_is_a_user_error(values, message):
    from divergan.errors import UserError

    with pytest.raises(UserError, match=message):
        quick(*values)
    quick("ema_half_life=0", "ema_rampup=0")  # the control: no ramp-up of no average is fine
    cfg = quick()
    cfg.ema_rampup = float("inf")  # past the command-line parser: the config's own validation
    with pytest.raises(UserError, match="ema_rampup must be >= 0"):
        cfg.validate()


def test_ema_half_life_zero_is_the_generator(tmp_path):
    train(quick("steps=3", "checkpoint_every=3", "ema_half_life=0"), tmp_path / "r", progress=False)
    tensors = saved(tmp_path / "r", 3)[0]
    names = [k for k in tensors if k.startswith("G.")]
    assert names and all(torch.equal(tensors["EMA." + n[2:]], tensors[n]) for n in names)


def resume_matches(tmp_path, base: Config, steps: int, cut: int) -> None:
    """A run killed after its checkpoint at ``cut`` and resumed (same configuration) ends with the tensors
    of the uninterrupted run. The kill is simulated: a copy of the finished run keeps only the
    checkpoints up to ``cut`` and a metrics log cut there."""
    import shutil

    cfg = apply_overrides(base, [f"steps={steps}", f"checkpoint_every={cut}", "keep_checkpoints=100"])
    train(cfg, tmp_path / "full", progress=False)
    shutil.copytree(tmp_path / "full", tmp_path / "part")
    for path in ckpt.list_checkpoints(tmp_path / "part"):
        if int(path.stem.split("-")[1]) > cut:
            path.unlink()
    (tmp_path / "part" / "final_metrics.json").unlink()
    assert ckpt.load(ckpt.latest(tmp_path / "part"))[1]["step"] == cut
    train(cfg, tmp_path / "part", resume=True, progress=False)
    a, b = saved(tmp_path / "full", steps)[0], saved(tmp_path / "part", steps)[0]
    compared = [n for n in a if n.split(".")[0] in ("G", "EMA", "D", "opt_G", "opt_D")]
    assert compared
    for name in compared:
        assert torch.equal(a[name], b[name]), name


def test_resume_with_a_linear_schedule(tmp_path):
    # the cut is in the second half, where the rate decays: a schedule restarted from 0 would differ
    resume_matches(tmp_path, quick("lr_schedule=linear"), steps=30, cut=20)


def test_resume_with_an_ema_rampup(tmp_path):
    # the half-life is still ramping up at the cut (min(40, t)): a ramp restarted from 0 would copy G
    resume_matches(tmp_path, quick("ema_half_life=40", "ema_rampup=1"), steps=30, cut=20)


def test_resume_with_rmsprop_and_weight_clipping(tmp_path):
    resume_matches(
        tmp_path, quick("objective=wgan", "optimizer=rmsprop", "objective.clip=0.01"), steps=30, cut=20
    )


@pytest.mark.slow
def test_resume_a_conditional_image_run(tmp_path):
    base = apply_overrides(preset("digits-quick"), ["conditional=true", "plot=false", "tensorboard=false"])
    resume_matches(tmp_path, base, steps=20, cut=10)


def test_resume_to_more_steps_under_a_linear_schedule_is_refused(tmp_path, capsys):
    # the linear schedule decays over the run's steps: more steps would silently change its horizon
    from divergan.cli import main

    run = tmp_path / "linear"
    train(quick("lr_schedule=linear", "steps=4", "checkpoint_every=2"), run, progress=False)
    before = (run / "config.json").read_text()
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "8", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --steps 8") and "lr_schedule=linear" in err[0]
    assert (run / "config.json").read_text() == before  # the saved run is untouched
    # controls: the same steps resume; a constant schedule may grow; so may an explicit change of schedule
    assert main(["train", "--resume", str(run), "--steps", "4", "--quiet"]) == 0
    assert (
        main(["train", "--resume", str(run), "--steps", "6", "--set", "lr_schedule=constant", "--quiet"]) == 0
    )
    constant = tmp_path / "constant"
    train(quick("steps=4", "checkpoint_every=2"), constant, progress=False)
    assert main(["train", "--resume", str(constant), "--steps", "6", "--quiet"]) == 0


@pytest.mark.parametrize("fused", [False, True])
def test_adam_eps_reaches_both_optimizers(fused):
    parts = build(quick("adam_eps=3e-7", f"fused_adam={str(fused).lower()}"))
    assert parts.opt_g.defaults["eps"] == parts.opt_d.defaults["eps"] == 3e-7
    assert build(quick()).opt_g.defaults["eps"] == 1e-8  # torch's default when not set


@pytest.mark.parametrize(("js_eps", "identical"), [("5e-9", True), ("1e-8", False)])
def test_fgan_js_with_half_adam_eps_trains_exactly_like_non_saturating(tmp_path, js_eps, identical):
    """fgan-js's losses are non-saturating's halved (bitwise), so Adam with ε/2 takes the same steps: the
    saved weights are identical after 10 steps; with the same ε they are not (the negative control)."""
    common = ["steps=10", "checkpoint_every=10", "ema_half_life=0"]
    train(quick("objective=non-saturating", *common), tmp_path / "ns", progress=False)
    train(quick("objective=fgan-js", f"adam_eps={js_eps}", *common), tmp_path / "js", progress=False)
    ns, js = saved(tmp_path / "ns", 10)[0], saved(tmp_path / "js", 10)[0]
    weights = [k for k in ns if k.startswith(("G.", "D."))]
    assert weights and all(torch.equal(ns[k], js[k]) for k in weights) is identical


@pytest.mark.parametrize("name", ["style-quick", "glyphs-quick"])
def test_adam_eps_reaches_the_applications_optimizers(name):
    from divergan import apps

    cfg = apply_overrides(apps.preset(name), ["adam_eps=3e-7"])
    parts = apps.app_for(cfg).build(cfg)
    assert parts.opt_g.defaults["eps"] == parts.opt_d.defaults["eps"] == 3e-7
