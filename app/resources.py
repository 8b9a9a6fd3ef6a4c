"""Every cached loader of the dashboard (st.cache_resource / st.cache_data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

import ncode_core as nc
from app.components.image_curves import SHOWN_STATES

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


@st.cache_resource
def configure_torch() -> int:
    """Torch threads for in-app training (``NCODE_THREADS``, default 1: a core stays with the UI)."""
    return nc.set_threads()


@st.cache_data
def manifest() -> list[dict[str, Any]]:
    """Entries of ``pretrained/manifest.json`` (name, task, model, file, sha256, metrics, ...)."""
    return nc.read_manifest(PRETRAINED)


@st.cache_resource
def pretrained_checkpoint(name: str) -> dict[str, Any]:
    """A pretrained checkpoint, hash-checked against the manifest, then safely loaded."""
    return nc.load_pretrained(PRETRAINED, name)


@st.cache_data(show_spinner=False)
def build_problem(config_json: str) -> str | None:
    """Why the run config (as JSON) cannot be built, e.g. no parameter-matched width within
    10 %; None when it builds. Cached: Compare asks on every rerun, the answer never changes."""
    try:
        config = nc.parse_run_config(json.loads(config_json))
        nc.build_model(nc.build_task(config), config)
    except nc.ConfigError as error:
        return str(error)
    return None


@st.cache_data(show_spinner=False)
def png_export_available() -> tuple[bool, str]:
    """Whether kaleido can render PNGs here (it drives a Chromium); and why not."""
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False, "kaleido is not installed"
    from app.browser import find_chromium

    if find_chromium() is None:
        return False, "no Chromium/Chrome found (install Debian's chromium)"
    return True, ""


@st.cache_resource(show_spinner=False)
def pretrained_trainer(name: str) -> nc.Trainer:
    """A Trainer restored from a pretrained checkpoint (shared, read-only use: views only)."""
    payload = pretrained_checkpoint(name)
    trainer = nc.Trainer(payload["config"], device="cpu")
    trainer.load_state_dict(nc.trainer_state_from_checkpoint(payload))
    return trainer


IMAGE_JOBS_TTL_S = 10  # a running job's newest evaluations show within this many seconds


@st.cache_data(ttl=IMAGE_JOBS_TTL_S, show_spinner=False)
def image_jobs(runs_dir: str) -> tuple[list[nc.Job], dict[int, list[dict[str, Any]]]]:
    """The image-classification jobs of the store in ``runs_dir`` and the logged metric rows of
    the running and succeeded ones (job id -> rows). Cached for a few seconds: reading four
    3-epoch MNIST histories (11k rows) took 0.35 s under load, too long for every slider move.

    Raises:
        JobError: the store cannot be read.
    """
    with nc.JobStore(runs_dir) as store:
        jobs = [job for job in store.list_jobs()
                if issubclass(nc.TASKS.get(job.task, object), nc.ImageTask)]
        histories = {job.id: store.metrics(job.id) for job in jobs
                     if job.status in SHOWN_STATES}
    return jobs, histories
