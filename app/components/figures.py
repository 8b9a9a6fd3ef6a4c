"""Figure builders: arrays (from ``ncode_core`` viz) -> plotly figures. Pure: no st.* calls.

Many lines go into ONE trace with NaN separators (trajectories), never one trace per line and
never ``figure_factory.create_quiver`` (quadratic, see REFERENCE.md). The arrows and streamlines
of a vector field, the thousands of pieces that are never hovered, go into ONE SVG path shape
each: plotly.js draws every NaN-separated piece of a trace as its own SVG element (~900 per field
picture), which made a field picture 2-3x slower to draw in the browser
(``benchmarks/app_throughput.py --draw-only``). Every
figure sets ``uirevision`` so a user's zoom survives live updates. No ``template`` is set:
copying one costs ~80 ms per figure, and Streamlit's theme styles the charts anyway.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import ncode_core as nc

CLASS_COLORS = ("#1f77b4", "#ff7f0e")  # class 0 (inner disk), class 1 (outer annulus)
SAMPLE_COLORS = ("#2ca02c", "#d62728")  # the two picked samples A and B
MARGIN = dict(l=40, r=10, t=40, b=35)
CURVE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
Curve = tuple[np.ndarray, np.ndarray]  # one run's x (P,) and values (P,)


def _layout(fig: go.Figure, title: str, height: int = 360, **extra: Any) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=height,
                      margin=MARGIN, uirevision="keep", legend=dict(orientation="h", y=-0.15),
                      **extra)
    return fig


def _square(fig: go.Figure) -> None:
    fig.update_yaxes(scaleanchor="x", scaleratio=1)


def with_separators(lines: Sequence[np.ndarray]) -> np.ndarray:
    """Join ``(K_i, d)`` polylines into one ``(sum K_i + n, d)`` array, NaN rows between them."""
    if not lines:
        return np.empty((0, 2))
    dim = lines[0].shape[1]
    pieces = []
    for line in lines:
        pieces += [line, np.full((1, dim), np.nan)]
    return np.concatenate(pieces)


def arrow_segments(field: nc.VectorField, length: float | None = None,
                   head: float = 0.35) -> np.ndarray:
    """Arrows for every grid point as one ``(7 N, 2)`` polyline with NaN separators.

    Each arrow: shaft from the point to ``point + length * direction * (speed / max speed)``,
    then a two-stroke head of ``head`` times the shaft length. ``length`` defaults to 90 % of the
    grid spacing. Vectorised: cost is linear in the number of arrows.
    """
    gx, gy = np.meshgrid(field.xs, field.ys)
    base = np.stack([gx.ravel(), gy.ravel()], axis=1)
    vectors = np.stack([field.u.ravel(), field.v.ravel()], axis=1)
    speed = np.linalg.norm(vectors, axis=1)
    top = float(np.nanmax(speed)) if speed.size and np.isfinite(speed).any() else 0.0
    spacing = min(np.ptp(field.xs) / max(len(field.xs) - 1, 1),
                  np.ptp(field.ys) / max(len(field.ys) - 1, 1))
    length = 0.9 * spacing if length is None else length
    scale = length / top if top > 0 else 0.0
    shaft = vectors * scale
    tip = base + shaft
    rotate = np.array([[np.cos(2.6), -np.sin(2.6)], [np.sin(2.6), np.cos(2.6)]])
    left = tip + head * shaft @ rotate.T
    right = tip + head * shaft @ rotate
    gap = np.full_like(base, np.nan)
    return np.stack([base, tip, gap, left, tip, right, gap], axis=1).reshape(-1, 2)


def svg_path(polyline: np.ndarray) -> str:
    """A ``(N, 2)`` polyline with NaN rows between its pieces as one SVG path in data
    coordinates (``M`` starts a piece, ``L`` continues it), for a plotly path shape.

    Coordinates are rounded to 1/10,000 of the polyline's span or finer (well under a pixel).
    """
    finite = np.isfinite(polyline).all(axis=1)
    if not finite.any():
        return ""
    points = polyline[finite]
    span = float(np.ptp(points, axis=0).max()) or 1.0
    decimals = max(0, 4 - int(np.floor(np.log10(span))))
    starts = finite & ~np.concatenate([[False], finite[:-1]])
    commands = np.where(starts[finite], "M", "L")
    return "".join(f"{c}{x:.{decimals}f},{y:.{decimals}f}"
                   for c, (x, y) in zip(commands, points.tolist()))


def _line_shape(polyline: np.ndarray, name: str, line: dict[str, Any]) -> dict[str, Any]:
    """A plotly path shape (data coordinates, under the traces) with a legend entry."""
    return dict(type="path", path=svg_path(polyline), xref="x", yref="y", layer="below",
                line=line, name=name, showlegend=True)


def vector_field_figure(field: nc.VectorField, lines: np.ndarray | None = None,
                        sample: Sequence[float] | None = None, title: str = "Vector field",
                        color: str = SAMPLE_COLORS[0], path: np.ndarray | None = None) -> go.Figure:
    """Arrows (one path shape) + streamlines (one path shape) of a 2-D field; the sample's x(0)
    and its trajectory ``path (T, 2)`` when given (traces). Speed is shown as a faint heatmap."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=field.xs, y=field.ys, z=field.speed, colorscale="Greys",
                             opacity=0.25, showscale=False, hoverinfo="skip", name="speed"))
    shapes = []
    if lines is not None and len(lines):
        shapes.append(_line_shape(lines, "streamlines",
                                  dict(color="rgba(90,90,90,0.55)", width=1)))
    shapes.append(_line_shape(arrow_segments(field), "f(x; theta)",
                              dict(color="#34495e", width=1.2)))
    fig.update_layout(shapes=shapes)
    if path is not None:
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name="x(t)",
                                 line=dict(color=color, width=3)))
    if sample is not None:
        fig.add_trace(go.Scatter(x=[sample[0]], y=[sample[1]], mode="markers", name="x(0)",
                                 marker=dict(color=color, size=12, symbol="star",
                                             line=dict(color="black", width=1))))
    fig.update_xaxes(range=[field.xs[0], field.xs[-1]])
    fig.update_yaxes(range=[field.ys[0], field.ys[-1]])
    _square(fig)
    return _layout(fig, title)


