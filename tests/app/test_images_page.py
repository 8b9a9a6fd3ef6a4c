"""The Images page (AppTest): opens a pretrained digits classifier, draws one test image's
scores along t, feature maps and, for N-CODE, its kernels beside another image's; Table 1 puts
the paper's numbers beside finished jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

import ncode_core as nc
from tests.app.conftest import metrics, open_page

PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"
ENTRIES = {e["name"]: e for e in nc.read_manifest(PRETRAINED)
           if issubclass(nc.TASKS[e["task"]], nc.ImageTask)}


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """An empty job store for the page to read."""
    monkeypatch.setenv("NCODE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NCODE_WORKER_AUTOSTART", "0")
    return tmp_path / "runs"


def table(at) -> dict[str, dict]:
    frame = at.dataframe[0].value
    return {row["model"]: row for row in frame.to_dict("records")}


def test_the_page_opens_a_pretrained_ncode_and_shows_its_kernels(runs):
    assert {"digits-ncode_open", "digits-anode", "digits-node_dc"} <= set(ENTRIES)
    at = open_page("images")
    assert [t.value for t in at.title] == ["Images"]
    assert not at.exception and not at.error
    assert at.selectbox(key="img_model").value == "digits-ncode_open"
    assert metrics(at, "parameters") == [f"{ENTRIES['digits-ncode_open']['params']:,}"]
    # image, scores along t, feature strip, the kernels, the pair with its difference
    assert len(at.get("plotly_chart")) == 5
    assert at.radio(key="img_kernel").options == ["in_1x1", "mid_3x3", "out_1x1"]
    change = metrics(at, "kernel change between the two images")
    assert len(change) == 1 and float(change[0].rstrip(" %")) > 0
    assert metrics(at, "prediction")


def test_the_same_image_twice_has_no_kernel_difference(runs):
    at = open_page("images")
    at.slider(key="img_other").set_value(at.slider(key="img_index").value).run()
    assert metrics(at, "kernel change between the two images") == ["0.0 %"]


def test_a_shared_weight_baseline_has_no_kernels_to_draw(runs):
    at = open_page("images")
    at.selectbox(key="img_model").set_value("digits-anode").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3
    assert any("shared kernels" in info.value for info in at.info)


def test_table1_shows_the_papers_numbers_and_not_measured_here(runs):
    at = open_page("images")
    rows = table(at)
    assert rows["N-CODE open loop"]["MNIST paper (%)"] == "99.2"
    assert rows["N-CODE open loop"]["CIFAR-10 paper (%)"] == "74.1"
    assert rows["ANODE"]["MNIST paper (%)"] == "98.2"
    assert rows["NODE-DC (data-controlled)"]["CIFAR-10 paper (%)"] == "62.0"
    assert {row["MNIST ours (%)"] for row in rows.values()} == {"not measured here"}


def test_table1_fills_ours_from_a_finished_job(runs):
    with nc.JobStore(runs) as store:
        job = store.create_job(nc.JobSpec(task="mnist", model="ncode_open", steps=300,
                                          device="cpu"))
        store.claim_next("test-worker")
        store.finish(job.id, "succeeded",
                     result={"test_accuracy": 0.9871, "steps": 300, "params": 116821})
    rows = table(open_page("images"))
    assert rows["N-CODE open loop"]["MNIST ours (%)"] == "98.7"
    assert rows["N-CODE open loop"]["MNIST budget"].startswith("300 steps")
    assert rows["ANODE"]["MNIST ours (%)"] == "not measured here"


def test_closed_loop_kernels_are_shown_at_a_chosen_time(runs):
    at = open_page("images")
    at.selectbox(key="img_model").set_value("digits-ncode_closed").run()
    assert not at.exception and len(at.get("plotly_chart")) == 5
    at.select_slider(key="img_kernel_t").set_value(4).run()
    assert not at.exception and len(at.get("plotly_chart")) == 5
