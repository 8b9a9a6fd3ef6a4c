"""Every cached loader of the dashboard (st.cache_resource / st.cache_data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st
import torch

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


# --------------------------------------------------------------------------- Latent flows
# Keyed on the checkpoint's sha256 as well as its name: a rebuilt checkpoint gets fresh fits.


@st.cache_resource(show_spinner="Fitting the Gaussian mixture to the training latents ...")
def latent_mixture(name: str, sha256: str, components: int, covariance: str, images: int):
    """A GMM (``components``, ``covariance`` type) fitted to the latents of the first ``images``
    training images of the pretrained autoencoder ``name``."""
    trainer = pretrained_trainer(name)
    latents, _ = trainer.task.encode(trainer.model, trainer.task.train_split, images)
    return nc.fit_gmm(latents, components, covariance)


@st.cache_data(show_spinner=False, max_entries=64)
def gmm_samples(name: str, sha256: str, components: int, covariance: str, images: int,
                seed: int, count: int):
    """``count`` images ``(count, C, H, W)`` (numpy) decoded from latents drawn with ``seed``
    from :func:`latent_mixture`."""
    trainer = pretrained_trainer(name)
    mixture = latent_mixture(name, sha256, components, covariance, images)
    return nc.sample_images(trainer.model, mixture, count, seed).numpy()


@st.cache_data(show_spinner="Solving the latent flows ...", max_entries=32)
def latent_orbits(name: str, sha256: str, chosen: int, others: int, n_times: int):
    """Test image ``chosen``'s latent orbit (column 0) and those of the first ``others`` other
    test images, projected to 2-D (``nc.TrajectoryProjection``), with their labels ``(B,)``."""
    trainer = pretrained_trainer(name)
    index = torch.tensor([chosen] + [i for i in range(others + 1) if i != chosen][:others])
    images, labels, x0 = trainer.task.test_inputs(index)
    return nc.trajectory_view(trainer.model, images, n_times, x0), labels.numpy()


@st.cache_data(show_spinner="t-SNE and Gaussian mixtures on the test latents ...",
               max_entries=8)
def latent_clusters(name: str, sha256: str, images: int):
    """t-SNE and 10-component GMM clusters of the first ``images`` test latents, scored against
    their labels (``nc.LatentClustering``), and the labels ``(N,)``."""
    trainer = pretrained_trainer(name)
    latents, labels = trainer.task.encode(trainer.model, trainer.task.test_split, images)
    return nc.cluster_latents(latents, labels), labels.numpy()


@st.cache_resource(show_spinner="Training the domain classifier (the Frechet features) ...")
def domain_classifier(dataset: str, _split: Any) -> Any:
    """A ``nc.DomainClassifier`` trained on the training split of ``dataset`` (one per
    dataset; ``_split`` is that split, not hashed)."""
    return nc.train_domain_classifier(_split, steps=2000)


@st.cache_data(show_spinner="Scoring the checkpoint (GMM samples, Frechet, clusters) ...",
               max_entries=32)
def checkpoint_latent_scores(checkpoint: str, sha256: str) -> dict[str, Any]:
    """``nc.score_latents`` of the autoencoder checkpoint at ``checkpoint`` (keyed on its
    sha256), as a plain dict: 100-component GMM on 10k training latents, 2000 samples against
    2000 test images, clustering of those 2000."""
    payload = nc.load_checkpoint(checkpoint)
    trainer = nc.Trainer(payload["config"], device="cpu")
    trainer.load_state_dict(nc.trainer_state_from_checkpoint(payload))
    classifier = domain_classifier(trainer.task.dataset, trainer.task.train_split)
    return nc.score_latents(trainer, classifier, components=100, fit_images=10_000,
                            generated=2000, real=2000).to_dict()
