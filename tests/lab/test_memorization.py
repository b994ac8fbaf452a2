"""memorization: a memoriser fools the small critic while missing most modes; a visible law does not."""

from __future__ import annotations

import math

import pytest

from divergan.lab import memorization as me
from divergan.lab.base import Context

EPS = 0.05


@pytest.mark.slow
def test_memoriser_fools_small_critic(quick_result):
    r = quick_result("memorization")
    assert r["holds"] and all(r["measured"]["checks"].values())
    m = r["measured"]
    floor = m["noise_floor_d_nn"]
    star = m["m_star"]
    assert star["d_nn"] <= floor + EPS and star["mode_fraction"] <= 0.25
    # m* is the first m that fools: every smaller m did not
    assert all(row["d_nn"] > floor + EPS for row in m["memoriser"] if row["m"] < star["m"])
    assert m["half_modes_d_nn"] >= floor + EPS


@pytest.mark.slow
def test_negative_control_half_modes_law_in_the_memorisers_place(tmp_path):
    """A generator the critic can see (the data restricted to x < 0) is never 'fooling'."""
    ctx = Context(quick=True, seed=0, out=tmp_path)

    def half_law(m, n, g):
        data = me.gaussian_mixture("grid3600", me.grid_modes(me.np.linspace(-1, 1, me.SIDE).tolist()), me.STD)
        out = data.sample(4 * n, g)
        return out[out[:, 0] < 0][:n]

    ev = me.evaluate(ctx, memorised=(400, 1600), n_eval=2000, repeats=1, memoriser=half_law)
    assert not ev["checks"]["fooled_at_some_m"]
    assert ev["holds"] is False


#: (129 log 129)/(5 log 5): the bound m ≳ C n log n/ε² with C fixed on the n = 5 critic, applied at n = 129
N_LOG_N_RATIO = 129 * math.log(129) / (5 * math.log(5))


@pytest.mark.slow
def test_m_needed_within_the_n_log_n_prediction(quick_result):
    m = quick_result("memorization")["measured"]
    lo, hi = m["n_dependence"]
    assert (lo["n_params"], hi["n_params"]) == (5, 129)
    assert lo["a"] > 0 and hi["a"] > 0
    assert hi["m_eps"] / lo["m_eps"] <= N_LOG_N_RATIO == pytest.approx(77.9049, abs=1e-3)
    assert m["checks"]["m_needed_within_n_log_n_prediction"]
    # m_ε = (a/ε)² at ε = 0.05
    assert lo["m_eps"] == pytest.approx((lo["a"] / EPS) ** 2)


@pytest.mark.slow
def test_negative_control_critic_sizes_swapped(quick_result):
    """The same measured rows with the n's swapped: the n log n prediction now allows 1/77.9, and fails."""
    rows = quick_result("memorization")["measured"]["n_dependence"]
    swapped = [{**rows[0], "n_params": rows[1]["n_params"]}, {**rows[1], "n_params": rows[0]["n_params"]}]
    out = me.dependence_checks(swapped)
    assert out["n_log_n_ratio"] == pytest.approx(1 / N_LOG_N_RATIO)
    assert not out["checks"]["m_needed_within_n_log_n_prediction"]
