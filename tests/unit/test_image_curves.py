"""Training curves of image jobs (Fig. A.2): accuracy at each evaluation and the mean forward /
backward NFE per step between evaluations, against epochs; seeds of a setting as one band; the
paper's Table 1 accuracy as a reference line."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import ncode_core as nc
from app.components.image_curves import (
    curves_by_setting,
    job_curves,
    paper_lines,
    setting_label,
    training_curves_figure,
)


def job(job_id: int, model: str = "ncode_open", status: str = "succeeded", task: str = "digits",
        **task_cfg) -> SimpleNamespace:
    """What the curve builders read of an ``nc.Job`` (batch 64, the image default)."""
    return SimpleNamespace(id=job_id, status=status, task=task, model=model,
                           spec={"task": task, "model": model, "steps": 6,
                                 "training": {"batch_size": 64, "eval_every": 3},
                                 "task_cfg": task_cfg})


def rows(nfe: list[int], accuracy: dict[int, float]) -> list[dict]:
    """Per-step rows as the runner logs them: NFEs every step, accuracy at evaluated steps."""
    return [{"step": step, "nfe_forward": value, "nfe_backward": value + 1,
             **({"test_accuracy": accuracy[step]} if step in accuracy else {})}
            for step, value in enumerate(nfe, start=1)]


def test_accuracy_at_evaluations_and_nfe_averaged_between_them_against_epochs():
    curves = job_curves(job(1), rows([2, 4, 6, 8, 10, 12, 14], {3: 0.5, 6: 0.75}))
    per_step = 64 / nc.TASKS["digits"].train_size
    epochs, accuracy = curves["test_accuracy"]
    np.testing.assert_allclose(epochs, [3 * per_step, 6 * per_step])
    np.testing.assert_array_equal(accuracy, [0.5, 0.75])
    # steps 1-3, 4-6 and the running tail (step 7)
    epochs, forward = curves["nfe_forward"]
    np.testing.assert_allclose(epochs, [3 * per_step, 6 * per_step, 7 * per_step])
    np.testing.assert_allclose(forward, [4.0, 10.0, 14.0])
    np.testing.assert_allclose(curves["nfe_backward"][1], [5.0, 11.0, 15.0])


def test_a_job_that_logged_no_nfe_has_only_its_accuracy():
    curves = job_curves(job(1), [{"step": 3, "test_accuracy": 0.4}])
    assert set(curves) == {"test_accuracy"}


def test_seeds_of_a_setting_are_grouped_and_other_jobs_left_out():
    jobs = [job(1), job(2), job(3, controlled_kernels="3x3"), job(4, status="failed"),
            job(5, task="mnist"), job(6, model="anode", status="running")]
    history = rows([2, 2, 2, 4, 4, 4], {3: 0.5, 6: 0.6})
    settings = curves_by_setting(jobs, {j.id: history for j in jobs}, "digits")
    ncode, anode = nc.MODELS["ncode_open"].info.label, nc.MODELS["anode"].info.label
    assert list(settings) == sorted([ncode, f"{ncode}, 3x3 kernels controlled", anode])
    assert len(settings[ncode]["test_accuracy"]) == 2  # two seeds, the failed one left out
    assert len(settings[anode]["nfe_backward"]) == 1
    assert setting_label(job(9, controlled_kernels="3x3")).endswith("3x3 kernels controlled")


def test_the_figure_has_a_band_and_a_mean_per_panel_and_the_papers_line():
    history = rows([2, 2, 2, 4, 4, 4], {3: 0.5, 6: 0.6})
    settings = curves_by_setting([job(1, task="mnist"), job(2, task="mnist")],
                                 {1: history, 2: history}, "mnist")
    paper = paper_lines(nc.TASKS["mnist"])
    ncode = nc.MODELS["ncode_open"].info.label
    assert paper[ncode] == nc.TASKS["mnist"].paper_test_accuracy["ncode_open"]
    fig = training_curves_figure(settings, paper, "MNIST")
    assert len(fig.data) == 6  # band + mean in each of the three panels
    assert [trace.fill for trace in fig.data[::2]] == ["toself"] * 3
    assert sum(bool(trace.showlegend) for trace in fig.data) == 1
    assert fig.data[1].name == f"{ncode} (2 seeds)"
    lines = [shape for shape in fig.layout.shapes if shape.y0 == shape.y1]
    assert len(lines) == 1 and lines[0].y0 == paper[ncode]
    assert fig.layout.title.text == "MNIST"
    assert fig.layout.xaxis.title.text == "epochs"


def test_no_paper_line_where_the_paper_reports_none():
    settings = curves_by_setting([job(1)], {1: rows([2, 2, 2], {3: 0.5})}, "digits")
    fig = training_curves_figure(settings, paper_lines(nc.TASKS["digits"]), "digits")
    assert not fig.layout.shapes


def test_a_job_too_large_for_this_machine_still_has_its_curves(monkeypatch):
    """A stored job may have run elsewhere (a GPU, a cluster): reading it skips this machine's
    memory budget, which would refuse it at submission here."""
    monkeypatch.setenv("NCODE_MEMORY_BUDGET_MB", "1")
    with pytest.raises(nc.ConfigError, match="memory budget"):
        nc.validate_job_spec(job(1).spec)
    curves = job_curves(job(1), rows([2, 2, 2], {3: 0.5}))
    assert set(curves) == {"test_accuracy", "nfe_forward", "nfe_backward"}