def decision_figure(decision: nc.DecisionMap, train: tuple[np.ndarray, np.ndarray] | None = None,
                    test: tuple[np.ndarray, np.ndarray] | None = None,
                    samples: Sequence[Sequence[float]] = (),
                    title: str = "Decision map") -> go.Figure:
    """Heatmap of the class-1 score with the 0.5 contour, train points (dots) and test points
    (crosses) coloured by class, and the picked samples (stars). Clicking a point selects it."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=decision.xs, y=decision.ys, z=np.clip(decision.score, -0.5, 1.5),
                             colorscale="RdBu_r", zmid=decision.threshold, opacity=0.75,
                             colorbar=dict(title="score", thickness=10), name="score"))
    fig.add_trace(go.Contour(x=decision.xs, y=decision.ys, z=decision.score, showscale=False,
                             contours=dict(start=decision.threshold, end=decision.threshold,
                                           size=1, coloring="none"),
                             line=dict(color="black", width=2), hoverinfo="skip",
                             name="boundary"))
    for name, data, symbol in (("train", train, "circle"), ("test", test, "x")):
        if data is None:
            continue
        points, labels = data
        for label in (0, 1):
            chosen = points[labels == label]
            fig.add_trace(go.Scatter(
                x=chosen[:, 0], y=chosen[:, 1], mode="markers", name=f"{name} class {label}",
                marker=dict(color=CLASS_COLORS[label], size=5 if name == "train" else 7,
                            symbol=symbol, line=dict(color="white", width=0.5))))
    for index, point in enumerate(samples):
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers",
                                 name="sample " + "AB"[index],
                                 marker=dict(color=SAMPLE_COLORS[index], size=14, symbol="star",
                                             line=dict(color="black", width=1))))
    fig.update_xaxes(range=[decision.xs[0], decision.xs[-1]])
    fig.update_yaxes(range=[decision.ys[0], decision.ys[-1]])
    _square(fig)
    return _layout(fig, title, clickmode="event+select")


def trajectories_figure(paths: nc.Paths, labels: np.ndarray,
                        title: str = "Trajectories x(t)") -> go.Figure:
    """2-D paths in the plane, one trace per class (NaN-separated), start (o) and end (x)."""
    fig = go.Figure()
    x = paths.x[..., :2]
    for label in (0, 1):
        chosen = x[:, labels == label]
        if chosen.shape[1] == 0:
            continue
        joined = with_separators([chosen[:, i] for i in range(chosen.shape[1])])
        color = CLASS_COLORS[label]
        fig.add_trace(go.Scatter(x=joined[:, 0], y=joined[:, 1], mode="lines",
                                 name=f"class {label}", line=dict(color=color, width=1),
                                 opacity=0.6))
        fig.add_trace(go.Scatter(x=chosen[0, :, 0], y=chosen[0, :, 1], mode="markers",
                                 name=f"start {label}", marker=dict(color=color, size=5),
                                 showlegend=False))
        fig.add_trace(go.Scatter(x=chosen[-1, :, 0], y=chosen[-1, :, 1], mode="markers",
                                 name=f"end {label}", showlegend=False,
                                 marker=dict(color=color, size=7, symbol="x",
                                             line=dict(color="black", width=0.5))))
    _square(fig)
    return _layout(fig, title)


def paths_1d_figure(times: np.ndarray, x: np.ndarray, x0: np.ndarray,
                    title: str = "x(t) for a grid of x(0)") -> go.Figure:
    """1-D paths ``x (T, N)`` against time, coloured by the sign of x(0) (Fig. 4), one trace per
    sign; the target -x(0) drawn as crosses at T."""
    fig = go.Figure()
    for sign, color, name in ((-1, CLASS_COLORS[0], "x(0) < 0"), (1, CLASS_COLORS[1], "x(0) >= 0")):
        chosen = (x0 < 0) if sign < 0 else (x0 >= 0)
        if not chosen.any():
            continue
        lines = [np.stack([times, x[:, i]], axis=1) for i in np.where(chosen)[0]]
        joined = with_separators(lines)
        fig.add_trace(go.Scatter(x=joined[:, 0], y=joined[:, 1], mode="lines", name=name,
                                 line=dict(color=color, width=1.5)))
    fig.add_trace(go.Scatter(x=np.full(len(x0), times[-1]), y=-x0, mode="markers",
                             name="target -x(0)", marker=dict(symbol="x", color="black", size=6)))
    fig.update_xaxes(title="t")
    fig.update_yaxes(title="x")
    return _layout(fig, title)


def field_1d_figure(picture: nc.ReflectionPicture, title: str | None = None,
                    color: str = SAMPLE_COLORS[0]) -> go.Figure:
    """Heatmap of the 1-D field ``f(x; theta(t))`` over (t, x) of one sample, with that
    sample's path on top."""
    fig = go.Figure()
    limit = float(np.nanmax(np.abs(picture.field))) or 1.0
    fig.add_trace(go.Heatmap(x=picture.times, y=picture.positions, z=picture.field.T,
                             colorscale="RdBu_r", zmid=0, zmin=-limit, zmax=limit,
                             colorbar=dict(title="dx/dt", thickness=10), name="f"))
    index = int(np.argmin(np.abs(picture.x0 - picture.sample)))
    fig.add_trace(go.Scatter(x=picture.times, y=picture.x[:, index], mode="lines",
                             name=f"x(t), x(0)={picture.x0[index]:.2f}",
                             line=dict(color=color, width=3)))
    fig.update_xaxes(title="t")
    fig.update_yaxes(title="x")
    return _layout(fig, title or f"Field f(x; theta) of sample x(0) = {picture.sample:.2f}")


