"""Figure builders and Table 2 rows of the Latent flows page, without Streamlit: image tiles put
each image where it belongs, theta's zeros are blank, every figure is titled with labelled axes,
paper numbers appear only for the paper's settings, scores carry their extractor and counts."""

from __future__ import annotations

import numpy as np
import pytest

import ncode_core as nc
from app.components import latent_figures as F
from app.components.table2 import NOT_SCORED, paper_rows, table2_rows


def test_tiles_place_each_image_with_nan_gaps():
    images = np.arange(5 * 4, dtype=np.float64).reshape(5, 1, 2, 2)
    tiles = F.tile_images(images, columns=3)
    assert tiles.shape == (1, 2 * 3 - 1, 3 * 3 - 1)
    assert np.array_equal(tiles[0, 0:2, 3:5], images[1, 0])  # row 0, column 1
    assert np.array_equal(tiles[0, 3:5, 3:5], images[4, 0])  # row 1, column 1
    assert np.isnan(tiles[0, 2]).all() and np.isnan(tiles[0, 3:5, 6:8]).all()  # gap, missing


def test_tiles_refuse_non_square_images():
    with pytest.raises(ValueError, match="square"):
        F.tile_images(np.zeros((2, 1, 3, 4)), 2)


def test_grid_and_strip_figures_are_titled_and_labelled():
    images = np.random.RandomState(0).rand(6, 1, 4, 4)
    grid = F.image_grid_figure(images, 3, "two rows", row_labels=["linear", "spherical"])
    assert grid.layout.title.text == "two rows"
    assert list(grid.layout.yaxis.ticktext) == ["linear", "spherical"]
    strip = F.image_strip_figure(images, [f"t = {k}" for k in range(6)], "strip", "time")
    assert strip.layout.xaxis.title.text == "time" and len(strip.layout.xaxis.ticktext) == 6
    rgb = F.image_grid_figure(np.random.RandomState(1).rand(2, 3, 4, 4), 2, "colour")
    assert rgb.data[0].type == "image"


def test_theta_figure_leaves_the_zeros_blank():
    theta = np.array([[0.2, -0.1, 0.0], [0.0, 0.3, 0.05], [0.1, 0.0, -0.2]])
    figure = F.theta_figure(theta, "theta")
    z = np.array(figure.data[0].z, dtype=np.float64)
    assert np.array_equal(np.isnan(z), theta == 0)
    assert figure.data[0].zmax == pytest.approx(0.3) and figure.data[0].zmin == pytest.approx(-0.3)
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text


def test_trajectories_figure_draws_the_chosen_orbit_over_the_others():
    points = np.random.RandomState(0).randn(5, 4, 2)
    figure = F.trajectories_figure(points, np.array([0.61, 0.2]), 2, np.arange(4), "orbits")
    others, ends, chosen, marks = figure.data
    assert np.array_equal(np.array(chosen.x, dtype=float), points[:, 2, 0])
    assert len(others.x) == 3 * (5 + 1)  # three other orbits of 5 points, NaN after each
    assert list(marks.text) == ["x(0)", "x(T)"]
    assert "61 %" in figure.layout.xaxis.title.text


def test_embedding_figure_has_one_trace_per_group():
    figure = F.embedding_figure(np.zeros((6, 2)), np.array([0, 1, 1, 2, 2, 2]), "t", "label")
    assert [trace.name for trace in figure.data] == ["label 0", "label 1", "label 2"]
    assert figure.layout.xaxis.title.text == "t-SNE 1"


def _result(entry: str, finished: int, mse: float | None) -> dict:
    return {"entry": entry, "finished": finished, "jobs": max(finished, 1), "test_mse": mse,
            "steps": 10 if finished else None, "wall_s": 3.0 if finished else None,
            "device": "cpu" if finished else None, "checkpoint": None}


def test_table2_rows_put_paper_numbers_only_on_the_papers_settings():
    preset = nc.get_preset("table2-mnist")
    task = nc.TASKS[preset.task]
    results = [_result(e.key, int(e.key == "autoncode"), 0.03 if e.key == "autoncode" else None)
               for e in preset.entries]
    scores = {"autoncode": nc.LatentScores(
        nc.FrechetScore("domain_frechet_distance", 12.345, "classifier X", "ab" * 32, "none",
                        2000, 1999), 100, 10000, 0.5123, 2000).to_dict()}
    rows = {row["model"]: row for row in table2_rows(task, preset, results, scores)}
    gmm = "paper: clustering accuracy % (10-component GMM; Fig. A.10)"
    paper = task.paper_scores[gmm.removeprefix("paper: ")]
    assert rows["AutoN-CODE"][gmm] == f"{paper['autoncode']:g}"
    assert rows["AE, latent 50"][gmm] == "-"
    assert rows["AutoN-CODE"]["ours: domain Frechet distance"] == "12.35"
    assert rows["AutoN-CODE"]["ours: clustering accuracy %"] == "51.23"
    how = rows["AutoN-CODE"]["how ours were scored"]
    assert "classifier X" in how and "N real 2000" in how and "N generated 1999" in how
    assert rows["VAE"]["ours: test MSE"] == "not measured here"
    results[1] = _result("ae", 1, 0.01)
    rows = {row["model"]: row for row in table2_rows(task, preset, results, {})}
    assert rows["AE"]["ours: domain Frechet distance"] == NOT_SCORED


def test_paper_rows_list_every_family_the_paper_scores():
    task = nc.TASKS["cifar10_ae"]
    rows = {row["model"]: row for row in paper_rows(task)}
    assert set(rows) == {"AutoN-CODE", "Autoencoder", "VAE"}
    assert rows["VAE"]["paper: FID, 1000-component GMM (Table 2)"] == "-"
