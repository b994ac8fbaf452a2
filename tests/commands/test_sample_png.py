"""``divergan sample --format png`` writes a folder of PNGs (plus the .npy) that ``measure-images`` and
other tools read; toy runs and bad output paths are refused with one line and exit status 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from divergan.cli import main
from divergan.data.images import read_folder


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("img") / "run"
    assert main(["train", "--preset", "digits-quick", "--steps", "10", "--out", str(run), "--quiet"]) == 0
    return run


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("toy") / "run"
    argv = ["train", "--preset", "quick", "--quiet", "--set", "steps=10", "--set", "plot=false"]
    assert main([*argv, "--out", str(run)]) == 0
    return run


def one_error_line(capsys, argv: list[str], message: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and message in err, err


def test_png_folder_holds_one_png_per_image_and_the_npy(image_run, tmp_path, capsys):
    out = tmp_path / "pngs"
    assert main(["sample", str(image_run), "--n", "12", "--out", str(out), "--format", "png"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{i:06d}.png" for i in range(12)] + ["samples.npy"]
    x = np.load(out / "samples.npy")
    assert x.shape == (12, 1, 16, 16) and x.dtype == np.float32
    with Image.open(out / "000003.png") as im:
        assert im.mode == "L" and im.size == (16, 16)
        assert np.array_equal(np.asarray(im), np.rint(x[3, 0] * 255).astype(np.uint8))
    # the same samples as --format npy with the same seed
    assert main(["sample", str(image_run), "--n", "12", "--out", str(tmp_path / "x.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "x.npy"), x)
    # read back: the 8-bit quantisation of the array, in file order
    back, labels = read_folder(out)
    assert labels is None and np.array_equal(back, np.rint(x * 255).astype(np.uint8) / np.float32(255))


def test_measure_images_reads_folders_like_arrays(image_run, tmp_path, capsys):
    out = tmp_path / "pngs"
    assert main(["sample", str(image_run), "--n", "40", "--out", str(out), "--format", "png"]) == 0
    quantised = (np.rint(np.load(out / "samples.npy") * 255) / 255).astype(np.float32)
    np.save(tmp_path / "q.npy", quantised)
    half = tmp_path / "half"
    half.mkdir()
    for p in sorted(out.glob("*.png"))[:20]:
        (half / p.name).write_bytes(p.read_bytes())
    np.save(tmp_path / "h.npy", quantised[:20])
    common = ["--json", "--kid-subsets", "3", "--kid-subset-size", "10"]
    capsys.readouterr()
    assert main(["measure-images", "--real", str(half), "--fake", str(out), *common]) == 0
    from_folders = json.loads(capsys.readouterr().out)
    assert (
        main(
            ["measure-images", "--real", str(tmp_path / "h.npy"), "--fake", str(tmp_path / "q.npy"), *common]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out) == from_folders
    assert from_folders["num_fake"] == 40 and from_folders["num_real"] == 20


def test_png_is_refused_for_toy_runs_and_for_bad_folders(toy_run, image_run, tmp_path, capsys):
    target = tmp_path / "toy-pngs"
    one_error_line(
        capsys,
        ["sample", str(toy_run), "--n", "5", "--out", str(target), "--format", "png"],
        "needs an image run",
    )
    assert not target.exists()
    one_error_line(
        capsys,
        ["sample", str(image_run), "--n", "5", "--out", str(tmp_path / "a.npy"), "--format", "png"],
        "folder",
    )
    used = tmp_path / "used"
    used.mkdir()
    (used / "old.png").write_bytes(b"")
    one_error_line(
        capsys,
        ["sample", str(image_run), "--n", "5", "--out", str(used), "--format", "png"],
        "already holds PNG",
    )
    one_error_line(
        capsys, ["sample", str(image_run), "--n", "5", "--out", str(tmp_path / "dir")], ".npy file"
    )


def test_measure_images_refuses_bad_folders_with_one_line(image_run, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["sample", str(image_run), "--n", "4", "--out", str(tmp_path / "ok"), "--format", "png"]) == 0
    one_error_line(
        capsys, ["measure-images", "--real", str(empty), "--fake", str(tmp_path / "ok")], "no PNG or JPEG"
    )
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.new("L", (16, 16)).save(mixed / "a.png")
    Image.new("L", (20, 20)).save(mixed / "b.png")
    one_error_line(
        capsys, ["measure-images", "--real", str(mixed), "--fake", str(tmp_path / "ok")], "one size"
    )
    (mixed / "b.png").write_bytes(b"not a png")
    one_error_line(
        capsys, ["measure-images", "--real", str(mixed), "--fake", str(tmp_path / "ok")], "not a readable"
    )
