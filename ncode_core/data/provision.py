"""``data list`` and ``data fetch``: what is present under the data root, and providing what is
not, from each dataset's sources in order, every file checked against its pinned digest."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ncode_core.data.catalog import DatasetSpec, data_root, dataset_spec
from ncode_core.data.integrity import (
    DataError,
    ExpectedFile,
    file_digest,
    is_verified,
    remove_unverified,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileStatus:
    """One expected file: its path, its sha256 when present, and whether it matches the pinned
    digest (None: nothing pinned)."""

    path: str
    present: bool
    sha256: str | None
    verified: bool | None


@dataclass(frozen=True)
class DatasetStatus:
    """A dataset under a data root: ``present`` when every file exists and verifies."""

    name: str
    label: str
    location: str
    present: bool
    files: list[FileStatus]
    how_to_provide: str


@dataclass(frozen=True)
class FetchReport:
    """What ``fetch_dataset`` did: ``source`` is the source that provided the files (or
    "already present" / "bundled"); ``written`` and ``files`` map paths (relative to
    ``location``) to sha256: the files written now, and all the dataset's files."""

    name: str
    location: str
    source: str
    written: dict[str, str]
    files: dict[str, str]
    removed: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def _file_status(location: Path, expected: ExpectedFile) -> FileStatus:
    path = location / expected.path
    if not path.is_file():
        return FileStatus(expected.path, False, None, False if expected.digest else None)
    sha256 = file_digest(path)
    if expected.digest is None:
        verified = None
    elif expected.algorithm == "sha256":
        verified = sha256 == expected.digest
    else:
        verified = file_digest(path, expected.algorithm) == expected.digest
    return FileStatus(expected.path, True, sha256, verified)


def dataset_status(spec: DatasetSpec | str, root: str | Path | None = None) -> DatasetStatus:
    """Which of a dataset's files are present under the data root, with their sha256."""
    spec = dataset_spec(spec) if isinstance(spec, str) else spec
    root = data_root(root)
    location = spec.location(root)
    files = [_file_status(location, expected) for expected in spec.files]
    present = all(f.present and f.verified is not False for f in files)
    return DatasetStatus(spec.name, spec.label, str(location), present, files, spec.hint(root))


def _all_verified(location: Path, spec: DatasetSpec) -> bool:
    return all(is_verified(location, expected) for expected in spec.files)


def _folders(location: Path, spec: DatasetSpec) -> list[Path]:
    """The location, its parents and the folders of the dataset's files, deepest first."""
    inside = {parent for e in spec.files for parent in (location / e.path).parents
              if location in parent.parents}
    folders = {location, *location.parents} | inside
    return sorted(folders, key=lambda folder: len(folder.parts), reverse=True)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed fetch created and left empty (deepest first)."""
    for folder in folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def fetch_dataset(spec: DatasetSpec | str, root: str | Path | None = None) -> FetchReport:
    """Provide a dataset under the data root: a no-op when its files are present and verify;
    otherwise files failing their digest are removed and the sources are tried in order. When
    none succeeds, DataError says why each failed and what provides the data."""
    spec = dataset_spec(spec) if isinstance(spec, str) else spec
    root = data_root(root)
    location = spec.location(root)
    started = time.perf_counter()

    def report(source: str, written: set[str], removed: list[str]) -> FetchReport:
        hashes = {e.path: file_digest(location / e.path) for e in spec.files}
        return FetchReport(spec.name, str(location), source,
                           {path: hashes[path] for path in sorted(written)}, hashes, removed,
                           time.perf_counter() - started)

    if _all_verified(location, spec):
        return report("bundled" if spec.bundled_in else "already present", set(), [])
    created_folders = [folder for folder in _folders(location, spec) if not folder.exists()]
    removed = remove_unverified(location, spec.files)
    failures = []
    for source in spec.sources:
        missing = {e.path for e in spec.files if not (location / e.path).is_file()}
        try:
            source.provide(location, spec.files)
        except DataError as error:
            failures.append(f"{source.label}: {error}")
            removed += remove_unverified(location, spec.files)
            continue
        removed += remove_unverified(location, spec.files)
        if _all_verified(location, spec):
            log.info("%s provided from %s", spec.name, source.label)
            return report(source.label, missing, removed)
        failures.append(f"{source.label}: its files did not match the pinned digests")
    _remove_empty(created_folders)
    tried = "; ".join(failures) if failures else "it has no source to fetch from"
    raise DataError(f"{spec.name} could not be provided in {location} ({tried}); "
                    f"{spec.hint(root)}")
