"""Sample-quality metrics: pure math on samples (mode coverage, W1, MMD) and a registry by name.

The names below are loaded on first use (PEP 562): W1 needs POT and the estimators, which a training
run imports only when it evaluates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from divergan._lazy import lazy

if TYPE_CHECKING:
    from divergan.metrics.distances import mmd, w1
    from divergan.metrics.modes import mode_metrics, nearest_modes
    from divergan.metrics.registry import BASE, Metric, evaluate, get_metric, names

_WHERE = {
    **dict.fromkeys(["mmd", "w1"], "divergan.metrics.distances"),
    **dict.fromkeys(["mode_metrics", "nearest_modes"], "divergan.metrics.modes"),
    **dict.fromkeys(["BASE", "Metric", "evaluate", "get_metric", "names"], "divergan.metrics.registry"),
}

__all__ = ["BASE", "Metric", "evaluate", "get_metric", "mmd", "mode_metrics", "names", "nearest_modes", "w1"]


__getattr__, __dir__ = lazy(globals(), _WHERE)
