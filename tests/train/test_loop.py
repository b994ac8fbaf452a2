"""The training loop: exact determinism, exact resume, plain-data checkpoints, every objective trains."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from safetensors import safe_open

from divergan.objectives import names as objective_names
from divergan.objectives import registry
from divergan.train import apply_overrides, load_run, preset, train
from divergan.train import checkpoint as ckpt
from divergan.train.loop import TrainingDiverged


def quick(*overrides: str):
    return apply_overrides(preset("quick"), ["data=ring8", *overrides])


def params(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_same_seed_same_run_other_seed_other_run(tmp_path):
    cfg = quick("steps=60")
    a = train(cfg, tmp_path / "a", progress=False)
    b = train(quick("steps=60"), tmp_path / "b", progress=False)
    c = train(quick("steps=60", "seed=1"), tmp_path / "c", progress=False)
    assert a["direct"] == b["direct"]
    assert a["direct"] != c["direct"]
    ga, gb = load_run(tmp_path / "a")[1].ema, load_run(tmp_path / "b")[1].ema
    assert torch.equal(params(ga), params(gb))


@pytest.mark.parametrize("sampler", ["direct", "mh"])
def test_resume_equals_the_uninterrupted_run(tmp_path, sampler):
    full = train(
        quick("steps=120", "checkpoint_every=40", f"sampler={sampler}"), tmp_path / "full", progress=False
    )
    train(quick("steps=80", "checkpoint_every=40", f"sampler={sampler}"), tmp_path / "part", progress=False)
    cfg = json.loads((tmp_path / "part" / "config.json").read_text())
    cfg["steps"] = 120
    (tmp_path / "part" / "config.json").write_text(json.dumps(cfg))
    from divergan.train import Config

    resumed = train(Config.from_json(cfg), tmp_path / "part", resume=True, progress=False)
    for key in ("G", "EMA", "D"):
        a = ckpt.load(ckpt.latest(tmp_path / "full"))[0]
        b = ckpt.load(ckpt.latest(tmp_path / "part"))[0]
        for name in a:
            if name.startswith(key + "."):
                assert torch.equal(a[name], b[name]), name
    assert full[sampler] == resumed[sampler]
    log = lambda p: [json.loads(x) for x in (p / "metrics.jsonl").read_text().splitlines()]  # noqa: E731
    # the shorter run also evaluated modes at its last step (80); the training quantities must agree
    keys = ("step", "loss_d", "loss_g", "grad_norm_g", "grad_norm_d")
    strip = lambda rows: [{k: r[k] for k in keys} for r in rows]  # noqa: E731
    assert strip(log(tmp_path / "full")) == strip(log(tmp_path / "part"))


def test_checkpoints_are_safetensors_with_json_and_keep_the_last_few(tmp_path):
    train(quick("steps=100", "checkpoint_every=10", "keep_checkpoints=2"), tmp_path / "r", progress=False)
    files = ckpt.list_checkpoints(tmp_path / "r")
    assert [f.name for f in files] == ["step-00000090.safetensors", "step-00000100.safetensors"]
    raw = files[-1].read_bytes()
    assert b"\x80\x04" not in raw[:64]  # not a pickle stream
    with safe_open(str(files[-1]), framework="pt") as fh:
        meta = json.loads(fh.metadata()["json"])
        assert {"rng.torch", "rng.data"} <= set(fh.keys())
    assert meta["step"] == 100 and meta["final"] is True


def test_run_folder_contents(tmp_path):
    # MH, not DRS: rejection sampling from a 40-step generator takes millions of proposals (minutes);
    # the samplers themselves are tested in test_samplers.py
    final = train(quick("steps=40", "plot=true", "sampler=mh"), tmp_path / "r", progress=False)
    run = tmp_path / "r"
    for name in ("config.json", "metrics.jsonl", "final_metrics.json", "samples.png", "curves.png"):
        assert (run / name).is_file(), name
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"step", "loss_d", "loss_g", "divergence_estimate", "grad_norm_g", "grad_norm_d"} <= set(rows[-1])
    assert {"modes", "high_quality", "reverse_kl"} <= set(rows[-1])
    assert final["sampler"] == "mh" and final["mh"]["sampler"] == "mh"
    assert {"modes", "high_quality", "reverse_kl", "w1", "mmd"} <= set(final["direct"])


def recording(monkeypatch, name: str, *, nan_after: int | None = None) -> dict[str, list]:
    """Make ``get_objective(name)`` return the objective with its loss functions wrapped: every call's
    value is recorded (``calls["critic"]``, ``calls["penalty"]``, ``calls["generator"]``); with
    ``nan_after`` the critic loss becomes NaN from that call on (a run that blows up mid-way)."""
    calls: dict[str, list] = {"critic": [], "penalty": [], "generator": []}
    build = registry.OBJECTIVES[name]

    def wrap(fn, key):
        def inner(*args):
            out = fn(*args)
            calls[key].append(out.detach().clone())
            if key == "critic" and nan_after is not None and len(calls[key]) > nan_after:
                return out * float("nan")
            return out

        return inner

    def patched(**params):
        obj = build(**params)
        changes = {
            "critic_loss": wrap(obj.critic_loss, "critic"),
            "generator_loss": wrap(obj.generator_loss, "generator"),
        }
        if obj.penalty is not None:
            changes["penalty"] = wrap(obj.penalty, "penalty")
        if obj.sample_loss is not None:
            changes["sample_loss"] = wrap(obj.sample_loss, "generator")
        return dataclasses.replace(obj, **changes)

    monkeypatch.setitem(registry.OBJECTIVES, name, patched)
    return calls


@pytest.mark.parametrize("objective", objective_names())
def test_every_objective_logs_the_losses_its_pure_functions_return(tmp_path, monkeypatch, objective):
    """Per objective, 2 steps: the logged loss_d / loss_g of step 2 are the values the objective's own
    functions returned in that step (critic loss + penalty; generator or sample loss), bit for bit."""
    calls = recording(monkeypatch, objective)
    train(
        quick("steps=2", "log_every=1", "eval_every=2", f"objective={objective}"),
        tmp_path / "r",
        progress=False,
    )
    rows = [json.loads(x) for x in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    assert len(calls["generator"]) == 2
    assert rows[-1]["loss_g"] == float(calls["generator"][-1])
    if calls["critic"]:  # critic-free objectives (mmd) have no critic phase
        assert len(calls["critic"]) == 2
        loss_d = calls["critic"][-1] + (calls["penalty"][-1] if calls["penalty"] else 0.0)
        assert rows[-1]["loss_d"] == float(loss_d)
        assert rows[0]["loss_d"] != rows[-1]["loss_d"]  # the critic moved between the steps


# one objective per mechanism: classifier (non-saturating), f-GAN (fgan-kl), least squares, hinge,
# gradient penalty (wgan-gp), weight clipping with RMSprop (wgan), critic-free (mmd)
MECHANISMS = ["non-saturating", "fgan-kl", "lsgan", "hinge", "wgan-gp", "wgan", "mmd"]


@pytest.mark.slow
@pytest.mark.parametrize("objective", MECHANISMS)
def test_each_mechanism_moves_the_generator_toward_the_data(tmp_path, objective):
    """A tiny problem every mechanism must solve: data N((3, −2), 0.5² I) from a file, 300 steps (lr 1e-3,
    the generator itself evaluated: no EMA). The untrained generator sits near the origin, W1 ≈ |(3, −2)|
    ≈ 3.6; after training W1 must be below half of that. W1 of 500 evaluation samples varies by a few
    hundredths between draws; a generator that does not learn (a loss of the wrong sign, a frozen
    optimizer) stays where it started."""
    data = tmp_path / "data.npy"
    g = np.random.default_rng(0)
    np.save(data, (g.normal(size=(4000, 2)) * 0.5 + [3.0, -2.0]).astype(np.float32))
    common = [f"data={data}", "ema_half_life=0", "lr_g=1e-3", "lr_d=1e-3", f"objective={objective}"]
    if objective.startswith("wgan"):  # the Wasserstein games are defined with 5 critic updates per step
        common.append("critic_steps=5")
    before = train(quick("steps=1", "eval_every=1", *common), tmp_path / "a", progress=False)
    after = train(quick("steps=300", "eval_every=300", *common), tmp_path / "b", progress=False)
    w0, w1 = before["direct"]["w1"], after["direct"]["w1"]
    assert w0 > 3.0 and w1 < 0.5 * w0, (w0, w1)


def test_a_diverging_run_stops_naming_the_step_and_quantity(tmp_path, monkeypatch):
    recording(monkeypatch, "non-saturating", nan_after=25)  # the critic loss is NaN from step 26 on
    cfg = quick("steps=50", "checkpoint_every=10", "keep_checkpoints=10", "objective=non-saturating")
    with pytest.raises(TrainingDiverged, match=r"loss_d became nan at step 25"):
        train(cfg, tmp_path / "r", progress=False)
    saved = ckpt.list_checkpoints(tmp_path / "r")
    assert [f.name for f in saved] == [f"step-{s:08d}.safetensors" for s in (10, 20)]
    for step, path in zip((10, 20), saved):  # what was saved before the blow-up is intact
        tensors, meta = ckpt.load(path)
        assert meta["step"] == step
        assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())


# The main job's quality bar (modes, high-quality fraction, reverse KL on seed 0) is a benchmark, not a
# unit test: benchmarks/toy_objectives.py measures it over 10 seeds (docs/benchmarks.md, docs/testing.md).
