"""benchmarks/mnist_preset.py: the figures' names and the references the class KL is read against.

No training here: the helpers are checked against hand-computed values.
"""

from __future__ import annotations

import math

import pytest


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("mnist_preset") as module:
        yield module


def test_stem_leaves_out_only_the_execution_keys(bench):
    extra = [
        "--set",
        "threads=1",
        "--set",
        "tensorboard=false",
        "--set",
        "seed=1",
        "--set",
        "objective.r1=0.1",
    ]
    assert bench.trained(extra) == ["seed=1", "objective.r1=0.1"]
    assert bench.stem("mnist-unconditional", extra) == "mnist-unconditional-seed-1-objective.r1-0.1"
    assert bench.stem("mnist", ["--set", "threads=1"]) == "mnist"  # the preset's own figures
    assert bench.stem("mnist", ["--set", "threads_x=1"]) == "mnist-threads_x-1"  # only the exact key


def test_kl_uniform_exact(bench):
    assert bench.kl_uniform([5, 5, 5, 5]) == 0.0
    assert bench.kl_uniform([4, 0, 0, 0]) == pytest.approx(math.log(4), abs=1e-12)
    # p = (3/4, 1/4) against (1/2, 1/2): 3/4 log(3/2) + 1/4 log(1/2)
    assert bench.kl_uniform([3, 1]) == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5), abs=1e-12)


def test_sampling_floor_matches_the_chi_square_limit(bench):
    # 2n·KL of a multinomial histogram against its true uniform law tends to χ²(k − 1): mean (k − 1) / 2n
    n, k = 2000, 10
    floor = bench.floor_kl(n, k, trials=20_000)
    assert floor == pytest.approx((k - 1) / (2 * n), rel=0.03)
    assert bench.floor_kl(n, k, trials=20_000, seed=1) != floor  # the draws, not a formula
    assert bench.floor_kl(4 * n, k, trials=20_000) == pytest.approx(floor / 4, rel=0.05)  # 1/n scaling


def test_trajectory_table_rows(bench):
    rows = [
        {
            "label": "x",
            "points": [
                {"step": 500, "kl_uniform": 0.5, "fd": 7.0, "classes": [1, 2]},
                {
                    "step": 1000,
                    "kl_uniform": 0.25,
                    "fd": 3.5,
                    "classes": [3, 4],
                    "class_precision": [0.5, 0.996],
                },
            ],
            "cpu_s": 100.4,
            "wall_s": 250.6,
            "load": "6.1",
        },
        {
            "label": "y",
            "points": [
                {
                    "step": 8000,
                    "kl_uniform": 0.0304,
                    "fd": 1.234,
                    "classes": [5, 5],
                    "held_out_class_precision": [1, 0.9],
                    "critic_gap": 0.054,
                }
            ],
        },
    ]
    lines = bench.trajectory_table(rows).splitlines()
    assert lines[2] == "| x | 500: 0.500 (7.00) · 1,000: 0.250 (3.50) | 3, 4 | 50, 100 | 100 (251, 6.1) |"
    assert lines[3] == "| y | 8,000: 0.030 (1.23; critic gap +0.05) | 5, 5 | — | — |"
    assert "the 500 held-out real digits score 100, 90." in lines[-1]


def test_critic_gap_is_the_difference_of_mean_outputs(bench):
    import torch

    critic = torch.nn.Flatten(0)  # D(x) = the pixels themselves: the mean output is the mean pixel
    train, held = torch.full((6, 2), 0.5), torch.full((3, 2), -0.25)
    train[3:] = 100.0  # beyond len(held_out): not read
    assert bench.critic_gap(critic, train, held) == 0.75
    assert bench.critic_gap(critic, held, held) == 0.0


def test_class_precision_is_one_on_the_reals_and_zero_on_noise(bench):
    import math

    import torch

    from divergan.data import get_dataset

    real = (get_dataset("mnist").points[:300] + 1) / 2
    assert all(v == 1.0 for v in bench.class_precision(real, real) if not math.isnan(v))  # own manifold
    noise = bench.class_precision(
        real, torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    )
    named = [v for v in noise if not math.isnan(v)]
    assert named and all(v == 0.0 for v in named)  # off the digits' manifold: not recognisable


def test_recognisable_is_the_one_sided_two_proportion_bound(bench):
    """p̂_g ≥ p̂_r − 1.645·√(p̂_r(1 − p̂_r)/n_r + p̂_g(1 − p̂_g)/n_g), worked by hand for p̂_r = 0.9, n_r = 50,
    n_g = 200: at p̂_g = 0.8 the bound is 0.9 − 1.645·√(0.0018 + 0.0008) = 0.8161 (fails); at 0.85 it is
    0.9 − 1.645·√(0.0018 + 0.0006375) = 0.8188 (holds)."""
    assert not bench.recognisable(0.8, 200, 0.9, 50)
    assert bench.recognisable(0.85, 200, 0.9, 50)
    assert bench.recognisable(0.9, 200, 0.9, 50)  # as often as real digits
    # all real digits agreed (no spread on their side): 0.99 on 200 has bound 1 − 1.645·0.00704 = 0.9884
    assert bench.recognisable(0.99, 200, 1.0, 50) and not bench.recognisable(0.98, 200, 1.0, 50)
    assert not bench.recognisable(float("nan"), 0, 0.9, 50)  # a missing class is not recognisable


