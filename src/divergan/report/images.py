"""Moved to :mod:`divergan.figures.images` (the pictures a run writes sit below the trainer, which writes
them); this name is the same module, kept for existing imports."""

import sys

from divergan.figures import images as _module

sys.modules[__name__] = _module
