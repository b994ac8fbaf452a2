"""Self-conditioning on k-means clusters (``clusters = k``): the clusters come from the pixels alone, the
generator draws each at its share of the training images, and the option is refused where it cannot act."""

from __future__ import annotations

import json

import pytest
import torch

import divergan
import divergan.data.clusters as clusters
from divergan.cli import main
from divergan.data.base import Dataset
from divergan.data.clusters import cluster_dataset, cluster_frequencies, critic_features, recluster
from divergan.errors import UserError
from divergan.nn.dcgan import DCGANGenerator
from divergan.train import apply_overrides, preset, train
from divergan.train.loop import build, sample_labels


def blobs(n_dark: int, n_light: int, labels=None, held=(3, 2)) -> Dataset:
    """Images (N, 1, 4, 4) near −1 (dark) or near +1 (light): two clusters any k-means must find."""
    g = torch.Generator().manual_seed(0)

    def make(a, b):
        x = torch.cat([torch.full((a, 1, 4, 4), -0.8), torch.full((b, 1, 4, 4), 0.8)])
        return x + 0.05 * torch.randn(x.shape, generator=g)

    return Dataset(
        name="blobs",
        dim=16,
        points=make(n_dark, n_light),
        shape=(1, 4, 4),
        labels=labels,
        num_classes=None if labels is None else int(labels.max()) + 1,
        held_out=make(*held),
    )


def afresh(*args, **kwargs):
    """:func:`cluster_dataset` computed again, not read from the process's memo of the last clustering
    (whose key is the images, so a second call on the same images would only echo the first)."""
    clusters._MEMO.clear()
    return cluster_dataset(*args, **kwargs)


def test_the_clusters_are_the_pixel_groups_whatever_the_labels_say():
    # labels that cut across the two groups: clustering that read them would split differently
    crossing = torch.arange(30) % 2
    plain, labelled = blobs(20, 10), blobs(20, 10, labels=crossing)
    a, b = afresh(plain, 2, seed=0), afresh(labelled, 2, seed=0)
    assert torch.equal(a.labels, b.labels) and a.num_classes == 2
    dark = a.labels[:20]
    assert (dark == dark[0]).all() and (a.labels[20:] != dark[0]).all()  # exactly the two groups
    assert not torch.equal(a.labels, crossing) and not torch.equal(a.labels, 1 - crossing)
    # held-out rows (3 dark, 2 light) get their group's cluster
    assert a.held_out_labels.tolist() == [int(dark[0])] * 3 + [1 - int(dark[0])] * 2
    assert torch.equal(afresh(plain, 2, seed=0).labels, a.labels)  # deterministic


def test_cluster_frequencies_are_the_shares():
    f = cluster_frequencies(torch.tensor([0, 0, 0, 2]), 3)
    assert f.tolist() == [0.75, 0.0, 0.25]


@pytest.mark.parametrize(
    ("data", "k", "needle"),
    [
        (blobs(2, 2), 5, "clusters must lie in 2..4"),
        (Dataset(name="flat", dim=2, points=torch.zeros(10, 2)), 2, "has none"),
    ],
)
def test_cluster_dataset_refuses(data, k, needle):
    with pytest.raises(UserError, match=needle):
        cluster_dataset(data, k)


def test_the_generator_draws_each_cluster_at_its_share_of_the_training_images():
    cfg = apply_overrides(preset("digits-quick"), ["clusters=7", "steps=1"])
    parts = build(cfg)
    share = cluster_frequencies(parts.dataset.labels, 7)
    assert parts.generator.embed.num_embeddings == 7 and parts.critic.embed is not None
    n = 40_000
    drawn = sample_labels(cfg, parts, n, torch.Generator().manual_seed(0))
    got = torch.bincount(drawn, minlength=7).double() / n
    # each share within 5 binomial standard deviations of the training share (a uniform draw over the 7
    # clusters, whose training shares differ by far more, fails this)
    assert ((got - share).abs() <= 5 * (share * (1 - share) / n).sqrt()).all()
    uniform = torch.full((7,), 1 / 7, dtype=torch.float64)
    assert ((uniform - share).abs() > 5 * (share * (1 - share) / n).sqrt()).any()


