"""SSIM's Gaussian window as two 1-D convolutions, without oneDNN: what it buys (docs/benchmarks.md).

``divergan.metrics.similarity.ssim`` blurs five maps (u, v, u², v², uv) with the standard 11 × 11
Gaussian window. It used to run one 2-D convolution per map through oneDNN (torch's default CPU
convolutions); it now blurs each map with the separable window (a column, then a row) and switches
oneDNN off for that block (torch's own kernels are faster for one channel per group). This
script times both on glyph-sized batches (32 px, one thread) and checks that they agree.

    python benchmarks/ssim_speed.py            # about a minute; rewrites the section in docs/benchmarks.md
"""

from __future__ import annotations

import json
import time

import torch
from torch.nn import functional as F

from _doc import ROOT, machine, write_section
from divergan.metrics.similarity import gaussian_window, ssim_of_intensities

RESULTS = ROOT / "benchmarks" / "results" / "ssim_speed.json"


def old_ssim(x, y, window: int = 11, sigma: float = 1.5):
    """SSIM as computed before 2 December: a 2-D window, one convolution per map, oneDNN on (the formula
    after the blurs is the library's, unchanged)."""
    u, v = (x + 1) / 2, (y + 1) / 2
    C = u.shape[1]
    g = gaussian_window(window, sigma, u.dtype)
    kernel = (g[:, None] * g[None, :]).expand(C, 1, window, window)
    return ssim_of_intensities(u, v, lambda t: F.conv2d(t, kernel, groups=C))


def seconds(fn, reps: int = 3) -> float:
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main() -> None:
    from divergan.metrics.similarity import ssim

    torch.set_num_threads(1)
    rows = []
    g = torch.Generator().manual_seed(0)
    for n in (602, 6462, 12924):  # the glyph preset's held-out pairs, its training characters, both fonts'
        x = torch.rand(n, 1, 32, 32, generator=g) * 2 - 1
        y = (x + 0.5 * torch.randn(n, 1, 32, 32, generator=g)).clamp(-1, 1)
        diff = float((ssim(x, y) - old_ssim(x, y)).abs().max())
        rows.append(
            {
                "pairs": n,
                "before_s": seconds(lambda x=x, y=y: old_ssim(x, y)),
                "after_s": seconds(lambda x=x, y=y: ssim(x, y)),
                "max_diff": diff,
            }
        )
    RESULTS.write_text(json.dumps({"rows": rows, "machine": machine()}, indent=1) + "\n")
    lines = [
        "| pairs of 32-px glyphs, float32, one thread | before: 2-D window, oneDNN, s | after: separable, no oneDNN, s | largest difference |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['pairs']:,} | {r['before_s']:.3f} | {r['after_s']:.3f} | {r['max_diff']:.1e} |")
    lines += ["", f"`python benchmarks/ssim_speed.py`; {machine()}."]
    write_section("ssim-speed", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
