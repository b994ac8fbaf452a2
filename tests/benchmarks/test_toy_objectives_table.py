"""benchmarks/toy_objectives.py: which settings each row runs, and the table it writes from cached results.

No training here: the configs are built and compared, and the table is written from made-up rows whose
means and standard deviations are known by hand.
"""

from __future__ import annotations

import dataclasses

import pytest


@pytest.fixture(scope="module")
def toy(benchmark_script):
    with benchmark_script("toy_objectives") as module:
        yield module


def _diff(a, b) -> dict:
    """The config fields on which two configs differ (seed excluded)."""
    da, db = dataclasses.asdict(a), dataclasses.asdict(b)
    return {k: (da[k], db[k]) for k in da if da[k] != db[k] and k != "seed"}


def test_plain_switches_every_remedy_off_and_keeps_no_penalty(toy):
    cfg = toy.config_for("default", "grid25", "non-saturating", "plain", 0, [])
    assert (cfg.pack, cfg.g_norm, cfg.d_maxout, cfg.d_mbstd, cfg.d_fourier) == (1, "none", 0, 0, 0)
    assert (cfg.lr_schedule, cfg.mix_components, cfg.threads) == ("constant", 1, 1)
    assert (cfg.beta1, cfg.beta2) == (0.5, 0.999)  # pinned: a preset's betas do not move the rows
    assert cfg.objective_params == {}  # the preset's R1/R2 = 0.05 are not carried over
    shipped = toy.config_for("default", "grid25", None, "preset", 0, [])
    assert shipped.objective_params == {"r1": 0.05, "r2": 0.05} and shipped.d_mbstd == 8
    # an objective with its own defaults keeps them when plain (rpgan: R1 = R2 = 1)
    assert toy.config_for("default", "grid25", "rpgan", "plain", 0, []).objective_params == {}


@pytest.mark.parametrize(
    "variant, expected",
    [
        ("pack 4", {"pack": (1, 4)}),
        ("minibatch std (group 8)", {"d_mbstd": (0, 8)}),
        ("maxout critic (5 pieces)", {"d_maxout": (0, 5)}),
        ("batch norm in G", {"g_norm": ("none", "batch")}),
        ("MIX+GAN K=4", {"mix_components": (1, 4)}),
        ("linear learning-rate decay", {"lr_schedule": ("constant", "linear")}),
        ("R1/R2 = 0.05", {"objective_params": ({}, {"r1": 0.05, "r2": 0.05})}),
        (
            "rpgan, R1/R2 = 0.05",
            {"objective": ("non-saturating", "rpgan"), "objective_params": ({}, {"r1": 0.05, "r2": 0.05})},
        ),
    ],
)
def test_each_remedy_row_differs_from_plain_in_its_remedy_alone(toy, variant, expected):
    for data in ("grid25", "ring8"):
        plain = toy.config_for("default", data, None, "plain", 1, ["steps=7"])
        cfg = toy.config_for("default", data, None, variant, 1, ["steps=7"])
        assert _diff(plain, cfg) == expected
        assert cfg.steps == 7 and cfg.data == data


def test_jobs_run_each_pair_once_objectives_first(toy):
    jobs = toy.jobs(
        "all", ["minimax", "non-saturating"], ["plain", "pack 2", "rpgan, R1/R2 = 0.05"], "non-saturating"
    )
    assert jobs == [
        ("minimax", "plain"),
        ("non-saturating", "plain"),
        ("non-saturating", "pack 2"),
        ("rpgan", "rpgan, R1/R2 = 0.05"),
    ]


def _row(toy_data, variant, objective, seed, modes, hq, cpu=10.0, error=None):
    row = {"data": toy_data, "variant": variant, "objective": objective, "seed": seed, "steps": 1000}
    row |= {"extra": [], "wall_seconds": 2 * cpu, "cpu_seconds": cpu, "load": 1.0, "error": error}
    if error is None:
        row |= {"modes": modes, "high_quality": hq, "reverse_kl": 0.1, "w1": 0.5}
    return row


