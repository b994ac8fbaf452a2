"""Checks written against mutation testing of ``divergan.estimators`` (docs/testing.md, "Mutation testing").

The other files test each estimator against closed forms and oracles; what mutants survived there
were mostly the exact words of an error, the boundary of a check (``<`` against ``<=``), a default, the
method text and extras that the CLI prints, and by-hand values at small sizes. Each test below pins one
of those; the expected values are derived in the comments.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
import torch

from divergan.errors import UserError
from divergan.estimators import (
    IPMS,
    _critic,
    _pairwise,
    base,
    energy_distance,
    imq_kernel,
    kl_knn,
    kolmogorov,
    median_bandwidth,
    mmd,
    mmd2,
    nn_divergence,
    rbf_kernel,
    resolve_bandwidths,
    sliced_wasserstein,
    total_variation_hist,
    variational_bound,
    wasserstein,
)

F64 = torch.float64
mmd_module = importlib.import_module("divergan.estimators.mmd")  # the name mmd is the function


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(UserError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- base: samples, shapes, weights -------------------------------------------------------------------------
def test_as_array_and_as_tensor_messages_and_conversions():
    assert _message(base.as_array, ["a", "b"], "p") == "p must be an array of numbers"
    assert (
        _message(base.as_array, np.zeros((2, 2, 2)), "p") == "p must have shape (n, d) or (n,), got (2, 2, 2)"
    )
    assert _message(base.as_array, np.zeros((0, 2)), "q") == "q is empty (shape (0, 2))"
    assert _message(base.as_array, np.zeros((2, 0)), "q") == "q is empty (shape (2, 0))"
    assert _message(base.as_array, [1.0, math.inf], "y") == "y contains NaN or infinite values"
    assert _message(base.as_array, [1.0, math.nan]) == "x contains NaN or infinite values"
    assert base.as_array(torch.tensor([1.0, 2.0])).tolist() == [[1.0], [2.0]]
    ints = base.as_tensor(torch.tensor([1, 2]))
    assert ints.dtype == torch.get_default_dtype() and ints.shape == (2, 1)
    assert base.as_tensor([3.0]).dtype == F64
    assert (
        _message(base.as_tensor, torch.zeros(2, 2, 2), "p")
        == "p must have shape (n, d) or (n,), got (2, 2, 2)"
    )
    assert _message(base.as_tensor, torch.zeros(0, 3), "p") == "p is empty (shape (0, 3))"
    assert _message(base.as_tensor, torch.zeros(3, 0), "p") == "p is empty (shape (3, 0))"
    assert (
        _message(base.as_tensor, torch.tensor([0.0, -math.inf]), "q") == "q contains NaN or infinite values"
    )
    assert _message(base.as_tensor, torch.tensor([math.nan])) == "x contains NaN or infinite values"


def test_pairs_dimensions_and_dtypes():
    msg = "samples differ in dimension: x has d = 1 but y has d = 2"
    assert _message(base.pair_arrays, [1.0], [[1.0, 2.0]]) == msg
    assert _message(base.pair_tensors, torch.zeros(2, 1), torch.zeros(2, 2)) == msg
    a, b = base.pair_tensors(torch.zeros(2, 1), torch.zeros(3, 1, dtype=F64))
    assert a.dtype == b.dtype == F64
    assert _message(base.one_dimensional, np.zeros((3, 2)), "p") == (
        "p must be one-dimensional (shape (n,) or (n, 1)), got d = 2"
    )
    assert base.one_dimensional([[1.0], [2.0]]).tolist() == [1.0, 2.0]


def test_weights_are_normalised_and_checked():
    assert base.weights(None, 3, "a") is None
    assert base.weights([1.0, 3.0], 2, "a").tolist() == [0.25, 0.75]
    assert base.weights(torch.tensor([2.0, 2.0]), 2, "b").tolist() == [0.5, 0.5]
    assert base.weights([0.0, 1.0], 2, "a").tolist() == [0.0, 1.0]  # a zero weight is allowed
    assert _message(base.weights, [1.0], 2, "a") == "a has 1 weights for 2 samples"
    bad = "b must be finite, non-negative weights with a positive sum"
    for w in ([1.0, -1.0], [0.0, 0.0], [1.0, math.inf], [math.nan, 1.0]):
        assert _message(base.weights, w, 2, "b") == bad


# --- chunked pair sums --------------------------------------------------------------------------------------
def test_rows_per_chunk():
    block = _pairwise.BLOCK_ELEMENTS
    assert block == 4_194_304
    assert _pairwise.rows_per_chunk(None, 10, 7) == 10  # everything fits
    assert _pairwise.rows_per_chunk(None, 10**7, 1024) == block // 1024
    assert _pairwise.rows_per_chunk(None, 10**7, 10**8) == 1  # at least one row
    assert _pairwise.rows_per_chunk(None, 5, 0) == 5
    assert _pairwise.rows_per_chunk(3, 10, 7) == 3 and _pairwise.rows_per_chunk(30, 10, 7) == 10
    assert _pairwise.rows_per_chunk(1, 10, 7) == 1
    for bad in (0, -1, 2.0):
        assert (
            _message(_pairwise.rows_per_chunk, bad, 10, 7) == f"chunk must be a positive integer, got {bad!r}"
        )


def test_pair_sum_by_hand():
    a = torch.tensor([[0.0], [1.0], [3.0]], dtype=F64)
    b = torch.tensor([[1.0], [2.0]], dtype=F64)
    ident = lambda t: t  # noqa: E731
    # squared distances a–b: (1, 4), (0, 1), (4, 1): sum 11; distances: (1, 2), (0, 1), (2, 1): sum 7
    assert float(_pairwise.pair_sum(a, b, ident)) == 11.0
    assert float(_pairwise.pair_sum(a, b, ident, squared=False)) == 7.0
    assert float(_pairwise.pair_sum(a, b, ident, chunk=2)) == 11.0
    # within a: squared distances 1, 9, 4 each twice, diagonal 0: 28; h = 1 + r² counts the diagonal
    plus1 = lambda t: 1 + t  # noqa: E731
    assert float(_pairwise.pair_sum(a, a, plus1, same=True)) == 28.0 + 9
    assert float(_pairwise.pair_sum(a, a, plus1, same=True, skip_diagonal=True)) == 28.0 + 6
    assert float(_pairwise.pair_sum(a, a, plus1, same=True, skip_diagonal=True, chunk=1)) == 34.0
    assert _pairwise.pair_sum(a.float(), b.float(), ident).dtype == F64  # accumulated in float64
    # the diagonal is exactly 0 even where round-off of ‖a‖² + ‖b‖² − 2a·b is not
    big = torch.tensor([[1e8 + 0.1], [3.0]], dtype=F64)
    assert float(_pairwise.pair_sum(big, big, lambda t: (t == 0).double(), same=True)) == 2.0
    assert _pairwise.squared_distances(big, big).min() >= 0  # clamped against round-off


def test_pair_sum_gradient_with_checkpointed_chunks():
    a = torch.tensor([[0.0], [1.0], [3.0]], dtype=F64, requires_grad=True)
    b = torch.tensor([[1.0], [2.0]], dtype=F64)
    # d/da_i Σ_j (a_i − b_j)² = 2 Σ_j (a_i − b_j): (−6, −2, 6)
    for chunk in (None, 1, 2):
        (g,) = torch.autograd.grad(_pairwise.pair_sum(a, b, lambda t: t, chunk=chunk), a)
        assert g[:, 0].tolist() == [-6.0, -2.0, 6.0]


# --- kernels and bandwidths ---------------------------------------------------------------------------------
def test_kernels_by_hand_with_and_without_graph():
    r2 = torch.tensor([0.0, 2.0, 8.0], dtype=F64)
    # σ ∈ {1, 2}: exp(−r²/2), exp(−r²/8) averaged
    want = [(math.exp(-v / 2) + math.exp(-v / 8)) / 2 for v in (0.0, 2.0, 8.0)]
    assert rbf_kernel(r2, [1.0, 2.0]).tolist() == pytest.approx(want, rel=1e-15)
    r2g = r2.clone().requires_grad_(True)
    out = rbf_kernel(r2g, [1.0, 2.0])
    assert out.tolist() == pytest.approx(want, rel=1e-15) and out.grad_fn is not None
    # c ∈ {1, 2}: (1 + r²)^−½, (1 + r²/4)^−½ averaged
    want_imq = [((1 + v) ** -0.5 + (1 + v / 4) ** -0.5) / 2 for v in (0.0, 2.0, 8.0)]
    assert imq_kernel(r2, [1.0, 2.0]).tolist() == pytest.approx(want_imq, rel=1e-15)


def test_median_bandwidth_subsamples_and_defaults():
    assert mmd_module.MEDIAN_POINTS == 1000 and mmd_module.MEDIAN_MULTIPLIERS == (0.5, 1.0, 2.0)
    # 2,001 points: every ⌈2001/1000⌉ = 3rd is used (0, 3, ..., 2000: 667 points); y (1 point) whole
    x = torch.arange(2001, dtype=F64)[:, None] ** 1.5
    y = torch.tensor([[0.5]], dtype=F64)
    z = torch.cat([x[::3], y])
    d = torch.pdist(z)
    assert median_bandwidth(x, y) == pytest.approx(float(d.median()), rel=1e-12)
    assert median_bandwidth(torch.zeros(3, 2), torch.zeros(2, 2)) == 1.0  # every point the same
    assert median_bandwidth(torch.zeros(1, 1), torch.ones(1, 1)) == 1.0  # one distance: 1
    assert median_bandwidth(torch.zeros(1, 1), torch.full((1, 1), 3.0)) == 3.0
    assert resolve_bandwidths(torch.zeros(1, 1), torch.full((1, 1), 3.0), "median") == (1.5, 3.0, 6.0)
    assert resolve_bandwidths(x, y, None) == (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
    assert resolve_bandwidths(x, y, ["2", 3]) == (2.0, 3.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mean", "bandwidths must be numbers or 'median', got 'mean'"),
        (["a"], "bandwidths must be numbers, got ['a']"),
        (5.0, "bandwidths must be numbers, got 5.0"),
        ([], "bandwidths must be a non-empty list of positive numbers, got []"),
        ([1.0, 0.0], "bandwidths must be a non-empty list of positive numbers, got [1.0, 0.0]"),
        ([math.inf], "bandwidths must be a non-empty list of positive numbers, got [inf]"),
    ],
)
def test_bad_bandwidths(value, message):
    assert _message(resolve_bandwidths, torch.zeros(2, 1), torch.zeros(2, 1), value) == message


def test_mmd_by_hand_and_its_messages():
    x = torch.tensor([[0.0], [1.0]], dtype=F64)
    y = torch.tensor([[0.0], [3.0]], dtype=F64)
    k = lambda d: math.exp(-(d * d) / 2)  # noqa: E731  σ = 1
    kxy = (k(0) + k(3) + k(1) + k(2)) / 4
    unbiased = k(1) + k(3) - 2 * kxy
    biased = (2 + 2 * k(1)) / 4 + (2 + 2 * k(3)) / 4 - 2 * kxy
    assert float(mmd2(x, y, bandwidths=[1.0])) == pytest.approx(unbiased, rel=1e-14)
    assert float(mmd2(x, y, bandwidths=[1.0], unbiased=False)) == pytest.approx(biased, rel=1e-14)
    assert mmd(x, y, bandwidths=[1.0]) == pytest.approx(math.sqrt(biased), rel=1e-14)
    q = lambda d: (1 + d * d) ** -0.5  # noqa: E731  the IMQ kernel with c = 1
    imq_biased = (2 + 2 * q(1)) / 4 + (2 + 2 * q(3)) / 4 - 2 * (q(0) + q(3) + q(1) + q(2)) / 4
    assert mmd(x, y, kernel="imq", bandwidths=[1.0]) == pytest.approx(math.sqrt(imq_biased), rel=1e-14)
    assert mmd2(x.float(), y.float()).dtype == torch.float32
    assert _message(mmd2, x, y, kernel="laplace") == "unknown kernel 'laplace'; choose from rbf, imq"
    assert _message(mmd2, x[:1], y) == "the unbiased MMD² needs at least 2 samples of each, got 1 and 2"
    assert _message(mmd2, x, y[:1]) == "the unbiased MMD² needs at least 2 samples of each, got 2 and 1"
    assert float(mmd2(x[:1], y[:1], unbiased=False, bandwidths=[1.0])) == pytest.approx(2 - 2 * k(0))


def test_energy_by_hand_and_its_messages():
    x = torch.tensor([[0.0], [1.0]], dtype=F64)
    y = torch.tensor([[3.0]], dtype=F64)
    # E|X−Y| = (3 + 2)/2; within x: |0−1| twice over n² = 4 (V) or n(n−1) = 2 (U); within y: 0
    assert float(energy_distance(x, y)) == pytest.approx(2 * 2.5 - 2 / 4)
    y2 = torch.tensor([[3.0], [5.0]], dtype=F64)
    # E|X−Y| = (3 + 5 + 2 + 4)/4 = 3.5; within y: 2 twice
    assert float(energy_distance(x, y2, unbiased=True)) == pytest.approx(7 - 1 - 2)
    assert float(energy_distance(x, y2)) == pytest.approx(7 - 0.5 - 1)
    assert float(energy_distance(x, y2, chunk=1)) == pytest.approx(5.5)
    assert _message(energy_distance, x, y, unbiased=True) == (
        "the unbiased energy distance needs at least 2 samples of each, got 2 and 1"
    )
    assert _message(energy_distance, y, x, unbiased=True) == (
        "the unbiased energy distance needs at least 2 samples of each, got 1 and 2"
    )


# --- k-NN KL ------------------------------------------------------------------------------------------------
def test_knn_boundaries_and_messages():
    x, y = [0.0, 2.0, 4.0], [1.0, 3.0, 5.0]
    # k = 2: ρ = (4, 2, 4), ν = (3, 1, 1) (second nearest y); d/n Σ log ν/ρ + log(m/(n − 1))
    want = (math.log(3 / 4) + math.log(1 / 2) + math.log(1 / 4)) / 3 + math.log(3 / 2)
    assert kl_knn(x, y, k=2) == pytest.approx(want, rel=1e-14)
    # m = k is enough: y = 1, 3 gives ν = (3, 1, 3) and log(m/(n − 1)) = 0
    assert kl_knn(x, [1.0, 3.0], k=2) == pytest.approx(
        (math.log(3 / 4) + math.log(1 / 2) + math.log(3 / 4)) / 3, rel=1e-14
    )
    assert _message(kl_knn, x, [1.0], k=2) == (
        "kl_knn with k = 2 needs more than 2 samples of P and at least 2 of Q"
    )
    assert _message(kl_knn, [0.0, 1.0], y, k=2) == (
        "kl_knn with k = 2 needs more than 2 samples of P and at least 2 of Q"
    )
    for k in (0, True, 1.0):
        assert _message(kl_knn, x, y, k=k) == f"k must be a positive integer, got {k!r}"
    for chunk in (0, True, 1.5):
        assert _message(kl_knn, x, y, chunk=chunk) == f"chunk must be a positive integer, got {chunk!r}"
    # 2-D: d = 2 multiplies the log ratio
    x2 = [[0.0, 0.0], [0.0, 2.0]]
    y2 = [[0.0, 1.0], [0.0, 5.0]]
    # ρ = (2, 2), ν = (1, 1): 2·log(1/2) + log(2/1)
    assert kl_knn(x2, y2) == pytest.approx(2 * math.log(0.5) + math.log(2.0), rel=1e-14)


def test_knn_ties_that_cannot_be_separated():
    msg = (
        "kl_knn needs samples of continuous laws: a point is repeated so often that no neighbour "
        "order below 3 separates it"
    )
    assert _message(kl_knn, [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]) == msg  # min(n, m + 1) = 3
    msg4 = msg.replace("below 3", "below 4")
    assert _message(kl_knn, [0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0]) == msg4
    # x = 0 twice: ρ_1 = 0, so k = 2 for those two points: ρ_2 = 5, ν_2 = 2; the third point keeps
    # k = 1: ρ = 5, ν = 3 (the nearest y is 2)
    x, y = [0.0, 0.0, 5.0], [1.0, 2.0, 9.0]
    want = (2 * math.log(2 / 5) + math.log(3 / 5)) / 3 + math.log(3 / 2)
    assert kl_knn(x, y) == pytest.approx(want, rel=1e-14)
    # separable only at k = m: y = 0, 0, 7 and x = 0, 0, 0, 3 (ν stays 0 until the third y)
    x3, y3 = [0.0, 0.0, 0.0, 3.0], [0.0, 0.0, 7.0]
    assert math.isfinite(kl_knn(x3, y3))


# --- univariate -----------------------------------------------------------------------------------------------
def test_kolmogorov_and_tv_by_hand():
    assert kolmogorov([0.0, 1.0, 2.0], [1.0]) == pytest.approx(1 / 3)  # t = 0: F = 1/3, G = 0
    assert kolmogorov([0.0, 1.0, 2.0], [5.0]) == 1.0  # t = 2: F = 1, G = 0
    assert kolmogorov([0.0], [0.0]) == 0.0
    assert total_variation_hist([0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 3.0], bins=3) == 0.5
    # edges 0, 1, 2, 3: x counts (1, 1, 2)/4, y (3, 0, 1)/4; ½ (2 + 1 + 1)/4
    assert total_variation_hist([0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 3.0], bins=1) == 0.0
    for bins in (0, True, 2.5, None):
        assert _message(total_variation_hist, [0.0], [1.0], bins=bins) == (
            f"bins must be a positive integer or a numpy rule name, got {bins!r}"
        )
    assert _message(total_variation_hist, [0.0], [1.0], bins="nope").startswith("bad bins 'nope': ")


# --- Wasserstein ------------------------------------------------------------------------------------------------
def test_wasserstein_orders_and_messages():
    x = [[0.0, 0.0], [1.0, 0.0]]
    y = [[0.0, 3.0], [1.0, 4.0]]
    # optimal plan pairs by index: distances 3 and √(0 + 16) = 4
    assert wasserstein(x, y) == pytest.approx(3.5)
    assert wasserstein(x, y, order=2) == pytest.approx(math.sqrt((9 + 16) / 2))
    assert wasserstein(x, y, order=3) == pytest.approx(((27 + 64) / 2) ** (1 / 3))
    assert wasserstein(x, y, order=1.5) == pytest.approx(((27**0.5 + 64**0.5) / 2) ** (1 / 1.5))
    assert wasserstein([0.0, 1.0], [3.0, 3.0], order=3) == pytest.approx(((27 + 8) / 2) ** (1 / 3))
    assert wasserstein(x, y, a=[1.0, 0.0], b=[0.0, 1.0]) == pytest.approx(math.sqrt(1 + 16))
    assert wasserstein(x, y, a=[0.0, 1.0]) == pytest.approx((math.sqrt(1 + 9) + 4) / 2)
    assert wasserstein(x, y, b=[1.0, 0.0]) == pytest.approx((3 + math.sqrt(1 + 9)) / 2)
    for order in (0.5, math.inf, "2", None):
        assert (
            _message(wasserstein, x, y, order=order)
            == f"Wasserstein order must be a number >= 1, got {order!r}"
        )
    assert wasserstein(x, y, order=1) == wasserstein(x, y, order=1.0)
    for n in (0, 2.0, -1):
        assert _message(sliced_wasserstein, x, y, n_projections=n) == (
            f"n_projections must be a positive integer, got {n!r}"
        )
    assert sliced_wasserstein([0.0, 1.0], [3.0, 5.0], order=2, n_projections=1) == pytest.approx(
        math.sqrt((9 + 16) / 2)
    )
    assert sliced_wasserstein([0.0, 1.0], [3.0, 5.0], a=[1, 0], b=[0, 1], n_projections=1) == pytest.approx(
        5.0
    )


# --- variational bounds and the critic ----------------------------------------------------------------------------
def test_variational_bound_extras_ci_and_domain_ends():
    est = variational_bound("kl", [1.0, 2.0, 3.0], [0.0, 1.0])
    # E_P T = 2; f*(t) = e^{t−1}: (e^{−1} + 1)/2
    fq = [math.exp(-1), 1.0]
    assert est.value == pytest.approx(2 - sum(fq) / 2)
    half = 1.959963984540054 * math.sqrt(np.var([1, 2, 3], ddof=1) / 3 + np.var(fq, ddof=1) / 2)
    assert est.ci == pytest.approx((est.value - half, est.value + half))
    assert est.extras == pytest.approx(
        {"divergence": "kl", "e_p_t": 2.0, "e_q_f_star_t": sum(fq) / 2, "n": 3, "m": 2}
    )
    assert est.method == "variational bound E_P[T] - E_Q[f*(T)] (kl)"
    assert variational_bound("kl", [1.0], [0.0, 1.0]).ci is None
    assert variational_bound("kl", [1.0, 2.0], [0.0]).ci is None
    # tv: dom f* = [−½, ½] closed; both ends are allowed, beyond is not
    assert variational_bound("tv", [0.5, -0.5], [0.5, -0.5]).value == 0.0
    assert (
        _message(variational_bound, "tv", [0.6], [0.0]) == "t_p has values outside dom f* = (-0.5, 0.5) of tv"
    )
    assert (
        _message(variational_bound, "tv", [0.0], [-0.6])
        == "t_q has values outside dom f* = (-0.5, 0.5) of tv"
    )
    assert _message(variational_bound, "kl", [], [0.0]) == "t_p is empty"
    assert _message(variational_bound, "kl", [0.0], [math.nan]) == "t_q contains NaN"
    assert variational_bound("kl", torch.tensor([[1.0, 2.0]]), np.array([0.0])).extras["n"] == 2


def test_training_options_and_splits():
    ok = {"hidden": 4, "steps": 0, "lr": 1.0, "holdout": 0.0}
    _critic.check_training_options(**ok)
    cases = [
        ("hidden", 0, "hidden must be a positive integer, got 0"),
        ("hidden", True, "hidden must be a positive integer, got True"),
        ("hidden", 2.0, "hidden must be a positive integer, got 2.0"),
        ("steps", -1, "steps must be a non-negative integer, got -1"),
        ("steps", True, "steps must be a non-negative integer, got True"),
        ("steps", 1.0, "steps must be a non-negative integer, got 1.0"),
        ("lr", 0, "lr must be a positive number, got 0"),
        ("lr", math.inf, "lr must be a positive number, got inf"),
        ("lr", "1", "lr must be a positive number, got '1'"),
        ("holdout", 1.0, "holdout must lie in [0, 1), got 1.0"),
        ("holdout", -0.1, "holdout must lie in [0, 1), got -0.1"),
        ("holdout", "0.5", "holdout must lie in [0, 1), got '0.5'"),
    ]
    for key, value, message in cases:
        assert _message(_critic.check_training_options, **{**ok, key: value}) == message
    gen = torch.Generator().manual_seed(0)
    train, held = _critic._split(10, 0.3, gen, "x_p")
    assert len(train) == 7 and len(held) == 3 and sorted(torch.cat([train, held]).tolist()) == list(range(10))
    same_a, same_b = _critic._split(4, 0.0, gen, "x_p")
    assert same_a is same_b and sorted(same_a.tolist()) == [0, 1, 2, 3]
    assert (
        _message(_critic._split, 5, 0.2, gen, "x_q")
        == "x_q has 5 samples: too few to hold out a fraction 0.2"
    )
    _critic._split(10, 0.2, gen, "x_q")  # 2 held out is enough
    assert (
        _message(_critic._split, 2, 0.9, gen, "x_p")
        == "x_p has 2 samples: too few to hold out a fraction 0.9"
    )


def test_mean_difference_ci_and_the_soft_clamp():
    value, lo, hi = _critic.mean_difference_ci(np.array([1.0, 3.0]), np.array([0.0, 0.0, 3.0]))
    half = 1.959963984540054 * math.sqrt(2.0 / 2 + 3.0 / 3)  # variances 2 and 3 (ddof = 1)
    assert value == 1.0 and (lo, hi) == pytest.approx((1 - half, 1 + half), rel=1e-15)
    _, lo1, hi1 = _critic.mean_difference_ci(np.array([1.0]), np.array([0.0, 1.0]))
    assert math.isnan(lo1) and math.isnan(hi1)
    clamp = _critic.SoftClamp(20.0)
    v = torch.tensor([0.0, 1.0, 1000.0], dtype=F64)
    assert clamp(v).tolist() == pytest.approx([0.0, 20 * math.tanh(0.05), 20.0], rel=1e-15)
    assert _critic.OUTPUT_BOUND == 20.0
    net = _critic.mlp(3, 5, layers=2)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "SiLU", "Linear", "SiLU", "Linear", "SoftClamp"]
    assert net[-1].bound == 20.0 and net[0].in_features == 3 and net[2].in_features == 5
    assert [type(m).__name__ for m in _critic.mlp(2, 4, layers=1, bound=None)] == ["Linear", "SiLU", "Linear"]


def test_fit_critic_standardises_by_the_pooled_training_samples():
    g = np.random.default_rng(0)
    xp = g.normal(5.0, 2.0, size=(40, 2))
    xq = g.normal(5.0, 2.0, size=(40, 2))
    xq[:, 1] = 7.0  # with xp[:, 1] the pooled column still varies
    fit = _critic.fit_critic(
        xp, xq, lambda a, b: a.mean() - b.mean(), hidden=3, steps=0, lr=1e-3, seed=0, holdout=0.0
    )
    pooled = torch.cat([torch.from_numpy(xp), torch.from_numpy(xq)])
    mean, std = pooled.mean(0), pooled.std(0)
    # holdout 0: the evaluation samples are all the samples, standardised (order permuted)
    assert torch.allclose(fit.eval_p.sum(0), ((torch.from_numpy(xp) - mean) / std).sum(0), atol=1e-12)
    assert torch.allclose(torch.cat([fit.eval_p, fit.eval_q]).mean(0), torch.zeros(2, dtype=F64), atol=1e-12)
    assert torch.allclose(torch.cat([fit.eval_p, fit.eval_q]).std(0), torch.ones(2, dtype=F64), atol=1e-12)
    assert fit.n_train == (40, 40) and fit.n_params == (2 * 3 + 3) + (3 * 3 + 3) + (3 + 1)
    const = np.ones((10, 1))
    fit_c = _critic.fit_critic(
        const, const, lambda a, b: a.mean() - b.mean(), hidden=2, steps=0, lr=1e-3, seed=0, holdout=0.0
    )
    assert torch.equal(fit_c.eval_p, torch.zeros(10, 1, dtype=F64))  # a constant column: std 1, not 0


def test_nn_divergence_reports_what_it_did():
    x = [[0.0], [0.1], [0.2], [0.3]]
    y = [[5.0], [5.1], [5.2], [5.3]]
    est = nn_divergence(x, y, hidden=3, steps=0, layers=2)
    assert est.extras["n_params"] == (3 + 3) + (9 + 3) + (3 + 1) and est.extras["steps"] == 0
    assert est.extras["n_train"] == (4, 4) and est.extras["n_eval"] == (4, 4)
    assert (
        est.method == "neural-network divergence d_NN, sigmoid MLP critic (22 parameters), training samples"
    )
    held = nn_divergence(x * 2, y * 2, hidden=2, steps=0, holdout=0.25)
    assert held.extras["n_eval"] == (2, 2) and held.extras["n_train"] == (6, 6)
    assert held.method.endswith("(7 parameters), held-out samples")  # one hidden layer: 2 + 2 + 3
    assert nn_divergence([[0.0], [1.0]], [[2.0]], hidden=2, steps=0).ci is None
    assert abs(est.value - est.extras["train_value"]) < 1e-12  # holdout 0: evaluated on the training data


# --- the CLI's registry ---------------------------------------------------------------------------------------------
def test_ipms_methods_and_extras():
    x = np.array([[0.0], [1.0]])
    y = np.array([[3.0], [5.0], [6.0]])
    sizes = {"n": 2, "m": 3, "d": 1}
    assert IPMS["wasserstein-1"](x, y).method == "W_1, POT wasserstein_1d (exact, sorted)"
    assert IPMS["wasserstein-2"](np.c_[x, x], np.c_[y, y]).method == "W_2, POT emd2 (exact network simplex)"
    sw = IPMS["sliced-wasserstein"](x, y)
    assert sw.method == "sliced W_1, POT sliced_wasserstein_distance"
    assert sw.extras == {**sizes, "n_projections": 200, "order": 1, "seed": 0}
    sw2 = IPMS["sliced-wasserstein"](x, y, order=2, n_projections=3, seed=4)
    assert sw2.method == "sliced W_2, POT sliced_wasserstein_distance"
    assert sw2.extras == {**sizes, "n_projections": 3, "order": 2, "seed": 4}
    m = IPMS["mmd"](x, y, bandwidths=[1.0, 2.5])
    assert m.method == "unbiased MMD², rbf kernel mixture, σ ∈ {1, 2.5}"
    assert m.extras["bandwidths"] == (1.0, 2.5) and m.extras["n"] == 2
    assert (
        IPMS["mmd"](x, y, kernel="imq", bandwidths=[3]).method == "unbiased MMD², imq kernel mixture, c ∈ {3}"
    )
    assert IPMS["mmd"](x, y).extras["bandwidths"] == (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
    e = IPMS["energy"](x, y)
    assert e.method == "energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| (V-statistic)" and e.extras == sizes
    assert IPMS["energy"](x, y, unbiased=True).method.endswith("(U-statistic)")
    assert IPMS["energy"](x, y, unbiased=True).value == pytest.approx(
        float(energy_distance(x, y, unbiased=True))
    )
    assert IPMS["kolmogorov"](x, y).method == "Kolmogorov sup_t |F_n(t) - G_m(t)|"
    assert IPMS["tv-hist"](x, y).method == "total variation between histograms (bins=auto)"
    assert IPMS["tv-hist"](x, y, bins=2).method == "total variation between histograms (bins=2)"
    assert IPMS["tv-hist"](x, y, bins=2).value == total_variation_hist(x, y, bins=2)


def test_unknown_options_name_what_is_accepted():
    x, y = np.zeros((3, 1)), np.ones((3, 1))
    assert _message(IPMS["kolmogorov"], x, y, foo=1) == "kolmogorov takes no option foo; it takes none"
    assert _message(IPMS["wasserstein-1"], x, y, order=2, b=None, zz=1) == (
        "wasserstein-1 takes no option order, zz; it takes a, b"
    )
    assert _message(IPMS["mmd"], x, y, unbiased=True) == (
        "mmd takes no option unbiased; it takes kernel, bandwidths, chunk"
    )
    assert _message(IPMS["energy"], x, y, k=1) == "energy takes no option k; it takes unbiased, chunk"
    assert _message(IPMS["tv-hist"], x, y, k=1) == "tv-hist takes no option k; it takes bins"
    assert _message(IPMS["sliced-wasserstein"], x, y, k=1) == (
        "sliced-wasserstein takes no option k; it takes n_projections, order, seed, a, b"
    )


@pytest.mark.parametrize("order", [1, 2])
def test_the_wasserstein_entries_built_afresh(order):
    """``IPMS`` holds entries made at import; build them again so that a change inside the builder shows."""
    import divergan.estimators as est

    entry = est._ipm_wasserstein(order)
    x, y = np.array([[0.0], [1.0]]), np.array([[3.0], [5.0], [6.0]])
    got = entry(x, y)
    assert got.value == wasserstein(x, y, order=order)
    assert got.method == f"W_{order}, POT wasserstein_1d (exact, sorted)" and got.extras == {
        "n": 2,
        "m": 3,
        "d": 1,
    }
    two = entry(np.c_[x, x], np.c_[y, y])
    assert two.method == f"W_{order}, POT emd2 (exact network simplex)" and two.extras["d"] == 2
    assert entry(x, y, a=[1.0, 0.0]).value == wasserstein(x, y, order=order, a=[1.0, 0.0])
    assert _message(entry, x, y, order=2) == f"wasserstein-{order} takes no option order; it takes a, b"
    assert entry.__doc__ == f"W_{order} between the two empirical samples (:func:`wasserstein`)."


def test_one_dimensional_and_weight_errors_name_their_sample():
    flat, wide = [0.0, 1.0], [[0.0, 1.0], [2.0, 3.0]]
    one_d = "must be one-dimensional (shape (n,) or (n, 1)), got d = 2"
    assert _message(kolmogorov, wide, flat) == f"x {one_d}"
    assert _message(kolmogorov, flat, wide) == f"y {one_d}"
    assert _message(total_variation_hist, wide, flat) == f"x {one_d}"
    assert _message(total_variation_hist, flat, wide) == f"y {one_d}"
    assert _message(base.one_dimensional, wide) == f"x {one_d}"
    for fn in (wasserstein, sliced_wasserstein):
        assert _message(fn, flat, flat, a=[1.0]) == "a has 1 weights for 2 samples"
        assert _message(fn, flat, flat, b=[1.0, 2.0, 3.0]) == "b has 3 weights for 2 samples"
    assert _message(wasserstein, wide, wide, b=[1.0]) == "b has 1 weights for 2 samples"


def test_sliced_seed_and_tv_bins_defaults():
    g = np.random.default_rng(0)
    x, y = g.normal(size=(30, 3)), g.normal(size=(20, 3))
    assert sliced_wasserstein(x, y, n_projections=5) == sliced_wasserstein(x, y, n_projections=5, seed=0)
    assert sliced_wasserstein(x, y, n_projections=5) != sliced_wasserstein(x, y, n_projections=5, seed=1)
    a, b = g.normal(size=200)[:, None], g.normal(0.3, 1.0, size=150)[:, None]
    assert total_variation_hist(a, b, bins=2) != total_variation_hist(a, b)  # "auto" is not 2 bins here
    assert IPMS["tv-hist"](a, b, bins=2).value == total_variation_hist(a, b, bins=2)


def test_the_mmd_entry_uses_one_set_of_bandwidths_for_both_statistics():
    g = np.random.default_rng(1)
    x, y = g.normal(size=(20, 2)), g.normal(0.5, 1.0, size=(15, 2))
    est = IPMS["mmd"](x, y, bandwidths=[1.0, 2.5])
    assert est.extras["mmd2_biased"] == pytest.approx(
        float(mmd2(x, y, bandwidths=[1.0, 2.5], unbiased=False))
    )
    med = IPMS["mmd"](x, y, bandwidths="median")
    m = median_bandwidth(torch.from_numpy(x), torch.from_numpy(y))
    assert med.extras["bandwidths"] == pytest.approx((0.5 * m, m, 2 * m), rel=1e-15)
    assert med.value == pytest.approx(float(mmd2(x, y, bandwidths=(0.5 * m, m, 2 * m))), rel=1e-12)


def test_fitted_bound_reports_its_set_up():
    from divergan.estimators import fit_variational_bound

    g = np.random.default_rng(2)
    x, y = g.normal(size=(20, 1)), g.normal(1.0, 1.0, size=(20, 1))
    est = fit_variational_bound("kl", x, y, steps=0)
    # the default critic: 1 -> 64 -> 64 -> 1
    assert est.extras["n_params"] == (64 + 64) + (64 * 64 + 64) + (64 + 1)
    assert est.extras["steps"] == 0 and est.extras["holdout"] == 0.5 and est.extras["n_train"] == (10, 10)
    assert "train_value" in est.extras and est.extras["divergence"] == "kl"
    assert est.method == "variational bound (kl), MLP critic g_f(V), held-out samples"
    est0 = fit_variational_bound("kl", x, y, steps=0, hidden=2, holdout=0.0)
    assert est0.method == "variational bound (kl), MLP critic g_f(V), training samples"
