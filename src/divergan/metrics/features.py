r"""Sample-quality metrics in a feature space: pure math on (N, D) feature matrices.

Feature extraction lives in :mod:`divergan.metrics.feature_net` and :mod:`divergan.metrics.images`;
the functions here see only features (TF-GAN's ``..._from_activations`` split), so they can be checked
against closed forms on Gaussians.

* :func:`frechet_distance_from_stats` / :func:`frechet_distance_from_features`: the Fréchet (2-Wasserstein)
  distance between the Gaussians with the two samples' means and covariances (Heusel et al. 2017).
* :func:`kid_from_features`: the kernel inception distance, unbiased MMD² with the cubic polynomial
  kernel, averaged over random subsets (Bińkowski et al. 2018).
* :func:`prdc_from_features`: precision and recall (Kynkäänniemi et al. 2019), density and coverage
  (Naeem et al. 2020), from k-nearest-neighbour balls, in blocks of rows so memory stays bounded.
* :func:`class_histogram_metrics` and :func:`stacked_mode_metrics`: mode counts and KL to uniform of a
  classifier's labels (docs/protocols.md, stacked MNIST).

Everything is computed in float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from divergan.errors import UserError
from divergan.estimators._pairwise import rows_per_chunk, squared_distances


def _features(x: Tensor, name: str, min_rows: int = 1) -> Tensor:
    x = torch.as_tensor(x).detach()
    if x.dim() != 2:
        raise UserError(f"{name} features must be a (N, D) matrix, got shape {tuple(x.shape)}")
    if x.shape[0] < min_rows:
        raise UserError(f"{name} features need at least {min_rows} rows, got {x.shape[0]}")
    x = x.to(torch.float64)
    if not bool(torch.isfinite(x).all()):
        raise UserError(f"{name} features contain NaN or infinite values")
    return x


def _same_width(a: Tensor, b: Tensor) -> None:
    if a.shape[1] != b.shape[1]:
        raise UserError(f"real features have {a.shape[1]} dimensions but fake features have {b.shape[1]}")


def mean_and_covariance(features: Tensor) -> tuple[Tensor, Tensor]:
    r"""μ = (1/N) Σ_i x_i and the unbiased Σ = (1/(N−1)) Σ_i (x_i − μ)(x_i − μ)ᵀ of (N, D) features.

    Returns:
        μ (D,) and Σ (D, D), float64.
    """
    x = _features(features, "input", min_rows=2)
    mu = x.mean(0)
    centred = x - mu
    return mu, centred.T @ centred / (x.shape[0] - 1)


def _psd_sqrt(s: Tensor) -> Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix, by eigendecomposition."""
    evals, evecs = torch.linalg.eigh((s + s.T) / 2)
    return (evecs * evals.clamp(min=0.0).sqrt()) @ evecs.T


def frechet_distance_from_stats(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    r"""Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂), the squared 2-Wasserstein distance:

    .. math::

        d^2 = \|μ_1 − μ_2\|^2 + \operatorname{tr}\big(Σ_1 + Σ_2 − 2 (Σ_1 Σ_2)^{1/2}\big).

    tr (Σ₁Σ₂)^{1/2} is computed as Σ_k √λ_k of the symmetric PSD matrix Σ₁^{1/2} Σ₂ Σ₁^{1/2}, which has
    the same eigenvalues as Σ₁Σ₂; so no complex square root (and no stray imaginary part, as with
    ``scipy.linalg.sqrtm``) arises, and singular covariances are fine. Round-off below 0 is clamped.

    Args:
        mu1, mu2: (D,) means.
        sigma1, sigma2: (D, D) symmetric positive semi-definite covariances.

    Returns:
        d² ≥ 0 (this is the number called FID when the features are Inception's).

    >>> eye = torch.eye(2, dtype=torch.float64)
    >>> frechet_distance_from_stats(torch.zeros(2), eye, torch.tensor([3.0, 4.0]), eye)
    25.0
    >>> round(frechet_distance_from_stats(torch.zeros(1), eye[:1, :1], torch.zeros(1), 4 * eye[:1, :1]), 12)
    1.0
    """
    mu1, mu2 = (torch.as_tensor(m).detach().to(torch.float64).reshape(-1) for m in (mu1, mu2))
    s1, s2 = (torch.as_tensor(s).detach().to(torch.float64) for s in (sigma1, sigma2))
    d = mu1.shape[0]
    if mu2.shape[0] != d or s1.shape != (d, d) or s2.shape != (d, d):
        raise UserError(
            f"Fréchet distance needs means (D,) and covariances (D, D) of one D, got {tuple(mu1.shape)}, "
            f"{tuple(s1.shape)}, {tuple(mu2.shape)}, {tuple(s2.shape)}"
        )
    root1 = _psd_sqrt(s1)
    middle = root1 @ s2 @ root1
    trace_sqrt = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0.0).sqrt().sum()
    value = float(((mu1 - mu2) ** 2).sum() + torch.trace(s1) + torch.trace(s2) - 2.0 * trace_sqrt)
    return max(value, 0.0)