def test_a_cluster_conditional_run_trains_and_reports_no_label_accuracy(tmp_path, capsys):
    short = ["--steps", "3", "--set", "eval_samples=40", "--set", "plot=false", "--quiet", "--json"]
    args = ["train", "--preset", "digits-quick", "--set", "clusters=6", "--out", str(tmp_path / "r"), *short]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)["direct"]
    # cluster ids are not the digit classes: comparing the classifier's classes with them would be noise
    assert "label_accuracy" not in out and sum(out["class_histogram"]) == 40
    again = train(
        apply_overrides(preset("digits-quick"), ["clusters=6", "steps=3", "eval_samples=40", "plot=false"]),
        tmp_path / "s",
        progress=False,
    )
    assert again["direct"]["class_histogram"] == out["class_histogram"]  # the same clusters, the same run
    # to a user the condition is part of the latent: the loaded generator draws it itself, at the shares
    g = divergan.load_generator(tmp_path / "r")
    shares = cluster_frequencies(
        build(apply_overrides(preset("digits-quick"), ["clusters=6"])).dataset.labels, 6
    )
    assert torch.allclose(g.label_shares.double(), shares) and "label_shares" not in g.state_dict()
    z = torch.randn(5, g.z_dim)
    torch.manual_seed(3)
    a = g(z)
    torch.manual_seed(3)
    assert a.shape == (5, 1, 16, 16) and torch.equal(g(z), a)
    with pytest.raises(ValueError, match="needs class labels"):  # a class-conditional one does not
        DCGANGenerator(4, 16, num_classes=3)(torch.randn(2, 4))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "clusters=1"], "clusters must be 0 (off) or at least 2"),
        (["--set", "clusters=4", "--set", "conditional=true"], "use conditional=false"),
        (["--set", "clusters=4", "--set", "arch=mlp"], "arch=mlp has no conditional networks"),
        (["--data", "grid25", "--set", "clusters=4", "--set", "arch=auto"], "clusters of training images"),
        (["--set", "clusters=4", "--set", "pack=2"], "pack > 1 takes an unconditional critic"),
        (["--set", "clusters=4", "--set", "cluster_space=umap"], "cluster_space must be one of pixels, tsne"),
    ],
)
def test_bad_cluster_configs_exit_2(tmp_path, capsys, args, needle):
    code = main(["train", "--preset", "digits-quick", *args, "--out", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and needle in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


# -- clusters on the t-SNE map (cluster_space=tsne) ---------------------------------------------------


def parallel_bands(n: int = 150, gap: float = 4.0) -> Dataset:
    """Images (2n, 1, 4, 4) on two parallel line segments: pixel vector t·u + side·gap·v + noise, t uniform on
    [−10, 10] along u, side 0 for the first n rows and 1 for the next n; five held-out rows of each side.
    The bands are 20 long and ``gap`` apart, so the variance along them dwarfs the one between them."""
    g = torch.Generator().manual_seed(0)
    u, v = torch.zeros(16), torch.zeros(16)
    u[:8], v[8:] = 8**-0.5, 8**-0.5

    def make(m):
        t = torch.rand(2 * m, 1, generator=g) * 20 - 10
        side = torch.tensor([0.0] * m + [1.0] * m)[:, None]
        return (t * u + side * gap * v + 0.05 * torch.randn(2 * m, 16, generator=g)).reshape(2 * m, 1, 4, 4)

    return Dataset(name="bands", dim=16, points=make(n), shape=(1, 4, 4), held_out=make(5))


def side_purity(labels: torch.Tensor, side: torch.Tensor, k: int) -> float:
    """The share of rows in their cluster's majority side."""
    return sum(int(torch.bincount(side[labels == j], minlength=2).max()) for j in range(k)) / len(side)


def test_the_tsne_map_keeps_two_bands_apart_where_pixel_kmeans_cuts_across_them():
    data, side, held_side = parallel_bands(), torch.tensor([0] * 150 + [1] * 150), [0] * 5 + [1] * 5
    tsne = afresh(data, 2, seed=0, space="tsne")
    # each band is one cluster: a point's 30 nearest neighbours lie on its own band, so the map separates them
    assert side_purity(tsne.labels, side, 2) == 1.0
    band_id = [int(tsne.labels[0]), int(tsne.labels[150])]
    assert band_id[0] != band_id[1]
    assert tsne.held_out_labels.tolist() == [band_id[s] for s in held_side]  # nearest training image's id
    assert torch.equal(afresh(data, 2, seed=0, space="tsne").labels, tsne.labels)  # deterministic
    # the negative control: k-means on the pixels halves the bands along their length instead
    assert side_purity(cluster_dataset(data, 2, seed=0).labels, side, 2) < 0.75


def test_an_unknown_cluster_space_is_refused():
    with pytest.raises(UserError, match="cluster_space must be one of pixels, tsne"):
        cluster_dataset(blobs(4, 4), 2, space="umap")


def test_one_clustering_per_process_and_none_when_a_run_is_loaded(tmp_path, monkeypatch):
    import divergan.train.loop as loop

    calls = []
    real_map = clusters.tsne_map
    monkeypatch.setattr(clusters, "tsne_map", lambda *a, **k: calls.append(1) or real_map(*a, **k))
    data = parallel_bands(n=40)
    first, again = afresh(data, 2, space="tsne"), cluster_dataset(data, 2, space="tsne")
    assert len(calls) == 1 and torch.equal(first.labels, again.labels)  # the check, then the build
    cluster_dataset(data, 2, seed=1, space="tsne")  # another seed is another clustering
    assert len(calls) == 2
    # a trained run is read back with the ids in its checkpoint: no clustering at all
    cfg = apply_overrides(
        preset("digits-quick"), ["clusters=4", "cluster_space=tsne", "steps=2", "plot=false"]
    )
    train(cfg, tmp_path / "r", progress=False)
    trained_ids = build(cfg).dataset.labels
    monkeypatch.setattr(loop, "cluster_dataset", lambda *a, **k: pytest.fail("clustered again"))
    _, parts, _ = loop.load_run(tmp_path / "r")
    assert torch.equal(parts.dataset.labels, trained_ids)


# -- re-clustering on the critic's features (recluster_every) ------------------------------------------


def two_groups() -> torch.Tensor:
    """(40, 2) features: 20 points near (−5, 0), then 20 near (5, 0)."""
    g = torch.Generator().manual_seed(1)
    centres = torch.tensor([[-5.0, 0.0]] * 20 + [[5.0, 0.0]] * 20)
    return centres + 0.3 * torch.randn(40, 2, generator=g)


def test_recluster_mends_the_partition_and_keeps_each_ids_meaning():
    x = two_groups()
    # the old partition is mostly right, with 3 points of each group on the wrong side
    old = torch.tensor([0] * 17 + [1] * 3 + [1] * 17 + [0] * 3)
    new, held = recluster(x, old, 2, seed=0, held_out=torch.tensor([[-4.0, 0.0], [6.0, 1.0]]))
    assert new.tolist() == [0] * 20 + [1] * 20 and held.tolist() == [0, 1]
    # the same features with the ids of the old partition swapped: the ids follow the old partition
    swapped, _ = recluster(x, 1 - old, 2, seed=0)
    assert swapped.tolist() == [1] * 20 + [0] * 20
    # an empty old cluster starts at a data point and k clusters come back, deterministically
    three, _ = recluster(x, old, 3, seed=5)
    assert set(three.tolist()) == {0, 1, 2} and torch.equal(three, recluster(x, old, 3, seed=5)[0])


def test_critic_features_are_the_unit_feature_maps_and_leave_batch_norm_alone():
    from divergan.nn.dcgan import DCGANCritic

    torch.manual_seed(0)
    critic = DCGANCritic(16, 1, 8, "batch", num_classes=3).train()
    x = torch.randn(7, 1, 16, 16)
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    got = critic_features(critic, x, batch=3)
    critic.eval()
    with torch.no_grad():
        flat = critic.features(x).flatten(1)
    want = flat / flat.norm(dim=1, keepdim=True)
    assert torch.allclose(got, want) and got.shape == (7, flat.shape[1]) and flat.shape[1] > 32
    assert torch.allclose(got.norm(dim=1), torch.ones(7))
    critic.train()
    # running statistics untouched (a forward in training mode would have moved them), mode restored
    assert all(torch.equal(v, before[k]) for k, v in critic.state_dict().items()) and critic.training


def recluster_cfg(*extra: str):
    return apply_overrides(
        preset("digits-quick"), ["clusters=6", "steps=5", "eval_samples=40", "plot=false", *extra]
    )


def test_a_reclustered_run_trains_on_new_clusters_saves_them_and_resumes_exactly(tmp_path):
    from divergan.train import checkpoint as ckpt

    pixel = build(recluster_cfg()).dataset.labels
    train(
        recluster_cfg("recluster_every=2", "checkpoint_every=5", "log_every=1"),
        tmp_path / "full",
        progress=False,
    )
    full, _ = ckpt.load(ckpt.latest(tmp_path / "full"))
    assert not torch.equal(full["clusters.labels"], pixel)  # re-clustered (at steps 2 and 4)
    rows = [json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    moved = {r["step"]: r["clusters_moved"] for r in rows if "clusters_moved" in r}
    assert sorted(moved) == [2, 4] and 0 < moved[2] <= 1  # the share of images whose cluster changed
    # without re-clustering the checkpoint holds the pixel clusters: the negative control
    train(recluster_cfg(), tmp_path / "plain", progress=False)
    assert torch.equal(ckpt.load(ckpt.latest(tmp_path / "plain"))[0]["clusters.labels"], pixel)
    # stopped after 3 steps (re-clustered at 2) and resumed to 5: the uninterrupted run, bit for bit
    part = tmp_path / "part"
    short = recluster_cfg("recluster_every=2", "checkpoint_every=5", "steps=3")
    train(short, part, progress=False)
    train(recluster_cfg("recluster_every=2", "checkpoint_every=5"), part, resume=True, progress=False)
    resumed, _ = ckpt.load(ckpt.latest(part))
    for name in ("clusters.labels", "clusters.held_out", "G.embed.weight", "D.embed.weight"):
        assert torch.equal(resumed[name], full[name]), name
    # the loaded generator draws the clusters it was trained on, not the pixels' k-means
    g = divergan.load_generator(tmp_path / "full")
    assert torch.allclose(g.label_shares.double(), cluster_frequencies(full["clusters.labels"], 6))
    assert not torch.allclose(g.label_shares.double(), cluster_frequencies(pixel, 6))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "recluster_every=-1", "--set", "clusters=4"], "recluster_every must be 0 (off)"),
        (["--set", "recluster_every=10"], "set clusters=k too"),
        (["--set", "clusters=4", "--set", "recluster_every=10", "--objective", "mmd"], "DCGAN critic's"),
    ],
)
def test_bad_recluster_configs_exit_2(tmp_path, capsys, args, needle):
    code = main(["train", "--preset", "digits-quick", *args, "--out", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and needle in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
