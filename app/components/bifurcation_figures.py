"""Figure builders for the bifurcation analysis: equilibria on a field, the bifurcation diagram,
the table of events. Pure: arrays (``ncode_core`` bifurcation results) -> plotly figures / rows.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import ncode_core as nc
from app.components.figures import with_separators

# kind -> (marker symbol, colour): filled symbols attract (stable), open ones repel or split.
EQUILIBRIUM_STYLE: dict[str, tuple[str, str]] = {
    "stable": ("circle", "#2ca02c"),
    "stable node": ("circle", "#2ca02c"),
    "stable focus": ("diamond", "#2ca02c"),
    "unstable": ("circle-open", "#d62728"),
    "unstable node": ("circle-open", "#d62728"),
    "unstable focus": ("diamond-open", "#d62728"),
    "saddle": ("x", "#9467bd"),
    "centre": ("star-open", "#1f77b4"),
    "non-hyperbolic": ("square-open", "#7f7f7f"),
}
EVENT_COLOR = "#ff7f0e"
MARKER_COLOR = "#34495e"  # the current x(0); not red or green, which mean stability here


def add_equilibria(fig: go.Figure, equilibria: nc.Equilibria,
                   dims: tuple[int, int] = (0, 1)) -> go.Figure:
    """Mark the equilibria ``points (E, D)`` on a 2-D figure (coordinates ``dims``), one trace
    per kind so the legend names them; returns ``fig``."""
    points = equilibria.points
    kinds = np.asarray(equilibria.kinds)
    for kind, (symbol, color) in EQUILIBRIUM_STYLE.items():
        chosen = points[kinds == kind] if len(points) else points
        if len(chosen) == 0:
            continue
        fig.add_trace(go.Scatter(
            x=chosen[:, dims[0]], y=chosen[:, dims[1]], mode="markers", name=kind,
            marker=dict(symbol=symbol, color=color, size=13, line=dict(color=color, width=2.5)),
            hovertemplate=f"{kind}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
    return fig


def _runs(positions: np.ndarray, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Polylines ``(K, 2)`` of ``(position, value)``, NaN-separated, one per run of
    consecutive steps s -> s+1 of a branch where ``mask (B, S - 1)`` holds. Whole runs rather
    than one piece per step, so a dashed line shows its dashes."""
    lines = []
    for b in range(mask.shape[0]):
        steps = np.flatnonzero(mask[b])
        for run in np.split(steps, np.flatnonzero(np.diff(steps) > 1) + 1):
            if run.size:
                index = np.arange(run[0], run[-1] + 2)
                lines.append(np.stack([positions[index], values[b, index]], axis=1))
    return with_separators(lines)


def bifurcation_diagram_figure(continuation: nc.Continuation, marker: float | None = None,
                               coordinates: Sequence[int] | None = None,
                               position_title: str = "position of x(0) on the line"
                               ) -> go.Figure:
    """Equilibrium coordinate against the parameter, one panel per coordinate (default the
    first two): stable branches solid, unstable dashed, events as labelled diamonds, the
    current ``marker`` position as a vertical line."""
    branches, stable = continuation.branches, continuation.branch_stable
    dim = branches.shape[2] if branches.ndim == 3 else 1
    coordinates = list(coordinates if coordinates is not None else range(min(dim, 2)))
    fig = make_subplots(rows=1, cols=len(coordinates),
                        subplot_titles=[f"equilibria: x{k + 1}" for k in coordinates])
    s = continuation.positions
    present = ~np.isnan(branches[..., 0]) if branches.size else np.zeros((0, len(s)), bool)
    joined = present[:, :-1] & present[:, 1:]
    both_stable = joined & stable[:, :-1] & stable[:, 1:]
    isolated = present & ~np.pad(joined, ((0, 0), (1, 0))) & ~np.pad(joined, ((0, 0), (0, 1)))
    for col, k in enumerate(coordinates, start=1):
        values = branches[..., k] if branches.size else np.zeros((0, len(s)))
        first = col == 1
        for name, mask, dash, color in (("stable", both_stable, "solid", "#2ca02c"),
                                        ("unstable", joined & ~both_stable, "dash", "#d62728")):
            line = _runs(s, values, mask)
            fig.add_trace(go.Scatter(x=line[:, 0] if len(line) else [],
                                     y=line[:, 1] if len(line) else [], mode="lines",
                                     name=name, legendgroup=name, showlegend=first,
                                     line=dict(color=color, dash=dash, width=2.5)), 1, col)
        single = np.nonzero(isolated)  # equilibria seen at one position only
        fig.add_trace(go.Scatter(x=s[single[1]], y=values[single], mode="markers",
                                 name="isolated", showlegend=False,
                                 marker=dict(color=np.where(stable[single], "#2ca02c",
                                                            "#d62728").tolist(), size=5)),
                      1, col)
        events = continuation.events
        fig.add_trace(go.Scatter(
            x=[e.position for e in events], y=[e.point[k] for e in events],
            mode="markers+text", text=[e.kind for e in events],
            textposition=["top right" if e.position < 0.5 * (s[0] + s[-1]) else "top left"
                          for e in events],
            name="bifurcation", legendgroup="events", showlegend=first,
            marker=dict(symbol="diamond", size=12, color=EVENT_COLOR,
                        line=dict(color="black", width=1))), 1, col)
        for event in events:
            fig.add_vline(x=event.position, line=dict(color=EVENT_COLOR, dash="dot", width=1),
                          row=1, col=col)
        if marker is not None:
            fig.add_vline(x=marker, line=dict(color=MARKER_COLOR, width=2), row=1, col=col)
    fig.update_xaxes(title_text=position_title, range=[s[0], s[-1]])
    fig.update_layout(title=dict(text="Bifurcation diagram: equilibria of the field of x(0)",
                                 x=0.01, font=dict(size=14)), height=380,
                      margin=dict(l=40, r=10, t=50, b=35), uirevision="keep",
                      legend=dict(orientation="h", y=-0.25), meta="bifurcation-diagram")
    return fig


def event_rows(continuation: nc.Continuation, start: Sequence[float],
               end: Sequence[float]) -> list[dict[str, Any]]:
    """One row per event for a table: position on the line, the x(0) there, the kind, where the
    equilibria involved are, and the bracket's width (the location's uncertainty)."""
    start_np, end_np = np.asarray(start, float), np.asarray(end, float)
    rows = []
    for event in continuation.events:
        x0 = start_np + event.position * (end_np - start_np)
        rows.append({"position": round(event.position, 5), "kind": event.kind,
                     "x(0)": "(" + ", ".join(f"{v:.3f}" for v in x0) + ")",
                     "equilibrium": "(" + ", ".join(f"{v:.3f}" for v in event.point) + ")",
                     "located to": f"{event.bracket[1] - event.bracket[0]:.1e}"})
    return rows
