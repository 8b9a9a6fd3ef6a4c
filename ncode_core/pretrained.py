"""Pretrained checkpoints listed in a ``manifest.json``, verified by sha256 before loading.

The manifest (written by ``pretrained/build.py``, never by hand) looks like::

    {"format": 1, "built_by": "make pretrained",
     "checkpoints": [{"name": "annuli-ncode_open", "file": "annuli-ncode_open.pt",
                      "sha256": "<64 hex digits>",
                      "rebuild": "python pretrained/build.py --only annuli-ncode_open",
                      "task": ..., "model": ..., "metrics": {...}, ...}, ...]}

A file whose hash differs from its entry (edited, truncated, rebuilt without updating the
manifest) is refused with one line naming the file and the command that rebuilds it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ncode_core.checkpoint import CheckpointError, load_checkpoint
from ncode_core.data.integrity import file_digest

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
REQUIRED_ENTRY_KEYS = ("name", "file", "sha256", "rebuild")


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (the data layer's digest, so there is one hashing helper)."""
    return file_digest(Path(path), "sha256")


def read_manifest(directory: str | Path) -> list[dict[str, Any]]:
    """Entries of ``<directory>/manifest.json``; ``[]`` when the directory has no manifest.

    Raises:
        CheckpointError: the manifest is not JSON, has another format, or an entry lacks one of
            ``name``, ``file``, ``sha256``, ``rebuild``.
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        return []
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"manifest {path} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise CheckpointError(f"manifest {path}: format {found!r} is not supported "
                              f"(expected {MANIFEST_FORMAT}); rebuild it with `make pretrained`")
    entries = manifest.get("checkpoints")
    if not isinstance(entries, list):
        raise CheckpointError(f"manifest {path}: 'checkpoints' must be a list")
    for index, entry in enumerate(entries):
        missing = [key for key in REQUIRED_ENTRY_KEYS
                   if not isinstance(entry, dict) or not isinstance(entry.get(key), str)]
        if missing:
            raise CheckpointError(f"manifest {path}: checkpoint #{index} lacks {missing} "
                                  f"(strings); rebuild it with `make pretrained`")
    return entries


def verify_pretrained(directory: str | Path, entry: dict[str, Any]) -> Path:
    """Path of ``entry``'s file once its sha256 matches the manifest.

    Raises:
        CheckpointError: the file is missing or its hash differs; the message names the file and
            the entry's ``rebuild`` command.
    """
    path = Path(directory) / entry["file"]
    if not path.is_file():
        raise CheckpointError(f"pretrained checkpoint {path} is missing: rebuild it with "
                              f"`{entry['rebuild']}`")
    actual = file_sha256(path)
    if actual != entry["sha256"]:
        raise CheckpointError(f"pretrained checkpoint {path} does not match its manifest "
                              f"(sha256 {actual[:12]}..., expected {entry['sha256'][:12]}...): "
                              f"rebuild it with `{entry['rebuild']}`")
    return path


def load_pretrained(directory: str | Path, name: str) -> dict[str, Any]:
    """The checkpoint ``name`` of ``<directory>/manifest.json``, hash-verified, then loaded with
    :func:`ncode_core.load_checkpoint` (safe, validated config).

    Raises:
        CheckpointError: unknown name, missing file, hash mismatch or an invalid checkpoint.
    """
    entries = read_manifest(directory)
    entry = next((item for item in entries if item["name"] == name), None)
    if entry is None:
        known = ", ".join(item["name"] for item in entries) or "none"
        raise CheckpointError(f"pretrained checkpoint {name!r} is not in "
                              f"{Path(directory) / MANIFEST_NAME} (known: {known})")
    return load_checkpoint(verify_pretrained(directory, entry))
