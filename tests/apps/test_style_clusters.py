"""The self-conditioned style generator (``clusters=k`` in the style app): the cluster drawn from the
latent's first coordinate at the training images' shares, a mapping network that reads the cluster and
not z₀, truncation toward each cluster's own mean, a projection critic, the game's ids, and a tiny run
end to end (train, sample, resume, refusals)."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from divergan import apps
from divergan.apps import style
from divergan.cli import main
from divergan.data.clusters import cluster_frequencies
from divergan.errors import UserError
from divergan.nn.stylegan import StyleCritic, StyleGenerator
from divergan.objectives import get_objective, r1_penalty
from divergan.train import checkpoint as ckpt
from divergan.train.config import apply_overrides, preset

pytestmark = pytest.mark.usefixtures("one_thread")


def generator(k: int = 3, z_dim: int = 6) -> StyleGenerator:
    torch.manual_seed(0)
    return StyleGenerator(z_dim, 8, 8, 1, 4, 2, clusters=k)


def test_the_cluster_is_the_quantile_of_z0_at_the_shares():
    G = generator(3)
    G.set_cluster_shares(torch.tensor([2.0, 1.0, 1.0]))  # shares 1/2, 1/4, 1/4: F = 0.5, 0.75, 1
    q = torch.distributions.Normal(0.0, 1.0).icdf
    # Φ(z₀) just below and at each cumulative share: cluster k for Φ(z₀) in [F_{k−1}, F_k)
    u = torch.tensor([0.25, 0.5 - 1e-6, 0.5, 0.75 - 1e-6, 0.75 + 1e-6, 0.999])
    z = torch.zeros(len(u), 6)
    z[:, 0] = q(u.double()).float()
    assert G.cluster_of(z).tolist() == [0, 0, 1, 1, 2, 2]
    z[:, 1:] = torch.randn(len(u), 5)  # the other coordinates do not choose the cluster
    assert G.cluster_of(z).tolist() == [0, 0, 1, 1, 2, 2]
    # drawn z ~ N(0, I): the shares come back within 5 binomial standard deviations
    n = 40_000
    counts = torch.bincount(
        G.cluster_of(torch.randn(n, 6, generator=torch.Generator().manual_seed(1))), minlength=3
    )
    expected = torch.tensor([0.5, 0.25, 0.25]) * n
    assert torch.all((counts - expected).abs() < 5 * (expected * (1 - expected / n)).sqrt())
    # the control: before the shares are set the clusters are uniform, and z₀ = 0 is cluster 1 of 3
    assert generator(3).cluster_of(torch.zeros(1, 6)).tolist() == [1]
    with pytest.raises(ValueError, match="shape"):
        G.set_cluster_shares(torch.ones(4))


def test_the_mapping_reads_the_cluster_and_not_z0():
    G = generator(3)
    z = torch.randn(5, 6)
    c = torch.tensor([0, 1, 2, 0, 1])
    moved = z.clone()
    moved[:, 0] += 3.0  # another z₀, the same cluster given
    torch.testing.assert_close(G.w(z, c), G.w(moved, c))
    assert not torch.allclose(G.w(z, c), G.w(z, (c + 1) % 3))  # another cluster: another w
    # without c, the cluster comes from z₀
    torch.testing.assert_close(G.w(z), G.w(z, G.cluster_of(z)))
    # the control: an unconditional generator's w does depend on z₀
    plain = StyleGenerator(6, 8, 8, 1, 4, 2)
    assert not torch.allclose(plain.w(z), plain.w(moved))


def test_truncation_pulls_toward_the_rows_own_cluster_mean():
    G = generator(3)
    z = torch.randn(64, 6)
    c = G.cluster_of(z)
    G.w(z, c, update_w_avg=True)  # moves the global mean and the means of the clusters present
    for k in c.unique().tolist():
        assert G.mapping.w_avg_c[k].abs().sum() > 0
    ws = G.styles(z, psi=0.0)  # ψ = 0: every row is its own cluster's mean
    torch.testing.assert_close(ws[:, 0], G.mapping.w_avg_c[c])
    assert not torch.allclose(ws[:, 0], G.mapping.w_avg.expand(64, -1))  # not the global mean
    half = G.styles(z, psi=0.5)[:, 0]
    torch.testing.assert_close(half, 0.5 * (G.mapping.w_avg_c[c] + G.w(z)))
    # explicit centres still mean the nearest of them (multi-modal truncation)
    centres = torch.randn(4, 8)
    nearest = centres[torch.cdist(G.w(z), centres).argmin(1)]
    torch.testing.assert_close(G.styles(z, psi=0.0, centres=centres)[:, 0], nearest)


def test_the_critic_adds_the_projection_of_the_cluster():
    torch.manual_seed(0)
    D = StyleCritic(8, 1, 4, clusters=3)
    x = torch.randn(5, 1, 8, 8)
    a, b = torch.zeros(5, dtype=torch.long), torch.full((5,), 2)
    h = D.head[:-1](D.features(x))  # (5, ch)
    by_hand = ((D.embed.weight[0] - D.embed.weight[2]) * h).sum(1) / math.sqrt(h.shape[1])
    torch.testing.assert_close(D(x, a) - D(x, b), by_hand)
    with pytest.raises(ValueError, match="cluster ids"):
        D(x)
    with pytest.raises(ValueError, match="one output"):
        StyleCritic(8, 1, 4, outputs=3, clusters=3)


def clustered_game(**over):
    cfg = apply_overrides(apps.preset("style-quick"), ["size=8", "clusters=3"])
    cfg = dataclasses.replace(cfg, **over)
    obj = get_objective(cfg.objective)
    G = generator(3, cfg.z_dim)
    torch.manual_seed(1)
    D = StyleCritic(8, 1, 4, clusters=3)
    ids = torch.arange(20) % 3
    data = style.StyleData(
        train=torch.rand(20, 1, 8, 8) * 2 - 1, held_out=torch.rand(5, 1, 8, 8), train_ids=ids
    )
    rng = torch.Generator().manual_seed(0)
    return style.StyleGame(obj, G, D, data, cfg=cfg, rng=rng, device=torch.device("cpu")), G, D, data


def test_the_critic_phase_draws_the_fakes_of_the_real_batchs_clusters():
    g, G, D, data = clustered_game(r1_gamma=0.5, r1_every=2, critic_mixing=False)
    real, c, z = g.critic_batch()
    idx_of = {tuple(x.flatten().tolist()): i for i, x in enumerate(data.train)}
    assert c.tolist() == [int(data.train_ids[idx_of[tuple(x.flatten().tolist())]]) for x in real]
    # the loss by hand, with G's per-pixel noise switched off so that both calls draw the same fakes
    for layer in G.modules():
        if hasattr(layer, "noise_strength"):
            layer.noise_strength.data.zero_()
    loss, game = g.critic_loss((real, c, z), step=1)
    by_hand = g.objective.critic_loss(D(real, c), D(G(z, c=c), c))
    torch.testing.assert_close(game, by_hand.detach())
    wrong = g.objective.critic_loss(D(real, (c + 1) % 3), D(G(z, c=c), (c + 1) % 3))
    assert not torch.allclose(game, wrong.detach())  # the control: other ids give another loss
    with_r1, _ = g.critic_loss((real, c, z), step=2)
    torch.testing.assert_close(
        with_r1 - loss, r1_penalty(lambda x: D(x, c), real, 0.5 * 2), rtol=1e-5, atol=1e-6
    )


def test_style_mixing_stays_within_the_rows_cluster():
    _g, G, _D, _ = clustered_game()
    z = torch.randn(16, G.z_dim)
    c = torch.full((16,), 2)
    rng = torch.Generator().manual_seed(5)
    ws = style.mixed_styles(G, z, 1.0, rng, update_w_avg=False, c=c)
    # replay the draws: which rows mix (all), z₂, the crossovers
    rng = torch.Generator().manual_seed(5)
    torch.rand(16, generator=rng)
    z2 = torch.randn(16, G.z_dim, generator=rng)
    cut = torch.randint(1, G.num_ws, (16,), generator=rng)
    w2_same, w2_own = G.w(z2, c), G.w(z2)
    for b in range(16):
        torch.testing.assert_close(ws[b, cut[b] :], w2_same[b].expand(G.num_ws - cut[b], -1))
    assert not torch.allclose(w2_same, w2_own)  # the control: z₂'s own clusters give other styles


def tiny(steps: int, *more: str):
    return apply_overrides(
        apps.preset("style-quick"),
        [
            f"steps={steps}",
            "size=8",
            "threads=1",
            "tensorboard=false",
            "clusters=4",
            "cluster_space=pixels",
            *more,
        ],
    )


def test_a_self_conditioned_run_trains_samples_and_resumes(tmp_path, monkeypatch):
    whole, part = tmp_path / "whole", tmp_path / "part"
    more = ("checkpoint_every=3", "log_every=1", "r1_every=2")
    apps.train(tiny(6, *more), whole, progress=False)
    tensors, _ = ckpt.load(ckpt.latest(whole))
    # the generator draws the clusters at the training images' shares (k-means on the pixels)
    data = style.load_data(tiny(6), torch.Generator().manual_seed(0))
    shares = cluster_frequencies(data.train_ids, 4)
    torch.testing.assert_close(tensors["G.cluster_cdf"], shares.cumsum(0).float())
    assert tensors["EMA.cluster_cdf"].equal(tensors["G.cluster_cdf"])
    assert tensors["EMA.mapping.w_avg_c"].equal(tensors["G.mapping.w_avg_c"])  # copied, not averaged
    apps.train(tiny(3, *more), part, progress=False)
    assert main(["train", "--resume", str(part), "--steps", "6", "--quiet"]) == 0
    b, _ = ckpt.load(ckpt.latest(part))
    assert tensors.keys() == b.keys() and all(tensors[k].equal(b[k]) for k in tensors)
    # the checkpoint holds the ids it trained on, and loading the run reads them instead of clustering
    assert tensors["clusters.labels"].equal(data.train_ids)
    assert tensors["clusters.held_out"].equal(data.held_out_ids)
    from divergan.data import clusters

    def refuse(*args, **kwargs):
        raise AssertionError("a loaded run must not cluster again")

    monkeypatch.setattr(clusters, "cluster_dataset", refuse)
    _, parts, _, _ = apps.load_run(whole)
    assert parts.dataset.train_ids.equal(data.train_ids)
    assert main(["sample", str(whole), "--n", "5", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (5, 1, 8, 8)
    with pytest.raises(AssertionError, match="must not cluster"):  # the control: building afresh clusters
        style.load_data(tiny(6), torch.Generator().manual_seed(0))


def test_refusals(tmp_path, capsys):
    with pytest.raises(UserError, match="one output"):
        apps.check(tiny(2, "objective=mmd-gan"))
    with pytest.raises(UserError, match="z_dim must be >= 2"):
        apps.check(tiny(2, "z_dim=1", "w_dim=1"))
    with pytest.raises(UserError, match="recluster_every"):
        tiny(2, "recluster_every=10")
    with pytest.raises(UserError, match="glyphs application does not read it"):
        apply_overrides(apps.preset("glyphs-quick"), ["clusters=4"])
    apps.check(tiny(2))  # the control: the style app with clusters passes
    bad = ["train", "--preset", "style-quick", "--set", "clusters=4", "--set", "cluster_space=umap"]
    assert main([*bad, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: cluster_space") and not (tmp_path / "r").exists()


def test_cluster_blocks_draw_groups_of_one_cluster_at_the_shares():
    ids = torch.tensor([0] * 10 + [1] * 5 + [2] * 5)[
        torch.randperm(20, generator=torch.Generator().manual_seed(2))
    ]
    cfg = apply_overrides(
        apps.preset("style-quick"), ["size=8", "clusters=3", "d_mbstd=4", "batch=16", "cluster_blocks=true"]
    )
    data = style.StyleData(
        train=torch.arange(20.0)[:, None, None, None].expand(20, 1, 8, 8),
        held_out=torch.zeros(5, 1, 8, 8),
        train_ids=ids,
    )
    g = style.StyleGame(
        get_objective(cfg.objective), generator(3, cfg.z_dim), StyleCritic(8, 1, 4, clusters=3), data,
        cfg=cfg, rng=torch.Generator().manual_seed(0), device=torch.device("cpu"),
    )  # fmt: skip
    rows = []
    for _ in range(3000):  # enough that drawing the clusters uniformly (not at their shares) fails
        real, c, _z = g.critic_batch()
        idx = real[:, 0, 0, 0].long()
        assert torch.equal(c, ids[idx])  # the ids are the images' own
        assert all(len(block.unique()) == 1 for block in c.split(4))  # blocks of one cluster
        rows.append(idx)
    counts = torch.bincount(torch.cat(rows), minlength=20).double()
    n = counts.sum()
    # every image is drawn uniformly: each count within 5 standard deviations of n/20 (blocks correlate
    # the draws within a cluster, so the binomial sd is widened by the block size)
    assert torch.all((counts - n / 20).abs() < 5 * (4 * n / 20).sqrt())
    assert torch.equal(g.generator_batch()[1], g.real_ids)  # the generator phase reuses the blocks
    # the control: without blocks, groups of four mix clusters
    plain = style.StyleGame(
        get_objective(cfg.objective), generator(3, cfg.z_dim), StyleCritic(8, 1, 4, clusters=3), data,
        cfg=dataclasses.replace(cfg, cluster_blocks=False), rng=torch.Generator().manual_seed(0),
        device=torch.device("cpu"),
    )  # fmt: skip
    assert any(len(block.unique()) > 1 for block in plain.critic_batch()[1].split(4))
    with pytest.raises(UserError, match="cluster_blocks"):
        apply_overrides(apps.preset("style-quick"), ["clusters=3", "cluster_blocks=true"])  # no d_mbstd
    with pytest.raises(UserError, match="multiple of d_mbstd"):
        apply_overrides(cfg, ["batch=18"])


# -- cluster_until: only the coarse styles read the cluster ----------------------------------------------


def coarse_only(k: int = 3, until: int = 4) -> StyleGenerator:
    """8 px: blocks at 4 and 8 px, rows 0-1 (4 px) and 2-4 (8 px); the cluster conditions rows 0-1."""
    torch.manual_seed(0)
    return StyleGenerator(6, 8, 8, 1, 4, 2, clusters=k, cluster_until=until)


def test_cluster_until_gives_the_finer_rows_w_of_the_null_cluster():
    G = coarse_only()
    assert G.cluster_rows == 2 and G.mapping.embed.num_embeddings == 4  # row K = 3: the null cluster
    z, c = torch.randn(5, 6), torch.tensor([0, 1, 2, 0, 1])
    ws = G.styles(z, c=c)
    torch.testing.assert_close(ws[:, :2], G.w(z, c)[:, None].expand(5, 2, 8))
    null = G.mapping(z[:, 1:], False, torch.full((5,), 3))  # the same z₁… with id K, by hand
    torch.testing.assert_close(ws[:, 2:], null[:, None].expand(5, 3, 8))
    torch.testing.assert_close(G.w_free(z), null)
    # another cluster moves the coarse rows only
    other = G.styles(z, c=(c + 1) % 3)
    assert not torch.allclose(other[:, :2], ws[:, :2])
    torch.testing.assert_close(other[:, 2:], ws[:, 2:])
    # the control: without cluster_until every row moves with the cluster
    plain = generator(3)
    assert plain.cluster_rows == plain.num_ws
    assert not torch.allclose(plain.styles(z, c=c)[:, 4], plain.styles(z, c=(c + 1) % 3)[:, 4])


def test_cluster_until_truncates_the_finer_rows_toward_the_null_clusters_mean():
    G = coarse_only()
    z = torch.randn(64, 6)
    c = G.cluster_of(z)
    G.styles(z, update_w_avg=True)  # moves the means of the clusters present and of the null cluster
    assert G.mapping.w_avg_c[3].abs().sum() > 0
    ws = G.styles(z, psi=0.0)
    torch.testing.assert_close(ws[:, 0], G.mapping.w_avg_c[c])
    torch.testing.assert_close(ws[:, 4], G.mapping.w_avg_c[3].expand(64, -1))
    half = G.styles(z, psi=0.5)
    torch.testing.assert_close(half[:, 3], 0.5 * (G.mapping.w_avg_c[3] + G.w_free(z)))
    # style mixing takes z₂'s rows from the crossover on, coarse or fine as z₂ has them
    z2 = torch.randn(64, 6)
    for cut in (1, 2, 4):
        mixed = G.styles(z, z2=z2, crossover=cut)
        torch.testing.assert_close(mixed[:, :cut], G.styles(z)[:, :cut])
        torch.testing.assert_close(mixed[:, cut:], G.styles(z2)[:, cut:])


def test_cluster_until_must_be_a_block_below_the_output_and_needs_clusters():
    with pytest.raises(ValueError, match="one of the resolutions"):
        StyleGenerator(6, 8, 8, 1, 4, 2, clusters=3, cluster_until=8)  # the output block itself
    with pytest.raises(ValueError, match="needs clusters"):
        StyleGenerator(6, 8, 8, 1, 4, 2, cluster_until=4)
    for bad, msg in [
        (["cluster_until=8"], "cluster_until must be a block below the output size, 4 px; got 8"),
        (["cluster_until=3"], "cluster_until must be a block below the output size"),
        (["cluster_until=4", "clusters=0"], "cluster_until conditions the coarse styles"),
        (["cluster_until=4", "fine_info=1"], "does not combine"),
        (["cluster_until=4", "fine_diversity=1"], "does not combine"),
    ]:
        with pytest.raises(UserError, match=msg):
            apps.check(tiny(2, *bad))
    with pytest.raises(UserError, match="cluster_until must be >= 0"):
        tiny(2, "cluster_until=-4")
    with pytest.raises(UserError, match="the glyphs application does not read it"):
        apply_overrides(apps.preset("glyphs-quick"), ["cluster_until=4"])
    with pytest.raises(UserError, match="the DCGAN and MLP trainer does not read it"):
        apply_overrides(preset("digits-quick"), ["clusters=4", "cluster_until=4"])
    apps.check(tiny(2, "cluster_until=4"))  # the control


def test_training_mixing_with_cluster_until_takes_z2s_own_rows():
    G = coarse_only()
    z, c = torch.randn(16, 6), torch.full((16,), 2)
    ws = style.mixed_styles(G, z, 1.0, torch.Generator().manual_seed(5), update_w_avg=False, c=c)
    rng = torch.Generator().manual_seed(5)  # replay: which rows mix (all), z₂, the crossovers
    torch.rand(16, generator=rng)
    z2 = torch.randn(16, 6, generator=rng)
    cut = torch.randint(1, G.num_ws, (16,), generator=rng)
    ws1, ws2 = G.styles(z, c=c), G.styles(z2, c=c)
    for b in range(16):
        torch.testing.assert_close(ws[b, : cut[b]], ws1[b, : cut[b]])
        torch.testing.assert_close(ws[b, cut[b] :], ws2[b, cut[b] :])
    assert (cut < 2).any() and (cut >= 2).any()  # both kinds of crossover were drawn
    # the control: z₂'s coarse rows are not its finer ones
    assert not torch.allclose(ws2[:, 0], ws2[:, 2])


def test_without_coarse_z_the_coarse_rows_read_the_cluster_alone():
    torch.manual_seed(0)
    G = StyleGenerator(6, 8, 8, 1, 4, 2, clusters=3, cluster_until=4, coarse_z=False)
    z, c = torch.randn(5, 6), torch.tensor([0, 1, 2, 0, 1])
    other = torch.randn(5, 6)  # other z₁…, the same clusters given
    a, b = G.styles(z, c=c), G.styles(other, c=c)
    torch.testing.assert_close(a[:, :2], b[:, :2])  # the coarse rows: the cluster's alone
    torch.testing.assert_close(a[:, 0], G.mapping(torch.zeros(5, 5), False, c))  # w(0, c) by hand
    assert not torch.allclose(a[:, 2:], b[:, 2:])  # the finer rows follow z
    assert not torch.allclose(G.styles(z, c=(c + 1) % 3)[:, 0], a[:, 0])  # and the coarse ones the cluster
    # the control: with coarse_z the coarse rows follow z too
    with_z = coarse_only()
    assert not torch.allclose(with_z.styles(z, c=c)[:, 0], with_z.styles(other, c=c)[:, 0])
    with pytest.raises(ValueError, match="needs cluster_until"):
        StyleGenerator(6, 8, 8, 1, 4, 2, clusters=3, coarse_z=False)
    with pytest.raises(UserError, match="coarse_z=false leaves the latent to the finer rows"):
        tiny(2, "coarse_z=false")


@pytest.mark.parametrize("extra", [(), ("coarse_z=false",)])
def test_a_run_with_cluster_until_resumes_bit_for_bit(tmp_path, extra):
    whole, part = tmp_path / "whole", tmp_path / "part"
    more = ("checkpoint_every=3", "cluster_until=4", *extra)
    apps.train(tiny(6, *more), whole, progress=False)
    a, _ = ckpt.load(ckpt.latest(whole))
    assert a["G.mapping.embed.weight"].shape[0] == 5 and a["G.mapping.w_avg_c"][4].abs().sum() > 0
    apps.train(tiny(3, *more), part, progress=False)
    assert main(["train", "--resume", str(part), "--steps", "6", "--quiet"]) == 0
    b, _ = ckpt.load(ckpt.latest(part))
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


def test_a_bad_cluster_until_is_one_error_line(tmp_path, capsys):
    bad = ["train", "--preset", "style-quick", "--set", "clusters=4", "--set", "cluster_until=16"]
    assert main([*bad, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err == "error: cluster_until must be a block below the output size, 4, 8 px; got 16\n"
    assert not (tmp_path / "r").exists()
