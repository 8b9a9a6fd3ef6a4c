"""Views of a model being trained: ncode_core viz arrays -> named plotly figures. Pure (no st.*).

Which views a task has, and which of them come first, is the task's own knowledge
(``Task.ui.lab.views`` / ``Task.ui.lab.main_views``); this module knows how to draw each named view. The
lab and the compare page show them; the share page exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import plotly.graph_objects as go

import ncode_core as nc
from app.components import figures

MAX_POINTS = 400  # scatter points drawn per split
TRAJECTORY_COUNT = 48  # test points whose paths the trajectories view draws


@dataclass
class ViewOptions:
    """What the user picked: samples A and B (x(0), one coordinate per input dimension; empty:
    the task's first two test inputs), the field time, the arrow grid size."""

    samples: tuple[tuple[float, ...], ...] = ()
    time: float = 0.0
    resolution: int = 20
    streamline_seeds: int = 8


def as_numpy(tensor) -> np.ndarray:
    """A tensor (any device/dtype) as a float64 array."""
    return tensor.detach().cpu().double().numpy()


def plot_bounds(task) -> tuple[float, ...]:
    """The box around the task's data, ``(low, high)`` per input dimension (``Task.ui``)."""
    return tuple(task.ui.lab.plot_bounds(task.config))


def sample_inputs(live, options: ViewOptions) -> np.ndarray:
    """Samples A and B as ``(2, d)``: the picked ones, or the task's first two test inputs."""
    if options.samples:
        return np.asarray(options.samples, dtype=np.float64)
    return as_numpy(live.task.x_test[:2])


def field_panel(model, sample: tuple[float, float], bounds, options: ViewOptions, name: str,
                color: str, horizon: float) -> go.Figure:
    """Arrows + streamlines of one 2-D sample's own field at ``options.time`` and its path."""
    field_grid = nc.vector_field(model, sample, bounds, options.resolution, t=options.time)
    lines = nc.streamlines(field_grid, options.streamline_seeds)
    path = nc.trajectories(model, np.asarray([sample]), n_times=30, horizon=horizon).x[:, 0, :2]
    title = f"Field of sample {name} at t = {options.time:.2f}"
    return figures.vector_field_figure(field_grid, lines, sample, title, color, path)


def _picture_1d(live, sample: float) -> nc.ReflectionPicture:
    low, high = plot_bounds(live.task)
    span = max(abs(low), abs(high))
    return nc.reflection_picture(live.model, span, n_paths=21,
                                 sample=float(np.clip(sample, low, high)))


def _split(tensor) -> np.ndarray:
    return as_numpy(tensor[:MAX_POINTS])


def decision_view(live, options: ViewOptions) -> go.Figure:
    """Class-1 score over the plane with the train / test points and samples A, B."""
    task = live.task
    decision = nc.decision_map(live.model, plot_bounds(task), 32, task=task)
    train = (_split(task.x_train), _split(task.y_train))
    test = (_split(task.x_test), _split(task.y_test))
    return figures.decision_figure(decision, train, test, options.samples,
                                   "Decision map (click a point to pick A)")


def trajectories_view(live, options: ViewOptions) -> go.Figure:
    """Paths of the first test points, coloured by class."""
    points, labels = _split(live.task.x_test), _split(live.task.y_test)
    count = min(TRAJECTORY_COUNT, points.shape[0])
    paths = nc.trajectories(live.model, points[:count], n_times=20)
    return figures.trajectories_figure(paths, labels[:count])


def paths_view(live, options: ViewOptions) -> go.Figure:
    """1-D paths x(t) from points across the data interval (theta of sample A for N-CODE)."""
    picture = _picture_1d(live, sample_inputs(live, options)[0, 0])
    return figures.paths_1d_figure(picture.times, picture.x, picture.x0)


def portrait_view(live, options: ViewOptions) -> go.Figure:
    """Model vs target trajectories of the task's own initial conditions."""
    return figures.vanderpol_figure(nc.vanderpol_portrait(live.model, live.task))


def sample_field_view(index: int) -> Callable[[object, ViewOptions], go.Figure]:
    """The builder of sample ``index``'s own field (2-D arrows, or the 1-D field over t)."""
    def build(live, options: ViewOptions) -> go.Figure:
        sample = sample_inputs(live, options)[index]
        color = figures.SAMPLE_COLORS[index]
        if sample.shape[0] == 1:
            return figures.field_1d_figure(_picture_1d(live, sample[0]), color=color)
        return field_panel(live.model, tuple(sample), plot_bounds(live.task), options,
                           "AB"[index], color, live.model.flow.integration_time)
    return build


def theta_view(live, options: ViewOptions) -> go.Figure:
    """theta(t) of samples A and B (controlled models only)."""
    flow = live.model.flow
    paths = nc.trajectories(live.model, sample_inputs(live, options), n_times=25,
                            horizon=flow.integration_time)
    return figures.theta_figure(paths.times, paths.theta, ["A", "B"])


BUILDERS: dict[str, Callable[[object, ViewOptions], go.Figure]] = {
    "decision": decision_view,
    "trajectories": trajectories_view,
    "paths": paths_view,
    "portrait": portrait_view,
    "field_a": sample_field_view(0),
    "field_b": sample_field_view(1),
    "theta": theta_view,
}
VIEW_TITLES = {  # each view in a few words (where a page lists views by name)
    "decision": "decision map", "trajectories": "trajectories", "paths": "paths x(t)",
    "portrait": "phase portrait", "field_a": "field of sample A", "field_b": "field of sample B",
    "theta": "theta(t) (controlled models)",
}


def ordered_views(ui: nc.TaskUI, controlled: bool) -> list[str]:
    """A task's views, main views first; ``theta`` only when the model is ``controlled``."""
    ordered = [*ui.lab.main_views, *(name for name in ui.lab.views if name not in ui.lab.main_views)]
    return [name for name in ordered if name != "theta" or controlled]


def view_names(live) -> list[str]:
    """The views of ``live``'s task its model can show (:func:`ordered_views`)."""
    return ordered_views(live.task.ui, live.model.flow.controlled)


def build_view(live, name: str, options: ViewOptions) -> go.Figure:
    """The figure of view ``name`` (a key of :data:`BUILDERS`) for ``live``'s current model
    (holding its lock: no training step runs on it meanwhile)."""
    with live.lock:
        return BUILDERS[name](live, options)


def lab_views(live, options: ViewOptions, names: list[str] | None = None) -> dict[str, go.Figure]:
    """Figures for ``names`` (default: :func:`view_names`), in that order."""
    return {name: build_view(live, name, options) for name in names or view_names(live)}


def main_metric(task) -> str:
    """The metric plotted next to the loss: the task's primary metric."""
    return task.ui.primary_metric
