"""In-memory image splits: a dataset's pixels kept in their stored integer form, turned into
float batches in [0, 1] on demand (4x less memory than float32 and no DataLoader per step)."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ncode_core.data.integrity import DataError

DIGITS_TEST_SIZE = 360
DIGITS_SPLIT_SEED = 0


class BatchedSplit:
    """One pass over a split in batches, for any split with ``__len__`` and
    ``batch(index (B,), device) -> (images (B, C, H, W), labels (B,))``."""

    def batches(self, batch_size: int, *, shuffle: bool = False,
                generator: torch.Generator | None = None,
                device: torch.device | str | None = None) -> Iterator[tuple[Tensor, Tensor]]:
        """One pass over the split in batches of ``batch_size`` (the last may be smaller), in a
        random order drawn from ``generator`` when ``shuffle``."""
        if batch_size < 1:
            raise ValueError(f"batch_size: must be >= 1 (got {batch_size})")
        order = torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        for start in range(0, len(self), batch_size):
            yield self.batch(order[start:start + batch_size], device)


@dataclass(frozen=True)
class ImageSplit(BatchedSplit):
    """One split of a labelled image dataset.

    images: (N, C, H, W) uint8, pixel values 0..max_value; labels: (N,) int64 class indices;
    classes: the class names, indexed by label.
    """

    dataset: str
    split: str
    images: Tensor
    labels: Tensor
    max_value: int
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        channels, height, width = self.images.shape[1:]
        return int(channels), int(height), int(width)

    def batch(self, index: Tensor, device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
        """Images (B, C, H, W) float32 in [0, 1] and labels (B,) int64 for ``index`` (B,).
        Pixels move to ``device`` as bytes and are converted there."""
        images = self.images[index].to(device).float().div_(self.max_value)
        return images, self.labels[index].to(device)

    def first(self, count: int | None) -> ImageSplit:
        """The first ``count`` images (all when None); a view, no copy."""
        if count is None or count >= len(self):
            return self
        return dataclasses.replace(self, images=self.images[:count], labels=self.labels[:count])


def split_from_torchvision(name: str, split: str, dataset: Any) -> ImageSplit:
    """An ImageSplit from a torchvision MNIST-family ((N, H, W) uint8 tensor ``data``) or CIFAR
    ((N, H, W, C) uint8 numpy ``data``) dataset object."""
    data = torch.as_tensor(dataset.data)
    images = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)
    labels = torch.as_tensor(dataset.targets, dtype=torch.int64)
    return ImageSplit(name, split, images.contiguous(), labels, 255, tuple(dataset.classes))


def bundled_digits_file() -> Path:
    """The 8x8 digits file scikit-learn ships (read by ``sklearn.datasets.load_digits``), found
    without importing scikit-learn (seconds)."""
    package = importlib.util.find_spec("sklearn")
    if package is None or package.origin is None:
        raise DataError("digits: scikit-learn is not installed; run "
                        "`pip install -r requirements.txt`")
    return Path(package.origin).parent / "datasets" / "data" / "digits.csv.gz"


def load_digits_split(split: str) -> ImageSplit:
    """scikit-learn's 1797 8x8 digits (pixels 0..16): a fixed seeded split, the last
    DIGITS_TEST_SIZE images of one permutation for test and the rest (1437) for train."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    order = np.random.RandomState(DIGITS_SPLIT_SEED).permutation(len(bunch.target))
    chosen = order[-DIGITS_TEST_SIZE:] if split == "test" else order[:-DIGITS_TEST_SIZE]
    images = torch.from_numpy(bunch.images[chosen].astype(np.uint8)).unsqueeze(1)
    labels = torch.from_numpy(bunch.target[chosen].astype(np.int64))
    return ImageSplit("digits", split, images, labels, 16, tuple(str(d) for d in range(10)))
