"""CelebA at 64x64 for the ``celeba_ae`` task: torchvision's aligned faces (178x218) under the
data root, cropped and resized as Tolstikhin et al. (WAE) and Ghosh et al. (RAE) do, whose
CelebA models the paper adapts (C.4), and streamed a batch at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from torch import Tensor

from ncode_core.data.loading import load_dataset
from ncode_core.data.streaming import StreamingImageSplit

CELEBA_CROP = 140
CELEBA_SIDE = 64
CELEBA_TRANSFORM = (f"centre crop {CELEBA_CROP}x{CELEBA_CROP} of the 178x218 aligned face, "
                    f"bilinear resize with antialiasing to {CELEBA_SIDE}x{CELEBA_SIDE}, "
                    "pixels / 255")


def celeba_64_transform() -> Callable[[object], Tensor]:
    """PIL image -> ``(3, 64, 64)`` float32 in [0, 1], as :data:`CELEBA_TRANSFORM` says."""
    from torchvision import transforms  # imported on first use: seconds

    return transforms.Compose([
        transforms.CenterCrop(CELEBA_CROP),
        transforms.Resize(CELEBA_SIDE, interpolation=transforms.InterpolationMode.BILINEAR,
                          antialias=True),
        transforms.ToTensor(),
    ])


def load_celeba_64(split: str, root: str | Path | None = None) -> StreamingImageSplit:
    """CelebA's ``split`` (train 162,770 / valid 19,867 / test 19,962 images) as a streamed,
    unlabelled split of ``(3, 64, 64)`` images; DataError naming what to place where when the
    data is not under the root."""
    return StreamingImageSplit("celeba", split,
                               load_dataset("celeba", split, root, celeba_64_transform()))
