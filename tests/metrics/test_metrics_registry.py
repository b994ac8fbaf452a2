"""W1 and MMD to held-out samples, and the metric registry ``divergan eval`` runs."""

from __future__ import annotations

import math

import pytest
import torch

from divergan.data import get_dataset
from divergan.errors import UserError
from divergan.metrics import evaluate, get_metric, mmd, names, w1


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_w1_of_a_translate_is_the_shift():
    # W1(μ, μ + c) = ‖c‖ for any μ: ≥ ‖mean difference‖, and the identity coupling achieves it
    x = torch.randn(300, 2, generator=_gen(), dtype=torch.float64)
    c = torch.tensor([0.3, -0.4], dtype=torch.float64)
    assert w1(x, x + c) == pytest.approx(0.5, abs=1e-9)
    assert w1(x, x) == pytest.approx(
        0.0, abs=1e-6
    )  # POT forms Euclidean costs from squared ones: ~1e-9 round-off


def test_w1_flattens_images():
    x = torch.zeros(4, 1, 2, 2)
    assert w1(x, x + 1) == pytest.approx(2.0)  # ‖1‖ in R^4


def test_mmd_is_zero_on_identical_samples_and_grows_with_a_shift():
    x = torch.randn(200, 2, generator=_gen())
    assert mmd(x, x) == pytest.approx(0.0, abs=1e-6)
    assert 0 < mmd(x, x + 0.5) < mmd(x, x + 2.0)


def test_default_names_carry_sample_counts():
    assert names() == ["modes-2500", "w1-2000", "mmd-2000"]
    m = get_metric("w1-500")
    assert (m.name, m.num_fake, m.num_real) == ("w1-500", 500, 500)
    assert get_metric("modes").name == "modes-2500" and get_metric("modes").num_real == 0


@pytest.mark.parametrize("name", ["fid-50k", "w1-", "w1-x", "w1-1", "modes-1e3"])
def test_bad_metric_names(name):
    with pytest.raises(UserError):
        get_metric(name)


def test_evaluate_modes_on_perfect_and_collapsed_generators():
    d = get_dataset("grid25")
    perfect = evaluate("modes-2500", d.modes.repeat(100, 1), d, _gen())
    assert (
        perfect["modes"] == 25
        and perfect["high_quality"] == 1.0
        and perfect["reverse_kl"] == pytest.approx(0)
    )
    collapsed = evaluate("modes-2500", lambda n: d.modes[:1].expand(n, 2), d, _gen())
    assert collapsed["modes"] == 1 and collapsed["reverse_kl"] == pytest.approx(math.log(25))


def test_evaluate_distances_against_fresh_real_samples():
    d = get_dataset("ring8")
    same = evaluate("w1-300", lambda n: d.sample(n, _gen(1)), d, _gen(2))
    far = evaluate("w1-300", lambda n: d.sample(n, _gen(1)) + 3.0, d, _gen(2))
    assert same["w1"] < 0.3 < 3.0 < far["w1"]
    assert evaluate("mmd-300", lambda n: d.sample(n, _gen(1)), d, _gen(2))["mmd"] < 0.1


def test_evaluate_errors():
    d = get_dataset("swissroll")
    with pytest.raises(UserError, match="known modes"):
        evaluate("modes-10", torch.zeros(10, 2), d, _gen())
    with pytest.raises(UserError, match="needs 10 generated samples"):
        evaluate("w1-10", torch.zeros(5, 2), d, _gen())
