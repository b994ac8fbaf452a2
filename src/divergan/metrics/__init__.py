"""Sample-quality metrics: pure math on samples (mode coverage, W1, MMD) and a registry by name."""

from divergan.metrics.distances import mmd, w1
from divergan.metrics.modes import mode_metrics, nearest_modes
from divergan.metrics.registry import BASE, Metric, evaluate, get_metric, names

__all__ = ["BASE", "Metric", "evaluate", "get_metric", "mmd", "mode_metrics", "names", "nearest_modes", "w1"]
