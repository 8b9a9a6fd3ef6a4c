"""Figure builders (arrays -> plotly figures), tested without Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import ncode_core as nc
from app.components import figures


def uniform_field(n: int = 3, u: float = 1.0, v: float = 0.0) -> nc.VectorField:
    xs = np.linspace(0.0, 2.0, n)
    ys = np.linspace(-1.0, 1.0, n)
    return nc.VectorField(xs, ys, np.full((n, n), u), np.full((n, n), v))


def test_with_separators_joins_lines_with_nan_rows():
    joined = figures.with_separators([np.zeros((3, 2)), np.ones((2, 2))])
    assert joined.shape == (7, 2)
    assert np.isnan(joined[[3, 6]]).all() and np.isfinite(joined[[0, 1, 2, 4, 5]]).all()


def test_arrows_point_along_the_field_with_length_scaled_to_the_grid():
    field = uniform_field(3, u=2.0, v=0.0)
    arrows = figures.arrow_segments(field).reshape(-1, 7, 2)
    assert arrows.shape == (9, 7, 2)
    base, tip = arrows[:, 0], arrows[:, 1]
    np.testing.assert_allclose(tip - base, [[0.9, 0.0]] * 9)  # 90 % of the 1.0 spacing
    assert np.isnan(arrows[:, [2, 6]]).all()
    # both head strokes end at the tip and sit behind it
    np.testing.assert_allclose(arrows[:, 4], tip)
    assert (arrows[:, 3, 0] < tip[:, 0]).all() and (arrows[:, 5, 0] < tip[:, 0]).all()
    assert (arrows[:, 3, 1] != arrows[:, 5, 1]).all()


def test_arrow_length_is_proportional_to_speed():
    field = uniform_field(2)
    field.u[0, 0] = 0.5  # half as fast
    arrows = figures.arrow_segments(field).reshape(-1, 7, 2)
    lengths = np.linalg.norm(arrows[:, 1] - arrows[:, 0], axis=1)
    np.testing.assert_allclose(lengths, [0.9, 1.8, 1.8, 1.8])


def test_svg_path_starts_a_piece_after_each_nan_row():
    polyline = np.array([[0.0, 0.0], [1.0, 2.0], [np.nan, np.nan], [3.0, -1.0], [4.0, 0.5]])
    assert figures.svg_path(polyline) == "M0.0000,0.0000L1.0000,2.0000M3.0000,-1.0000L4.0000,0.5000"
    assert figures.svg_path(np.full((2, 2), np.nan)) == ""


def test_vector_field_figure_draws_all_arrows_as_one_path():
    for n in (5, 40):
        field = uniform_field(n, 0.3, -0.2)
        lines = nc.streamlines(field, 4, 10)
        fig = figures.vector_field_figure(field, lines, sample=(1.0, 0.0),
                                          path=np.zeros((5, 2)))
        assert [trace.name for trace in fig.data] == ["speed", "x(t)", "x(0)"]
        shapes = {shape.name: shape for shape in fig.layout.shapes}
        assert set(shapes) == {"streamlines", "f(x; theta)"}
        arrows = shapes["f(x; theta)"]
        # each arrow: a shaft (M, L) and a two-stroke head (M, L, L), at its grid point
        assert arrows.path.count("M") == 2 * n * n and arrows.path.count("L") == 3 * n * n
        first = [float(v) for v in arrows.path[1:].split("L")[0].split(",")]
        np.testing.assert_allclose(first, [field.xs[0], field.ys[0]], atol=1e-4)
        assert arrows.xref == "x" and arrows.yref == "y" and arrows.showlegend
        finite = np.isfinite(lines[:, 0])
        pieces = int(finite[0]) + int((finite[1:] & ~finite[:-1]).sum())
        assert shapes["streamlines"].path.count("M") == pieces > 0
        assert fig.layout.uirevision == "keep"


def test_decision_figure_layers_and_points():
    xs = ys = np.linspace(-1, 1, 5)
    score = np.linspace(-1, 2, 25).reshape(5, 5)
    decision = nc.DecisionMap(xs, ys, score)
    points = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, -0.5]])
    labels = np.array([0, 1, 1])
    fig = figures.decision_figure(decision, (points, labels), (points[:1], labels[:1]),
                                  samples=[(0.1, 0.2)])
    by_name = {trace.name: trace for trace in fig.data}
    np.testing.assert_allclose(by_name["score"].z, np.clip(score, -0.5, 1.5))
    assert by_name["boundary"].contours.start == 0.5
    assert list(by_name["train class 1"].x) == [1.0, 0.5]
    assert list(by_name["test class 0"].y) == [0.0]
    assert "test class 1" in by_name and len(by_name["test class 1"].x) == 0
    assert list(by_name["sample A"].x) == [0.1]


def test_trajectories_figure_one_line_trace_per_class_with_start_and_end():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5, 2))
    labels = np.array([0, 1, 1, 0, 1])
    paths = nc.Paths(np.linspace(0, 1, 6), x, None)
    fig = figures.trajectories_figure(paths, labels)
    by_name = {trace.name: trace for trace in fig.data}
    assert len([t for t in fig.data if t.mode == "lines"]) == 2
    assert len(by_name["class 1"].x) == 3 * (6 + 1)
    np.testing.assert_allclose(by_name["start 0"].x, x[0, labels == 0, 0])
    np.testing.assert_allclose(by_name["end 1"].y, x[-1, labels == 1, 1])


def test_paths_1d_figure_colours_by_sign_and_marks_targets():
    times = np.linspace(0, 1, 4)
    x0 = np.array([-1.0, -0.5, 0.5, 1.0])
    x = times[:, None] * (-2 * x0[None]) + x0[None]
    fig = figures.paths_1d_figure(times, x, x0)
    by_name = {trace.name: trace for trace in fig.data}
    assert len(by_name["x(0) < 0"].x) == 2 * 5
    np.testing.assert_allclose(by_name["target -x(0)"].y, -x0)


def test_field_1d_figure_heatmap_is_transposed_to_time_on_x():
    picture = nc.ReflectionPicture(np.linspace(0, 1, 3), np.array([-0.5, 0.5]),
                                   np.zeros((3, 2)), np.linspace(-1, 1, 4),
                                   np.arange(12.0).reshape(3, 4), 0.5)
    fig = figures.field_1d_figure(picture)
    heat = fig.data[0]
    assert np.asarray(heat.z).shape == (4, 3)
    assert heat.z[1][2] == picture.field[2, 1]
    assert fig.data[1].name.startswith("x(t), x(0)=0.50")


def test_theta_figure_draws_the_components_that_vary_most():
    times = np.linspace(0, 1, 5)
    theta = np.zeros((5, 2, 10))
    theta[:, :, 7] = times[:, None] * 5
    theta[:, :, 2] = times[:, None] * 3
    fig = figures.theta_figure(times, theta, ["A", "B"], components=2)
    names = [trace.name for trace in fig.data]
    assert names == ["A theta[7]", "A theta[2]", "B theta[7]", "B theta[2]"]
    assert fig.data[2].line.dash == "dash"


def test_vanderpol_figure_has_model_and_target():
    t = np.linspace(0, 1, 5)
    ones = np.ones((5, 2))
    portrait = nc.VanDerPolPortrait(t, np.array([1.0, -1.0]), ones, 2 * ones, 3 * ones, None)
    fig = figures.vanderpol_figure(portrait)
    assert len(fig.data) == 2 * 3  # target x, model x, target phase curve per sample
    with_theta = nc.VanDerPolPortrait(t, np.array([1.0, -1.0]), ones, 2 * ones, 3 * ones, ones)
    assert len(figures.vanderpol_figure(with_theta).data) == 2 * 4


def test_bifurcation_figure_marks_the_position():
    s = np.linspace(0, 1, 7)
    diagram = nc.Bifurcation(s, np.zeros((7, 2)), np.stack([s, -s], axis=1),
                             np.random.default_rng(1).normal(size=(7, 20)), s)
    fig = figures.bifurcation_figure(diagram, marker=0.4, components=5)
    assert len(fig.data) == 2 + 5 + 1
    assert sum(1 for shape in fig.layout.shapes if shape.x0 == 0.4) == 3
    no_control = nc.Bifurcation(s, np.zeros((7, 2)), np.zeros((7, 2)), None, None)
    assert len(figures.bifurcation_figure(no_control).data) == 2


def test_curves_figure_plots_test_metrics_only_where_evaluated():
    history = [{"step": 1, "train_loss": 1.0, "nfe_forward": 14, "nfe_backward": 14},
               {"step": 2, "train_loss": 0.5, "nfe_forward": 20, "nfe_backward": 20,
                "test_loss": 0.6, "test_accuracy": 0.75}]
    fig = figures.curves_figure(history, "test_accuracy")
    by_name = {trace.name: trace for trace in fig.data}
    assert list(by_name["train_loss"].x) == [1, 2]
    assert list(by_name["test_loss"].x) == [2] and list(by_name["test_accuracy"].y) == [0.75]
    assert fig.layout.yaxis.type == "log"
    empty = figures.curves_figure([], "test_accuracy")
    assert all(len(trace.x) == 0 for trace in empty.data)


@pytest.mark.parametrize("builder", ["vector_field_figure", "decision_figure"])
def test_figures_serialise(builder):
    field = uniform_field(4)
    if builder == "vector_field_figure":
        fig = figures.vector_field_figure(field, nc.streamlines(field, 3, 5))
    else:
        fig = figures.decision_figure(nc.DecisionMap(field.xs, field.ys, field.u))
    assert isinstance(fig, go.Figure)
    assert '"uirevision":"keep"' in fig.to_json()


def test_curves_figure_reuse_refills_the_same_figure():
    history = [{"step": 1, "train_loss": 1.0, "nfe_forward": 14, "nfe_backward": 14}]
    fig = figures.curves_figure(history, "test_mse")
    history.append({"step": 2, "train_loss": 0.4, "nfe_forward": 14, "nfe_backward": 14,
                    "test_loss": 0.5, "test_mse": 0.5})
    again = figures.curves_figure(history, "test_mse", reuse=fig)
    assert again is fig
    assert list({t.name: t for t in again.data}["train_loss"].y) == [1.0, 0.4]
    assert list({t.name: t for t in again.data}["test_mse"].x) == [2]
    other = figures.curves_figure(history, "test_accuracy", reuse=fig)
    assert other is not fig and "test_accuracy" in [t.name for t in other.data]
