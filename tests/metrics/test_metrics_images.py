"""Image metrics end to end: the shipped digit classifier, feature network files, inputs, identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from divergan.errors import UserError
from divergan.metrics.feature_net import DigitClassifier, load_feature_net, save_feature_net
from divergan.metrics.features import frechet_distance_from_features
from divergan.metrics.images import extract, image_metrics, load_image_array

FAST = {"kid_subsets": 5, "kid_subset_size": 100}


@pytest.fixture(scope="module")
def mnist():
    """300 MNIST digits of the shipped 5,000 (30 per class), images (N, 1, 28, 28) in [0, 1] and labels."""
    from divergan.data.images import mnist_arrays

    x, y = mnist_arrays()
    idx = np.concatenate([np.flatnonzero(y == c)[-30:] for c in range(10)])
    return torch.tensor(x[idx], dtype=torch.float32), torch.tensor(y[idx])


@pytest.fixture(scope="module")
def digits_net():
    return load_feature_net("digits")


def test_shipped_classifier_recognises_held_out_mnist_digits(digits_net):
    """On the 1,000 MNIST digits its training script held out (the first 1,000 of the shipped 5k shuffled
    with the recorded seed, as benchmarks/train_feature_net.py does), the accuracy is the one recorded in
    the file's metadata, to the image, and above 95%."""
    from divergan.data.images import mnist_arrays

    x, y = mnist_arrays()  # the stored (label-sorted) order the training script shuffles
    held_out = np.random.default_rng(int(digits_net.metadata["seed"])).permutation(len(y))[:1000]
    _, logits = extract(torch.tensor(x[held_out], dtype=torch.float32), digits_net)
    assert logits.shape == (1000, 1, 10)
    accuracy = float((logits[:, 0].argmax(1) == torch.tensor(y[held_out])).double().mean())
    assert accuracy == pytest.approx(float(digits_net.metadata["acc_mnist"]), abs=0.5e-3)  # one image: 1e-3
    assert accuracy > 0.95


def test_identical_image_sets(mnist):
    x, _ = mnist
    out = image_metrics(x, x, **FAST)
    assert out["fd"] == pytest.approx(0.0, abs=1e-6)
    assert (out["precision"], out["recall"], out["density"], out["coverage"]) == (1.0, 1.0, 1.0, 1.0)
    assert out["modes"] == 10 and out["real_modes"] == 10
    assert out["class_histogram"] == out["real_class_histogram"]
    assert out["kl_uniform"] < 0.01  # 30 per class, up to a few misclassified
    assert out["num_real"] == out["num_fake"] == 300 and out["feature_dim"] == 64


