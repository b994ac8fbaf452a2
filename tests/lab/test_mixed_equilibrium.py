"""mixed-equilibrium: no pure saddle in RPS, the LP mixed equilibrium, ε-equilibria from k-sample mixtures."""

from __future__ import annotations

import math

import numpy as np
import torch

from divergan.lab import mixed_equilibrium as me

#: HiGHS feasibility 1e-9: the LP's value and strategies are exact to this
LP = 1e-7


def test_existence_claims(quick_result):
    r = quick_result("mixed-equilibrium")
    assert r["holds"] and all(r["measured"]["checks"].values())
    rps = r["measured"]["rps"]
    assert rps["maxmin"] == -1.0 and rps["minmax"] == 1.0
    assert abs(rps["mixed_value"]) <= LP
    assert np.allclose(rps["x"], 1 / 3, atol=LP) and np.allclose(rps["y"], 1 / 3, atol=LP)
    mx = r["measured"]["mixtures"]
    n = r["measured"]["random_game"]["n"]
    for k, worst in zip(mx["k"], mx["max"], strict=True):
        assert worst <= 2 * math.sqrt(2 * math.log(4 * n / 1e-3) / k)
    assert -0.75 <= mx["slope"] <= -0.25
    assert r["measured"]["mixgan"] == "not run in quick mode"


def test_negative_control_game_with_saddle_point():
    """A game with a pure saddle point (row 0, column 0): maxmin = minmax, claim 1 is false for it."""
    a = np.array([[1.0, 2.0], [0.0, -1.0]])
    gap = me.pure_gap(a)
    assert not gap["maxmin"] < gap["minmax"]
    v, x, y = me.solve_game(a)
    assert abs(v - 1) <= LP and me.exploitability(a, x, y) <= LP


def test_negative_control_mixtures_from_a_non_equilibrium_strategy():
    """Mixtures drawn from the uniform strategy of a random game: ε_k levels off, bound and slope fail."""
    ev = me.evaluate_games(30, [4, 16, 64, 256, 1024], 20, np.random.default_rng(0), strategy="uniform")
    assert not ev["checks"]["k_mixtures_within_hoeffding"]
    assert not ev["checks"]["k_mixture_slope_minus_half"]
    assert ev["holds"] is False


def test_exploitability_is_zero_only_at_equilibrium():
    u = np.full(3, 1 / 3)
    assert abs(me.exploitability(me.RPS, u, u)) < 1e-15
    assert me.exploitability(me.RPS, np.array([1.0, 0, 0]), u) == 1.0


def test_game_dynamics_exact_facts():
    # simultaneous GDA on θψ multiplies the norm by √(1 + η²) every step (illustration in the figure)
    sim = me.dirac_gan(50, 0.1, alternating=False)["last"]
    assert np.allclose(np.array(sim[1:]) / np.array(sim[:-1]), math.sqrt(1.01))


def test_mixgan_uses_the_trainer_mixture_and_matches_parameters():
    gen, metrics = me.train_mix(2, 8, 3, seed=0)
    assert len(gen.components) == 2 and 0 <= metrics["modes"] <= 25
    w = me.mix_width(4, 64)

    def params(width):
        return sum(p.numel() for p in me.MLP(2, 2, width=width, depth=2).parameters())

    assert abs(params(w) - 4 * params(64)) <= params(w + 1) - params(w)
    assert torch.is_tensor(gen.weights)
