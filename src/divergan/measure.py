"""One entry point for every divergence and distance: exact where the laws are known, estimated from
samples otherwise, always saying which (the ``method`` of the returned :class:`Estimate`).

>>> from divergan.divergences import Normal
>>> measure("kl", Normal((0.0,), (1.0,)), Normal((1.0,), (1.0,))).value
0.5
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from divergan.divergences import Distribution, Normal, f_divergence_with_method, parse_spec, wasserstein
from divergan.divergences import get as get_fdivergence
from divergan.divergences import names as fdivergence_names
from divergan.errors import UserError
from divergan.estimators import IPMS, Estimate, fit_variational_bound, kl_knn, nn_divergence

#: distances defined through a critic class, only ever estimated from samples (Zhang lecture notes)
CRITIC_CLASS = {"nn-divergence": nn_divergence}

#: samples drawn from a known law when a distance has no exact method for it
DEFAULT_SAMPLES = 2000

Source = Distribution | np.ndarray


def names() -> list[str]:
    """Every name ``measure`` accepts: the f-divergences, then the integral probability metrics."""
    return [*fdivergence_names(), *IPMS, *CRITIC_CLASS]


def load_source(spec: str) -> Source:
    """A SPEC (``normal:MU,SIGMA``, ``discrete:P1,...``) or a path to a .npy/.csv file of samples (n, d)."""
    if Path(spec).suffix.lower() in {".npy", ".csv"} or Path(spec).exists():
        from divergan.data import load_array

        points = load_array(spec, dtype=np.float64).points  # float32 would make distinct values equal
        return points.numpy().reshape(len(points), -1)
    return parse_spec(spec)


def _samples(source: Source, n: int, rng: np.random.Generator) -> np.ndarray:
    return source if isinstance(source, np.ndarray) else source.sample(n, rng)


def _dim(source: Source) -> int:
    return source.shape[1] if isinstance(source, np.ndarray) else source.dim


def measure(
    name: str,
    p: Source,
    q: Source,
    *,
    pi: float | None = None,
    alpha: float | None = None,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> Estimate:
    """D(P‖Q) for any registered name; P and Q are known laws or arrays of samples of shape (n, d).

    * f-divergences between known laws: exact (closed form, exact sum, or quadrature).
    * f-divergences with samples: ``kl``/``reverse-kl``/``jeffrey`` by the k-NN estimator; the rest
      by the variational lower bound of the GAN analysis slides, eq. 5 with a trained critic, with a 95% interval.
    * ``wasserstein-1``/``wasserstein-2`` between 1-D laws (or Gaussians, order 2): exact; otherwise
      exact optimal transport between samples (POT). Other distances are estimated from samples.
    A known law on one side of a sample-based estimate contributes as many samples as the other side
    has (or ``samples`` if both sides are laws), drawn with ``seed``; the method says so.
    """
    if _dim(p) != _dim(q):
        raise UserError(f"P has dimension {_dim(p)} but Q has dimension {_dim(q)}")
    if samples <= 1:
        raise UserError(f"--samples must be at least 2, got {samples}")
    known = not isinstance(p, np.ndarray) and not isinstance(q, np.ndarray)
    if name in fdivergence_names():
        fdiv = get_fdivergence(name, pi=pi, alpha=alpha)
        if known:
            value, method = f_divergence_with_method(fdiv, p, q)
            return Estimate(value=value, method=method)
    elif name in IPMS or name in CRITIC_CLASS:
        if pi is not None or alpha is not None:
            raise UserError(f"{name} takes no --pi/--alpha")
        if known and name in ("wasserstein-1", "wasserstein-2"):
            try:
                value = wasserstein(p, q, order=int(name[-1]))
                return Estimate(value=value, method="exact (quantile functions / closed form)")
            except UserError:
                pass  # no exact method for these laws: fall through to optimal transport on samples
    else:
        raise UserError(f"unknown divergence {name!r}; run 'divergan divergences' for the list")

    rng = np.random.default_rng(seed)
    n_p = len(q) if isinstance(q, np.ndarray) and not isinstance(p, np.ndarray) else samples
    n_q = len(p) if isinstance(p, np.ndarray) and not isinstance(q, np.ndarray) else samples
    x, y = _samples(p, n_p, rng), _samples(q, n_q, rng)
    drawn = [
        f"{len(x)} samples drawn from {p}" if not isinstance(p, np.ndarray) else None,
        f"{len(y)} samples drawn from {q}" if not isinstance(q, np.ndarray) else None,
    ]
    note = "; ".join(d for d in drawn if d)
    est = _estimate(name, x, y, pi=pi, alpha=alpha, seed=seed)
    if note:
        est = Estimate(value=est.value, method=f"{est.method} ({note})", ci=est.ci, extras=est.extras)
    return est


def _estimate(
    name: str, x: np.ndarray, y: np.ndarray, *, pi: float | None, alpha: float | None, seed: int
) -> Estimate:
    if name in IPMS:
        return IPMS[name](x, y)
    if name in CRITIC_CLASS:
        return CRITIC_CLASS[name](x, y, seed=seed)
    knn = "k-NN estimator (Wang, Kulkarni & Verdú 2009, k = 1)"
    if name == "kl":
        return Estimate(value=kl_knn(x, y), method=knn)
    if name == "reverse-kl":
        return Estimate(value=kl_knn(y, x), method=f"{knn} with P and Q swapped")
    if name == "jeffrey":
        return Estimate(value=kl_knn(x, y) + kl_knn(y, x), method=f"{knn}, both directions summed")
    fdiv = get_fdivergence(name, pi=pi, alpha=alpha)
    return fit_variational_bound(fdiv, x, y, seed=seed)


def as_json(name: str, est: Estimate, params: dict[str, float | None]) -> dict:
    """The ``--json`` object: ``divergence``, ``value`` (number or Infinity), ``method``, ``ci``, params."""
    out: dict = {"divergence": name, "value": est.value, "method": est.method}
    out.update({k: v for k, v in params.items() if v is not None})
    if est.ci is not None:
        out["ci95"] = list(est.ci)
    if est.extras:
        out["extras"] = est.extras
    return out


def format_value(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.10g}"


__all__ = ["DEFAULT_SAMPLES", "Normal", "as_json", "format_value", "load_source", "measure", "names"]
