"""A digit drawn by hand turned into one test image of a digit task, prepared the way the
dataset's own images were: cropped to its ink, scaled so its longer side spans the task's digit
box, placed by its centre of mass, quantised to the dataset's pixel levels.

MNIST's digits were fitted into a 20x20 box and centred by centre of mass in 28x28; the 8x8
digits of scikit-learn fill their frame (32x32 bitmaps counted in 4x4 blocks, 0..16). A task says
which box it uses (``ImageTask.drawn_digit_box``); the app passes the drawing's ink.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

INK_THRESHOLD = 0.05  # ink below this (anti-aliasing haze) does not count for the bounding box


def digit_from_drawing(ink: np.ndarray, image_shape: tuple[int, int, int], box: int,
                       levels: int) -> np.ndarray:
    """A drawing ``ink (H, W)`` (0 = background, 1 = full stroke, any resolution) as one image
    ``(C, h, w)`` of ``image_shape`` with pixels in [0, 1] in steps of ``1 / levels``.

    The ink's bounding box is scaled (area averaging, aspect kept) so its longer side spans
    ``box`` pixels, placed with its centre of mass at the image centre (shifted back inside the
    frame where it would leave it), scaled so the brightest pixel is 1 and rounded to
    ``levels`` levels (the dataset's ``max_value``: 255 for MNIST, 16 for the 8x8 digits).

    Raises:
        ValueError: ``ink`` is not 2-D, ``box`` does not fit the image, or nothing is drawn.
    """
    ink = np.asarray(ink, dtype=np.float64)
    channels, height, width = image_shape
    if ink.ndim != 2:
        raise ValueError(f"ink: expected a 2-D drawing (H, W), got shape {ink.shape}")
    if not 1 <= box <= min(height, width):
        raise ValueError(f"box: {box} pixels do not fit a {height}x{width} image")
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    if rows.size == 0:
        raise ValueError("nothing is drawn: draw a digit first")
    cropped = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = box / max(cropped.shape)
    size = (max(1, round(cropped.shape[0] * scale)), max(1, round(cropped.shape[1] * scale)))
    small = F.interpolate(torch.from_numpy(cropped)[None, None], size=size,
                          mode="area")[0, 0].numpy()
    placed = np.zeros((height, width))
    top, left = _centred_by_mass(small, height, width)
    placed[top:top + size[0], left:left + size[1]] = small
    peak = placed.max()
    if peak <= 0:
        raise ValueError("nothing is drawn: draw a digit first")
    image = np.round(placed / peak * levels) / levels
    return np.repeat(image[None], channels, axis=0)


def _centred_by_mass(small: np.ndarray, height: int, width: int) -> tuple[int, int]:
    """Top-left corner that puts ``small``'s centre of mass at the centre of a ``height x
    width`` frame, clipped so ``small`` stays inside it."""
    total = small.sum()
    mass_row = (small.sum(axis=1) @ np.arange(small.shape[0])) / total
    mass_col = (small.sum(axis=0) @ np.arange(small.shape[1])) / total
    top = int(round((height - 1) / 2 - mass_row))
    left = int(round((width - 1) / 2 - mass_col))
    return (min(max(top, 0), height - small.shape[0]), min(max(left, 0), width - small.shape[1]))
