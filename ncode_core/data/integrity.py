"""Checksums and atomic writes: a dataset file is either complete and verified, or absent."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


class DataError(RuntimeError):
    """A dataset is missing, fails its checksum, or cannot be provided. The message is one line
    and names the command (or the place) that provides the data."""


@dataclass(frozen=True)
class ExpectedFile:
    """A file a dataset needs, relative to the data root, with its pinned digest.

    ``digest`` is None where no digest is pinned (the file is then only required to exist);
    ``algorithm`` is a :mod:`hashlib` name (sha256 for the files this project writes, md5 where
    torchvision publishes only md5).
    """

    path: str
    digest: str | None = None
    algorithm: str = "sha256"


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_verified(root: Path, expected: ExpectedFile) -> bool:
    """True when the file exists and matches its pinned digest (or has none pinned)."""
    path = root / expected.path
    if not path.is_file():
        return False
    return expected.digest is None or file_digest(path, expected.algorithm) == expected.digest


def remove_unverified(root: Path, files: tuple[ExpectedFile, ...]) -> list[str]:
    """Delete every present file that fails its digest (tampered or partial); return their paths."""
    removed = []
    for expected in files:
        path = root / expected.path
        if path.is_file() and not is_verified(root, expected):
            path.unlink()
            removed.append(expected.path)
            log.warning("removed %s: its %s does not match the pinned digest", path,
                        expected.algorithm)
    return removed


def write_verified(root: Path, expected: ExpectedFile, content: bytes) -> None:
    """Write ``content`` to ``root / expected.path`` atomically (temp file + rename) after checking
    its digest. Content that fails the digest is refused: nothing is
    written and DataError names the file."""
    digest = hashlib.new(expected.algorithm, content).hexdigest()
    if expected.digest is not None and digest != expected.digest:
        raise DataError(f"{expected.path}: {expected.algorithm} {digest} does not match the "
                        f"pinned {expected.digest}; refused")
    target = root / expected.path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