def theta_figure(times: np.ndarray, theta: np.ndarray, names: Sequence[str],
                 components: int = 6, title: str = "Control theta(t)") -> go.Figure:
    """theta components against time for a few samples: ``theta (T, S, P)``; the ``components``
    with the widest range over time and samples are drawn, sample s dashed for s > 0."""
    fig = go.Figure()
    spread = np.ptp(theta, axis=(0, 1)) + np.abs(theta).mean(axis=(0, 1)) * 1e-3
    chosen = np.argsort(spread)[::-1][:components]
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f")
    for s, name in enumerate(names):
        for rank, k in enumerate(chosen):
            fig.add_trace(go.Scatter(x=times, y=theta[:, s, k], mode="lines",
                                     name=f"{name} theta[{k}]", legendgroup=name,
                                     line=dict(color=palette[rank % len(palette)],
                                               dash="solid" if s == 0 else "dash")))
    fig.update_xaxes(title="t")
    return _layout(fig, title, showlegend=False)


def vanderpol_figure(portrait: nc.VanDerPolPortrait) -> go.Figure:
    """Left: x(t) model (dashed) vs target (solid). Right: phase plane (x, theta) of the target
    and, when the model has a 1-D control, of the model."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("x(t): model vs target",
                                                        "phase plane (x, theta)"))
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
    for b in range(portrait.x0.shape[0]):
        color = palette[b % len(palette)]
        label = f"x(0)={portrait.x0[b]:.2f}"
        fig.add_trace(go.Scatter(x=portrait.times, y=portrait.x_target[:, b], mode="lines",
                                 name=f"target {label}", line=dict(color=color)), 1, 1)
        fig.add_trace(go.Scatter(x=portrait.times, y=portrait.x_model[:, b], mode="lines",
                                 name=f"model {label}", line=dict(color=color, dash="dash")),
                      1, 1)
        fig.add_trace(go.Scatter(x=portrait.x_target[:, b], y=portrait.theta_target[:, b],
                                 mode="lines", showlegend=False, line=dict(color=color)), 1, 2)
        if portrait.theta_model is not None:
            fig.add_trace(go.Scatter(x=portrait.x_model[:, b], y=portrait.theta_model[:, b],
                                     mode="lines", showlegend=False,
                                     line=dict(color=color, dash="dash")), 1, 2)
    fig.update_xaxes(title_text="t", row=1, col=1)
    fig.update_xaxes(title_text="x", row=1, col=2)
    fig.update_yaxes(title_text="theta", row=1, col=2)
    return _layout(fig, "Van der Pol: model (dashed) vs target (solid)", height=380,
                   showlegend=False)


def bifurcation_figure(diagram: nc.Bifurcation, marker: float | None = None,
                       components: int = 8) -> go.Figure:
    """Three panels against the position on the line: x(T) components, the ``components``
    theta(0) entries that vary most, and the class-1 score (with the 0.5 threshold)."""
    titles = ("final state x(T)", "theta(0) = gamma(x(0))", "class-1 score")
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles)
    s = diagram.position
    for k in range(diagram.x_final.shape[1]):
        fig.add_trace(go.Scatter(x=s, y=diagram.x_final[:, k], mode="lines+markers",
                                 marker=dict(size=3), name=f"x_{k + 1}(T)"), 1, 1)
    if diagram.theta0 is None:
        fig.add_annotation(text="no control: one shared field", showarrow=False,
                           xref="x2 domain", yref="y2 domain", x=0.5, y=0.5)
    else:
        spread = np.ptp(diagram.theta0, axis=0)
        for k in np.argsort(spread)[::-1][:components]:
            fig.add_trace(go.Scatter(x=s, y=diagram.theta0[:, k], mode="lines",
                                     name=f"theta[{k}]", showlegend=False), 1, 2)
    if diagram.score is not None:
        fig.add_trace(go.Scatter(x=s, y=diagram.score, mode="lines", name="score",
                                 line=dict(color="black")), 1, 3)
        fig.add_hline(y=0.5, line=dict(dash="dot", color="grey"), row=1, col=3)
    if marker is not None:
        for col in (1, 2, 3):
            fig.add_vline(x=marker, line=dict(color=SAMPLE_COLORS[1], width=2), row=1, col=col)
    fig.update_xaxes(title_text="position on the line")
    fig = _layout(fig, "Bifurcation diagram along the line", height=360)
    fig.update_layout(legend=dict(orientation="h", y=-0.3))
    return fig


CURVES = (("train_loss", 1, "#1f77b4"), ("test_loss", 1, "#ff7f0e"),
          ("nfe_forward", 3, "#2ca02c"), ("nfe_backward", 3, "#d62728"))


def _series(history: Sequence[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the rows of ``history`` that have ``key``."""
    pairs = [(row["step"], row[key]) for row in history if key in row]
    if not pairs:
        return np.empty(0), np.empty(0)
    xs, ys = zip(*pairs)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def curves_figure(history: Sequence[dict[str, Any]], metric: str | None = None,
                  reuse: go.Figure | None = None) -> go.Figure:
    """Live curves: train/test loss (log scale), the task ``metric`` (e.g. test_accuracy),
    forward/backward NFE per step.

    ``reuse``: a figure this function made before for the same ``metric``; its traces are
    refilled in place (~3 ms instead of ~90 ms for a new subplot figure, which matters when
    it is redrawn after every training chunk).
    """
    if reuse is not None and reuse.layout.meta == metric:
        fig = reuse
    else:
        fig = make_subplots(rows=1, cols=3,
                            subplot_titles=("loss", metric or "metric", "NFE per step"))
        for key, col, color in CURVES:
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines", name=key,
                                     line=dict(color=color)), 1, col)
        if metric:
            fig.add_trace(go.Scatter(x=[], y=[], mode="lines+markers", marker=dict(size=4),
                                     name=metric, line=dict(color="#9467bd")), 1, 2)
        fig.update_yaxes(type="log", row=1, col=1)
        if metric and "accuracy" in metric:
            fig.update_yaxes(range=[0, 1.05], row=1, col=2)
        fig = _layout(fig, "Training curves (x: step)", height=320, meta=metric)
        fig.update_layout(legend=dict(orientation="h", y=-0.12))
    last = max((row["step"] for row in history), default=1)
    with fig.batch_update():
        for trace in fig.data:
            trace.x, trace.y = _series(history, trace.name)
        fig.update_xaxes(range=[0, max(float(last), 1.0)])
    return fig


