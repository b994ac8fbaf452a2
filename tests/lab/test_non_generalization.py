"""non-generalization: Zhang lecture notes Theorem 3.1 — empirical JS = log 2, empirical W ≥ 1.1."""

from __future__ import annotations

import math

import numpy as np

from divergan.lab import non_generalization as ng

LOG2 = math.log(2)
#: exact sums over the pooled atoms
EXACT = 1e-12
W_BOUND = 1.1


def test_js_and_w_do_not_generalize(quick_result):
    r = quick_result("non-generalization")
    assert r["holds"]
    m = r["measured"]
    assert all(abs(v - LOG2) <= EXACT for v in m["empirical_js_min_max"])
    for g in r["grid"]:
        if g["d"] >= 10 * math.log(g["m"]):
            assert g["w"] >= W_BOUND
    # outside the regime (d = 2) the empirical W is small: the theorem needs log m ≪ d
    assert m["empirical_w_min_overall"] < 0.5
    sigmas = {float(k): v for k, v in m["smoothed_js"].items()}
    assert all(v > LOG2 - 1 / 64 for s, v in sigmas.items() if s <= 0.5 / math.sqrt(math.log(64)))
    assert min(sigmas.values()) < LOG2 - 1 / 64


def test_negative_control_samples_of_a_law_with_atoms():
    """Both samples drawn from four points: they share atoms and the empirical JS is far below log 2."""
    rng = np.random.default_rng(0)
    atoms = rng.normal(size=(4, 8))
    x, y = atoms[rng.integers(4, size=32)], atoms[rng.integers(4, size=32)]
    assert ng.empirical_js(x, y) < LOG2 - 0.3
    # and two samples of a continuous law never share an atom
    assert abs(ng.empirical_js(rng.normal(size=(32, 2)), rng.normal(size=(32, 2))) - LOG2) <= EXACT
