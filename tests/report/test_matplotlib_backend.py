"""Plotting leaves matplotlib's global state alone: a notebook that imports divergan (or trains a run)
keeps its backend, and no figure is left registered with pyplot."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    import matplotlib
    matplotlib.use("svg")  # what a notebook's inline backend stands for: anything but Agg
    import torch
    from divergan.report import html, plots, tensorboard
    out = Path(tempfile.mkdtemp())
    real, fake = torch.randn(50, 2), torch.randn(50, 2)
    plots.plot_samples(out / "s.png", real, fake, torch.nn.Linear(2, 1), "t")
    plots.plot_curves(out / "c.png", [{"step": 1, "loss_d": 1.0, "loss_g": 2.0}, {"step": 2, "loss_d": 0.5}])
    html.curves_figure([{"step": 1, "a": 1.0}, {"step": 2, "a": 2.0}], [("a", ("a",), False)])
    tensorboard.figure_pixels(plots.samples_figure(real, fake, None, "t"))
    assert (out / "s.png").read_bytes()[:4] == b"\\x89PNG" and (out / "c.png").stat().st_size > 1000
    print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules and len(sys.modules["matplotlib.pyplot"].get_fignums()))
    """
)


def test_plots_keep_the_backend_and_leave_no_pyplot_figures():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    backend, figures = done.stdout.split()
    assert backend == "svg"
    assert figures in ("False", "0")  # pyplot never imported, or no figure registered with it
