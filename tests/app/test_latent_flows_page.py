"""The Latent flows page (AppTest): opens the pretrained digits AutoN-CODE with the AE and VAE
beside it, draws every section, refits and resamples the GMM, falls back from MNIST entries
whose data is missing with the command that fetches it, and fills Table 2 from finished jobs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

import ncode_core as nc
from app.components.table2 import NOT_SCORED
from tests.app.conftest import metrics, open_page

PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"
ENTRIES = {e["name"]: e for e in nc.read_manifest(PRETRAINED)
           if issubclass(nc.TASKS[e["task"]], nc.AutoencodingTask)}


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An empty data root (only the bundled digits open) and an empty job store."""
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NCODE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NCODE_WORKER_AUTOSTART", "0")
    return tmp_path / "runs"


def chart(at, title_start: str) -> dict:
    """The plotly figure whose title starts with ``title_start``."""
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [f for f in figures if f["layout"]["title"]["text"].startswith(title_start)]
    assert len(found) == 1, [f["layout"]["title"]["text"] for f in figures]
    return found[0]


def values(encoded) -> np.ndarray:
    """A figure array as plotly 6 writes it (base64 with dtype and shape) or a plain list."""
    if isinstance(encoded, dict):
        flat = np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"])
        shape = [int(n) for n in str(encoded.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.array(encoded, dtype=np.float64)


def test_mnist_entries_without_data_fall_back_to_digits_and_every_section_renders(no_data):
    assert {"digits_ae-autoncode", "digits_ae-ae", "digits_ae-vae"} <= set(ENTRIES)
    assert {"mnist_ae-autoncode", "mnist_ae-ae", "mnist_ae-vae"} <= set(ENTRIES)
    at = open_page("latent_flows")
    assert [t.value for t in at.title] == ["Latent flows"]
    assert not at.exception and not at.error
    assert at.selectbox(key="lf_task").value == "mnist_ae"  # the paper's dataset comes first
    warning = " ".join(w.value for w in at.warning)
    assert "python -m ncode_core data fetch mnist" in warning and "Digits" in warning
    for model, label in (("autoncode", "AutoN-CODE"), ("ae", "Autoencoder"), ("vae", "VAE")):
        expected = f"{ENTRIES[f'digits_ae-{model}']['metrics']['test_mse']:.4f}"
        assert metrics(at, f"{label}: test MSE") == [expected]
    # orbits, decoded strip, theta, three sample grids, three interpolations; the t-SNE waits
    assert len(at.get("plotly_chart")) == 9
    assert not metrics(at, "clustering accuracy (GMM on the t-SNE)")
    orbits = chart(at, "x(t) on [0, 10] of test image 0")
    assert len(orbits["data"]) == 4  # other orbits, end points, the chosen orbit, x(0) / x(T)
    samples = chart(at, "AutoN-CODE: 64 samples")
    assert samples["data"][0]["type"] == "heatmap"
    theta = values(chart(at, "theta of test image 0")["data"][0]["z"])
    assert (np.isfinite(theta).sum(axis=1) == 2).all()  # two non-zeros per row, zeros blank
    assert len(at.dataframe) == 3  # Table 2: MNIST (preset), CIFAR-10 and CelebA (paper only)


def test_the_tsne_and_clusters_are_computed_on_request(no_data):
    at = open_page("latent_flows")
    at.toggle(key="lf_clusters_on").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 11  # the two t-SNE views join the page
    for label in ("clustering accuracy (GMM on the latents)",
                  "clustering accuracy (GMM on the t-SNE)"):
        value = float(metrics(at, label)[0].rstrip("%"))
        assert 0 < value <= 100


def test_refitting_and_resampling_change_the_samples(no_data):
    at = open_page("latent_flows")
    first = values(chart(at, "AutoN-CODE: 64 samples")["data"][0]["z"])
    at.number_input(key="lf_components").set_value(3).run()
    at.selectbox(key="lf_covariance").set_value("diag").run()
    assert not at.exception and not at.error
    refitted = values(chart(at, "AutoN-CODE: 64 samples")["data"][0]["z"])
    assert not np.allclose(refitted, first, equal_nan=True)
    assert any("3 diag-covariance components" in c.value for c in at.caption)
    at.button(key="lf_resample").click().run()
    assert not at.exception
    resampled = values(chart(at, "AutoN-CODE: 64 samples")["data"][0]["z"])
    assert not np.allclose(resampled, refitted, equal_nan=True)
    assert any("draw 1" in c.value for c in at.caption)


def test_table2_shows_the_papers_scores_and_a_finished_job(no_data):
    with nc.JobStore(no_data) as store:
        spec = nc.get_preset("table2-mnist").expand(steps=10)[0]  # the AutoN-CODE entry
        job = store.create_job(spec)
        store.claim_next("test-worker")
        store.finish(job.id, "succeeded", result={"test_mse": 0.0321, "test_loss": 0.0321,
                                                  "steps": 10})
    at = open_page("latent_flows")
    frames = [frame.value.to_dict("records") for frame in at.dataframe]
    mnist = {row["model"]: row for row in frames[0]}
    gmm = "paper: clustering accuracy % (10-component GMM; Fig. A.10)"
    assert mnist["AutoN-CODE"][gmm] == "86.02" and mnist["VAE"][gmm] == "83.2"
    assert mnist["AE, latent 50"][gmm] == "-"  # not the paper's setting
    assert mnist["AutoN-CODE"]["ours: test MSE"] == "0.0321"
    assert mnist["AutoN-CODE"]["ours: budget"].startswith("10 steps")
    assert mnist["VAE"]["ours: test MSE"] == "not measured here"
    cifar = {row["model"]: row for row in frames[1]}
    assert cifar["AutoN-CODE"]["paper: FID, 100-component GMM; VAE: its prior (Table 2)"] == \
        "34.9"


def test_scoring_a_finished_mnist_job_without_data_says_how_to_fetch_it(no_data):
    checkpoint = no_data.parent / "job.pt"
    checkpoint.write_bytes((PRETRAINED / ENTRIES["mnist_ae-ae"]["file"]).read_bytes())
    with nc.JobStore(no_data) as store:
        spec = nc.get_preset("table2-mnist").expand(steps=10)[1]  # the AE entry
        job = store.create_job(spec)
        store.claim_next("test-worker")
        store.record_checkpoint(job.id, 10, checkpoint)
        store.finish(job.id, "succeeded", result={"test_mse": 0.01, "steps": 10})
    at = open_page("latent_flows")
    at.button(key="lf_score_button_mnist_ae").click().run()
    assert not at.exception
    assert any(w.value.startswith("Not scored") and "data fetch mnist" in w.value
               for w in at.warning)
    rows = {row["model"]: row for row in at.dataframe[0].value.to_dict("records")}
    assert rows["AE"]["ours: domain Frechet distance"] == NOT_SCORED
