"""The closed-loop field as an animation over t: plotly frames with play / pause and a slider.

``field_animation_figure`` is a pure builder (an ``nc.FieldMovie`` -> figure); ``closed_loop_
animation`` computes the movie for one sample of a model and builds it. Both pick the picture
from the state dimension: arrows in the plane for 2-D, the curve f(x; theta(t)) for 1-D.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

import ncode_core as nc
from app.components.figures import SAMPLE_COLORS, arrow_segments

FRAME_MS = 150


def animation_controls(names: Sequence[str], labels: Sequence[str], prefix: str = "t = ",
                       frame_ms: int = FRAME_MS, redraw: bool = False) -> dict:
    """Layout entries: a play / pause button pair and a slider over the frames called
    ``names``, each step shown as its ``labels`` entry after ``prefix``. ``redraw`` must be
    True for traces plotly cannot morph (heatmaps): only scatter traces update without it."""
    step = dict(frame=dict(duration=frame_ms, redraw=redraw), transition=dict(duration=0),
                mode="immediate")
    buttons = [dict(label="Play", method="animate", args=[None, {**step, "fromcurrent": True}]),
               dict(label="Pause", method="animate",
                    args=[[None], {**step, "frame": dict(duration=0, redraw=redraw)}])]
    slider = dict(active=0, x=0.1, len=0.9, y=0, xanchor="left", yanchor="top",
                  pad=dict(b=10, t=50), currentvalue=dict(prefix=prefix),
                  steps=[dict(label=label, method="animate",
                              args=[[name], {**step, "frame": dict(duration=0,
                                                                   redraw=redraw)}])
                         for name, label in zip(names, labels)])
    return dict(updatemenus=[dict(type="buttons", buttons=buttons, direction="left",
                                  x=0.1, y=0, xanchor="right", yanchor="top",
                                  showactive=False, pad=dict(r=10, t=87))],
                sliders=[slider])


def _plane_frames(movie: nc.FieldMovie, shape: tuple[int, int]) -> list[list[go.Scatter]]:
    """Per time: arrows (one NaN-separated trace, one length scale for every frame) and x(t)."""
    xs = np.unique(movie.points[:, 0])
    ys = np.unique(movie.points[:, 1])
    spacing = min(np.ptp(xs) / max(len(xs) - 1, 1), np.ptp(ys) / max(len(ys) - 1, 1))
    top = float(np.nanmax(np.linalg.norm(movie.values, axis=-1))) or 1.0
    frames = []
    for index, values in enumerate(movie.values):
        field = nc.VectorField(xs, ys, values[:, 0].reshape(shape), values[:, 1].reshape(shape))
        frame_top = float(np.nanmax(field.speed)) or 1.0
        arrows = arrow_segments(field, length=0.9 * spacing * frame_top / top)
        frames.append([go.Scatter(x=arrows[:, 0], y=arrows[:, 1]),
                       go.Scatter(x=movie.path[: index + 1, 0], y=movie.path[: index + 1, 1]),
                       go.Scatter(x=movie.path[index: index + 1, 0],
                                  y=movie.path[index: index + 1, 1])])
    return frames


def _line_frames(movie: nc.FieldMovie) -> list[list[go.Scatter]]:
    """Per time: the curve f(x; theta(t)) and the sample's x(t) on the x axis."""
    order = np.argsort(movie.points[:, 0])
    return [[go.Scatter(x=movie.points[order, 0], y=values[order, 0]),
             go.Scatter(x=movie.path[: index + 1, 0], y=np.zeros(index + 1)),
             go.Scatter(x=movie.path[index: index + 1, 0], y=[0.0])]
            for index, values in enumerate(movie.values)]


def field_animation_figure(movie: nc.FieldMovie, grid_shape: tuple[int, int] | None = None,
                           title: str = "The field over time",
                           color: str = SAMPLE_COLORS[0]) -> go.Figure:
    """Animate ``movie`` over its times. 2-D (``grid_shape = (rows, cols)`` of the points,
    row-major as from ``nc.grid``): arrows of f(x; theta(t)), their length the speed on one
    scale for all frames, and the sample's path so far; 1-D: the curve f(x; theta(t)) against
    x with the sample's x(t) on the axis."""
    planar = movie.points.shape[1] == 2
    frames = (_plane_frames(movie, grid_shape) if planar else _line_frames(movie))
    names = ("f(x; theta(t))", "x(s), s <= t", "x(t)")
    styles = (dict(mode="lines", line=dict(color="#34495e", width=1.2)),
              dict(mode="lines", line=dict(color=color, width=3)),
              dict(mode="markers", marker=dict(color=color, size=13, symbol="star",
                                               line=dict(color="black", width=1))))
    fig = go.Figure(data=[trace.update(name=name, **style)
                          for trace, name, style in zip(frames[0], names, styles)])
    fig.frames = [go.Frame(data=data, name=f"{t:.4f}", traces=[0, 1, 2])
                  for data, t in zip(frames, movie.times)]
    if planar:
        fig.update_xaxes(range=[movie.points[:, 0].min(), movie.points[:, 0].max()])
        fig.update_yaxes(range=[movie.points[:, 1].min(), movie.points[:, 1].max()],
                         scaleanchor="x", scaleratio=1)
    else:
        limit = float(np.nanmax(np.abs(movie.values))) or 1.0
        fig.update_yaxes(range=[-1.1 * limit, 1.1 * limit], title="dx/dt")
        fig.update_xaxes(title="x")
        fig.add_hline(y=0, line=dict(color="grey", width=1))
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=420,
                      margin=dict(l=40, r=10, t=40, b=120), showlegend=False,
                      **animation_controls([f"{t:.4f}" for t in movie.times],
                                           [f"{t:.2f}" for t in movie.times]))
    return fig


def data_box(inputs: np.ndarray, margin: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)``, each ``(d,)``: the data's range widened by ``margin`` of its span on
    each side; square in the plane (the larger span on both axes)."""
    low, high = inputs.min(axis=0), inputs.max(axis=0)
    centre, half = 0.5 * (low + high), 0.5 * (high - low) * (1 + 2 * margin)
    half = np.full_like(half, max(float(half.max()), 0.5)) if inputs.shape[1] == 2 else half
    return centre - half, centre + half


def closed_loop_animation(model, sample: Sequence[float], inputs: np.ndarray,
                          resolution: int = 15, n_times: int = 20,
                          horizon: float | None = None, title: str | None = None,
                          color: str = SAMPLE_COLORS[0]) -> go.Figure:
    """The animation of the field sample ``sample (d,)`` sees over ``[0, horizon]``, drawn on
    the box of ``inputs (N, d)`` (the task's data) for a 1-D or 2-D state."""
    low, high = data_box(np.asarray(inputs, dtype=float))
    sample = np.asarray(sample, dtype=float)
    if len(sample) == 2:
        _, _, points = nc.grid((low[0], high[0], low[1], high[1]), resolution)
        shape = (resolution, resolution)
    else:
        points, shape = np.linspace(low[0], high[0], 8 * resolution)[:, None], None
    movie = nc.field_over_time(model, sample, points, n_times, horizon)
    label = ", ".join(f"{v:.2f}" for v in sample)
    return field_animation_figure(movie, shape, title or f"Field of x(0) = ({label}) over t",
                                  color)
