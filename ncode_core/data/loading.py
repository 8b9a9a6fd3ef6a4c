"""Reading a present dataset: in-memory splits for training loops, torchvision dataset objects
where transforms or on-disk images are needed. Missing data is an error naming the command that
provides it, never a stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ncode_core.data.catalog import DatasetSpec, data_root, dataset_spec
from ncode_core.data.integrity import DataError, is_verified
from ncode_core.data.splits import ImageSplit


def _verified(name: str, root: str | Path | None) -> tuple[DatasetSpec, Path]:
    """The spec and data root of a dataset whose files are all present and match their pins."""
    spec = dataset_spec(name)
    root = data_root(root)
    location = spec.location(root)
    missing = [e.path for e in spec.files if not (location / e.path).is_file()]
    if missing:
        raise DataError(f"{name} is not in {location} ({missing[0]} missing): {spec.hint(root)}")
    corrupt = [e.path for e in spec.files if not is_verified(location, e)]
    if corrupt:
        raise DataError(f"{name}: {location / corrupt[0]} does not match its pinned "
                        f"digest; run `python -m ncode_core data fetch {name}` to replace it")
    return spec, root


def _checked(name: str, split: str, root: str | Path | None) -> tuple[DatasetSpec, Path]:
    spec = dataset_spec(name)
    if not spec.splits:
        raise DataError(f"{name} holds no images ({spec.label})")
    if split not in spec.splits:
        raise DataError(f"split: {split!r} is not a split of {name}; choose one of "
                        f"{', '.join(spec.splits)}")
    return _verified(name, root)


def verified_files(name: str, root: str | Path | None = None) -> tuple[Path, ...]:
    """The absolute paths of a dataset's files (in its spec's order) after checking each
    against its pinned digest; DataError naming the fetch command when one is missing or
    differs. For files read directly rather than through torchvision (the FID weights)."""
    spec, root = _verified(name, root)
    return tuple(spec.location(root) / expected.path for expected in spec.files)


def load_split(name: str, split: str = "train", root: str | Path | None = None) -> ImageSplit:
    """A dataset split in memory, after checking its files against their digests.

    Returns an ImageSplit: images (N, C, H, W) uint8, labels (N,) int64; ``batch``/``batches``
    give float32 images in [0, 1]. ``name`` is a key of DATASETS (not celeba, which is too large
    for memory: use :func:`load_dataset`); ``root`` defaults to :func:`data_root`.
    """
    spec, root = _checked(name, split, root)
    if spec.read_split is None:
        raise DataError(f"{name} does not fit in memory as one tensor; use load_dataset")
    return spec.read_split(root, split)


def load_dataset(name: str, split: str = "train", root: str | Path | None = None,
                 transform: Any = None) -> Dataset:
    """The torchvision dataset object of a split (items: (transformed PIL image, target)),
    after checking its files. For mnist, fashion_mnist, cifar10 and celeba (whose image folder
    torchvision checks for on opening)."""
    spec, root = _checked(name, split, root)
    if spec.open_dataset is None:
        raise DataError(f"{name} has no torchvision dataset; use load_split")
    try:
        return spec.open_dataset(root, split, transform)
    except RuntimeError as error:
        raise DataError(f"{name}: torchvision cannot open it in {root} ({error}): "
                        f"{spec.hint(root)}") from None
