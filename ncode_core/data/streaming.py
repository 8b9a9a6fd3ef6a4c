"""Image splits too large for memory (CelebA's 202k faces): read from disk a batch at a time,
behind the reading interface of the in-memory :class:`~ncode_core.data.splits.ImageSplit`
(``len``, ``image_shape``, ``classes``, ``batch``, ``batches``, ``first``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset, Subset

from ncode_core.data.splits import BatchedSplit

UNLABELLED = ("unlabelled",)


class StreamingImageSplit(BatchedSplit):
    """One split of an image dataset read on demand.

    ``items[i]`` is ``(image, label)``: image ``(C, H, W)`` float in [0, 1], label an int class
    index, or None for unlabelled data, which gets label 0 of the one class :data:`UNLABELLED`.
    Only the images of a requested batch are decoded.
    """

    def __init__(self, dataset: str, split: str, items: Dataset,
                 classes: tuple[str, ...] = UNLABELLED) -> None:
        self.dataset = dataset
        self.split = split
        self.items = items
        self.classes = classes

    def __len__(self) -> int:
        return len(self.items)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image (read from the first item)."""
        channels, height, width = self.items[0][0].shape
        return int(channels), int(height), int(width)

    @staticmethod
    def _label(target: Any) -> int:
        return 0 if target is None else int(target)

    def batch(self, index: Tensor, device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
        """Images (B, C, H, W) float32 in [0, 1] and labels (B,) int64 for ``index`` (B,)."""
        items = [self.items[i] for i in index.tolist()]
        images = torch.stack([image for image, _ in items]).float()
        labels = torch.tensor([self._label(target) for _, target in items], dtype=torch.int64)
        return images.to(device), labels.to(device)

    def first(self, count: int | None) -> StreamingImageSplit:
        """The first ``count`` images (all when None); nothing is read."""
        if count is None or count >= len(self):
            return self
        return StreamingImageSplit(self.dataset, self.split, Subset(self.items, range(count)),
                                   self.classes)
