"""The Images page's pure builders: figures from arrays, Table 1 rows from tasks and jobs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import ncode_core as nc
from app.components import image_figures as F
from app.components.table1 import NOT_MEASURED, table1_rows


def test_tiles_place_each_kernel_with_nan_gaps():
    weight = np.arange(2 * 3 * 3 * 3, dtype=float).reshape(2, 3, 3, 3)
    tiles = F.tile_kernels(weight)
    assert tiles.shape == (2 * 4 - 1, 3 * 4 - 1)
    np.testing.assert_array_equal(tiles[4:7, 8:11], weight[1, 2])
    assert np.isnan(tiles[3]).all() and np.isnan(tiles[:, 3]).all()
    assert np.isfinite(tiles).sum() == weight.size


def test_one_by_one_kernels_are_the_channel_matrix_and_can_be_cropped():
    weight = np.random.default_rng(0).normal(size=(5, 4, 1, 1))
    np.testing.assert_array_equal(F.tile_kernels(weight), weight[:, :, 0, 0])
    assert F.tile_kernels(weight, max_out=2, max_in=3).shape == (2, 3)


def test_softmax_rows_are_probabilities():
    probabilities = F.softmax(np.array([[0.0, 0.0], [1000.0, 0.0]]))
    np.testing.assert_allclose(probabilities, [[0.5, 0.5], [1.0, 0.0]])


def test_scores_figure_draws_one_line_per_class_the_true_one_thicker():
    scores = np.random.default_rng(1).normal(size=(4, 10))
    fig = F.scores_figure(np.linspace(0, 1, 4), scores, [str(c) for c in range(10)], label=3)
    assert len(fig.data) == 10
    np.testing.assert_allclose(sum(np.asarray(t.y) for t in fig.data), np.ones(4))
    assert fig.data[3].line.width > fig.data[0].line.width


def test_feature_strip_has_one_panel_per_channel_and_time_on_a_row_scale():
    x = np.random.default_rng(2).normal(size=(3, 5, 8, 8))
    fig = F.feature_strip_figure(np.linspace(0, 1, 3), x, [0, 2])
    assert len(fig.data) == 2 * 3
    row = fig.data[3:]  # channel 2 at the three times
    np.testing.assert_array_equal(row[1].z, x[1, 2])
    assert {t.zmin for t in row} == {x[:, 2].min()} and {t.zmax for t in row} == {x[:, 2].max()}


def test_kernel_comparison_shows_both_and_their_difference():
    rng = np.random.default_rng(3)
    first, second = rng.normal(size=(2, 4, 4, 3, 3))
    fig = F.kernel_comparison_figure(first, second, ("A", "B"))
    assert len(fig.data) == 3
    np.testing.assert_array_equal(np.asarray(fig.data[2].z, dtype=float),
                                  F.tile_kernels(second) - F.tile_kernels(first))
    assert fig.data[0].zmax == fig.data[1].zmax  # A and B share a scale
    assert [a.text for a in fig.layout.annotations] == ["A", "B", "B - A"]


def test_kernels_figure_and_image_figure():
    weight = np.random.default_rng(4).normal(size=(2, 2, 3, 3))
    fig = F.kernels_figure(weight, "mid")
    assert fig.data[0].zmid == 0 and fig.data[0].zmax == np.abs(weight).max()
    assert F.image_figure(np.zeros((1, 8, 8)), "x").data[0].type == "heatmap"
    assert F.image_figure(np.zeros((3, 4, 4)), "x").data[0].type == "image"


def job(model: str, accuracy: float, status: str = "succeeded", task: str = "mnist",
        steps: int = 100, solver: dict | None = None, **task_cfg) -> SimpleNamespace:
    """What table1_rows reads of an ``nc.Job``."""
    return SimpleNamespace(status=status, task=task, model=model, step=steps, gpu=None,
                           spec={"task": task, "model": model, "steps": steps, "device": "cpu",
                                 "task_cfg": task_cfg, "solver": solver or {}}, started_at=10.0,
                           finished_at=70.0,
                           result={"test_accuracy": accuracy, "steps": steps, "params": 999})


def paper_tasks() -> dict:
    return {name: cls for name, cls in nc.TASKS.items()
            if issubclass(cls, nc.ImageTask) and cls.paper_test_accuracy}


def test_table1_has_the_papers_numbers_and_says_what_is_not_measured():
    rows = table1_rows(paper_tasks(), [])
    by_model = {row["model"]: row for row in rows}
    assert list(by_model) == [nc.MODELS[m].info.label for m in ("anode", "node_dc", "ncode_open")]
    paper = {label: (row["MNIST paper (%)"], row["CIFAR-10 paper (%)"])
             for label, row in by_model.items()}
    assert paper == {"ANODE": ("98.2", "61.2"), "NODE-DC (data-controlled)": ("98.5", "62.0"),
                     "N-CODE open loop": ("99.2", "74.1")}
    assert all(row["MNIST ours (%)"] == NOT_MEASURED for row in rows)


def test_table1_takes_the_longest_finished_paper_setting_job():
    jobs = [job("ncode_open", 0.95, steps=100),
            job("ncode_open", 0.97, steps=300, solver={"method": "rk4", "step_size": 1.0}),
            job("ncode_open", 0.99, steps=900, controlled_kernels="3x3"),  # not the paper's
            job("ncode_open", 0.99, status="failed", steps=1000),
            job("anode", 0.90, task="cifar10")]
    rows = {row["model"]: row for row in table1_rows(paper_tasks(), jobs)}
    ncode = rows["N-CODE open loop"]
    assert ncode["MNIST ours (%)"] == "97.0"
    # MNIST's 60,000 training images at the task's default batch of 64: 300 steps = 0.32 epochs
    assert ncode["MNIST budget"] == "300 steps = 0.32 epochs, rk4 step 1, 60 s, cpu"
    assert ncode["MNIST params"] == "999"
    assert ncode["CIFAR-10 ours (%)"] == NOT_MEASURED
    assert rows["ANODE"]["CIFAR-10 ours (%)"] == "90.0"
    assert ", dopri5 tol 0.001, " in rows["ANODE"]["CIFAR-10 budget"]  # the task's default
    assert rows["ANODE"]["MNIST ours (%)"] == NOT_MEASURED
