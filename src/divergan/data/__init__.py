"""Real samples for training and evaluation: toy distributions with known modes and user arrays."""

from divergan.data.arrays import load_array
from divergan.data.base import Dataset
from divergan.data.registry import DATASETS, get_dataset, names
from divergan.data.toy import gaussian_mixture, grid_modes, ring_modes

__all__ = [
    "DATASETS",
    "Dataset",
    "gaussian_mixture",
    "get_dataset",
    "grid_modes",
    "load_array",
    "names",
    "ring_modes",
]
