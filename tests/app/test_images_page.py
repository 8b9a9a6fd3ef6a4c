"""The Images page (AppTest): opens a pretrained digits classifier, draws one test image's (or a
drawn digit's) scores along t, feature maps and, for N-CODE, its kernels beside another image's;
Table 1 puts the paper's numbers beside finished jobs, whose curves are drawn with seed bands."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ncode_core as nc
from app.components import digit_input
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


def test_a_model_whose_data_is_absent_names_the_command_that_fetches_it(runs, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path / "no-data"))
    assert ENTRIES["mnist-ncode_open"]["metrics"]["test_accuracy"] > 0.5
    at = open_page("images")
    at.selectbox(key="img_model").set_value("mnist-ncode_open").run()
    assert not at.exception and not at.error
    assert any("cannot be opened" in w.value and "data fetch mnist" in w.value
               for w in at.warning)
    assert metrics(at, "parameters") == [] and len(at.dataframe) == 1  # no views; Table 1 stays


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


def drawn_stroke_png() -> str:
    """A canvas picture as the drawing component returns it: a PNG data URL of a white
    vertical stroke on black, 224 px square."""
    pixels = np.zeros((224, 224, 4), np.uint8)
    pixels[..., 3] = 255
    pixels[30:190, 100:122, :3] = 255
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_a_drawn_digit_is_classified_and_its_kernels_drawn(runs):
    at = open_page("images")
    at.radio(key="img_source").set_value("drawn digit").run()
    assert not at.exception
    assert any("Nothing drawn yet" in info.value for info in at.info)
    assert not metrics(at, "prediction")
    # what the canvas component sends after a stroke (its state under the widget key)
    at.session_state["img_canvas_digits"] = {
        "drawing": {"raw": {"objects": [{"type": "path"}]}, "data": drawn_stroke_png()},
        "backgroundFit": None}
    at.run()
    assert not at.exception
    assert metrics(at, "prediction") == ["1"]  # a vertical bar
    prediction = next(m for m in at.metric if m.label == "prediction")
    assert not prediction.delta  # a drawing has no label: neither correct nor wrong
    assert len(at.get("plotly_chart")) == 5
    change = metrics(at, "kernel change between the two images")
    assert len(change) == 1 and float(change[0].rstrip(" %")) > 0


def test_without_the_canvas_component_the_digit_is_edited_on_a_grid(runs, monkeypatch):
    monkeypatch.setattr(digit_input, "canvas_component", lambda: None)
    at = open_page("images")
    at.radio(key="img_source").set_value("drawn digit").run()
    assert not at.exception
    assert any("canvas `streamlit-drawable-canvas` is not installed" in c.value
               for c in at.caption)
    grid = at.dataframe[0].value  # before Table 1: the 8x8 grid, starting from test image 0
    trainer = nc.Trainer(nc.load_pretrained(PRETRAINED, "digits-ncode_open")["config"])
    image, _ = nc.held_out_image(trainer.task, 0)
    np.testing.assert_allclose(grid.to_numpy(dtype=float), image[0])
    assert len(metrics(at, "prediction")) == 1 and len(at.get("plotly_chart")) == 5


def test_training_curves_of_image_jobs_with_the_papers_line(runs):
    with nc.JobStore(runs) as store:
        for seed in (0, 1):
            job = store.create_job(nc.JobSpec(task="mnist", model="ncode_open", steps=4,
                                              seed=seed, device="cpu",
                                              training={"eval_every": 2}))
            store.claim_next("test-worker")
            store.log_metrics(job.id, [
                {"step": step, "nfe_forward": 26 + seed, "nfe_backward": 20,
                 **({"test_accuracy": 0.5 + 0.1 * step} if step % 2 == 0 else {})}
                for step in range(1, 5)])
            store.finish(job.id, "succeeded", result={"test_accuracy": 0.9, "steps": 4,
                                                      "params": 1000})
    at = open_page("images")
    assert not at.exception
    assert at.selectbox(key="img_curve_task").value == "mnist"
    charts = at.get("plotly_chart")
    figure = json.loads(charts[-1].proto.spec)
    names = [trace.get("name") for trace in figure["data"]]
    assert "N-CODE open loop (2 seeds)" in names
    assert len(figure["data"]) == 6
    assert [shape["y0"] for shape in figure["layout"]["shapes"]] == [0.992]
