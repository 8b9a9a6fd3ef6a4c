"""Process-level settings: seeds, device resolution, torch threads."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> cuda when available else cpu; ``"cuda"`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but no CUDA GPU is available; use --device cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_threads(count: int | None = None) -> int:
    """Set torch's intra-op threads (default: ``NCODE_THREADS`` or 1) and return the value.

    One thread is as fast as two for the toy problems and leaves a core to the UI.
    """
    if count is None:
        count = int(os.environ.get("NCODE_THREADS", "1"))
    torch.set_num_threads(max(1, count))
    return torch.get_num_threads()
