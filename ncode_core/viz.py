"""Arrays for pictures of flows: vector fields, streamlines, trajectories, decision maps,
reflection and Van der Pol views, bifurcation diagrams.

Everything here returns NumPy arrays (float64) in small dataclasses; no plotting library is used,
so the dashboard's figure builders and any notebook can draw them. Every function runs under
``torch.no_grad()`` on the model's own device and dtype and never changes the model's parameters
(it does overwrite the flow's NFE counters, like any forward pass).

Which field is "the field of a sample" depends on the family (see :func:`sample_context`):
NODE / ANODE have one shared field; NODE-DC's field depends on the sample's x(0); N-CODE's field is
``f(x; theta)`` with the sample's own ``theta`` (open loop: ``theta = gamma(x(0))``, constant;
closed loop: ``theta(t)`` taken from that sample's trajectory at the chosen time t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ncode_core.models.base import FlowModel, TaskModel
from ncode_core.tasks.vanderpol import vanderpol_reference

Bounds = tuple[float, float, float, float]


def _like(model: torch.nn.Module) -> dict:
    parameter = next(model.parameters())
    return {"device": parameter.device, "dtype": parameter.dtype}


def _as_tensor(values, model: torch.nn.Module) -> Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.float64)).to(**_like(model))


def _numpy(tensor: Tensor) -> np.ndarray:
    return tensor.detach().to(device="cpu", dtype=torch.float64).numpy()


def _flow(model: TaskModel | FlowModel) -> FlowModel:
    return model.flow if isinstance(model, TaskModel) else model


def _state_coordinates(flow: FlowModel, x: Tensor) -> Tensor:
    """Points ``(N, d)`` -> ODE state coordinates ``(N, D)``, as the family lifts an x(0)
    (ANODE: extra coordinates 0; every other family: the points themselves)."""
    return flow.initial_state(x)[0]


def sample_context(model: TaskModel | FlowModel, x0, t: float = 0.0) -> tuple[Tensor, ...]:
    """The context that fixes one sample's vector field at time ``t``, each tensor ``(1, ...)``
    (``(B, ...)`` for a batch of samples).

    Args:
        model: a TaskModel or its flow.
        x0: the sample's initial point, shape ``(d,)``, or a batch of them ``(B, d)``.
        t: time at which the field is taken (only changes anything for closed-loop N-CODE).

    Returns:
        The non-x part of the sample's ODE state at time t: ``()`` for NODE / ANODE (one shared
        field); ``(x0,)`` ``(1, d)`` for NODE-DC; the control ``(1, K)`` for N-CODE (open loop:
        ``gamma(x0)``, constant; closed loop: the value at t on the sample's own trajectory).
        The field's parameters are ``theta = flow.system.theta(control)``.
    """
    flow = _flow(model)
    point = _as_tensor(np.atleast_2d(x0), flow)
    with torch.no_grad():
        if t <= 0:
            return tuple(flow.initial_state(point)[1:])
        times = torch.tensor([0.0, float(t)], **_like(flow))
        return tuple(c[-1] for c in flow(point, times).context)


def field_values(model: TaskModel | FlowModel, points, context: tuple[Tensor, ...],
                 t: float = 0.0) -> np.ndarray:
    """dx/dt at ``points (N, d)`` for one sample's ``context`` (from :func:`sample_context`).

    ANODE: the points are lifted with their augmented coordinates set to 0 and the first d
    components of the field are returned (the projection of the augmented field onto the data
    plane). Returns ``(N, d)`` float64.
    """
    flow = _flow(model)
    x = _as_tensor(points, flow)
    count, dim = x.shape
    expanded = tuple(c.expand(count, *c.shape[1:]) for c in context)
    with torch.no_grad():
        values = flow.field_at(float(t), _state_coordinates(flow, x), expanded)
    return _numpy(values[:, :dim])


@dataclass
class VectorField:
    """A 2-D field sampled on a grid: ``xs (n,)``, ``ys (m,)``, components ``u, v (m, n)``
    (row i is ``ys[i]``, column j is ``xs[j]``)."""

    xs: np.ndarray
    ys: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @property
    def speed(self) -> np.ndarray:
        """``(m, n)`` Euclidean norm of the field."""
        return np.hypot(self.u, self.v)


def grid(bounds: Bounds, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xs (n,)``, ``ys (n,)`` and the grid points ``(n*n, 2)`` in row-major (y, x) order for
    ``bounds = (x_min, x_max, y_min, y_max)``."""
    x_min, x_max, y_min, y_max = bounds
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def vector_field(model: TaskModel | FlowModel, x0, bounds: Bounds, resolution: int = 20,
                 t: float = 0.0) -> VectorField:
    """The 2-D field one sample sees, on a ``resolution x resolution`` grid.

    ``x0 (2,)`` picks the sample (ignored by NODE / ANODE); ``t`` the time (closed loop: the
    field is ``f(x; theta(t))`` with theta(t) from x0's trajectory). ANODE: augmented
    coordinates 0, see :func:`field_values`.
    """
    xs, ys, points = grid(bounds, resolution)
    values = field_values(model, points, sample_context(model, x0, t), t)
    shape = (resolution, resolution)
    return VectorField(xs, ys, values[:, 0].reshape(shape), values[:, 1].reshape(shape))


def is_closed_loop(model: TaskModel | FlowModel) -> bool:
    """Whether a sample's field changes along its trajectory (closed-loop N-CODE: theta(t)
    evolves by the control law); every other family's field is fixed per sample."""
    flow = _flow(model)
    return flow.controlled and getattr(flow.system, "law", None) is not None


@dataclass
class FieldMovie:
    """One sample's field over time: ``times (T,)``; ``points (N, d)`` where it is evaluated;
    ``values (T, N, d)`` the field ``f(x; theta(t))`` there; ``path (T, d)`` the sample's x(t)."""

    times: np.ndarray
    points: np.ndarray
    values: np.ndarray
    path: np.ndarray


def field_over_time(model: TaskModel | FlowModel, x0, points, n_times: int = 20,
                    horizon: float | None = None) -> FieldMovie:
    """The field sample ``x0 (d,)`` sees at ``n_times`` times on ``[0, horizon]`` (default the
    flow's T), at ``points (N, d)``: one solve of the sample's trajectory, then one field
    evaluation per time with that time's context (closed loop: theta(t) changes the field)."""
    flow = _flow(model)
    end = flow.integration_time if horizon is None else horizon
    times = torch.linspace(0.0, float(end), n_times, **_like(flow))
    with torch.no_grad():
        path = flow(_as_tensor(np.atleast_2d(x0), flow), times)
    points = np.asarray(points, dtype=np.float64)
    values = [field_values(flow, points, tuple(c[index] for c in path.context), float(t))
              for index, t in enumerate(_numpy(times))]
    return FieldMovie(_numpy(times), points, np.stack(values),
                      _numpy(path.x[:, 0, : points.shape[1]]))


def _interpolate(field: VectorField, points: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of the field at ``points (S, 2)`` -> ``(S, 2)`` (NaN outside)."""
    xs, ys = field.xs, field.ys
    fx = (points[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (len(xs) - 1)
    fy = (points[:, 1] - ys[0]) / (ys[-1] - ys[0]) * (len(ys) - 1)
    inside = (fx >= 0) & (fx <= len(xs) - 1) & (fy >= 0) & (fy <= len(ys) - 1)
    fx = np.clip(np.nan_to_num(fx), 0, len(xs) - 1 - 1e-9)
    fy = np.clip(np.nan_to_num(fy), 0, len(ys) - 1 - 1e-9)
    i, j = fy.astype(int), fx.astype(int)
    a, b = fy - i, fx - j
    result = np.empty_like(points)
    for k, component in enumerate((field.u, field.v)):
        result[:, k] = ((1 - a) * (1 - b) * component[i, j] + (1 - a) * b * component[i, j + 1]
                        + a * (1 - b) * component[i + 1, j] + a * b * component[i + 1, j + 1])
    result[~inside] = np.nan
    return result


def streamlines(field: VectorField, seeds_per_side: int = 8, steps: int = 30) -> np.ndarray:
    """Streamlines of a frozen 2-D field, as one ``(K, 2)`` array with NaN rows between lines.

    Seeds lie on a ``seeds_per_side x seeds_per_side`` grid inside the field's box; each line is
    traced forward and backward with midpoint steps of a fixed length (1/3 of a seed spacing) on
    the normalised direction, stopping where it leaves the box or the field vanishes.
    """
    x_min, x_max, y_min, y_max = field.xs[0], field.xs[-1], field.ys[0], field.ys[-1]
    margin = 0.5 / seeds_per_side
    fractions = np.linspace(margin, 1 - margin, seeds_per_side)
    gx, gy = np.meshgrid(x_min + fractions * (x_max - x_min), y_min + fractions * (y_max - y_min))
    seeds = np.stack([gx.ravel(), gy.ravel()], axis=1)
    length = min(x_max - x_min, y_max - y_min) / seeds_per_side / 3
    floor = 1e-6 * max(float(np.nanmax(field.speed)), 1e-12)

    def direction(points: np.ndarray) -> np.ndarray:
        values = _interpolate(field, points)
        norm = np.linalg.norm(values, axis=1, keepdims=True)
        values = values / np.where(norm > floor, norm, np.nan)
        return values

    halves = []
    for sign in (1.0, -1.0):
        path = [seeds]
        current = seeds.copy()
        for _ in range(steps):
            middle = current + 0.5 * sign * length * direction(current)
            current = current + sign * length * direction(middle)
            outside = ((current[:, 0] < x_min) | (current[:, 0] > x_max)
                       | (current[:, 1] < y_min) | (current[:, 1] > y_max))
            current[outside] = np.nan
            path.append(current)
        halves.append(np.stack(path, axis=1))  # (S, steps + 1, 2)
    lines = np.concatenate([halves[1][:, :0:-1], halves[0]], axis=1)  # backward reversed + forward
    separator = np.full((lines.shape[0], 1, 2), np.nan)
    return np.concatenate([lines, separator], axis=1).reshape(-1, 2)


@dataclass
class Paths:
    """Solved trajectories: ``times (T,)``, ``x (T, B, D)`` (D includes ANODE's augmented
    coordinates), ``theta (T, B, P)`` for N-CODE else None."""

    times: np.ndarray
    x: np.ndarray
    theta: np.ndarray | None


def trajectories(model: TaskModel | FlowModel, x0, n_times: int = 25,
                 horizon: float | None = None) -> Paths:
    """Trajectories of a batch ``x0 (B, d)`` at ``n_times`` equally spaced times on
    ``[0, horizon]`` (default: the flow's integration time T)."""
    flow = _flow(model)
    end = flow.integration_time if horizon is None else horizon
    times = torch.linspace(0.0, float(end), n_times, **_like(flow))
    with torch.no_grad():
        path = flow(_as_tensor(x0, flow), times)
    theta = flow.theta(path)
    return Paths(_numpy(times), _numpy(path.x), None if theta is None else _numpy(theta))


@dataclass
class DecisionMap:
    """A classifier's class-1 score on a grid: ``xs (n,)``, ``ys (n,)``, ``score (n, n)``
    (row i is ``ys[i]``); the task predicts class 1 where ``score > threshold``."""

    xs: np.ndarray
    ys: np.ndarray
    score: np.ndarray
    threshold: float = 0.5


def class_score(model: TaskModel, points, task=None) -> np.ndarray:
    """Class-1 score ``(N,)`` of points ``(N, d)``, thresholded at 0.5 by the task.

    Uses the task's own ``class_score`` when it has one (annuli: the readout regressed on 0/1
    labels); otherwise the readout's first output.
    """
    x = _as_tensor(points, model)
    scorer = getattr(task, "class_score", None)
    with torch.no_grad():
        values = scorer(model, x) if scorer is not None else model(x)[0][:, 0]
    return _numpy(values)


def decision_map(model: TaskModel, bounds: Bounds, resolution: int = 50,
                 task=None) -> DecisionMap:
    """:func:`class_score` of every grid point (binary classification of 2-D inputs)."""
    xs, ys, points = grid(bounds, resolution)
    score = class_score(model, points, task).reshape(resolution, resolution)
    return DecisionMap(xs, ys, score)


@dataclass
class ReflectionPicture:
    """1-D views (Fig. 4). ``times (T,)``; ``x0 (N,)`` starting points; ``x (T, N)`` their
    paths; ``positions (X,)`` and ``field (T, X)``: f(x; theta(t)) of the chosen sample over
    positions and time; ``sample`` the chosen x(0)."""

    times: np.ndarray
    x0: np.ndarray
    x: np.ndarray
    positions: np.ndarray
    field: np.ndarray
    sample: float


def reflection_picture(model: TaskModel, input_range: float = 1.0, n_paths: int = 21,
                       n_times: int = 25, sample: float = 0.5,
                       n_positions: int = 41) -> ReflectionPicture:
    """Paths x(t) for ``n_paths`` starting points on ``[-range, range]`` and the 1-D field
    ``f(x; theta(x0 = sample, t))`` on ``n_positions`` positions of a 1.5x wider interval."""
    flow = _flow(model)
    x0 = np.linspace(-input_range, input_range, n_paths)
    paths = trajectories(flow, x0[:, None], n_times)
    positions = np.linspace(-1.5 * input_range, 1.5 * input_range, n_positions)
    if is_closed_loop(flow):
        field = field_over_time(flow, [sample], positions[:, None], n_times).values[..., 0]
    else:
        row = field_values(flow, positions[:, None], sample_context(flow, [sample]))[:, 0]
        field = np.stack([row] * len(paths.times))
    return ReflectionPicture(paths.times, x0, paths.x[:, :, 0], positions, field, float(sample))


@dataclass
class VanDerPolPortrait:
    """Model vs target (Fig. 3) for ``B`` initial conditions at the task's ``times (T,)``:
    ``x_model, x_target, theta_target (T, B)``; ``theta_model (T, B)`` when the model has a
    1-D control, else None; ``x0 (B,)``."""

    times: np.ndarray
    x0: np.ndarray
    x_model: np.ndarray
    x_target: np.ndarray
    theta_target: np.ndarray
    theta_model: np.ndarray | None


def vanderpol_portrait(model: TaskModel, task, x0=None) -> VanDerPolPortrait:
    """Model and target trajectories of a VanDerPolTask from ``x0 (B,)`` (default: the task's
    first four test initial conditions)."""
    if x0 is None:
        x0 = _numpy(task.x_test[:4, 0])
    x0 = np.asarray(x0, dtype=np.float64)
    times = _numpy(task.times64)
    x_target, theta_target = map(_numpy, vanderpol_reference(task.config.mu_true, x0, times))
    flow = _flow(model)
    with torch.no_grad():
        path = flow(_as_tensor(x0[:, None], flow), _as_tensor(times, flow))
    theta = flow.theta(path)
    theta_model = _numpy(theta[..., 0]) if theta is not None and theta.shape[-1] == 1 else None
    return VanDerPolPortrait(times, x0, _numpy(path.x[..., 0]), x_target, theta_target,
                             theta_model)


@dataclass
class Bifurcation:
    """x(0) moved along a segment: ``position (N,)`` in [0, 1], ``points (N, d)``, final states
    ``x_final (N, D)``, ``theta0 (N, P)`` (the field parameters theta(0) = gamma(x(0)) of each
    point; None without control) and, for classifiers, the class-1 ``score (N,)`` (else None)."""

    position: np.ndarray
    points: np.ndarray
    x_final: np.ndarray
    theta0: np.ndarray | None
    score: np.ndarray | None


def bifurcation_line(model: TaskModel, start, end, count: int = 61,
                     task=None, classifier: bool = True) -> Bifurcation:
    """Sweep x(0) from ``start (d,)`` to ``end (d,)`` in ``count`` points and record x(T),
    theta(0) and (``classifier``) the class-1 score of :func:`class_score`."""
    flow = _flow(model)
    start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    position = np.linspace(0.0, 1.0, count)
    points = start[None] + position[:, None] * (end - start)[None]
    x0 = _as_tensor(points, flow)
    with torch.no_grad():
        path = flow(x0)
        theta = flow.theta(path)
        theta0 = theta[0] if theta is not None else None
    score = class_score(model, points, task) if classifier else None
    return Bifurcation(position, points, _numpy(path.x[-1]),
                       None if theta0 is None else _numpy(theta0), score)
