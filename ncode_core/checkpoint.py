"""Checkpoints: ``{format_version, task, model, config, step, state_dict, optimizer, metrics}``
of plain types, written atomically, read with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from ncode_core.config import ConfigError
from ncode_core.registry import parse_run_config

FORMAT_VERSION = 1
REQUIRED_KEYS = ("format_version", "task", "model", "config", "step", "state_dict")


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, unsafe (pickled code) or inconsistent."""


def save_checkpoint(path: str | Path, trainer_state: dict[str, Any],
                    metrics: dict[str, Any] | None = None) -> Path:
    """Write ``Trainer.state_dict()`` plus metrics to ``path`` atomically; returns the path."""
    path = Path(path)
    config = trainer_state["config"]
    payload = {
        "format_version": FORMAT_VERSION,
        "task": config["task"],
        "model": config["model"],
        "config": config,
        "step": int(trainer_state["step"]),
        "state_dict": trainer_state["model"],
        "optimizer": trainer_state.get("optimizer"),
        "metrics": {k: v for k, v in (metrics or {}).items() if isinstance(v, (int, float, str))},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)  # serialised in memory: a failed write is a plain OSError (ENOSPC)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:  # the bytes of a stream save: no path in them
            stream.write(buffer.getbuffer())
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and validate a checkpoint; ``config`` comes back as a validated RunConfig.

    Raises:
        CheckpointError: missing file, not a torch file, pickled objects, wrong format version,
            missing keys or an invalid config.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"checkpoint {path} cannot be read safely: {first_line}") from None
    if not isinstance(payload, dict):
        raise CheckpointError(f"checkpoint {path}: expected a dict, found {type(payload).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in payload]
    if missing:
        raise CheckpointError(f"checkpoint {path}: missing keys {missing}")
    if payload["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path}: format_version {payload['format_version']!r} "
                              f"is not supported (expected {FORMAT_VERSION})")
    try:
        # a checkpoint is evaluated, not trained: the training memory budget does not apply
        payload["config"] = parse_run_config(payload["config"], check_resources=False)
    except ConfigError as error:
        raise CheckpointError(f"checkpoint {path}: invalid config: {error}") from None
    return payload


def trainer_state_from_checkpoint(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``Trainer.load_state_dict`` input held by a loaded checkpoint."""
    return {"config": payload["config"].to_dict(), "model": payload["state_dict"],
            "optimizer": payload.get("optimizer"), "step": payload["step"]}
