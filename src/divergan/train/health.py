"""The one NaN policy of every trainer: a non-finite loss or gradient norm stops the run at that step
with :class:`TrainingDiverged` (one ``error:`` line on the command line), and the checkpoints already
written are left as they were. (A sweep, which trains many models at once, instead marks the one model
as diverged and goes on with the others: its rows say which quantity became NaN/Inf and when.)"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from divergan.errors import UserError


class TrainingDiverged(UserError):
    """A loss or gradient became NaN/Inf; the last good checkpoint is left as it was."""


def check_finite(step: int, values: list[tuple[str, Tensor | float]]) -> None:
    """One finiteness test for all of a step's losses and norms; names the first that is not finite."""
    if not values:
        return
    stacked = torch.stack([torch.as_tensor(v).detach().float().cpu().reshape(()) for _, v in values])
    if not bool(torch.isfinite(stacked).all()):
        name, value = next((n, float(v)) for n, v in values if not math.isfinite(float(v)))
        raise TrainingDiverged(f"{name} became {value} at step {step}; earlier checkpoints are intact")
