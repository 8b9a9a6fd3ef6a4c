"""Executors behind one interface: what runs a stored job, and how to cancel or refresh it.

:class:`Executor` is the protocol; :data:`EXECUTORS` maps each name (the ``--executor`` value and
the store's ``executor`` column) to its class, and :func:`executor_for` builds one. The API
(:mod:`ncode_core.jobs.api`) calls only these methods, so adding an executor is one class plus
one table entry, with no branch on its name anywhere else.
"""

from __future__ import annotations

from typing import Protocol

from ncode_core.config import ConfigError, shorten
from ncode_core.jobs.local import LocalExecutor
from ncode_core.jobs.ray_executor import RayExecutor
from ncode_core.jobs.store import Job, JobStore


class Executor(Protocol):
    """Runs stored jobs: the runner command ``python -m ncode_core jobs run ID`` somewhere."""

    name: str
    address: str | None  # where it submits (None: this machine)

    def connect(self) -> None:
        """Check the executor can be reached before anything is stored (ConfigError if not)."""

    def submit(self, store: JobStore, job: Job) -> None:
        """Hand a queued job to the executor (it will start the runner)."""

    def cancel(self, store: JobStore, job: Job) -> Job:
        """Request cancellation of a job and make it happen; returns the job."""

    def refresh(self, store: JobStore, job: Job) -> Job:
        """Bring the store's view of a job that has not ended up to date; returns the job."""


EXECUTORS: dict[str, type] = {"local": LocalExecutor, "ray": RayExecutor}


def executor_for(name: str, address: str | None = None, **options: object) -> Executor:
    """The executor called ``name`` (``address``: the Ray cluster's, default
    ``$NCODE_RAY_ADDRESS``; options: ``start_worker``, ``slots`` for the local one).

    Raises:
        ConfigError: unknown name, or an executor that needs an address without one.
    """
    if name not in EXECUTORS:
        raise ConfigError(f"--executor: unknown executor {shorten(repr(name))}; choose one of "
                          f"{list(EXECUTORS)}")
    return EXECUTORS[name].configured(address, **options)
