"""The pictures and event files a run writes while it trains and when it ends: image grids
(:mod:`~divergan.figures.grids`), latent interpolation and arithmetic (:mod:`~divergan.figures.images`),
matplotlib figures of runs (:mod:`~divergan.figures.plots`) and TensorBoard events
(:mod:`~divergan.figures.tensorboard`).

They sit below :mod:`divergan.train` (which writes them, through its hooks) and :mod:`divergan.report`
(which shows them): ``nn/data ← figures ← train ← apps ← report``. They read data, never a run's
networks by name; the old names ``divergan.report.grids`` etc. are the same modules.
"""