def test_collapse_onto_one_digit(mnist):
    x, y = mnist
    ones = x[y == 1]  # 30 images of the digit 1
    out = image_metrics(x, ones, **FAST)
    assert out["modes"] == 1 and out["class_histogram"][1] == 30
    assert out["kl_uniform"] == pytest.approx(math.log(10))
    assert out["recall"] < 0.5 and out["coverage"] < 0.5  # mode collapse shows as low diversity
    assert out["precision"] > 0.8  # but the ones are fine digits
    noise = torch.rand(100, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    bad = image_metrics(x, noise, **FAST)
    assert bad["precision"] == 0.0 and bad["fd"] > 3 * out["fd"]


def test_label_accuracy_of_a_conditional_generator(mnist):
    """Real digits 'asked for' with their true class score the classifier's accuracy; shifted classes ~0."""
    x, y = mnist
    right = image_metrics(x, x, fake_labels=y, **FAST)
    wrong = image_metrics(x, x, fake_labels=(y + 1) % 10, **FAST)
    assert right["label_accuracy"] > 0.95 and wrong["label_accuracy"] < 0.05
    assert "label_accuracy" not in image_metrics(x, x, **FAST)
    with pytest.raises(UserError, match="fake_labels must be"):
        image_metrics(x, x, fake_labels=y[:10], **FAST)


def test_other_sizes_are_resized(mnist, digits_net):
    x, y = mnist
    big = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    _, logits = extract(big, digits_net)
    assert float((logits[:, 0].argmax(1) == y).double().mean()) > 0.9
    assert image_metrics(x, big, **FAST)["feature_dim"] == 64


def test_stacked_mnist_reads_each_channel(mnist, digits_net):
    x, _ = mnist
    g = torch.Generator().manual_seed(1)
    picks = torch.randint(0, 300, (200, 3), generator=g)
    stacked = x[picks].squeeze(2)  # (200, 3, 28, 28): three digits as the three channels
    out = image_metrics(stacked, stacked, stacked=True, **FAST)
    _, per_digit = extract(x, digits_net)
    labels = per_digit[:, 0].argmax(1)[picks]  # (200, 3) labels of each channel's digit
    triples = {tuple(t) for t in labels.tolist()}
    assert out["stacked_modes"] == len(triples) and out["stacked_num_modes"] == 1000
    assert out["feature_dim"] == 3 * 64
    assert sum(out["class_histogram"]) == 600  # pooled over the 3 channels
    same = stacked[:1].repeat(30, 1, 1, 1)
    collapsed = image_metrics(stacked, same, stacked=True, **FAST)
    assert collapsed["stacked_modes"] == 1 and collapsed["stacked_kl"] == pytest.approx(math.log(1000))


def test_a_callable_feature_network(mnist):
    x, _ = mnist
    fake = x.flip(-1)
    pooled = lambda imgs: torch.nn.functional.avg_pool2d(imgs, 4).flatten(1)  # noqa: E731  no logits
    out = image_metrics(x, fake, features=pooled, **FAST)
    assert "modes" not in out and out["feature_dim"] == 49
    assert out["fd"] == pytest.approx(frechet_distance_from_features(pooled(x), pooled(fake)), rel=1e-9)
    with pytest.raises(UserError, match="logits"):
        image_metrics(x.repeat(1, 3, 1, 1), fake.repeat(1, 3, 1, 1), features=pooled, stacked=True, **FAST)


def test_feature_network_file_round_trip(tmp_path, mnist):
    x, _ = mnist
    torch.manual_seed(0)
    net = DigitClassifier(width=4, num_classes=3, size=16).eval()
    path = tmp_path / "net.safetensors"
    save_feature_net(net, path, extra={"note": "test"})
    loaded = load_feature_net(path)
    assert loaded.metadata["note"] == "test" and loaded.feature_dim == 16
    with torch.no_grad():
        for a, b in zip(net(x[:8]), loaded(x[:8])):
            assert torch.equal(a, b)
    out = image_metrics(x, x[:50], features=str(path), **FAST)
    assert out["feature_dim"] == 16 and len(out["class_histogram"]) == 3


def test_bad_feature_network_files(tmp_path):
    from safetensors.torch import save_file

    with pytest.raises(UserError, match="not loaded"):
        load_feature_net(tmp_path / "net.pt")
    with pytest.raises(UserError, match="not found"):
        load_feature_net(tmp_path / "missing.safetensors")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00\x01not a safetensors file")
    with pytest.raises(UserError, match="cannot read"):
        load_feature_net(garbage)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(UserError, match="not a digit-cnn"):
        load_feature_net(foreign)
    wrong = tmp_path / "wrong.safetensors"
    save_feature_net(DigitClassifier(width=4), wrong)
    state = {k: v for k, v in DigitClassifier(width=8).state_dict().items()}
    meta = {"architecture": "digit-cnn", "in_channels": "1", "width": "4", "num_classes": "10", "size": "28"}
    save_file(state, str(wrong), metadata=meta)
    with pytest.raises(UserError, match="do not fit"):
        load_feature_net(wrong)


def test_bad_images_are_user_errors(mnist):
    x, _ = mnist
    with pytest.raises(UserError, match=r"\(x \+ 1\) / 2"):
        image_metrics(x * 2 - 1, x, **FAST)
    with pytest.raises(UserError, match=r"\(N, C, H, W\)"):
        image_metrics(x[:, 0], x, **FAST)
    with pytest.raises(UserError, match="channels"):
        image_metrics(x, x.repeat(1, 3, 1, 1), **FAST)
    with pytest.raises(UserError, match="3-channel"):
        image_metrics(x, x, stacked=True, **FAST)
    with pytest.raises(UserError, match="at least 6"):
        image_metrics(x, x[:5], **FAST)
    with pytest.raises(UserError, match="NaN"):
        image_metrics(x, torch.full_like(x, float("nan")), **FAST)


def test_load_image_array_layouts(tmp_path):
    imgs = np.random.default_rng(0).random((7, 3, 8, 8)).astype(np.float32)
    np.save(tmp_path / "nchw.npy", imgs)
    np.save(tmp_path / "nhwc.npy", imgs.transpose(0, 2, 3, 1))
    np.save(tmp_path / "nhw.npy", imgs[:, 0])
    np.save(tmp_path / "u8.npy", (imgs * 255).astype(np.uint8))
    np.savez(tmp_path / "named.npz", images=imgs, labels=np.arange(7))
    expected = torch.from_numpy(imgs)
    assert torch.equal(load_image_array(tmp_path / "nchw.npy"), expected)
    assert torch.equal(load_image_array(tmp_path / "nhwc.npy"), expected)
    assert torch.equal(load_image_array(tmp_path / "nhw.npy"), expected[:, :1])
    assert torch.allclose(load_image_array(tmp_path / "u8.npy"), expected, atol=1 / 255)
    assert torch.equal(load_image_array(tmp_path / "named.npz"), expected)


def test_load_image_array_refuses_bad_files(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "corrupt.npy").write_bytes(b"not numpy at all")
    np.save(tmp_path / "ints.npy", np.arange(12).reshape(3, 2, 2))
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 4, 4)), b=np.zeros((2, 4, 4)))
    cases = {
        "objects.npy": "cannot read",
        "corrupt.npy": "cannot read",
        "ints.npy": "int64",
        "two.npz": "2 arrays",
        "missing.npy": "not found",
        "x.png": ".npy or .npz",
    }
    for name, message in cases.items():
        with pytest.raises(UserError, match=message):
            load_image_array(tmp_path / name)
