"""``divergan measure-images``: JSON out, and every bad input one line on stderr with exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from divergan import cli


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    from divergan.data.images import mnist_arrays

    x, y = mnist_arrays()  # the shipped MNIST 5k, (5000, 1, 28, 28) in [0, 1]
    idx = np.concatenate([np.flatnonzero(y == c)[:12] for c in range(10)])
    folder = tmp_path_factory.mktemp("arrays")
    real = x[idx].astype(np.float32)
    np.save(folder / "real.npy", real)
    np.save(folder / "ones.npy", real[12:24])  # the twelve 1s
    np.save(folder / "tanh.npy", real * 2 - 1)
    pick = np.random.default_rng(0).integers(0, 120, (40, 3))
    stacked = real[pick][:, :, 0]  # (40, 3, 28, 28)
    np.save(folder / "stacked.npy", stacked)
    digits = y[idx][pick]  # (40, 3) the true digit of each channel
    np.save(folder / "stacked_modes.npy", np.unique(digits @ [100, 10, 1]))
    np.save(folder / "stacked_digits.npy", digits)
    return folder


def test_json_output(arrays, capsys):
    argv = ["measure-images", "--real", str(arrays / "real.npy"), "--fake", str(arrays / "ones.npy")]
    assert cli.main([*argv, "--json", "--kid-subsets", "3", "--kid-subset-size", "10"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["class_histogram"][1] >= 11 and out["modes"] <= 2 and out["num_fake"] == 12  # twelve 1s
    assert {"fd", "kid_mean", "kid_std", "precision", "recall", "density", "coverage"} <= out.keys()
    assert cli.main([*argv, "--kid-subsets", "3"]) == 0
    text = capsys.readouterr().out
    assert "Fréchet distance" in text and f"modes {out['modes']}/10" in text


def test_stacked_flag(arrays, capsys):
    path = str(arrays / "stacked.npy")
    assert (
        cli.main(
            ["measure-images", "--real", path, "--fake", path, "--stacked", "--json", "--kid-subsets", "2"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    # the modes are the distinct triples the classifier reads (its per-channel predictions, recomputed
    # here); each misread triple moves the count by at most one away from the distinct true triples
    import torch

    from divergan.metrics.images import extract, resolve_feature_net

    _, logits = extract(torch.from_numpy(np.load(path)), resolve_feature_net("digits"))
    read = logits.argmax(-1).numpy() @ [100, 10, 1]  # (40,)
    true = np.load(arrays / "stacked_digits.npy") @ [100, 10, 1]
    assert out["stacked_num_modes"] == 1000 and out["stacked_modes"] == len(np.unique(read))
    assert abs(out["stacked_modes"] - len(np.unique(true))) <= int((read != true).sum())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fake", "{d}/missing.npy"], "not found"),
        (["--fake", "{d}/tanh.npy"], "[0, 1]"),
        (["--fake", "{d}/stacked.npy"], "channels"),
        (["--fake", "{d}/ones.npy", "--features", "{d}/net.pt"], "not loaded"),
        (["--fake", "{d}/ones.npy", "--stacked"], "3-channel"),
        (["--fake", "{d}/ones.npy", "--kid-subsets", "0"], "--kid-subsets"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(arrays, capsys, extra, message):
    argv = ["measure-images", "--real", str(arrays / "real.npy"), *(a.format(d=arrays) for a in extra)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and message in err
