"""Hyperparameter search on Optuna: ``divergan tune`` (docs/tune.md).

- :mod:`divergan.tune.space`: ``KEY=SPEC`` search spaces, checked against the config before any trial;
- :mod:`divergan.tune.metrics`: the metric a search optimises, its direction, what can feed a pruner;
- :mod:`divergan.tune.storage`: a journal file or an SQLAlchemy URL, both with heartbeats for dead workers;
- :mod:`divergan.tune.search`: one worker of a study; :mod:`divergan.tune.output`: its files.

Only ``space`` and ``metrics`` load without Optuna.
"""
