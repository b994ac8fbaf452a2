"""Clusters of the training images as a generator's condition (self-conditioning without labels).

A class-conditional GAN draws balanced, recognisable digits where an unconditional one blends classes: told
which class to draw, the generator no longer has to choose between them from z alone. Without labels, the
same structure can be found in the data: k-means on the training images' pixels gives each image one of
``k`` cluster ids, and the generator and critic are conditioned on those ids as on classes (the idea of
"Diverse Image Generation via Self-Conditioned GANs", Liu et al. 2020, which clusters the critic's
features and re-clusters during training). Here the first clusters come from the pixels, before training;
with ``recluster_every`` the trainer re-clusters the critic's own feature maps (:func:`critic_features`,
:func:`recluster`) as the paper does. The generator draws cluster c with the probability of c among the
training images, so its mixture over clusters is the data's.

Nothing here reads the dataset's labels: the clusters come from the pixels and the critic's features alone,
and ``k`` is the user's choice (it need not be, and in the presets is not, the number of classes).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from divergan.data.base import Dataset
from divergan.errors import UserError


def cluster_dataset(dataset: Dataset, k: int, seed: int = 0) -> Dataset:
    """``dataset`` with its labels replaced by k-means cluster ids of its training images' pixels.

    Lloyd's k-means (scikit-learn, k-means++ seeding, 3 restarts, ``random_state = seed``; the same data
    and seed give the same clusters) on the flattened ``points``; ``held_out`` rows get the id of their
    nearest centre. The class names of the data (its ``labels``) are dropped, not used.

    Raises UserError for data without a finite training set of images, or ``k`` outside 2..N.
    """
    from sklearn.cluster import KMeans

    if dataset.points is None or not dataset.is_image:
        raise UserError(f"clusters conditions on clusters of training images; {dataset.name} has none")
    n = len(dataset.points)
    if not 2 <= k <= n:
        raise UserError(f"clusters must lie in 2..{n} (the training images), got {k}")
    flat = dataset.points.reshape(n, -1).double().numpy()
    km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(flat)
    labels = torch.from_numpy(km.labels_.astype("int64"))
    held = None
    if dataset.held_out is not None and len(dataset.held_out):
        held = torch.from_numpy(
            km.predict(dataset.held_out.reshape(len(dataset.held_out), -1).double().numpy())
        )
        held = held.to(torch.int64)
    return dataclasses.replace(dataset, labels=labels, num_classes=k, held_out_labels=held)


def cluster_frequencies(labels: Tensor, k: int) -> Tensor:
    """(k,) the share of each cluster id among ``labels`` (sums to 1): how often the generator draws it."""
    counts = torch.bincount(labels, minlength=k).double()
    return counts / counts.sum()


@torch.no_grad()
def critic_features(critic: torch.nn.Module, images: Tensor, batch: int = 500) -> Tensor:
    """(N, c·s₀²) φ(x)/‖φ(x)‖: the critic's last feature map of each image (``DCGANCritic.features``,
    before its head), flattened and scaled to unit length, so that k-means on them groups images by the
    direction of their features (cosine similarity). Flattened, not pooled over positions: the sum
    Σ_hw φ(x) that the projection reads drops where strokes are, and on MNIST its clusters were less pure
    than the pixels' (docs/benchmarks.md). Computed in eval mode (batch norm reads its running statistics
    and does not update them), the critic's mode restored after."""
    was_training = critic.training
    critic.eval()
    try:
        device = next(critic.parameters()).device
        parts = [critic.features(x.to(device)).flatten(1).float().cpu() for x in images.split(batch)]
    finally:
        critic.train(was_training)
    feats = torch.cat(parts)
    return feats / feats.norm(dim=1, keepdim=True).clamp_min(1e-12)


def recluster(
    features: Tensor, labels: Tensor, k: int, seed: int, held_out: Tensor | None = None
) -> tuple[Tensor, Tensor | None]:
    """New cluster ids of N points from their ``features`` (N, c): Lloyd's k-means started at the means of
    the current clusters (``labels``), so that cluster j of the new partition is the one that grew from
    cluster j of the old (the condition a generator learnt for id j keeps its meaning). An old cluster
    that is empty starts at a point drawn with ``seed``. ``held_out`` features get their nearest new
    centre. Deterministic given its inputs (scikit-learn's KMeans, one initialisation).

    Returns (labels (N,), held-out labels (M,) or None)."""
    from sklearn.cluster import KMeans

    x = features.double()
    gen = torch.Generator().manual_seed(seed)
    centres = torch.empty(k, x.shape[1], dtype=torch.float64)
    for j in range(k):
        members = x[labels == j]
        centres[j] = members.mean(0) if len(members) else x[torch.randint(len(x), (1,), generator=gen)[0]]
    km = KMeans(n_clusters=k, init=centres.numpy(), n_init=1, random_state=seed).fit(x.numpy())
    new = torch.from_numpy(km.labels_.astype("int64"))
    held = None
    if held_out is not None and len(held_out):
        held = torch.from_numpy(km.predict(held_out.double().numpy()).astype("int64"))
    return new, held
