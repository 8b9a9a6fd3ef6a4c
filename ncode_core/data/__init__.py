"""Datasets: read from a data root (``$NCODE_DATA_DIR``, default ``./data``) in torchvision's
layouts, provided offline where a checksummed mirror exists, never replaced by a silent fake.

Public API: :func:`load_split` (an in-memory :class:`ImageSplit` for training loops),
:func:`load_celeba_64` (a :class:`StreamingImageSplit`, read a batch at a time),
:func:`load_dataset` (torchvision objects), :func:`fetch_dataset` and :func:`dataset_status`
(``python -m ncode_core data fetch|list``), :func:`verified_files` (files read directly: the FID
weights), :data:`DATASETS`, :func:`data_root`, :class:`DataError`.
"""

from ncode_core.data.catalog import DATASETS, DatasetSpec, data_root, dataset_spec
from ncode_core.data.celeba import CELEBA_TRANSFORM, load_celeba_64
from ncode_core.data.integrity import DataError, ExpectedFile
from ncode_core.data.loading import load_dataset, load_split, verified_files
from ncode_core.data.provision import DatasetStatus, FetchReport, dataset_status, fetch_dataset
from ncode_core.data.splits import ImageSplit
from ncode_core.data.streaming import StreamingImageSplit

__all__ = [
    "CELEBA_TRANSFORM",
    "DATASETS",
    "DataError",
    "DatasetSpec",
    "DatasetStatus",
    "ExpectedFile",
    "FetchReport",
    "ImageSplit",
    "StreamingImageSplit",
    "data_root",
    "dataset_spec",
    "dataset_status",
    "fetch_dataset",
    "load_celeba_64",
    "load_dataset",
    "load_split",
    "verified_files",
]
