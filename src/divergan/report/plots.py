"""Moved to :mod:`divergan.figures.plots` (the pictures a run writes sit below the trainer, which writes
them); this name is the same module, kept for existing imports."""

import sys

from divergan.figures import plots as _module

sys.modules[__name__] = _module
