"""Bifurcation figures and the field animation (arrays -> plotly figures), without Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import ncode_core as nc
from app.components import bifurcation_figures as bf
from app.components import field_animation as fa


def equilibria(points, kinds) -> nc.Equilibria:
    points = np.asarray(points, dtype=float)
    unstable = np.array([0 if k.startswith("stable") else 1 for k in kinds])
    return nc.Equilibria(points, np.zeros(points.shape, complex), unstable, tuple(kinds))


def pitchfork_continuation() -> nc.Continuation:
    """Four positions; one branch stable then unstable, two stable branches born at 2."""
    nan = np.nan
    positions = np.array([0.0, 1.0, 2.0, 3.0])
    branches = np.array([[[0.0], [0.0], [0.0], [0.0]],
                         [[nan], [nan], [-0.5], [-1.0]],
                         [[nan], [nan], [0.5], [1.0]]])
    stable = np.array([[True, True, False, False],
                       [False, False, True, True],
                       [False, False, True, True]])
    event = nc.BifurcationEvent(1.5, "pitchfork", np.array([0.0]), (1.49, 1.51))
    return nc.Continuation(positions, (), branches, stable, (event,))


def traces(fig: go.Figure) -> dict[str, list]:
    named: dict[str, list] = {}
    for trace in fig.data:
        named.setdefault(trace.name, []).append(trace)
    return named


def test_equilibria_markers_one_trace_per_kind():
    fig = bf.add_equilibria(go.Figure(), equilibria([[0, 0], [1, 1], [2, -1]],
                                                    ["saddle", "stable focus", "saddle"]))
    named = traces(fig)
    assert set(named) == {"saddle", "stable focus"}
    np.testing.assert_allclose(named["saddle"][0].x, [0, 2])
    np.testing.assert_allclose(named["saddle"][0].y, [0, -1])
    assert named["stable focus"][0].marker.symbol == bf.EQUILIBRIUM_STYLE["stable focus"][0]
    assert len(bf.add_equilibria(go.Figure(), equilibria(np.empty((0, 2)), [])).data) == 0


def test_every_equilibrium_kind_has_a_style():
    assert set(bf.EQUILIBRIUM_STYLE) == set(nc.EQUILIBRIUM_KINDS)


def segments(trace) -> list[tuple]:
    """The polylines ((x0, y0), (x1, y1), ...) of a NaN-separated trace."""
    x, y = np.asarray(trace.x, float), np.asarray(trace.y, float)
    pieces, current = [], []
    for point in zip(x, y):
        if np.isnan(point[0]):
            pieces.append(tuple(current))
            current = []
        else:
            current.append(point)
    return pieces


def test_diagram_stable_solid_unstable_dashed_event_marked():
    fig = bf.bifurcation_diagram_figure(pitchfork_continuation(), marker=2.5)
    named = traces(fig)
    (stable,), (unstable,) = named["stable"], named["unstable"]
    assert stable.line.dash == "solid" and unstable.line.dash == "dash"
    assert set(segments(stable)) == {((0, 0), (1, 0)), ((2, -0.5), (3, -1.0)),
                                     ((2, 0.5), (3, 1.0))}
    # from the position before the branch turned unstable on, it is one dashed run
    assert set(segments(unstable)) == {((1, 0), (2, 0), (3, 0))}
    (events,) = named["bifurcation"]
    assert list(events.x) == [1.5] and list(events.y) == [0.0] and list(events.text) == [
        "pitchfork"]
    lines = [shape.x0 for shape in fig.layout.shapes]
    assert 1.5 in lines and 2.5 in lines  # event and current position
    assert fig.layout.meta == "bifurcation-diagram"


def test_diagram_has_one_panel_per_coordinate():
    continuation = nc.Continuation(np.array([0.0, 1.0]), (), np.zeros((1, 2, 2)),
                                   np.ones((1, 2), bool), ())
    fig = bf.bifurcation_diagram_figure(continuation)
    assert [a.text for a in fig.layout.annotations] == ["equilibria: x1", "equilibria: x2"]
    empty = nc.Continuation(np.array([0.0, 1.0]), (), np.zeros((0, 2, 2)),
                            np.zeros((0, 2), bool), ())
    assert traces(bf.bifurcation_diagram_figure(empty))["stable"][0].x == ()


def test_event_rows_give_the_point_on_the_line():
    rows = bf.event_rows(pitchfork_continuation(), [0.0, 0.0], [2.0, 0.0])
    assert rows == [{"position": 1.5, "kind": "pitchfork", "x(0)": "(3.000, 0.000)",
                     "equilibrium": "(0.000)", "located to": "2.0e-02"}]


def rotating_movie(times: np.ndarray) -> nc.FieldMovie:
    _, _, points = nc.grid((-1, 1, -1, 1), 4)
    values = np.stack([np.stack([-t * points[:, 1], t * points[:, 0]], 1) for t in times])
    path = np.stack([np.cos(times), np.sin(times)], 1)
    return nc.FieldMovie(times, points, values, path)


def test_plane_animation_has_a_frame_per_time_and_play_pause_slider():
    times = np.linspace(0.0, 1.0, 5)
    fig = fa.field_animation_figure(rotating_movie(times), (4, 4))
    assert len(fig.frames) == 5 and len(fig.data) == 3
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["Play", "Pause"]
    assert [s.label for s in fig.layout.sliders[0].steps] == [f"{t:.2f}" for t in times]
    assert [s.args[0][0] for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
    # the arrows grow with the field (one length scale for all frames), the sample moves
    lengths = [np.nanmax(np.abs(np.diff(np.asarray(f.data[0].x, float)))) for f in fig.frames[1:]]
    assert np.all(np.diff(lengths) > 0)
    np.testing.assert_allclose([f.data[2].x[0] for f in fig.frames], np.cos(times))


def test_line_animation_for_a_one_dimensional_state():
    times = np.linspace(0.0, 2.0, 3)
    points = np.linspace(-1.0, 1.0, 7)[:, None]
    values = np.stack([(t - 1.0) * points for t in times])
    movie = nc.FieldMovie(times, points, values, np.array([[0.5], [0.4], [0.2]]))
    fig = fa.field_animation_figure(movie)
    assert len(fig.frames) == 3
    np.testing.assert_allclose(fig.frames[2].data[0].y, values[2, :, 0])
    np.testing.assert_allclose(fig.frames[1].data[2].x, [0.4])
    assert fig.layout.xaxis.title.text == "x"


@pytest.mark.parametrize("inputs, low, high", [
    (np.array([[0.0, 0.0], [2.0, 1.0]]), [-0.6, -1.1], [2.6, 2.1]),
    (np.array([[-1.0], [1.0]]), [-1.6], [1.6]),
])
def test_data_box_widens_the_data_and_is_square_in_the_plane(inputs, low, high):
    got_low, got_high = fa.data_box(inputs)
    np.testing.assert_allclose(got_low, low)
    np.testing.assert_allclose(got_high, high)