def test_the_second_judges_training_set_holds_every_shift_and_the_thick_copy(bench):
    import torch

    x = torch.zeros(2, 1, 28, 28)
    x[0, 0, 10:18, 13] = 1.0  # a "1"
    x[1, 0, 10, 10:18] = 1.0  # a bar
    points, labels = bench.tolerant_training_set(x, torch.tensor([1, 7]))
    assert len(points) == 26 * 2 and labels.tolist() == [1, 7] * 26
    rows = points.flatten(1)
    for shifted in (torch.roll(x[0], (2, 0), dims=(1, 2)), torch.roll(x[0], (-1, 1), dims=(1, 2))):
        assert (rows == shifted.flatten()).all(dim=1).any()
    assert not (rows == torch.roll(x[0], (2, 1), dims=(1, 2)).flatten()).all(dim=1).any()  # |dy| + |dx| = 3
    thick = torch.nn.functional.max_pool2d(x[:1], 3, 1, 1)[0]
    assert (rows == thick.flatten()).all(dim=1).any()


def test_the_second_judge_reads_blurred_digits_and_not_noisy_ones(bench):
    """Held-out real digits through a 3×3 binomial blur are still read as their class in every class
    (a reader ignores a slight blur); with Gaussian noise of s.d. 0.2 they are not (the control), by the
    per-class verdict and by the family-wise one. A smaller
    reader than the benchmark's, for time: 2,000 training digits shifted by at most 1 px."""
    import torch
    import torch.nn.functional as F

    from divergan.data.images import mnist

    data = mnist()
    train, labels, held = (data.points[:2000] + 1) / 2, data.labels[:2000], (data.held_out + 1) / 2
    judge = bench.second_judge(train, labels, shift=1)
    real_counts, real_agree = bench.judge_agreement(held, judge)

    def passed(images):
        counts, agree = bench.judge_agreement(images, judge)
        alone = sum(bench.recognisable(*t) for t in zip(agree, counts, real_agree, real_counts))
        return alone, sum(bench.recognisable_together(agree, counts, real_agree, real_counts))

    kernel = torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16
    assert passed(F.conv2d(held, kernel[None, None], padding=1)) == (10, 10)
    noisy = (held + 0.2 * torch.randn(held.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    alone, together = passed(noisy)
    assert alone < 10 and together < 10


def test_holm_rejects_step_down_and_stops_at_the_first_kept(bench):
    """m = 4, α = 0.05: sorted 0.001 ≤ 0.05/4 (rejected), 0.012 ≤ 0.05/3 (rejected), 0.04 > 0.05/2 (kept,
    and so is everything after it)."""
    assert bench.holm([0.001, 0.04, 0.012, 0.2]) == [False, True, False, True]
    # two p-values of 0.03: each below 5 % alone, but 0.03 > 0.05/2, so the family keeps both
    assert bench.holm([0.03, 0.03]) == [True, True]
    assert bench.holm([0.01, 0.02]) == [False, False]  # 0.01 ≤ 0.025, then 0.02 ≤ 0.05


def test_fisher_lower_is_the_hypergeometric_tail(bench):
    """0 of 2 generated samples agree, 2 of 2 real ones: given the margins, P(X ≤ 0) = C(2,0)·C(2,2)/C(4,2)
    = 1/6; 2 of 2 generated against 0 of 2 real: every table is at most as low, p = 1."""
    import math

    assert math.isclose(bench.fisher_lower(0.0, 2, 1.0, 2), 1 / 6)
    assert bench.fisher_lower(1.0, 2, 0.0, 2) == 1.0
    assert bench.fisher_lower(float("nan"), 0, 0.9, 50) == 0.0  # a missing class is not recognisable


def test_recognisable_together_keeps_a_family_wise_five_percent_and_catches_a_drop(bench):
    """400 simulated runs, every class's samples agreeing as often as real digits (0.9; 200 samples, 500
    reals): all ten classes pass in ≥ 95 % of runs less three binomial s.d. (Holm's guarantee). The
    control: the same runs judged class by class at 5 % (no family correction) fall below that bound,
    and a class at 0.6 is flagged."""
    import numpy as np

    rng = np.random.default_rng(0)
    reps, bound = 400, 0.95 - 3 * (0.95 * 0.05 / 400) ** 0.5
    together = alone = 0
    for _ in range(reps):
        fake, real = rng.binomial(200, 0.9, 10) / 200, rng.binomial(500, 0.9, 10) / 500
        together += all(bench.recognisable_together(fake, [200] * 10, real, [500] * 10))
        alone += all(bench.fisher_lower(f, 200, r, 500) > 0.05 for f, r in zip(fake, real))
    assert together / reps >= bound
    assert alone / reps < bound
    verdict = bench.recognisable_together([0.6] + [0.9] * 9, [200] * 10, [0.9] * 10, [500] * 10)
    assert verdict == [False] + [True] * 9
    assert (
        bench.recognisable_together([0.9] * 9 + [float("nan")], [200] * 9 + [0], [0.9] * 10, [500] * 10)[-1]
        is False
    )


def test_leave_one_out_reads_a_digit_without_its_own_copies(bench):
    """Three training images, k = 1: two identical vertical bars labelled 1, and a bar one pixel shorter and
    one pixel to the right labelled 7. With its own copies the 7 is read as 7 (distance 0); without them
    its nearest neighbour is a 1 moved by a pixel (one pixel apart), so it is read as 1. The 1s read each
    other."""
    import torch

    x = torch.zeros(3, 1, 12, 12)
    x[0, 0, 2:10, 5] = x[1, 0, 2:10, 5] = 1.0
    x[2, 0, 2:9, 6] = 1.0
    labels = torch.tensor([1, 1, 7])
    assert bench.leave_one_out_labels(x, labels, k=1).tolist() == [1, 1, 1]
    judge = bench.second_judge(x, labels, k=1)
    assert judge.predict(x[2].reshape(1, -1).numpy()).tolist() == [7]  # with its copies: itself


def test_cluster_purity_by_hand(bench):
    # cluster 0 holds two 0s (named 0); cluster 1 holds a 0, two 1s and a 2 (named 1)
    classes = [0, 0, 0, 1, 1, 2]
    clusters = [0, 0, 1, 1, 1, 1]
    purity, own = bench.cluster_purity(classes, clusters)
    assert purity == pytest.approx(4 / 6)
    assert own == pytest.approx([2 / 3, 1.0, 0.0])
    # the control: clusters that are the classes (ids renamed) are pure; one cluster of all is not
    assert bench.cluster_purity(classes, [5, 5, 5, 3, 3, 9]) == (1.0, [1.0, 1.0, 1.0])
    assert bench.cluster_purity(classes, [0] * 6)[0] == pytest.approx(3 / 6)


def test_a_rerun_replaces_only_the_row_of_the_same_options_and_label(bench):
    """The same preset, options and label: replaced in place. Another label (the preset as it was): both
    rows stay, the new one last. Other options: appended."""
    old = {"preset": "p", "extra": ["--set", "a=1"], "label": "then", "fd": 1}
    other = {"preset": "p", "extra": [], "label": "then", "fd": 2}
    again = {**old, "fd": 3}
    assert bench.merged([old, other], again) == [again, other]
    now = {**old, "label": "now", "fd": 4}
    assert bench.merged([old, other], now) == [old, other, now]
    assert bench.merged([old], other) == [old, other]


def test_cluster_blame_by_hand(bench):
    # training: cluster 0 holds four 0s (pure); cluster 1 two 4s and two 9s (mixed, majority 1/2)
    train_classes = [0, 0, 0, 0, 4, 4, 9, 9]
    train_clusters = [0, 0, 0, 0, 1, 1, 1, 1]
    # six samples: three from cluster 0 (the judges agree), three from cluster 1 (they disagree on two)
    drawn = [0, 0, 0, 1, 1, 1]
    first = [0, 0, 0, 9, 9, 4]
    second = [0, 0, 0, 9, 4, 9]
    out = bench.cluster_blame(first, second, drawn, train_classes, train_clusters)
    assert [c["majority"] for c in out["clusters"]] == [1.0, 0.5]
    assert [(c["samples"], c["disagree"]) for c in out["clusters"]] == [(3, 0), (3, 2)]
    assert (out["mixed_clusters"], out["all_clusters"]) == (1, 2)
    assert out["mixed_sample_share"] == pytest.approx(0.5)
    assert out["mixed_disagree_share"] == 1.0
    assert (out["rate_pure"], out["rate_mixed"]) == (0.0, pytest.approx(2 / 3))
    # the control: a disagreement in the pure cluster moves the shares; a lower reading line unmixes cluster 1
    out = bench.cluster_blame([1, 0, 0, 9, 9, 4], second, drawn, train_classes, train_clusters)
    assert out["mixed_disagree_share"] == pytest.approx(2 / 3)
    assert out["rate_pure"] == pytest.approx(1 / 3)
    out = bench.cluster_blame(first, second, drawn, train_classes, train_clusters, pure=0.5)
    assert out["mixed_clusters"] == 0 and math.isnan(out["rate_mixed"])


def test_relabelled_keeps_one_row_per_label_at_the_end(bench):
    a, b = {"label": "a", "v": 1}, {"label": "b", "v": 2}
    assert bench.relabelled([a, b], {"label": "a", "v": 3}) == [b, {"label": "a", "v": 3}]
    assert bench.relabelled([a], b) == [a, b]  # the control: another label is kept


def test_class_agreement_by_hand(bench):
    # three 4s of which the second reader calls one a 9; one 9 both call 9; no other class
    counts, agree = bench.class_agreement([4, 4, 4, 9], [4, 9, 4, 9])
    assert counts == [0, 0, 0, 0, 3, 0, 0, 0, 0, 1]
    assert agree[4] == pytest.approx(2 / 3) and agree[9] == 1.0
    assert math.isnan(agree[0])
