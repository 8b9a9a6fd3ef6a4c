"""Views of a model being trained: ncode_core viz arrays -> named plotly figures. Pure (no st.*).

The lab and the compare page show these; the share page exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

import ncode_core as nc
from app.components import figures

MAX_POINTS = 400  # scatter points drawn per split


@dataclass
class ViewOptions:
    """What the user picked: two samples (x(0) of A and B), the field time, arrow grid size."""

    samples: tuple[tuple[float, float], tuple[float, float]] = ((0.25, 0.1), (1.2, 0.4))
    time: float = 0.0
    resolution: int = 20
    streamline_seeds: int = 8


def as_numpy(tensor) -> np.ndarray:
    """A tensor (any device/dtype) as a float64 array."""
    return tensor.detach().cpu().double().numpy()


def plane_bounds(task) -> tuple[float, float, float, float]:
    """Square box holding the annuli data with a margin: ``(x0, x1, y0, y1)``."""
    config = task.config
    radius = config.outer_max + 2 * config.noise + 0.3
    return (-radius, radius, -radius, radius)


def field_panel(model, sample: tuple[float, float], bounds, options: ViewOptions, name: str,
                color: str, horizon: float) -> go.Figure:
    """Arrows + streamlines of one sample's own field at ``options.time`` and its path."""
    field_grid = nc.vector_field(model, sample, bounds, options.resolution, t=options.time)
    lines = nc.streamlines(field_grid, options.streamline_seeds)
    path = nc.trajectories(model, np.asarray([sample]), n_times=30, horizon=horizon).x[:, 0, :2]
    title = f"Field of sample {name} at t = {options.time:.2f}"
    return figures.vector_field_figure(field_grid, lines, sample, title, color, path)


def lab_views(live, options: ViewOptions) -> dict[str, go.Figure]:
    """Figures for the lab's current model (keys depend on the task):

    annuli: ``decision``, ``trajectories``, ``field_a``, ``field_b`` (+ ``theta`` for N-CODE);
    reflection: ``paths``, ``field_a``, ``field_b`` (+ ``theta``); vanderpol: ``portrait``
    (+ ``theta``).
    """
    task, model = live.task, live.model
    flow = model.flow
    horizon = flow.integration_time
    views: dict[str, go.Figure] = {}
    if task.name == "annuli":
        bounds = plane_bounds(task)
        train = (as_numpy(task.x_train[:MAX_POINTS]), as_numpy(task.y_train[:MAX_POINTS]))
        test = (as_numpy(task.x_test[:MAX_POINTS]), as_numpy(task.y_test[:MAX_POINTS]))
        decision = nc.decision_map(model, bounds, 32, task=task)
        views["decision"] = figures.decision_figure(decision, train, test, options.samples,
                                                    "Decision map (click a point to pick A)")
        count = min(48, test[0].shape[0])
        paths = nc.trajectories(model, test[0][:count], n_times=20)
        views["trajectories"] = figures.trajectories_figure(paths, test[1][:count])
        for index, key in enumerate(("field_a", "field_b")):
            views[key] = field_panel(model, options.samples[index], bounds, options, "AB"[index],
                                     figures.SAMPLE_COLORS[index], horizon)
        samples = np.asarray(options.samples)
    elif task.name == "reflection":
        span = task.config.input_range
        pictures = [nc.reflection_picture(model, span, n_paths=21,
                                          sample=float(np.clip(point[0], -span, span)))
                    for point in options.samples]
        views["paths"] = figures.paths_1d_figure(pictures[0].times, pictures[0].x,
                                                 pictures[0].x0)
        for index, key in enumerate(("field_a", "field_b")):
            views[key] = figures.field_1d_figure(pictures[index],
                                                 color=figures.SAMPLE_COLORS[index])
        samples = np.asarray([[options.samples[0][0]], [options.samples[1][0]]])
    else:
        views["portrait"] = figures.vanderpol_figure(nc.vanderpol_portrait(model, task))
        samples = as_numpy(task.x_test[:2])
        horizon = task.config.horizon
    if flow.controlled:
        paths = nc.trajectories(model, samples, n_times=25, horizon=horizon)
        views["theta"] = figures.theta_figure(paths.times, paths.theta, ["A", "B"])
    return views


def main_metric(task) -> str:
    """The metric the lab plots next to the loss (accuracy for annuli, test MSE otherwise)."""
    return "test_accuracy" if task.name == "annuli" else "test_mse"
