"""Fixtures of the fault-injection suite: a fresh runs folder per test, real worker processes
cleaned up afterwards, and small tmpfs mounts (full disks, read-only folders) unmounted after.

Faults are injected at the operating-system boundary (a full or read-only filesystem, a deleted
or overwritten file, a second process), never through hooks in the production code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.fault_helpers import Mounts
from tests.unit.jobs_helpers import ProcessTracker


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Path:
    """A fresh runs folder, also ``$NCODE_RUNS_DIR`` for in-process calls."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("NCODE_RUNS_DIR", str(folder))
    monkeypatch.setenv("NCODE_WORKER_AUTOSTART", "0")
    return folder


@pytest.fixture
def tracker(runs):
    """Starts workers; kills them and every job process of the store at teardown."""
    processes = ProcessTracker(runs)
    yield processes
    processes.cleanup()


@pytest.fixture
def mounts():
    """Make tmpfs mounts; all are unmounted at teardown."""
    made = Mounts()
    yield made
    made.unmount_all()
