"""The Ray executor: the same runner command submitted through Ray's Job Submission API.

``submit --executor ray --address http://HOST:8265`` (or ``$NCODE_RAY_ADDRESS``, the operator's
setting and the only address the dashboard uses: a browser user cannot point the server at
another host) stores the job, then submits
``<python> -m ncode_core jobs run ID --runs-dir <runs>`` to the cluster. The runner writes status,
heartbeats, metrics, checkpoints and logs to the runs folder, which must therefore be shared by
the cluster's nodes (and the interpreter path must exist there). Ray's own job states are mapped
onto the store's when a job is refreshed: a Ray job that ``FAILED`` before its runner reported
ends ``failed`` with Ray's message; one ``STOPPED`` ends ``cancelled``. Cancel sets the store's
cancel flag (the runner sees it on its next heartbeat) and calls ``stop_job`` (SIGTERM, then
SIGKILL after Ray's grace period).

Ray is an optional extra: ``pip install -r requirements-ray.txt``.
"""

from __future__ import annotations

import os
import shlex
import uuid
from typing import Any

from ncode_core.config import ConfigError
from ncode_core.jobs.local import child_environment, runner_command
from ncode_core.jobs.store import Job, JobStore

def operator_ray_address() -> str | None:
    """The Ray cluster address the operator configured (``$NCODE_RAY_ADDRESS``), or None."""
    return os.environ.get("NCODE_RAY_ADDRESS", "").strip() or None


def job_client(address: str) -> Any:
    """A ``ray.job_submission.JobSubmissionClient`` for ``address`` (``http://HOST:8265``).

    Raises:
        ConfigError: Ray is not installed or the address does not answer.
    """
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install -r requirements-ray.txt") from None
    try:
        return JobSubmissionClient(address)
    except Exception as error:  # ConnectionError, RuntimeError, ValueError from Ray
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"--address {address}: cannot reach a Ray cluster: {first}") from None


class RayExecutor:
    """Submits, refreshes, cancels and reads logs of jobs on a Ray cluster at ``address``."""

    name = "ray"

    def __init__(self, address: str) -> None:
        self.address = address
        self._client: Any = None

    @classmethod
    def configured(cls, address: str | None = None, **_options: object) -> "RayExecutor":
        """The executor for ``executor_for``: ``address``, else :func:`operator_ray_address`.

        Raises:
            ConfigError: neither is set.
        """
        address = address or operator_ray_address()
        if not address:
            raise ConfigError("--executor ray needs --address http://HOST:8265 or the "
                              "environment variable NCODE_RAY_ADDRESS")
        return cls(address)

    def connect(self) -> None:
        """Reach the cluster (ConfigError if Ray is missing or the address does not answer)."""
        _ = self.client

    @property
    def client(self) -> Any:
        """Ray's JobSubmissionClient, connected on first use."""
        if self._client is None:
            self._client = job_client(self.address)
        return self._client

    def submit(self, store: JobStore, job: Job) -> str:
        """Submit the job's runner; records and returns Ray's submission id."""
        env = child_environment(store.runs_dir)
        keep = ("PYTHONPATH", "NCODE_RUNS_DIR", "NCODE_THREADS", "NCODE_HEARTBEAT_S",
                "NCODE_HEARTBEAT_TIMEOUT_S")
        env_vars = {key: env[key] for key in keep if key in env}
        submission_id = f"ncode-{job.id}-{uuid.uuid4().hex[:8]}"
        device = job.spec.get("device", "auto")
        self.client.submit_job(
            entrypoint=shlex.join(runner_command(job.id, store.runs_dir)),
            submission_id=submission_id,
            runtime_env={"env_vars": env_vars},
            entrypoint_num_gpus=1 if device == "cuda" else 0,
            metadata={"ncode_job": str(job.id), "name": job.name},
        )
        store.set_external_id(job.id, submission_id)
        return submission_id

    def status(self, job: Job) -> str:
        """Ray's status name for the job (``PENDING``, ``RUNNING``, ``SUCCEEDED``, ...)."""
        return str(self.client.get_job_status(job.external_id)).split(".")[-1]

    def refresh(self, store: JobStore, job: Job) -> Job:
        """Map Ray's state onto the store for a job that has not ended in the store."""
        if job.status not in ("queued", "running") or not job.external_id:
            return job
        ray_status = self.status(job)
        if ray_status in ("FAILED", "STOPPED", "SUCCEEDED"):
            fresh = store.require(job.id)  # the runner may have reported meanwhile
            if fresh.status in ("queued", "running"):
                if ray_status == "STOPPED" or fresh.cancel_requested:
                    store.finish(job.id, "cancelled", "stopped through Ray")
                else:
                    info = self.client.get_job_info(job.external_id)
                    message = (getattr(info, "message", "") or "").strip().splitlines()
                    store.finish(job.id, "failed", "ray job ended without a report: "
                                 + (message[0] if message else ray_status))
        return store.require(job.id)

    def cancel(self, store: JobStore, job: Job) -> Job:
        """Request cancellation in the store and stop the Ray job."""
        job = store.request_cancel(job.id)
        if job.external_id:
            try:
                self.client.stop_job(job.external_id)
            except Exception:  # already ended on the Ray side
                pass
        return job

    def logs(self, job: Job) -> str:
        """The Ray-side stdout/stderr of the job's entrypoint."""
        if not job.external_id:
            return ""
        return self.client.get_job_logs(job.external_id)
