"""The training loop: exact determinism, exact resume, plain-data checkpoints, every objective trains."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from divergan.objectives import names as objective_names
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
    final = train(quick("steps=40", "plot=true", "sampler=drs"), tmp_path / "r", progress=False)
    run = tmp_path / "r"
    for name in ("config.json", "metrics.jsonl", "final_metrics.json", "samples.png", "curves.png"):
        assert (run / name).is_file(), name
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"step", "loss_d", "loss_g", "divergence_estimate", "grad_norm_g", "grad_norm_d"} <= set(rows[-1])
    assert {"modes", "high_quality", "reverse_kl"} <= set(rows[-1])
    assert final["sampler"] == "drs" and final["drs"]["sampler"] == "drs"
    assert {"modes", "high_quality", "reverse_kl", "w1", "mmd"} <= set(final["direct"])


@pytest.mark.parametrize("objective", objective_names())
def test_every_objective_takes_a_few_finite_steps(tmp_path, objective):
    cfg = quick("steps=15", "eval_every=15", "log_every=5", f"objective={objective}")
    final = train(cfg, tmp_path / "r", progress=False)
    assert all(torch.isfinite(torch.tensor(v)) for k, v in final["direct"].items() if isinstance(v, float))


@pytest.mark.slow
@pytest.mark.parametrize("objective", objective_names())
def test_every_objective_trains_1000_steps_on_ring8_with_finite_samples(tmp_path, objective):
    cfg = quick(
        "steps=1000", "eval_every=500", "log_every=100", "checkpoint_every=1000", f"objective={objective}"
    )
    train(cfg, tmp_path / "r", progress=False)
    _, parts, _ = load_run(tmp_path / "r")
    with torch.no_grad():
        x = parts.ema(torch.randn(2000, parts.ema.net[0].in_features))
    assert torch.isfinite(x).all()


def test_a_diverging_run_stops_naming_the_step_and_quantity(tmp_path):
    cfg = quick(
        "steps=50", "checkpoint_every=10", "lr_d=1e30", "lr_g=1e30", "objective=wgan", "objective.clip=1e30"
    )
    with pytest.raises(TrainingDiverged, match=r"became (nan|inf) at step \d+"):
        train(cfg, tmp_path / "r", progress=False)
    for path in ckpt.list_checkpoints(tmp_path / "r"):
        ckpt.load(path)  # what was saved before the blow-up is intact


@pytest.mark.slow
def test_the_main_job_meets_its_bar_on_seed_0(tmp_path):
    final = train(preset("default"), tmp_path / "main", progress=False)
    m = final[final["sampler"]]
    assert m["modes"] >= 24.5 and m["high_quality"] >= 0.90 and m["reverse_kl"] <= 0.05, m
