"""The RBF kernel's exponent, clamped before ``exp``: what the clamp buys (docs/benchmarks.md).

torch's vectorised CPU ``exp`` is many times slower per element when its argument underflows (the
result is not a normal number), and an RBF mixture with bandwidths below the data's spread underflows
on most pairs. ``divergan.estimators.mmd.rbf_kernel`` clamps the exponent at log(smallest normal) + 1
(``exponent_floor``). This script times, at one thread:

1. ``exp`` of a 256 x 256 block whose exponents are all in [-2, 0] and all in [-3000, 0], with and
   without the clamp, float32 and float64;
2. the unbiased MMD² with its gradient (the loss of the critic-free MMD generator: 256 data points
   against 256 generated ones in 2-D, six bandwidths 0.02-1, the lab's moment-matching setting);
3. the lab's ``moment-matching`` experiment (``--quick``: 1,500 such steps, then its judgement).

"before" is the kernel as it was (``old_rbf_kernel`` below, swapped in for ``rbf_kernel``), the rest of
the code the same.

    python benchmarks/kernel_exp.py            # about 2 minutes; rewrites the section in docs/benchmarks.md
"""

from __future__ import annotations

import importlib
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import torch

from _doc import ROOT, machine, write_section

RESULTS = ROOT / "benchmarks" / "results" / "kernel_exp.json"
SIZE = 256


def old_rbf_kernel(sq_dist, bandwidths):
    """The kernel as it was before 2 December: no clamp."""
    if not (torch.is_grad_enabled() and sq_dist.requires_grad):
        out, term = torch.zeros_like(sq_dist), torch.empty_like(sq_dist)
        for s in bandwidths:
            out.add_(torch.mul(sq_dist, -0.5 / (s * s), out=term).exp_())
        return out.div_(len(bandwidths))
    out = torch.zeros_like(sq_dist)
    for s in bandwidths:
        out = out + torch.exp(sq_dist * (-0.5 / (s * s)))
    return out / len(bandwidths)


def per_call(fn, reps: int) -> float:
    """Median of 5 repetitions of ``reps`` calls: milliseconds per call."""
    fn()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) / reps * 1e3)
    return sorted(times)[2]


def bench_exp() -> list[dict]:
    from divergan.estimators.mmd import exponent_floor

    rows = []
    g = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        floor = exponent_floor(dtype)
        for low in (-2.0, -3000.0):
            a = torch.rand(SIZE, SIZE, generator=g, dtype=dtype) * low
            rows.append(
                {
                    "dtype": str(dtype).removeprefix("torch."),
                    "exponents": f"[{low:g}, 0]",
                    "underflow": float((a < floor).double().mean()),
                    "exp_ms": per_call(lambda a=a: torch.exp(a), 200),
                    "clamp_exp_ms": per_call(lambda a=a, f=floor: torch.exp(a.clamp(min=f)), 200),
                }
            )
    return rows


@contextmanager
def kernel(fn) -> Iterator[ModuleType]:
    """The MMD module with ``fn`` as its "rbf" kernel for the block (every MMD in divergan looks it up
    there), put back after."""
    module = importlib.import_module("divergan.estimators.mmd")
    saved = module.KERNELS["rbf"]
    module.KERNELS["rbf"] = fn
    try:
        yield module
    finally:
        module.KERNELS["rbf"] = saved


def mmd_step_ms(fn) -> float:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(SIZE, 2, generator=g)
    y = (torch.randn(SIZE, 2, generator=g) * 0.5).requires_grad_(True)
    bandwidths = [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    with kernel(fn) as module:

        def step():
            module.mmd2(x, y, kernel="rbf", bandwidths=bandwidths, unbiased=True).backward()

        return per_call(step, 50)


def moment_matching_seconds(fn) -> tuple[float, bool]:
    from divergan.lab import get_experiment, run_experiment

    with kernel(fn), tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_experiment(get_experiment("moment-matching"), quick=True, seed=0, out=Path(tmp))
        return time.perf_counter() - t0, bool(result["holds"])


def main() -> None:
    torch.set_num_threads(1)
    from divergan.estimators.mmd import rbf_kernel

    exp_rows = bench_exp()
    step = {"before": mmd_step_ms(old_rbf_kernel), "after": mmd_step_ms(rbf_kernel)}
    lab_before, holds_before = moment_matching_seconds(old_rbf_kernel)
    lab_after, holds_after = moment_matching_seconds(rbf_kernel)
    result = {
        "exp": exp_rows,
        "mmd_step_ms": step,
        "moment_matching_s": {"before": lab_before, "after": lab_after},
        "moment_matching_holds": {"before": holds_before, "after": holds_after},
        "machine": machine(),
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "| 256 × 256 block, one thread | share of exponents below the floor | `exp` ms | clamp, then `exp`, ms |",
        "|---|---|---|---|",
    ]
    for r in exp_rows:
        lines.append(
            f"| {r['dtype']}, exponents in {r['exponents']} | {r['underflow']:.0%} | {r['exp_ms']:.3f} "
            f"| {r['clamp_exp_ms']:.3f} |"
        )
    lines += [
        "",
        "| one thread | before (no clamp) | after |",
        "|---|---|---|",
        f"| unbiased MMD² and its gradient, 256 + 256 points in 2-D, six bandwidths 0.02–1, ms | "
        f"{step['before']:.2f} | {step['after']:.2f} |",
        f"| `divergan lab moment-matching --quick` (1,500 such steps and the judgement), s | {lab_before:.1f} "
        f"(holds: {holds_before}) | {lab_after:.1f} (holds: {holds_after}) |",
        "",
        f"`python benchmarks/kernel_exp.py`; {machine()}.",
    ]
    write_section("kernel-exp", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