def frechet_distance_from_features(real: Tensor, fake: Tensor) -> float:
    r"""Fréchet distance between Gaussians fitted to two feature samples (Heusel et al. 2017, "FID").

    .. math::

        \mathrm{FD} = \|μ_r − μ_g\|^2 + \operatorname{tr}\big(Σ_r + Σ_g − 2 (Σ_r Σ_g)^{1/2}\big)

    with μ, Σ the sample means and unbiased covariances (:func:`mean_and_covariance`). It is biased
    upward for finite N (compare numbers only at equal sample counts) and is 0 for identical samples.

    Args:
        real: (N, D) features of real samples, N ≥ 2.
        fake: (M, D) features of generated samples, M ≥ 2.

    References:
        Heusel et al., "GANs trained by a two time-scale update rule converge to a local Nash
        equilibrium", NeurIPS 2017; Dowson & Landau 1982 for the closed form.
    """
    r, f = _features(real, "real", 2), _features(fake, "fake", 2)
    _same_width(r, f)
    return frechet_distance_from_stats(*mean_and_covariance(r), *mean_and_covariance(f))


def kid_from_features(
    real: Tensor,
    fake: Tensor,
    *,
    num_subsets: int = 100,
    subset_size: int = 1000,
    generator: torch.Generator | None = None,
) -> tuple[float, float]:
    r"""Kernel inception distance: unbiased MMD² with k(x, y) = (xᵀy / D + 1)³, over random subsets.

    For each subset, m real rows x and m fake rows y are drawn without replacement and

    .. math::

        \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)} \sum_{i \ne j} \big[k(x_i, x_j) + k(y_i, y_j)\big]
            − \frac{2}{m^2} \sum_{i, j} k(x_i, y_j),

    an unbiased estimate of MMD² (GAN analysis slides, eq. 13): its mean is 0 when both samples come from one law,
    so single values can be negative. Returns the mean and standard deviation over subsets.

    Args:
        real: (N, D) features; fake: (M, D) features.
        num_subsets: number of subsets (100 in Bińkowski et al.).
        subset_size: m, clipped to min(N, M); must be at least 2 after clipping.
        generator: torch.Generator for the subsets (default: a fixed seed 0, so results repeat).

    Returns:
        (mean, std) of the subset estimates (std 0 for a single subset).

    References:
        Bińkowski, Sutherland, Arbel & Gretton, "Demystifying MMD GANs", ICLR 2018.
    """
    r, f = _features(real, "real", 2), _features(fake, "fake", 2)
    _same_width(r, f)
    if not isinstance(num_subsets, int) or num_subsets < 1:
        raise UserError(f"KID needs num_subsets >= 1, got {num_subsets!r}")
    m = min(subset_size, r.shape[0], f.shape[0])
    if m < 2:
        raise UserError(f"KID needs a subset size of at least 2, got {m}")
    rng = generator if generator is not None else torch.Generator().manual_seed(0)
    d = r.shape[1]
    group = max(1, (1 << 23) // (4 * m * m))  # subsets per batched block of kernel matrices
    values = []
    for first in range(0, num_subsets, group):
        count = min(group, num_subsets - first)
        x = torch.stack([r[torch.randperm(r.shape[0], generator=rng)[:m]] for _ in range(count)])  # (G, m, D)
        y = torch.stack([f[torch.randperm(f.shape[0], generator=rng)[:m]] for _ in range(count)])  # (G, m, D)
        z = torch.cat([x, y], 1)  # (G, 2m, D)
        k = (z @ z.transpose(1, 2) / d + 1.0) ** 3  # (G, 2m, 2m): blocks k(x, x), k(x, y); k(y, x), k(y, y)
        diag = k.diagonal(dim1=1, dim2=2)  # (G, 2m)
        kxx = k[:, :m, :m].sum((1, 2)) - diag[:, :m].sum(1)
        kyy = k[:, m:, m:].sum((1, 2)) - diag[:, m:].sum(1)
        kxy = k[:, :m, m:].sum((1, 2))
        values.extend(((kxx + kyy) / (m * (m - 1)) - 2.0 * kxy / (m * m)).tolist())
    t = torch.tensor(values, dtype=torch.float64)
    return float(t.mean()), float(t.std(unbiased=False)) if len(values) > 1 else 0.0


def knn_radii(x: Tensor, ks: Sequence[int], *, chunk: int | None = None) -> dict[int, Tensor]:
    r"""NND_k(x_i) = the distance from x_i to its k-th nearest other point of x, for each k in ``ks``.

    The point itself is left out by index (so a duplicate of x_i counts as a neighbour at distance 0).
    Rows are processed ``chunk`` at a time (default: blocks of ~4M distances), so memory is O(chunk · N).

    Args:
        x: (N, D) points, N > max(ks).
        ks: neighbour orders, each ≥ 1.

    Returns:
        {k: (N,) float64 squared radii NND_k(x_i)²}.

    >>> knn_radii(torch.tensor([[0.0], [1.0], [3.0]]), [1, 2])[2].tolist()  # squared distances
    [9.0, 4.0, 9.0]
    """
    x = torch.as_tensor(x).detach().to(torch.float64)
    n = x.shape[0]
    kmax = max(ks)
    if min(ks) < 1 or n <= kmax:
        raise UserError(f"k-NN radii need 1 <= k < N, got k = {kmax} for N = {n}")
    rows = rows_per_chunk(chunk, n, n)
    # written in place: a list of small per-block results kept alive between the blocks' large
    # temporaries fragments the heap, and the process then grew by about one block per block
    smallest = torch.empty(n, kmax, dtype=torch.float64)
    for start in range(0, n, rows):
        block = squared_distances(x[start : start + rows], x)  # (b, N)
        idx = torch.arange(start, start + block.shape[0])
        block[idx - start, idx] = math.inf
        smallest[start : start + block.shape[0]] = block.topk(kmax, dim=1, largest=False).values  # ascending
    return {k: smallest[:, k - 1] for k in ks}


def _prdc(real: Tensor, fake: Tensor, ks: Sequence[int], chunk: int | None) -> dict[int, dict[str, float]]:
    """Precision, recall, density and coverage at each k in ``ks``, in one pass over fake × real."""
    r, f = _features(real, "real"), _features(fake, "fake")
    _same_width(r, f)
    n, m = r.shape[0], f.shape[0]
    if min(n, m) <= max(ks):
        raise UserError(
            f"precision/recall need more than k = {max(ks)} real and fake samples, got {n} and {m}"
        )
    real_r2 = knn_radii(r, ks, chunk=chunk)  # {k: (N,)}
    fake_r2 = knn_radii(f, ks, chunk=chunk)  # {k: (M,)}
    in_real = {k: torch.zeros(m, dtype=torch.bool) for k in ks}  # fake j inside manifold(real)
    density = {k: 0 for k in ks}
    covered = {k: torch.zeros(n, dtype=torch.bool) for k in ks}  # real i's ball holds a fake
    in_fake = {k: torch.zeros(n, dtype=torch.bool) for k in ks}  # real i inside manifold(fake)
    # Blocks of real rows, computed exactly as in knn_radii(r), so that for identical samples the
    # distance to the k-th neighbour ties bit for bit with its radius (density exactly 1).
    rows = rows_per_chunk(chunk, n, m)
    for start in range(0, n, rows):
        d2 = squared_distances(r[start : start + rows], f)  # (b, M): real rows against all fakes
        for k in ks:
            inside = d2 < real_r2[k][start : start + rows].unsqueeze(1)  # (b, M): fake j in ball of real i
            in_real[k] |= inside.any(0)
            density[k] += int(inside.sum())
            covered[k][start : start + rows] = inside.any(1)
            in_fake[k][start : start + rows] = (d2 < fake_r2[k].unsqueeze(0)).any(1)
    return {
        k: {
            "precision": float(in_real[k].double().mean()),
            "recall": float(in_fake[k].double().mean()),
            "density": density[k] / (k * m),
            "coverage": float(covered[k].double().mean()),
            "hits": (in_real[k], in_fake[k]),
        }
        for k in ks
    }


def prdc_from_features(real: Tensor, fake: Tensor, k: int = 5, *, chunk: int | None = None) -> dict:
    r"""Precision, recall (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020) at one k.

    With NND_k(x) the distance from x to its k-th nearest other point of its own sample and
    B(x, r) = {z : ‖z − x‖ < r} the open ball, for reals x_1..x_N and fakes y_1..y_M:

    .. math::

        \mathrm{manifold}(X) &= \textstyle\bigcup_i B(x_i, \mathrm{NND}_k(x_i)) \\
        \mathrm{precision} &= \tfrac{1}{M} \textstyle\sum_j 1[y_j \in \mathrm{manifold}(X)], \qquad
        \mathrm{recall} = \tfrac{1}{N} \textstyle\sum_i 1[x_i \in \mathrm{manifold}(Y)] \\
        \mathrm{density} &= \tfrac{1}{kM} \textstyle\sum_j \sum_i 1[y_j \in B(x_i, \mathrm{NND}_k(x_i))], \qquad
        \mathrm{coverage} = \tfrac{1}{N} \textstyle\sum_i 1[\exists j: y_j \in B(x_i, \mathrm{NND}_k(x_i))].

    (docs/protocols.md.) Precision and recall use k = 3 and density and coverage k = 5 by the papers'
    defaults; :func:`divergan.metrics.images.image_metrics` does so, this function uses one k for all
    four, as in the authors' reference check (k = 5). Balls are open, as in the authors' code, so that
    identical samples give exactly 1 for all four (with closed balls a point of an identical sample
    lies in k + 1 balls, and density would be (k + 1)/k); the two differ only on exact ties. Distances are computed ``chunk`` rows at a time, so memory is
    O(chunk · max(N, M)) and 100,000 samples fit; time is O((N + M)² D).

    Args:
        real: (N, D) real features, N > k.
        fake: (M, D) generated features, M > k.
        k: neighbour order.
        chunk: rows per block of distances (default: automatic, ~4M distances per block).

    Returns:
        {"precision", "recall", "density", "coverage"}: floats; density can exceed 1.

    >>> x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    >>> prdc_from_features(x, x, k=3)
    {'precision': 1.0, 'recall': 1.0, 'density': 1.0, 'coverage': 1.0}

    References:
        Kynkäänniemi, Karras, Laine, Lehtinen & Aila, "Improved precision and recall metric for
        assessing generative models", NeurIPS 2019. Naeem, Oh, Uh, Choi & Yoo, "Reliable fidelity and
        diversity metrics for generative models", ICML 2020.
    """
    if not isinstance(k, int) or k < 1:
        raise UserError(f"k must be a positive integer, got {k!r}")
    out = _prdc(real, fake, [k], chunk)[k]
    del out["hits"]
    return out


def precision_recall_density_coverage(
    real: Tensor, fake: Tensor, *, k_pr: int = 3, k_dc: int = 5, chunk: int | None = None, hits: bool = False
) -> dict:
    """Precision and recall at ``k_pr``, density and coverage at ``k_dc``, sharing one distance pass.

    See :func:`prdc_from_features` for the definitions. Returns the four floats; with ``hits`` also the
    indicators they are the means of: "precision_hits", (M,) bool, 1[y_j ∈ manifold(X)], and
    "recall_hits", (N,) bool, 1[x_i ∈ manifold(Y)] (for the standard error of a paired difference, e.g.
    the same z read at two truncations: :func:`paired_difference_se`).
    """
    out = _prdc(real, fake, sorted({k_pr, k_dc}), chunk)
    result = {
        "precision": out[k_pr]["precision"],
        "recall": out[k_pr]["recall"],
        "density": out[k_dc]["density"],
        "coverage": out[k_dc]["coverage"],
    }
    if hits:
        result["precision_hits"], result["recall_hits"] = out[k_pr]["hits"]
    return result


def paired_difference_se(a: Tensor, b: Tensor) -> float:
    r"""Standard error of mean(b) − mean(a) for paired per-sample values a_i, b_i (i = 1..n):
    SD(b − a) / √n, the SD with Bessel's correction. For indicators of the same samples read twice (the same
    z at two truncations ψ) it is the SE of the change in precision or recall, smaller than two independent
    readings' when the two agree on most samples.

    >>> paired_difference_se(torch.tensor([1.0, 0.0, 1.0, 0.0]), torch.tensor([1.0, 0.0, 1.0, 0.0]))
    0.0
    >>> round(paired_difference_se(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0])), 6)  # SD(1, 0) / √2
    0.5
    """
    a, b = torch.as_tensor(a).double().reshape(-1), torch.as_tensor(b).double().reshape(-1)
    if a.shape != b.shape or a.numel() < 2:
        raise UserError(
            f"a paired difference needs two equal-length samples of 2 or more, got {a.numel()}, {b.numel()}"
        )
    return float((b - a).std(unbiased=True) / math.sqrt(a.numel()))


def kl_to_uniform(counts: Tensor) -> float:
    r"""KL(p ‖ U_K) = Σ_{k: p_k > 0} p_k log(K p_k) = log K − H(p) for p = counts / Σ counts (nats).

    >>> round(kl_to_uniform(torch.tensor([5, 0, 0, 0])), 6) == round(math.log(4), 6)
    True
    >>> kl_to_uniform(torch.tensor([2, 2, 2]))
    0.0
    """
    c = torch.as_tensor(counts).to(torch.float64)
    total = float(c.sum())
    if total <= 0:
        raise UserError("KL to uniform needs a histogram with at least one count")
    p = c[c > 0] / total
    return max(float((p * torch.log(p * c.numel())).sum()), 0.0)


def class_histogram_metrics(labels: Tensor, num_classes: int) -> dict:
    """Class histogram of predicted labels, the number of classes seen, and KL(histogram ‖ uniform).

    Args:
        labels: (N,) integer class predictions in [0, num_classes).
        num_classes: K.

    Returns:
        {"class_histogram": K counts, "modes": classes with at least one sample,
        "kl_uniform": :func:`kl_to_uniform` of the histogram}.

    >>> class_histogram_metrics(torch.tensor([0, 0, 2]), 3)["modes"]
    2
    """
    labels = torch.as_tensor(labels).reshape(-1).long()
    if labels.numel() == 0:
        raise UserError("the class histogram needs at least one sample")
    if int(labels.min()) < 0 or int(labels.max()) >= num_classes:
        raise UserError(
            f"class labels must lie in [0, {num_classes}), got {int(labels.min())}..{int(labels.max())}"
        )
    counts = torch.bincount(labels, minlength=num_classes)
    return {
        "class_histogram": [int(c) for c in counts],
        "modes": int((counts > 0).sum()),
        "kl_uniform": kl_to_uniform(counts),
    }


def stacked_mode_metrics(channel_labels: Tensor, num_classes: int = 10) -> dict:
    r"""Stacked-MNIST modes (docs/protocols.md): each sample's channel labels (c₁, .., c_C) form one of K^C modes.

    The mode index is Σ_c c_c K^{C−c} (for three channels, 100 c₁ + 10 c₂ + c₃); modes = distinct
    indices seen, KL = KL(mode histogram ‖ uniform over K^C) in nats.

    Args:
        channel_labels: (N, C) integer labels, one per channel.
        num_classes: K per channel (10 digits).

    Returns:
        {"stacked_modes": int, "stacked_kl": float, "stacked_num_modes": K^C}.

    >>> stacked_mode_metrics(torch.tensor([[1, 2, 3], [1, 2, 3], [0, 0, 0]]))["stacked_modes"]
    2
    """
    labels = torch.as_tensor(channel_labels).long()
    if labels.dim() != 2 or labels.shape[0] == 0:
        raise UserError(f"stacked modes need (N, C) channel labels, got shape {tuple(labels.shape)}")
    index = torch.zeros(labels.shape[0], dtype=torch.long)
    for c in range(labels.shape[1]):
        index = index * num_classes + labels[:, c]
    total = num_classes ** labels.shape[1]
    counts = torch.bincount(index, minlength=total)
    return {
        "stacked_modes": int((counts > 0).sum()),
        "stacked_kl": kl_to_uniform(counts),
        "stacked_num_modes": total,
    }
