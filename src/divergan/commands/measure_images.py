"""``divergan measure-images --real A --fake B``: image metrics of two image sets, thin over the library.

Each of A and B is an array file (.npy/.npz) or a folder of PNG/JPEG images (searched recursively, in
sorted path order, all of one size; grayscale if every image is, else RGB), such as the folder
``divergan sample RUN --format png`` writes.
"""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "measure-images",
        help="Fréchet distance, KID, precision/recall/density/coverage and digit modes of two image sets (arrays or folders)",
        description="Compare generated images with real ones. Each set is an array file (.npy/.npz: "
        "(N, C, H, W), (N, H, W) or (N, H, W, C), floats in [0, 1] or uint8) or a folder of PNG/JPEG "
        "images of one size.",
    )
    p.add_argument("--real", required=True, metavar="PATH", help="real images (.npy, .npz or a folder)")
    p.add_argument("--fake", required=True, metavar="PATH", help="generated images (.npy, .npz or a folder)")
    p.add_argument(
        "--features",
        default="digits",
        metavar="NET",
        help="'digits' (the shipped digit classifier, default) or a digit-cnn .safetensors file",
    )
    p.add_argument("--stacked", action="store_true", help="also count stacked-MNIST modes (3 channels)")
    p.add_argument("--kid-subsets", type=int, default=100, help="KID subsets (default 100)")
    p.add_argument("--kid-subset-size", type=int, default=1000, help="KID subset size (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of KID's subsets")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def load_images(path: str, name: str):
    """(N, C, H, W) float32 tensor in [0, 1] from an array file or a folder of images."""
    from pathlib import Path

    import torch

    from divergan.data.images import read_folder
    from divergan.errors import UserError
    from divergan.metrics.images import load_image_array

    if not Path(path).is_dir():
        return load_image_array(path, name)
    try:
        x, _ = read_folder(path, resize_hint="measure-images needs images of one size")
    except UserError as exc:
        raise UserError(f"{name}: {exc}") from None
    return torch.from_numpy(x)


def run(args: argparse.Namespace) -> int:
    from divergan.errors import UserError
    from divergan.metrics.images import format_image_metrics, image_metrics

    if args.kid_subsets < 1 or args.kid_subset_size < 2:
        raise UserError("--kid-subsets must be >= 1 and --kid-subset-size >= 2")
    real = load_images(args.real, "--real")
    fake = load_images(args.fake, "--fake")
    out = image_metrics(
        real,
        fake,
        features=args.features,
        stacked=args.stacked,
        kid_subsets=args.kid_subsets,
        kid_subset_size=args.kid_subset_size,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps(out))
    else:
        print("\n".join(format_image_metrics(out)))
    return 0
