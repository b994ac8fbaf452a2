"""Sweeps: a vmapped group of models equals the models trained one by one, and the ordinary trainer."""

from __future__ import annotations

import json

import pytest
import torch

from divergan.cli import main
from divergan.errors import UserError
from divergan.train import apply_overrides, load_run, preset, train
from divergan.train.sweep import (
    Group,
    StackedAdam,
    StackedRMSprop,
    expand,
    groups_of,
    parse_axes,
    parse_seeds,
)

SMALL = ["data=ring8", "sampler=direct", "g_width=32", "d_width=32", "batch=64", "eval_samples=200"]


def base(*overrides: str):
    return apply_overrides(preset("quick"), [*SMALL, "steps=10", *overrides])


def trained(cfgs) -> Group:
    group = Group(cfgs, torch.device("cpu"))
    for step in range(cfgs[0].steps):
        group.train_step(step)
    return group


def test_parse_seeds_and_axes():
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("0-1,7") == [0, 1, 7]
    for bad in ("3-1", "a", "1,1", "-2"):
        with pytest.raises(UserError):
            parse_seeds(bad)
    axes, shared = parse_axes("non-saturating,hinge", "0-1", ["lr_d=1e-4,2e-4", "batch=32"])
    assert axes == {"objective": ["non-saturating", "hinge"], "seed": ["0", "1"], "lr_d": ["1e-4", "2e-4"]}
    assert shared == ["batch=32"]
    assert len(expand(base(), axes)) == 8


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_stacked_optimizers_equal_torch_optim(kind):
    g = torch.Generator().manual_seed(0)
    start = torch.randn(3, 4, 5, generator=g)
    grads = [torch.randn(3, 4, 5, generator=g) for _ in range(6)]
    lrs, b1, b2 = [1e-2, 2e-3, 5e-2], [0.5, 0.9, 0.0], [0.999, 0.9, 0.99]
    stacked = {"w": start.clone()}
    opt = StackedAdam(lrs, b1, b2) if kind == "adam" else StackedRMSprop(lrs)
    for grad in grads:
        opt.step(stacked, {"w": grad})
    for i in range(3):
        p = start[i].clone().requires_grad_(True)
        ref = (
            torch.optim.Adam([p], lr=lrs[i], betas=(b1[i], b2[i]))
            if kind == "adam"
            else torch.optim.RMSprop([p], lr=lrs[i])
        )
        for grad in grads:
            p.grad = grad[i].clone()
            ref.step()
        torch.testing.assert_close(stacked["w"][i], p.detach(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("objective", "grid"),
    [
        ("non-saturating", {"seed": ["0", "1"], "lr_d": ["1e-4", "3e-4"]}),
        ("wgan-gp", {"seed": ["0", "1"], "lr_d": ["1e-4", "3e-4"]}),
        (
            "non-saturating",
            {"seed": ["0", "1"], "ema_rampup": ["0", "0.5"]},
        ),  # one group: a β per model and step
    ],
)
def test_vmapped_group_of_four_equals_four_single_runs(objective, grid):
    cfgs = [c for _, c in expand(base(f"objective={objective}"), grid)]
    assert len(groups_of(cfgs)) == 1
    together = trained(cfgs)
    rows = together.results()
    for i, cfg in enumerate(cfgs):
        alone = trained([cfg])
        for name, value in alone.generator_params(0).items():
            torch.testing.assert_close(together.generator_params(i)[name], value, rtol=1e-4, atol=1e-5)
        row = alone.results()[0]
        assert row["modes"] == rows[i]["modes"] and row["high_quality"] == rows[i]["high_quality"]
        assert row["w1"] == pytest.approx(rows[i]["w1"], rel=1e-4)
    # the four models really differ (different seeds, and critic learning rates or EMA ramp-ups)
    assert len({round(r["w1"], 6) for r in rows}) == 4


@pytest.mark.parametrize(
    ("objective", "extra"), [("non-saturating", ()), ("wgan-gp", ()), ("non-saturating", ("ema_rampup=0.5",))]
)
def test_one_model_equals_the_ordinary_trainer(tmp_path, objective, extra):
    cfg = base(f"objective={objective}", "seed=3", "eval_every=1000", "log_every=1000", *extra)
    final = train(cfg, tmp_path / "run", progress=False)
    _, parts, _ = load_run(tmp_path / "run")
    group = trained([cfg])
    for name, value in parts.ema.named_parameters():
        torch.testing.assert_close(group.generator_params(0)[name], value.detach(), rtol=1e-4, atol=1e-5)
    for name, value in parts.generator.named_parameters():
        torch.testing.assert_close(
            group.generator_params(0, ema=False)[name], value.detach(), rtol=1e-4, atol=1e-5
        )
    row = group.results()[0]
    assert row["modes"] == final["direct"]["modes"]
    assert row["w1"] == pytest.approx(final["direct"]["w1"], rel=1e-4)


def test_sweep_command_writes_the_folder_and_rejects_bad_grids(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "--data", "ring8", "--objectives", "non-saturating,hinge", "--seeds", "0-1"]
    small = ["--set", "g_width=16", "--set", "d_width=16", "--set", "eval_samples=100", "--steps", "3"]
    assert main([*args, *small, "--set", "lr_g=1e-4,2e-4", "--out", str(out), "--quiet"]) == 0
    sweep = json.loads((out / "sweep.json").read_text())
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sweep["axes"] == {"objective": ["non-saturating", "hinge"], "seed": [0, 1], "lr_g": [1e-4, 2e-4]}
    assert sweep["models"] == len(rows) == 8
    assert [(r["objective"], r["seed"], r["lr_g"]) for r in rows][:3] == [
        ("non-saturating", 0, 1e-4),
        ("non-saturating", 0, 2e-4),
        ("non-saturating", 1, 1e-4),
    ]
    assert all(r["config"]["g_width"] == 16 and r["config"]["steps"] == 3 for r in rows)
    assert set(sweep["metrics"]) <= set(rows[0])
    assert (out / "table.md").read_text().count("\n") == 10
    capsys.readouterr()
    for bad in (
        ["--seeds", "0-1", "--set", "g_width=16,32"],
        ["--seeds", "2-1"],
        ["--objectives", "nope"],
        ["--set", "lr_d=1e-4,x"],
        ["--set", "sampler=mh"],
        ["--device", "cuda"] if not torch.cuda.is_available() else ["--device", "tpu"],
    ):
        assert main(["sweep", *bad, "--out", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert not (tmp_path / "bad").exists()
    assert main([*args, "--out", str(out)]) == 2  # an existing folder is never overwritten


@pytest.mark.slow
def test_every_objective_sweeps_and_a_pair_equals_its_singles():
    from divergan.objectives import names

    tiny = apply_overrides(preset("quick"), [*SMALL, "steps=2", "g_width=8", "d_width=8", "batch=16"])
    for objective in names():
        cfgs = [c for _, c in expand(tiny, {"objective": [objective], "seed": ["0", "1"]})]
        pair = trained(cfgs)
        alone = trained(cfgs[1:])
        for name, value in alone.generator_params(0, ema=False).items():
            torch.testing.assert_close(pair.generator_params(1, ema=False)[name], value, rtol=1e-4, atol=1e-5)
        assert pair.diverged == [None, None], objective
