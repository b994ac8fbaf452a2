"""The memorisation check: exact nearest distances, a copying generator, an honest one."""

import torch

from divergan.metrics.memorisation import memorisation, nearest_distances


def test_nearest_distances_exact():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    ref = torch.tensor([[0.0, 1.0], [3.0, 4.0], [10.0, 10.0]])
    torch.testing.assert_close(nearest_distances(x, ref, chunk=2), torch.tensor([1.0, 0.0, 1.0]))
    images = torch.zeros(2, 1, 2, 2)
    images[1] += 0.5  # distance to the zero image: sqrt(4 · 0.25) = 1
    torch.testing.assert_close(nearest_distances(images, images[:1]), torch.tensor([0.0, 1.0]))


def test_copying_generator_is_caught_and_fresh_real_data_is_not():
    g = torch.Generator().manual_seed(0)
    train, held_out, fresh = (torch.rand(n, 1, 6, 6, generator=g) for n in (300, 200, 200))
    copies = memorisation(train[:100], train, held_out)
    assert copies["nn_fake_median"] == 0.0 and copies["copy_fraction"] == 1.0
    assert copies["memorisation_ratio"] == 0.0
    honest = memorisation(fresh, train, held_out)  # another sample of the same law
    assert 0.9 < honest["memorisation_ratio"] < 1.1 and honest["copy_fraction"] < 0.05
    same = memorisation(held_out, train, held_out)
    assert same["memorisation_ratio"] == 1.0 and same["nn_fake_median"] == same["nn_held_out_median"]
