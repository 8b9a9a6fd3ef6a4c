"""Shared fixtures: one torch thread (the CI machine has two cores) and float64 helpers."""

from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def float64():
    """Run a test with float64 as torch's default dtype, restoring it afterwards."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch.float64
    torch.set_default_dtype(previous)
