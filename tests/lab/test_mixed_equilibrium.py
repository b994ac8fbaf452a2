"""Experiment 9: pure strategies cycle, mixed strategies converge (seed 002); the MIX+GAN module."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from divergan.lab.mixed_equilibrium import dirac_gan, fictitious_play, hedge
from divergan.lab.mixgan import MixGAN


@pytest.mark.slow
def test_pure_strategies_cycle_mixed_strategies_converge(quick_result):
    r = quick_result("mixed-equilibrium")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    for game in m["games"].values():
        assert game["last_min_over_second_half"] >= tol["min_keep"] * game["last_initial"]
    for name in ("rps_fictitious_play", "rps_hedge", "dirac_alternating"):
        assert m["games"][name]["average_final"] <= tol["average"]
    assert m["games"]["dirac_simultaneous"]["last_final"] > m["games"]["dirac_simultaneous"]["last_initial"]
    assert m["mixgan"]["modes"] >= m["single_gan"]["modes"]
    assert m["mixgan"]["weight_entropy"] >= tol["min_weight_entropy"]
    assert (r["_out"] / "mixed_equilibrium.png").stat().st_size > 0


def test_game_dynamics_exact_facts():
    # simultaneous GDA on θψ multiplies the norm by √(1 + η²) every step
    sim = dirac_gan(50, 0.1, alternating=False)["last"]
    assert np.allclose(np.array(sim[1:]) / np.array(sim[:-1]), math.sqrt(1.01))
    # pure best responses in RPS are vertices: distance 2·√(2/3) to the equilibrium, every round
    fp = fictitious_play(30)
    assert np.allclose(fp["last"], 2 * math.sqrt(2 / 3))
    assert hedge(10, 0.1)["average"][-1] < hedge(10, 0.1)["last"][-1]


def test_mixgan_module():
    mix = MixGAN(k=3, z_dim=2, x_dim=2, width=8, seed=0)
    g = torch.Generator().manual_seed(0)
    losses = mix.step(torch.randn(16, 2, generator=g), g)
    assert set(losses) == {"loss_d", "loss_g"} and all(math.isfinite(v) for v in losses.values())
    w, u = mix.weights
    assert w.shape == u.shape == (3,) and abs(float(w.sum()) - 1) < 1e-6 and abs(float(u.sum()) - 1) < 1e-6
    assert mix.sample(10, g).shape == (10, 2)
    assert 0 < mix.weight_entropy() <= 1 + 1e-9
    assert MixGAN(k=1, z_dim=2, x_dim=2, width=8).weight_entropy() == 1.0
