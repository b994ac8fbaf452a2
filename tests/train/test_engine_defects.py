"""Each defect found in the engine room, with the test that would have caught it (and a negative control)."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch
from torch import nn

from divergan.cli import main
from divergan.divergences import Discrete, f_divergence
from divergan.errors import UserError
from divergan.objectives import get_objective
from divergan.train import Config, apply_overrides, loop, preset
from divergan.train import dist as dist_mod

pytestmark = pytest.mark.usefixtures("one_thread")


# --- style app: the generator loss of mmd-gan reads the critic on *real* images -----------------------
def test_style_generator_loss_gets_real_outputs_not_the_fakes():
    from divergan.nn.stylegan import StyleCritic
    from divergan.train.style import real_outputs

    torch.manual_seed(0)
    mmd_gan = get_objective("mmd-gan")
    D = StyleCritic(8, 1, 4, mmd_gan.critic_outputs)
    real = torch.rand(6, 1, 8, 8) * 2 - 1
    t_real = real_outputs(mmd_gan, D, real)
    assert t_real.shape == (6, 16)  # the feature critic has the objective's K outputs
    torch.testing.assert_close(t_real, D(real).detach())
    assert not t_real.requires_grad
    fake = torch.rand(6, 1, 8, 8) * 2 - 1
    t_fake = D(fake).detach()
    # the old code passed t_fake.detach() as "real": MMD² of a batch with itself, not the game's loss
    assert float(mmd_gan.generator_loss(t_real, t_fake)) != pytest.approx(
        float(mmd_gan.generator_loss(t_fake.detach(), t_fake))
    )
    assert real_outputs(get_objective("non-saturating"), D, real) is None  # not read: not computed


def test_style_app_trains_a_feature_critic_objective(tmp_path):
    from divergan.train.apps import apply_overrides as app_overrides
    from divergan.train.style import preset as style_preset
    from divergan.train.style import train_style

    cfg = app_overrides(
        style_preset("style-quick"), ["steps=2", "size=8", "objective=mmd-gan", "eval_every=2"]
    )
    final = train_style(cfg, tmp_path, progress=False)
    assert final["steps"] == 2 and math.isfinite(final["by_psi"]["1"]["w1"])


# --- sweep: refuses, with one error line, what it cannot vectorise --------------------------------------
@pytest.mark.parametrize(
    "overrides, words",
    [
        (["mix_components=2", "z_dim=3"], "mix_components"),
        (["data=digits", "data.size=16"], "images"),
        (["arch=dcgan", "data=digits", "data.size=16"], "arch=dcgan"),
    ],
)
def test_sweep_check_refuses_what_it_cannot_vectorise(overrides, words):
    from divergan.train.sweep import check

    base = preset("quick")
    base.sampler = "direct"
    check([base])  # negative control: a plain MLP GAN on flat data passes
    cfg = apply_overrides(preset("quick"), ["sampler=direct", *overrides])
    with pytest.raises(UserError, match=words):
        check([base, cfg] if "data" not in " ".join(overrides) else [cfg])


def test_sweep_refuses_a_conditional_config():
    from divergan.train.sweep import check

    cfg = apply_overrides(preset("quick"), ["sampler=direct"])
    cfg.conditional = True
    with pytest.raises(UserError, match="conditional"):
        check([cfg])


def test_sweep_cli_refusal_is_one_error_line(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", "--seeds", "0-1", "--steps", "1", "--set", "mix_components=2", "--set", "z_dim=3"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "MIX+GAN" in err[0]
    assert not out.exists()


# --- device discipline: side-effect code feeds networks inputs on their own device -----------------------
class _DeviceSpy(nn.Module):
    """A generator whose parameters live on ``device``; it fails on input from anywhere else."""

    def __init__(self, device: str, batchnorm: bool = False) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4, device=device)
        self.bn = nn.BatchNorm2d(1) if batchnorm else None  # (on the CPU: meta tensors have no values)
        self.calls = 0

    def forward(self, z, y=None):
        assert z.device == self.lin.weight.device, f"noise on {z.device}, network on {self.lin.weight.device}"
        self.calls += 1
        out = torch.rand(len(z), 1, 2, 2)  # a picture on the CPU
        return self.bn(out) if self.bn is not None else out


def test_ready_ema_feeds_noise_on_the_ema_device():
    cfg = Config(z_dim=4, batch=8)
    spy = _DeviceSpy("meta", batchnorm=True)
    parts = types.SimpleNamespace(ema=spy, dataset=None)
    loop.ready_ema(cfg, parts, step=3)  # CPU noise into a meta network would raise
    assert spy.calls == 8


def test_sample_grid_feeds_noise_on_the_ema_device(tmp_path):
    cfg = Config(z_dim=4)
    spy = _DeviceSpy("meta")
    parts = types.SimpleNamespace(ema=spy, dataset=types.SimpleNamespace(num_classes=None))
    loop._sample_grid(cfg, parts, tmp_path / "grid.png", 5)
    assert spy.calls == 1 and (tmp_path / "grid.png").is_file()


def test_tensorboard_gets_a_cpu_view(monkeypatch):
    ema, critic = nn.Linear(2, 2), nn.Linear(2, 1)
    parts = loop.Parts(None, None, ema, critic, ema, None, None, None, torch.Generator())
    assert loop.cpu_view(parts) is parts  # a CPU run: nothing copied, nothing changed
    monkeypatch.setattr(loop, "device_of", lambda net: torch.device("cuda"))  # pretend the run is on a GPU
    view = loop.cpu_view(parts)
    assert view.ema is not ema and view.critic is not critic
    assert view.ema.weight.device.type == "cpu" and torch.equal(view.ema.weight, ema.weight)


# --- torchrun: batch-dependent critics are read through the DDP wrapper; batch norm needs SyncBatchNorm ---
def test_batch_dependent_is_read_through_the_ddp_wrapper():
    import torch.distributed as td

    from divergan.nn.dcgan import DCGANCritic

    critic = DCGANCritic(16, 1, 4, "batch", 1)
    assert loop.batch_dependent(critic) and not loop.batch_dependent(DCGANCritic(16, 1, 4, "layer", 1))
    td.init_process_group("gloo", store=td.HashStore(), rank=0, world_size=1)
    try:
        wrapped = nn.parallel.DistributedDataParallel(critic)
        assert getattr(wrapped, "batch_dependent", False) is False  # what the old code read
        assert loop.batch_dependent(wrapped)
    finally:
        td.destroy_process_group()


def test_batch_norm_under_torchrun_on_cpu_is_refused(monkeypatch):
    cfg = apply_overrides(preset("digits-quick"), [])
    parts = loop.build(cfg)
    loop.sync_batchnorm(parts, torch.device("cpu"))  # one process: nothing to do
    monkeypatch.setattr(dist_mod, "world_size", lambda: 2)
    with pytest.raises(UserError, match="batch norm"):
        loop.sync_batchnorm(parts, torch.device("cpu"))
    flat = loop.build(apply_overrides(preset("quick"), []))
    loop.sync_batchnorm(flat, torch.device("cpu"))  # MLPs have no batch norm: allowed


# --- config: --set objective=X means what --objective X means -----------------------------------------
def test_set_objective_resets_its_parameters_like_the_flag():
    cfg = apply_overrides(preset("wgan-gp-toy"), ["objective=hinge"])
    assert cfg.objective == "hinge" and cfg.objective_params == {}
    loop.build(cfg)  # the old behaviour kept weight=0.1: "takes no parameter weight"
    same = apply_overrides(preset("wgan-gp-toy"), ["objective=wgan-gp"])
    assert same.objective_params == {"weight": 0.1}  # the same objective keeps its parameters
    # parameters given with the new name stick, in either order
    for items in (["objective.pi=0.2", "objective=js-pi"], ["objective=js-pi", "objective.pi=0.2"]):
        assert apply_overrides(preset("wgan-gp-toy"), items).objective_params == {"pi": 0.2}
    cfg = apply_overrides(preset("mnist"), ["data=ring8"])
    assert cfg.data_params == {}


def test_cli_set_objective_equals_the_flag(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    common = ["train", "--preset", "wgan-gp-toy", "--steps", "2", "--quiet", "--set", "plot=false"]
    common += ["--set", "eval_samples=50", "--set", "threads=1", "--set", "tensorboard=false"]
    assert main([*common, "--objective", "hinge", "--out", str(a)]) == 0
    assert main([*common, "--set", "objective=hinge", "--out", str(b)]) == 0
    assert (a / "config.json").read_text() == (b / "config.json").read_text()


# --- divergence_estimate: the divergence each objective's critic loss bounds, exact at the optimum ------
P_COUNTS, Q_COUNTS = (1, 3, 4), (4, 2, 2)
P = Discrete(tuple(c / 8 for c in P_COUNTS))
Q = Discrete(tuple(c / 8 for c in Q_COUNTS))
RATIO = torch.tensor([p / q for p, q in zip(P_COUNTS, Q_COUNTS, strict=True)], dtype=torch.float64)


def _batches(v):
    return torch.repeat_interleave(v, torch.tensor(P_COUNTS)), torch.repeat_interleave(
        v, torch.tensor(Q_COUNTS)
    )


@pytest.mark.parametrize("name", ["minimax", "non-saturating"])
def test_original_game_estimate_is_js_at_the_optimal_critic(name):
    obj = get_objective(name)
    loss = obj.critic_loss(*_batches(torch.log(RATIO)))  # V* = log p/q
    assert float(obj.divergence_estimate(loss)) == pytest.approx(f_divergence("js", P, Q), abs=1e-12)
    worse = obj.critic_loss(*_batches(torch.zeros(3, dtype=torch.float64)))  # a blind critic: bound 0
    assert float(obj.divergence_estimate(worse)) == pytest.approx(0.0, abs=1e-12)


def test_hinge_estimate_is_tv_at_the_optimal_critic():
    obj = get_objective("hinge")
    v_star = torch.sign(RATIO - 1)  # sign(p − q)
    loss = obj.critic_loss(*_batches(v_star))
    assert float(obj.divergence_estimate(loss)) == pytest.approx(f_divergence("tv", P, Q), abs=1e-12)
    assert float(obj.divergence_estimate(loss)) != pytest.approx(-float(loss))  # not the old −loss_d


def test_js_pi_estimate_is_js_pi_at_the_optimal_classifier():
    pi = 0.3
    obj = get_objective("js-pi", pi=pi)
    loss = obj.critic_loss(*_batches(torch.log(RATIO) + math.log(pi / (1 - pi))))
    assert float(obj.divergence_estimate(loss)) == pytest.approx(
        f_divergence("js-pi", P, Q, pi=pi), abs=1e-12
    )


def test_fgan_estimate_is_minus_the_critic_loss():
    obj = get_objective("fgan-kl")
    loss = torch.tensor(0.25, dtype=torch.float64)
    assert float(obj.divergence_estimate(loss)) == -0.25


@pytest.mark.parametrize("name", ["lsgan", "wgan", "wgan-gp", "mmd", "mmd-gan"])
def test_no_divergence_estimate_where_no_identity_holds(name):
    assert get_objective(name).divergence_estimate is None


# --- one NaN policy, one override helper, one grid writer --------------------------------------------
def test_one_nan_policy_for_the_apps(tmp_path, monkeypatch):
    import dataclasses

    from divergan.train import TrainingDiverged, style
    from divergan.train.health import check_finite

    check_finite(3, [("loss_d", torch.tensor(1.0)), ("loss_g", 2.0)])  # finite: nothing happens
    with pytest.raises(TrainingDiverged, match="loss_g became nan at step 3"):
        check_finite(3, [("loss_d", torch.tensor(1.0)), ("loss_g", float("nan"))])
    real = style.get_objective

    def broken(name):
        return dataclasses.replace(real(name), generator_loss=lambda tr, tf: tf.mean() * float("nan"))

    monkeypatch.setattr(style, "get_objective", broken)
    cfg = style.preset("style-quick")
    cfg.steps, cfg.size = 3, 8
    with pytest.raises(TrainingDiverged, match="loss_g became nan at step 1"):
        style.train_style(cfg, tmp_path / "r", progress=False)


def test_app_overrides_use_the_trainers_helper():
    from divergan.train.apps import apply_overrides as app_overrides
    from divergan.train.config import set_fields
    from divergan.train.style import preset as style_preset

    cfg = app_overrides(style_preset("style-quick"), ["steps=3", "mixing=0.5"])
    assert cfg.steps == 3 and cfg.mixing == 0.5
    with pytest.raises(UserError, match="whole number"):
        app_overrides(style_preset("style-quick"), ["steps=x"])
    with pytest.raises(UserError, match="unknown config key 'nope'"):
        set_fields(Config(), {"nope": 1})
    assert set_fields(Config(), {"steps": "5", "plot": "false"}).steps == 5


def test_one_grid_writer_with_both_gap_colours(tmp_path):
    from PIL import Image

    from divergan.report import grids, images

    x = torch.zeros(3, 1, 4, 4)  # mid-grey images: value 0 in [-1, 1]
    grey = grids.save_grid(x, tmp_path / "a" / "g.png", nrow=2, scale=1)
    images.save_grid(x, tmp_path / "w.png", nrow=2, scale=1)  # same argument order as grids.save_grid
    a, b = np.asarray(Image.open(grey)), np.asarray(Image.open(tmp_path / "w.png"))
    assert a.shape == b.shape == (2 * 6 + 2, 2 * 6 + 2)
    assert a[0, 0] == 128 and b[0, 0] == 255  # the gaps: grey, white
    assert (a[2:6, 2:6] == b[2:6, 2:6]).all()  # the same pixels inside the cells


# --- sweep: a penalty on the batches themselves (R1/R2) is not given interpolates ------------------------
def test_sweep_of_a_zero_centred_penalty_equals_the_trainer(tmp_path):
    from divergan.train.sweep import Group

    cfg = apply_overrides(
        preset("quick"),
        [
            *("objective=rpgan", "steps=4", "batch=32", "g_width=16", "d_width=16", "plot=false"),
            *("sampler=direct", "tensorboard=false", "eval_samples=50", "threads=1"),
            *("eval_every=1000", "log_every=1000"),
        ],
    )
    assert get_objective("rpgan").penalty_on == "batches"
    loop.train(cfg, tmp_path / "run", progress=False)
    _, parts, _ = loop.load_run(tmp_path / "run")
    group = Group([cfg], torch.device("cpu"))
    for step in range(cfg.steps):
        group.train_step(step)
    for name, value in parts.generator.named_parameters():
        torch.testing.assert_close(
            group.generator_params(0, ema=False)[name], value.detach(), rtol=1e-4, atol=1e-5
        )
