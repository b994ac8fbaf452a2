"""perfect-discriminator: Garcia Lemmas 2.1-2.2 with their premises checked; tolerances pinned here."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from divergan.lab import perfect_discriminator as pd
from divergan.lab.base import Context

#: premises: |D − ½| ≤ 0.005 ⇒ |L| ≤ −2 log(1 − 0.01) = 0.0201; D within 1e-3 of 1/0 ⇒ |L − 2 log 2| ≤ 0.002
L_CONFUSED = 0.020101
L_PERFECT = 0.002001
GRAD_RATIO = 0.1


@pytest.mark.slow
def test_confused_and_perfect_discriminators_stop_the_generator(quick_result):
    r = quick_result("perfect-discriminator")
    assert r["holds"] and all(r["measured"]["checks"].values())
    m, path = r["measured"], r["path"]
    assert m["confused_max_abs_D_minus_half"] <= 0.005
    assert m["perfect_min_D_real"] >= 0.999 and m["perfect_max_D_fake"] <= 1e-3
    assert all(abs(v) <= L_CONFUSED for v in path["confused"]["L"])
    assert all(abs(v - 2 * math.log(2)) <= L_PERFECT for v in path["perfect"]["L"])
    for name in ("confused", "perfect"):
        ratios = np.array(path[name]["grad_norm"]) / np.array(path[f"reference_{name}"]["grad_norm"])
        assert ratios.max() <= GRAD_RATIO
    lo, hi = m["reference_L_range"]
    assert hi - lo > 4 * L_CONFUSED and m["max_mean_displacement"] > 0.1


@pytest.mark.slow
def test_negative_control_non_constant_critic_fails(tmp_path):
    """The linear reference critic in the confused role (and an untrained one in the perfect role)."""
    ctx = Context(quick=True, seed=0, out=tmp_path)
    nets = pd.train_critics(ctx, long_steps=10)  # 10 steps: nowhere near perfect
    nets["confused"] = pd.LinearCritic(0.0)
    ev = pd.evaluate(ctx, nets, 1024, np.linspace(-1, 1, 5))
    assert not ev["checks"]["confused_premise"] and not ev["checks"]["lemma_2_1_L_is_0"]
    assert not ev["checks"]["confused_gradient_vanishes"]
    assert not ev["checks"]["perfect_premise"]
    assert ev["holds"] is False


def test_loss_at_constant_critics():
    x, fake = torch.randn(8, 2, dtype=torch.float64), torch.randn(8, 2, dtype=torch.float64)
    # D ≡ ½ (V ≡ 0): L = 0 exactly (Lemma 2.1)
    assert abs(float(pd.loss_l(x, fake, lambda t: torch.zeros(len(t), dtype=t.dtype)))) < 1e-15

    # D = 1 on x, 0 on fake (V = ±40): L = 2 log 2 up to e^−40 (Lemma 2.2)
    def perfect(t):
        return torch.full((len(t),), 40.0 if t is x else -40.0, dtype=t.dtype)

    assert abs(float(pd.loss_l(x, fake, perfect)) - 2 * math.log(2)) < 1e-15


def test_pinned_tolerances_follow_from_the_premises():
    assert abs(L_CONFUSED - (-2 * math.log1p(-0.01))) < 1e-5
    assert abs(L_PERFECT - (-2 * math.log1p(-1e-3))) < 1e-5
