"""Known distributions whose divergences divergan computes exactly.

Two kinds, both plain frozen data:

* :class:`Normal` — a Gaussian with diagonal covariance in d ≥ 1 dimensions, N(μ, diag(σ²)).
* :class:`Discrete` — a probability vector on the integers 0..K−1.

Specs as typed on the command line are parsed by :func:`parse_spec`:
``normal:MU,SIGMA`` (1-D), ``normal:MU1;MU2,SIGMA1;SIGMA2`` (diagonal n-D) and
``discrete:P1,P2,...``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import ndtr

from divergan.errors import UserError

#: how far |sum(p) − 1| may be from 0 before a probability vector is rejected
SUM_TOLERANCE = 1e-6
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class Normal:
    """N(mu, diag(sigma²)); ``mu`` and ``sigma`` are tuples of equal length d ≥ 1, every sigma > 0."""

    mu: tuple[float, ...]
    sigma: tuple[float, ...]

    def __post_init__(self) -> None:
        mu = _as_tuple(self.mu, "mu")
        sigma = _as_tuple(self.sigma, "sigma")
        if len(mu) != len(sigma):
            raise UserError(f"normal: mu has {len(mu)} coordinates but sigma has {len(sigma)}")
        if any(s <= 0 for s in sigma):
            raise UserError(f"normal: every sigma must be > 0, got {', '.join(f'{s:g}' for s in sigma)}")
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "sigma", sigma)

    @property
    def dim(self) -> int:
        return len(self.mu)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n samples, shape (n, d)."""
        return rng.normal(self.mu, self.sigma, size=(n, self.dim))

    # 1-D helpers (d = 1) used by quadrature
    def logpdf(self, x: np.ndarray | float) -> np.ndarray:
        """log N(x; μ, σ²) = −((x − μ)/σ)²/2 − log σ − log(2π)/2, written out: quadrature calls it
        at one point at a time, where scipy.stats' per-call overhead is ~30× the arithmetic."""
        u = (np.asarray(x, dtype=np.float64) - self.mu[0]) / self.sigma[0]
        return -0.5 * u * u - (math.log(self.sigma[0]) + _HALF_LOG_2PI)

    def cdf(self, x: np.ndarray | float) -> np.ndarray:
        """Φ((x − μ)/σ) by scipy.special.ndtr, the function stats.norm.cdf evaluates (without its overhead)."""
        return ndtr((np.asarray(x, dtype=np.float64) - self.mu[0]) / self.sigma[0])

    def ppf(self, t: np.ndarray | float) -> np.ndarray:
        return stats.norm.ppf(t, self.mu[0], self.sigma[0])

    def __str__(self) -> str:
        join = ";".join
        return f"normal:{join(f'{m:g}' for m in self.mu)},{join(f'{s:g}' for s in self.sigma)}"


@dataclass(frozen=True)
class Discrete:
    """A probability vector on the support 0, 1, ..., K−1 (non-negative, summing to 1)."""

    probs: tuple[float, ...]

    def __post_init__(self) -> None:
        probs = _as_tuple(self.probs, "probabilities")
        if any(p < 0 for p in probs):
            raise UserError(f"discrete: probabilities must be >= 0, got {', '.join(f'{p:g}' for p in probs)}")
        total = math.fsum(probs)
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise UserError(f"discrete: probabilities must sum to 1, they sum to {total:.10g}")
        object.__setattr__(self, "probs", probs)

    @property
    def dim(self) -> int:
        return 1

    @property
    def support(self) -> np.ndarray:
        return np.arange(len(self.probs), dtype=np.float64)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n samples of the support points, shape (n, 1)."""
        return rng.choice(len(self.probs), size=(n, 1), p=np.asarray(self.probs)).astype(np.float64)

    def __str__(self) -> str:
        return "discrete:" + ",".join(f"{p:g}" for p in self.probs)


Distribution = Normal | Discrete


def _as_tuple(values: object, what: str) -> tuple[float, ...]:
    seq = (values,) if isinstance(values, int | float) else values
    try:
        out = tuple(float(v) for v in seq)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise UserError(f"{what} must be numbers, got {values!r}") from None
    if not out:
        raise UserError(f"{what} must not be empty")
    if not all(math.isfinite(v) for v in out):
        raise UserError(f"{what} must be finite numbers, got {', '.join(f'{v:g}' for v in out)}")
    return out


def _numbers(text: str, what: str, spec: str) -> tuple[float, ...]:
    parts = [s.strip() for s in text.split(";")]
    try:
        values = tuple(float(s) for s in parts)
    except ValueError:
        raise UserError(f"bad {what} in spec {spec!r}: {text!r} is not a number") from None
    if not all(math.isfinite(v) for v in values):
        raise UserError(f"bad {what} in spec {spec!r}: numbers must be finite")
    return values


def parse_spec(spec: str) -> Distribution:
    """Parse a distribution spec such as ``normal:0,1``, ``normal:0;1,1;2`` or ``discrete:0.2,0.8``.

    Raises:
        UserError: for an unknown scheme or malformed numbers (one line, fit for ``error: ...``).
    """
    if not isinstance(spec, str) or ":" not in spec:
        raise UserError(f"bad spec {spec!r}: expected SCHEME:ARGS (normal:MU,SIGMA or discrete:P1,P2,...)")
    scheme, _, body = spec.partition(":")
    scheme = scheme.strip().lower()
    if scheme == "normal":
        fields = body.split(",")
        if len(fields) != 2:
            raise UserError(f"bad spec {spec!r}: normal takes MU,SIGMA (use ';' between coordinates)")
        return Normal(_numbers(fields[0], "MU", spec), _numbers(fields[1], "SIGMA", spec))
    if scheme == "discrete":
        fields = [s.strip() for s in body.split(",")]
        try:
            probs = tuple(float(s) for s in fields)
        except ValueError:
            raise UserError(f"bad spec {spec!r}: probabilities must be numbers") from None
        if not all(math.isfinite(p) for p in probs):
            raise UserError(f"bad spec {spec!r}: probabilities must be finite")
        return Discrete(probs)
    raise UserError(f"unknown scheme {scheme!r} in spec {spec!r}; use normal:MU,SIGMA or discrete:P1,P2,...")
