"""Clusters of the training images as a generator's condition (self-conditioning without labels).

A class-conditional GAN draws balanced, recognisable digits where an unconditional one blends classes: told
which class to draw, the generator no longer has to choose between them from z alone. Without labels, the
same structure can be found in the data: k-means on the training images' pixels (or on their t-SNE map,
``space="tsne"``) gives each image one of ``k`` cluster ids, and the generator and critic are conditioned
on those ids as on classes (the idea of "Diverse Image Generation via Self-Conditioned GANs", Liu et al.
2020, which clusters the critic's features and re-clusters during training). Here the first clusters come
from the pixels or their map, before training;
with ``recluster_every`` the trainer re-clusters the critic's own feature maps (:func:`critic_features`,
:func:`recluster`) as the paper does. The generator draws cluster c with the probability of c among the
training images, so its mixture over clusters is the data's.

Nothing here reads the dataset's labels: the clusters come from the pixels and the critic's features alone,
and ``k`` is the user's choice (it need not be, and in the presets is not, the number of classes).
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import torch
from torch import Tensor

from divergan.data.base import Dataset
from divergan.errors import UserError

CLUSTER_SPACES = ("pixels", "tsne")
# the last clustering: (space, k, seed, digest of the images) -> (ids, held-out ids)
_MEMO: dict[tuple, tuple] = {}


def cluster_dataset(dataset: Dataset, k: int, seed: int = 0, space: str = "pixels") -> Dataset:
    """``dataset`` with its labels replaced by k-means cluster ids of its training images.

    Lloyd's k-means (scikit-learn, k-means++ seeding, 3 restarts, ``random_state = seed``; the same data
    and seed give the same clusters) on the flattened ``points`` (``space="pixels"``) or on their t-SNE
    map (``space="tsne"``, :func:`tsne_map`). ``held_out`` rows get the id of their nearest centre
    (pixels) or of their nearest training image in the map's 50 principal components (t-SNE, which maps
    only the points it was fitted on). The class names of the data (its ``labels``) are dropped, not used.

    Raises UserError for data without a finite training set of images, ``k`` outside 2..N or an
    unknown ``space``.
    """
    from sklearn.cluster import KMeans

    if dataset.points is None or not dataset.is_image:
        raise UserError(f"clusters conditions on clusters of training images; {dataset.name} has none")
    if space not in CLUSTER_SPACES:
        raise UserError(f"cluster_space must be one of {', '.join(CLUSTER_SPACES)}, got {space!r}")
    n = len(dataset.points)
    if not 2 <= k <= n:
        raise UserError(f"clusters must lie in 2..{n} (the training images), got {k}")
    flat = dataset.points.reshape(n, -1).double().numpy()
    held_flat = None
    if dataset.held_out is not None and len(dataset.held_out):
        held_flat = dataset.held_out.reshape(len(dataset.held_out), -1).double().numpy()
    digest = hashlib.sha1(flat.tobytes())
    digest.update(b"" if held_flat is None else held_flat.tobytes())
    key = (space, k, seed, digest.hexdigest())
    if key not in _MEMO:  # `divergan train` checks its config, then builds: one clustering, not two
        if space == "pixels":
            km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(flat)
            ids = km.labels_
            held_ids = km.predict(held_flat) if held_flat is not None else None
        else:
            coords, pcs, held_pcs = tsne_map(flat, held_flat, seed)
            ids = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(coords).labels_
            held_ids = None
            if held_pcs is not None:  # the nearest training image's id (t-SNE maps only what it fitted)
                nearest = torch.cdist(torch.from_numpy(held_pcs), torch.from_numpy(pcs)).argmin(1).numpy()
                held_ids = ids[nearest]
        _MEMO.clear()  # one entry: the data of the run at hand
        _MEMO[key] = (ids.astype("int64"), None if held_ids is None else held_ids.astype("int64"))
    ids, held_ids = _MEMO[key]
    return with_cluster_ids(
        dataset,
        k,
        torch.from_numpy(ids.copy()),
        None if held_ids is None else torch.from_numpy(held_ids.copy()),
    )


def with_cluster_ids(dataset: Dataset, k: int, labels: Tensor, held_out: Tensor | None = None) -> Dataset:
    """``dataset`` with given cluster ids (N,) as its labels (and ``held_out`` (M,) for its held-out rows):
    the ids a run trained on, read back from its checkpoint instead of clustering again."""
    return dataclasses.replace(dataset, labels=labels, num_classes=k, held_out_labels=held_out)


def tsne_map(flat: np.ndarray, held_flat: np.ndarray | None = None, seed: int = 0):
    """The training images' t-SNE map, for clustering: ((N, 2) map, (N, c) principal components, (M, c)
    held-out components or None).

    t-SNE (van der Maaten & Hinton 2008) places the images in the plane so that each one's neighbours
    in pixel space stay its neighbours (perplexity 30, scikit-learn's default); k-means on the map then
    finds the well-separated groups of the data that k-means on the raw pixels (distances dominated by
    stroke thickness and position) mixes (Linderman & Steinerberger 2019, "Clustering with t-SNE,
    provably"). As usual, on the first c = min(50, N, D) principal components (PCA seeded by ``seed``),
    t-SNE initialised from the components (deterministic: the same images and seed give the same map
    whatever the thread count).
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n, dim = flat.shape
    pca = PCA(n_components=min(50, n, dim), random_state=seed).fit(flat)
    pcs = pca.transform(flat)
    coords = TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca", random_state=seed)
    coords = coords.fit_transform(pcs).astype("float64")
    held_pcs = pca.transform(held_flat) if held_flat is not None else None
    return coords, pcs, held_pcs


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
