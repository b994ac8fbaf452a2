r"""Memorisation check: are generated images closer to the training images than unseen real images are?

With d(x, S) = min_{s ∈ S} ‖x − s‖₂ the distance to the nearest training image, a generator that
copies its training set has d(G(z), S_train) ≈ 0, far below the distances d(x', S_train) of held-out
real images x' (which were never trained on). A generator that has learnt the distribution has both
distributions of distances alike: ratio of medians ≈ 1 (or above: samples are usually less sharp), and
about 1 % of samples below the 1 % quantile of the held-out distances.
"""

from __future__ import annotations

import torch
from torch import Tensor


def nearest_distances(x: Tensor, reference: Tensor, chunk: int = 1024) -> Tensor:
    """(n,) Euclidean distance from each row of x (n, ...) to its nearest row of reference (m, ...).

    >>> nearest_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]), torch.tensor([[0.0, 1.0], [3.0, 4.0]]))
    tensor([1., 0.])
    """
    x, reference = x.flatten(1).double(), reference.flatten(1).double()
    out = torch.empty(len(x), dtype=torch.float64)  # in place: no small results between large blocks
    for start in range(0, len(x), chunk):
        out[start : start + chunk] = torch.cdist(x[start : start + chunk], reference).min(dim=1).values
    return out.float()


def memorisation(fake: Tensor, train: Tensor, held_out: Tensor, quantile: float = 0.01) -> dict[str, float]:
    r"""Nearest-training-image distances of samples vs of held-out real images.

    Args:
        fake: (n, ...) generated samples; train: (m, ...) training data; held_out: (k, ...) real data
            not trained on; all in the same units.
        quantile: q for the copy threshold τ = q-quantile of d(held_out, train).

    Returns:
        ``nn_fake_median`` = median d(fake, train), ``nn_held_out_median`` = median d(held_out, train),
        ``memorisation_ratio`` = their quotient (≪ 1: copies), ``copy_fraction`` = share of samples
        with d(fake, train) < τ (≈ q when nothing is copied, 1 for a generator that replays training
        images).
    """
    d_fake = nearest_distances(fake, train)  # (n,)
    d_held = nearest_distances(held_out, train)  # (k,)
    tau = torch.quantile(d_held.double(), quantile)
    med_fake, med_held = float(d_fake.median()), float(d_held.median())
    return {
        "nn_fake_median": med_fake,
        "nn_held_out_median": med_held,
        "memorisation_ratio": med_fake / med_held if med_held > 0 else float("inf"),
        "copy_fraction": float((d_fake.double() < tau).double().mean()),
    }
