"""The metric a search optimises: a name from a run's final metrics, its direction, and pruning.

``--metric NAME`` reads ``final_metrics.json[direct][NAME]``: the generator's own samples.
``--metric SAMPLER.NAME`` (``mh.high_quality``, ``drs.w1``) reads the metrics of a density-ratio sampler;
the trials then run with that sampler.

Flat (toy) data: ``w1``, ``mmd``; with known modes (grid25, ring8, ...) also ``modes``,
``high_quality``, ``reverse_kl``; with a ratio sampler ``acceptance``. Images: ``fd``, ``kid_mean``,
``kid_std``, ``precision``, ``recall``, ``density``, ``coverage``, ``modes``, ``kl_uniform``,
``label_accuracy`` (conditional runs), and the memorisation check's ``memorisation_ratio``,
``copy_fraction``, ``nn_fake_median``.

>>> parse("high_quality")
('direct', 'high_quality')
>>> default_direction("w1"), default_direction("modes")
('minimize', 'maximize')
"""

from __future__ import annotations

from typing import Any

from divergan.errors import UserError

MAXIMIZE = frozenset(
    {"modes", "high_quality", "precision", "recall", "density", "coverage", "label_accuracy", "acceptance"}
)
MINIMIZE = frozenset({"reverse_kl", "w1", "mmd", "fd", "kid_mean", "kl_uniform", "copy_fraction"})
#: named without a better direction: the user must say which (--direction)
NEUTRAL = frozenset({"kid_std", "memorisation_ratio", "nn_fake_median", "nn_held_out_median"})
#: the metrics the training loop logs at each evaluation (metrics.jsonl), which can feed a pruner
LOGGED = frozenset({"modes", "high_quality", "reverse_kl"})
SAMPLERS = ("direct", "drs", "mh")


def parse(metric: str) -> tuple[str, str]:
    """``NAME`` -> ("direct", NAME); ``SAMPLER.NAME`` -> (SAMPLER, NAME)."""
    sampler, dot, name = metric.rpartition(".")
    if not dot:
        return "direct", metric
    if sampler not in SAMPLERS:
        raise UserError(f"--metric {metric!r}: the part before '.' must be a sampler ({', '.join(SAMPLERS)})")
    return sampler, name


def available(is_image: bool, has_modes: bool, sampler: str, conditional: bool, held_out: bool) -> list[str]:
    """The metric names a run's final metrics hold for this kind of data and sampler."""
    if is_image:
        names = ["fd", "kid_mean", "kid_std", "precision", "recall", "density", "coverage"]
        names += ["modes", "kl_uniform"] + (["label_accuracy"] if conditional else [])
        if held_out:
            names += ["memorisation_ratio", "copy_fraction", "nn_fake_median", "nn_held_out_median"]
        return names
    names = (["modes", "high_quality", "reverse_kl"] if has_modes else []) + ["w1", "mmd"]
    return names + (["acceptance"] if sampler != "direct" else [])


def default_direction(name: str) -> str:
    """``maximize`` or ``minimize`` for a named metric; UserError where it has no natural direction."""
    if name in MAXIMIZE:
        return "maximize"
    if name in MINIMIZE:
        return "minimize"
    raise UserError(f"--metric {name} has no default direction; add --direction maximize or minimize")


def value(final: dict[str, Any], sampler: str, name: str) -> float:
    """The metric from a run's final metrics, as a float (NaN/inf are returned as they are)."""
    block = final.get(sampler)
    if not isinstance(block, dict) or name not in block:
        have = sorted(k for k, v in (block or {}).items() if isinstance(v, int | float))
        raise UserError(
            f"--metric {name}: the runs' final metrics ({sampler}) have no such value; they have: {', '.join(have)}"
        )
    v = block[name]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise UserError(f"--metric {name} is not a number in the final metrics")
    return float(v)
