"""MMD (GAN analysis slides, eq. 13): exact small cases against the definition, unbiasedness, chunking, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from divergan.errors import UserError
from divergan.estimators import (
    DEFAULT_BANDWIDTHS,
    imq_kernel,
    median_bandwidth,
    mmd,
    mmd2,
    mmd2_statistics,
    rbf_kernel,
)
from divergan.estimators.mmd import exponent_floor

F64 = torch.float64


def _naive_mmd2(x: torch.Tensor, y: torch.Tensor, k, unbiased: bool) -> float:
    """The definition with full kernel matrices and explicit loops over the diagonal."""
    kxx, kyy, kxy = k(torch.cdist(x, x) ** 2), k(torch.cdist(y, y) ** 2), k(torch.cdist(x, y) ** 2)
    n, m = len(x), len(y)
    if unbiased:
        sxx = kxx.sum() - kxx.diagonal().sum()
        syy = kyy.sum() - kyy.diagonal().sum()
        return float(sxx / (n * (n - 1)) + syy / (m * (m - 1)) - 2 * kxy.mean())
    return float(kxx.mean() + kyy.mean() - 2 * kxy.mean())


def _samples(seed: int, n: int = 60, m: int = 45, d: int = 3, shift: float = 0.5):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=F64), torch.randn(m, d, generator=g, dtype=F64) + shift


def test_kernels_by_hand():
    r2 = torch.tensor([0.0, 2.0, 8.0], dtype=F64)
    torch.testing.assert_close(rbf_kernel(r2, [1.0]), torch.exp(-r2 / 2))
    torch.testing.assert_close(rbf_kernel(r2, [1.0, 2.0]), (torch.exp(-r2 / 2) + torch.exp(-r2 / 8)) / 2)
    torch.testing.assert_close(imq_kernel(r2, [2.0]), 1 / torch.sqrt(1 + r2 / 4))
    for k in (rbf_kernel, imq_kernel):
        assert float(k(torch.tensor(0.0, dtype=F64), DEFAULT_BANDWIDTHS)) == 1.0


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_rbf_kernel_where_its_exponent_underflows(dtype):
    """The exponent is clamped at log(smallest normal) + 1 before exp (a speed fix): every entry and its
    gradient equal exp(−r²/2σ²) computed in float64 without a clamp, to the dtype's precision where the
    entry is a normal number and to within 3 × the smallest normal (absolute) where it underflows. The
    exponents −20 and floor + 1 are there so that a floor set too high (−10; −50 in float32) fails."""
    floor, tiny = exponent_floor(dtype), torch.finfo(dtype).tiny
    assert tiny <= math.exp(floor) <= 3 * tiny  # e^floor = e · tiny
    sigma = 0.02
    exponents = torch.tensor([0.0, -0.5, -20.0, floor + 1.0, floor - 1.0, -1e4, -1e7], dtype=F64)
    r2 = (-exponents * 2 * sigma**2).to(dtype).requires_grad_(True)
    ref_r2 = r2.detach().to(F64).requires_grad_(True)
    ref = torch.exp(-ref_r2 / (2 * sigma**2))
    (ref_grad,) = torch.autograd.grad(ref.sum(), ref_r2)
    got = rbf_kernel(r2, [sigma])
    (grad,) = torch.autograd.grad(got.sum(), r2)
    with torch.no_grad():
        got_in_place = rbf_kernel(r2.detach(), [sigma])  # the branch without a graph
    # the exponent −r²/2σ² is rounded in dtype, so exp of it is good to about |exponent| · eps relative
    rel, tol = 4 * torch.finfo(dtype).eps * (1 + exponents.abs().clamp(max=-floor)), 3 * tiny
    for value in (got.detach(), got_in_place):
        assert torch.all((value.to(F64) - ref).abs() <= rel * ref + tol), (value, ref)
    # d/dr² exp(−r²/2σ²) = −exp(...)/2σ²: the absolute slack scales with it
    assert torch.all((grad.to(F64) - ref_grad).abs() <= rel * ref_grad.abs() + tol / (2 * sigma**2))
    # the mixture averages the clamped terms: the same bound at two bandwidths
    mixed = rbf_kernel(r2.detach(), [sigma, 1.0]).to(F64)
    want = (ref.detach() + torch.exp(-ref_r2.detach() / 2)) / 2
    assert torch.all((mixed - want).abs() <= rel * want + tol)


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
@pytest.mark.parametrize("unbiased", [True, False])
def test_matches_the_definition(kernel, unbiased):
    x, y = _samples(0)
    sig = (0.5, 1.0, 3.0)
    k = (lambda r2: rbf_kernel(r2, sig)) if kernel == "rbf" else (lambda r2: imq_kernel(r2, sig))
    got = float(mmd2(x, y, kernel=kernel, bandwidths=sig, unbiased=unbiased))
    assert got == pytest.approx(_naive_mmd2(x, y, k, unbiased), rel=1e-10, abs=1e-14)


def test_identical_samples_are_at_distance_zero():
    x, _ = _samples(1)
    assert float(mmd2(x, x.clone(), unbiased=False)) == pytest.approx(0.0, abs=1e-14)
    assert mmd(x, x.clone()) == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
def test_biased_is_never_negative(kernel):
    for seed in range(20):
        x, y = _samples(seed, n=12, m=9, shift=0.0)
        assert float(mmd2(x, y, kernel=kernel, unbiased=False)) >= -1e-15


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
def test_unbiased_has_mean_zero_when_p_equals_q(kernel):
    g = torch.Generator().manual_seed(5)
    vals = torch.tensor(
        [
            float(
                mmd2(
                    torch.randn(30, 2, generator=g, dtype=F64),
                    torch.randn(25, 2, generator=g, dtype=F64),
                    kernel,
                )
            )
            for _ in range(400)
        ]
    )
    se = float(vals.std()) / math.sqrt(len(vals))
    assert abs(float(vals.mean())) < 4 * se
    assert float(vals.min()) < 0  # the U-statistic does go negative
    # while the biased statistic is positive and of order 1/n
    biased = float(
        mmd2(
            torch.randn(30, 2, generator=g, dtype=F64),
            torch.randn(25, 2, generator=g, dtype=F64),
            kernel,
            unbiased=False,
        )
    )
    assert biased > 0


def test_detects_a_shift():
    x, y = _samples(6, n=300, m=300, shift=1.0)
    x2, _ = _samples(7, n=300, m=300)
    assert float(mmd2(x, y)) > 20 * abs(float(mmd2(x, x2)))


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_chunked_equals_unchunked(kernel, unbiased, chunk):
    x, y = _samples(8, n=70, m=53)
    whole = mmd2(x, y, kernel=kernel, unbiased=unbiased, chunk=10_000)
    torch.testing.assert_close(
        mmd2(x, y, kernel=kernel, unbiased=unbiased, chunk=chunk), whole, rtol=1e-12, atol=1e-15
    )


def test_gradient_flows_and_does_not_depend_on_chunking():
    x, y = _samples(9, n=40, m=30)
    grads = []
    for chunk in (None, 6):
        xr = x.clone().requires_grad_(True)
        mmd2(xr, y, chunk=chunk).backward()
        assert xr.grad is not None and torch.isfinite(xr.grad).all()
        grads.append(xr.grad)
    assert float(grads[0].abs().max()) > 0
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-10, atol=1e-14)


def test_gradient_matches_finite_differences():
    x, y = _samples(10, n=6, m=5, d=2)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a: mmd2(a, y, bandwidths=(0.7, 2.0), chunk=2), (x,))


def test_generator_step_reduces_mmd():
    # one gradient step on the fake samples lowers MMD², as the mmd objective relies on (GAN analysis slides, eq. 13)
    real, fake = _samples(11, n=64, m=64, shift=1.5)
    fake = fake.float().requires_grad_(True)
    loss = mmd2(real.float(), fake)
    assert loss.dtype == torch.float32 and loss.dim() == 0
    loss.backward()
    with torch.no_grad():
        after = mmd2(real.float(), fake - 50.0 * fake.grad)
    assert float(after) < float(loss.detach())


def test_median_bandwidth_by_hand():
    x = torch.tensor([[0.0], [1.0]], dtype=F64)
    y = torch.tensor([[3.0]], dtype=F64)
    assert median_bandwidth(x, y) == pytest.approx(2.0)  # distances 1, 2, 3
    value = mmd2(x, y, bandwidths="median", unbiased=False)
    assert float(value) == pytest.approx(float(mmd2(x, y, bandwidths=(1.0, 2.0, 4.0), unbiased=False)))


def test_numpy_input_and_1d_vectors():
    g = np.random.default_rng(0)
    a, b = g.normal(size=50), g.normal(size=40)
    assert float(mmd2(a, b)) == pytest.approx(
        float(mmd2(torch.from_numpy(a)[:, None], torch.from_numpy(b)[:, None]))
    )


@pytest.mark.parametrize(
    ("x", "y", "kwargs"),
    [
        (torch.zeros(3, 2), torch.zeros(3, 3), {}),
        (torch.zeros(0, 2), torch.zeros(3, 2), {}),
        (torch.tensor([[0.0], [float("nan")]]), torch.zeros(3, 1), {}),
        (torch.zeros(3, 1), torch.zeros(3, 1), {"kernel": "laplace"}),
        (torch.zeros(3, 1), torch.zeros(3, 1), {"bandwidths": [1.0, -1.0]}),
        (torch.zeros(3, 1), torch.zeros(3, 1), {"bandwidths": "mean"}),
        (torch.zeros(1, 1), torch.zeros(3, 1), {}),
        (torch.zeros(3, 1), torch.zeros(3, 1), {"chunk": 0}),
    ],
)
def test_bad_input_is_a_user_error(x, y, kwargs):
    with pytest.raises(UserError):
        mmd2(x, y, **kwargs)


@pytest.mark.parametrize("chunk", [None, 1, 7])
def test_both_statistics_from_one_pass_equal_the_definitions(chunk):
    """mmd2_statistics: (U, V) equal the naive definitions; U and V differ (a swapped pair would fail)."""
    x, y = _samples(3, n=50, m=41)
    sig = (0.5, 2.0)
    u, v = mmd2_statistics(x, y, bandwidths=sig, chunk=chunk)
    k = lambda r2: rbf_kernel(r2, sig)  # noqa: E731
    assert float(u) == pytest.approx(_naive_mmd2(x, y, k, True), rel=1e-10, abs=1e-14)
    assert float(v) == pytest.approx(_naive_mmd2(x, y, k, False), rel=1e-10, abs=1e-14)
    assert abs(float(u) - float(v)) > 1e-3


@pytest.mark.parametrize(("chunk", "skip"), [(None, False), (None, True), (4, True), (9, False)])
def test_within_sample_sum_over_the_triangle_has_the_full_sum_and_gradient(chunk, skip):
    """pair_sum(x, x, same=True) takes i < j twice and i = j once: the value and the gradient equal the
    full n × n sum's; the strict lower triangle alone (half the off-diagonal mass) would not."""
    from divergan.estimators._pairwise import pair_sum

    x = _samples(4, n=37)[0].requires_grad_(True)
    h = lambda r2: torch.exp(-r2 / 3) + r2  # noqa: E731  (h(0) = 1: the diagonal counts)
    got = pair_sum(x, x, h, same=True, skip_diagonal=skip, chunk=chunk)
    full = h(((x[:, None] - x[None]) ** 2).sum(-1))
    if skip:
        full = full * (1 - torch.eye(len(x), dtype=F64))
    ref = full.sum()
    (g_got,) = torch.autograd.grad(got, x)
    (g_ref,) = torch.autograd.grad(ref, x)
    assert float(got.detach()) == pytest.approx(float(ref.detach()), rel=1e-12)
    torch.testing.assert_close(g_got, g_ref, rtol=1e-10, atol=1e-12)
    lower = full.detach().tril(-1).sum()
    assert abs(float(lower) - float(ref.detach())) > 1.0
