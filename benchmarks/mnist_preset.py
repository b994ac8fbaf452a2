"""Judge a finished ``divergan train --preset mnist`` run: class balance and memorisation of its samples.

Until ``divergan.metrics.images`` (the digit-classifier features) is merged, the classes of generated
digits are read by a 3-nearest-neighbour classifier in pixel space fitted on the run's training images
(scikit-learn), whose accuracy on the held-out real digits is printed beside it so that its labels can be
trusted as far as they deserve. Prints one JSON object.

    python benchmarks/mnist_preset.py runs/00001-mnist-non-saturating --n 2000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.neighbors import KNeighborsClassifier

from divergan.metrics.memorisation import memorisation
from divergan.train import load_run
from divergan.train.loop import sample_fake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    cfg, parts, meta = load_run(Path(args.run))
    data = parts.dataset
    with torch.no_grad():
        fake = sample_fake(cfg, parts, args.n, torch.Generator().manual_seed(1))
    train_x = ((data.points + 1) / 2).flatten(1).numpy()
    held_x = ((data.held_out + 1) / 2).flatten(1).numpy()
    fake_x = ((fake + 1) / 2).clamp(0, 1).flatten(1).numpy()
    knn = KNeighborsClassifier(n_neighbors=3).fit(train_x, data.labels.numpy())
    accuracy = float((knn.predict(held_x) == data.held_out_labels.numpy()).mean())
    counts = np.bincount(knn.predict(fake_x), minlength=10)
    p = counts / counts.sum()
    out = {
        "run": args.run,
        "step": meta["step"],
        "knn_held_out_accuracy": accuracy,
        "class_counts": counts.tolist(),
        "classes_present": int((counts > 0).sum()),
        "max_over_min_class_share": float(p.max() / max(p.min(), 1e-12)),
        "kl_to_uniform": float(np.sum(p[p > 0] * np.log(p[p > 0] * 10))),
        **memorisation(torch.from_numpy(fake_x), torch.from_numpy(train_x), torch.from_numpy(held_x)),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