def test_aggregate_mean_and_sample_sd_over_seeds_without_diverged_runs(toy):
    rows = [
        _row("grid25", "plain", "lsgan", 0, 24, 0.50, cpu=10),
        _row("grid25", "plain", "lsgan", 1, 20, 0.70, cpu=14),
        _row("grid25", "plain", "lsgan", 2, None, None, cpu=12, error="diverged"),
    ]
    s = toy.aggregate(rows)[("grid25", "plain", "lsgan", 1000)]
    assert s["seeds"] == [0, 1, 2] and s["diverged"] == 1
    # modes 24, 20: mean 22, sample sd sqrt(8) = 2.83; HQ 50 %, 70 %: 60 ± 14.1; CPU of the finished runs
    # 10, 14: 12 ± 2.83 (the diverged run's 12 s would make it 12 ± 2)
    assert (s["modes"], s["high_quality"], s["cpu"], s["cpu_n"]) == ("22.0 ± 2.8", "60.0 ± 14.1", "12 ± 3", 2)


def test_table_lists_every_objective_the_published_rows_and_what_is_missing(toy):
    rows = [_row("grid25", "plain", "lsgan", seed, 25, 0.9) for seed in range(3)]
    rows += [_row("ring8", "plain", "lsgan", 0, 8, 0.9)]
    rows += [_row("grid25", "pack 2", "non-saturating", seed, 25, 0.9) for seed in range(3)]
    text = toy.table(rows, objectives=["lsgan", "wgan"])
    lines = text.splitlines()
    assert "| `lsgan` | 3 | 25.0 ± 0.0 | 90.0 ± 0.0% | 0.100 ± 0.000 | 0.50 ± 0.00 | 10 ± 0 |" in lines
    assert "| `wgan` | 0 | not run |  |  |  |  |" in lines
    assert (
        "| pack 2 | `non-saturating` | 3 | 25.0 ± 0.0 | 90.0 ± 0.0% | 0.100 ± 0.000 | 0.50 ± 0.00 | 10 ± 0 |"
        in lines
    )
    # the published grid and ring rows, each under its own data
    assert "| PacGAN4 | Lin et al. 2018 (PacGAN), T1 | 24.8 | 93.6% | 0.04 |" in lines
    assert "| PacGAN4 | Lin et al. 2018 (PacGAN), T1 | 7.8 | 95.9% | 0.07 |" in lines
    assert "| WGAN-GP | Elfeki et al. 2019 (GDPP), T1 | 24.2 | 28.7% | — |" in lines
    missing = next(line for line in lines if line.startswith("Rows with fewer than 3 seeds"))
    assert "grid25, not run: `wgan`, pack 4, minibatch std (group 8)," in missing
    assert "ring8, not run: `wgan`, every remedy row; ring8, 1 seed: `lsgan`." in missing
    assert "`lsgan`" not in missing.split("ring8")[0]  # grid25's lsgan has its 3 seeds


def test_one_seed_is_shown_without_a_spread_and_a_whole_dataset_short_in_one_phrase(toy):
    rows = [_row("ring8", "plain", "lsgan", 0, 8, 0.5, cpu=12)]
    s = toy.aggregate(rows)[("ring8", "plain", "lsgan", 1000)]
    assert (s["modes"], s["high_quality"], s["cpu"]) == ("8.0", "50.0", "12")
    short = [("ring8", "plain", "lsgan", 1), ("ring8", "pack 2", "non-saturating", 1)]
    head = "Rows with fewer than 3 seeds when this was written — "
    assert (
        toy.missing(short, 3, n_objectives=1, n_remedies=1)
        == head + "ring8, 1 seed: every objective row, every remedy row."
    )
    assert (
        toy.missing(short, 3, n_objectives=2, n_remedies=1)
        == head + "ring8, 1 seed: `lsgan`, every remedy row."
    )
    assert toy.missing(short, 3, n_objectives=2, n_remedies=2) == head + "ring8, 1 seed: `lsgan`, pack 2."
    assert toy.missing([], 3, 1, 1) == "Every row has 3 seeds or more."


def test_table_says_so_when_every_row_is_complete(toy):
    rows = [
        _row(data, variant, objective or "non-saturating", seed, 1, 0.1)
        for data in ("grid25", "ring8")
        for variant, (objective, _) in toy.REMEDIES.items()
        for seed in range(3)
    ]
    rows += [_row(data, "plain", "lsgan", seed, 1, 0.1) for data in ("grid25", "ring8") for seed in range(3)]
    text = toy.table(rows, objectives=["lsgan", "non-saturating"])
    assert "Every row has 3 seeds or more." in text and "fewer than" not in text


def test_cpu_column_says_which_runs_were_timed(toy):
    rows = [_row("grid25", "plain", "lsgan", seed, 25, 0.9) for seed in range(3)]
    rows[0]["cpu_seconds"] = None
    del rows[1]["cpu_seconds"]
    assert "| 10 (1 of 3 timed) |" in toy.table(rows, objectives=["lsgan"])