def seed_bands(curves: Sequence[Curve]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One setting's curves over seeds -> ``(x, mean, low, high)``, each ``(P,)``, at the x
    values every curve was evaluated at (low / high: the smallest and largest seed)."""
    common = sorted(set.intersection(*(set(xs.tolist()) for xs, _ in curves)))
    stacked = np.stack([np.interp(common, xs, values) for xs, values in curves])
    return np.asarray(common, dtype=float), stacked.mean(0), stacked.min(0), stacked.max(0)


def add_seed_band(fig: go.Figure, curves: Sequence[Curve], label: str, color: str,
                  row: int | None = None, col: int | None = None,
                  showlegend: bool = True) -> None:
    """Draw one setting's ``curves`` (its seeds) into ``fig`` (at ``row``/``col`` of a subplot
    figure): the mean over seeds as a line, a band from the lowest to the highest seed behind
    it; the legend entry says how many seeds."""
    xs, mean, low, high = seed_bands(curves)
    fig.add_trace(go.Scatter(x=np.concatenate([xs, xs[::-1]]), y=np.concatenate([high, low[::-1]]),
                             fill="toself", fillcolor=color, opacity=0.2, line=dict(width=0),
                             hoverinfo="skip", showlegend=False, legendgroup=label),
                  row=row, col=col)
    fig.add_trace(go.Scatter(x=xs, y=mean, mode="lines+markers", line=dict(color=color),
                             name=f"{label} ({len(curves)} seed{'s' * (len(curves) > 1)})",
                             legendgroup=label, showlegend=showlegend), row=row, col=col)
