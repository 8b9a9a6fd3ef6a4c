"""Memorization page: probe editing and figure builders. Pure (arrays in, arrays or plotly
figures out; no st.* calls), so every function is tested without Streamlit.

A pattern of n bits is drawn as an image: ``side x side`` when n is a square (n = 100 -> 10x10),
otherwise a ``1 x n`` strip. Bits are -1 (dark), 0 (zeroed, grey), +1 (light).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.components.field_animation import animation_controls
from app.components.figures import CURVE_COLORS, Curve, add_seed_band

BITS_SCALE = [[0.0, "#1f1f1f"], [0.5, "#bdbdbd"], [1.0, "#f2f2f2"]]  # -1, 0, +1
ERRORS_SCALE = [[0.0, "#f2f2f2"], [0.5, "#fdae61"], [1.0, "#d7191c"]]  # right, wrong, wrong zeroed
MARGIN = dict(l=10, r=10, t=50, b=10)
FRAME_MS = 400  # one episode (about 23 frames) plays in about 9 s


def image_shape(n: int) -> tuple[int, int]:
    """``(rows, cols)`` a pattern of ``n`` bits is drawn as: square when n is a square."""
    side = math.isqrt(n)
    return (side, side) if side * side == n else (1, n)


def as_images(vectors: np.ndarray) -> np.ndarray:
    """``(S, n)`` patterns -> ``(S, rows, cols)`` images (see :func:`image_shape`)."""
    vectors = np.asarray(vectors)
    return vectors.reshape(vectors.shape[0], *image_shape(vectors.shape[1]))


def zeroed_mask(n: int, fraction: float, seed: int) -> np.ndarray:
    """``(n,)`` bool: ``round(fraction * n)`` bits chosen at random from ``seed``."""
    count = round(fraction * n)
    chosen = np.random.default_rng(seed).permutation(n)[:count]
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return mask


def degrade(pattern: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(n,)`` probe: ``pattern`` with the bits of ``mask (n,)`` set to 0."""
    return np.where(mask, 0.0, pattern)


def grid_to_probe(grid: np.ndarray) -> np.ndarray:
    """An edited ``(rows, cols)`` grid -> ``(n,)`` probe in {-1, 0, 1} (the sign of each cell;
    an empty cell is 0)."""
    return np.sign(np.nan_to_num(np.asarray(grid, dtype=float))).reshape(-1)


def error_map(guess: np.ndarray, target: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """``(n,)``: 0 where ``sign(guess)`` is right, 1 wrong on a shown bit, 2 wrong on a zeroed
    bit (``probe == 0``). A guess of exactly 0 is wrong, as in ``ncode_core.bit_errors``."""
    wrong = np.sign(guess) != target
    return np.where(wrong, np.where(probe == 0, 2.0, 1.0), 0.0)


Panel = tuple[np.ndarray, str, tuple[float, float], "Sequence | str"]  # image, title, z, scale


def panels_figure(panels: Sequence[Panel], title: str, height: int = 220) -> go.Figure:
    """One heatmap per ``(image (rows, cols), subtitle, (zmin, zmax), colorscale)``, side by
    side, row 0 at the top, square images kept square."""
    count = len(panels)
    fig = make_subplots(rows=1, cols=count, subplot_titles=[panel[1] for panel in panels],
                        horizontal_spacing=min(0.02, 0.5 / max(count, 1)))
    for index, (image, _, (zmin, zmax), colorscale) in enumerate(panels):
        fig.add_trace(go.Heatmap(z=image, zmin=zmin, zmax=zmax, colorscale=colorscale,
                                 showscale=False, hovertemplate="row %{y}, col %{x}: "
                                 "%{z:.3g}<extra></extra>"), row=1, col=index + 1)
        if image.shape[0] == image.shape[1]:
            fig.update_yaxes(scaleanchor="x" if index == 0 else f"x{index + 1}",
                             row=1, col=index + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, autorange="reversed")
    fig.update_annotations(font=dict(size=11))
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=height,
                      margin=MARGIN, uirevision="keep", plot_bgcolor="rgba(0,0,0,0)")
    return fig


def image_row(images: np.ndarray, titles: Sequence[str], title: str, zrange: tuple[float, float],
              colorscale: Sequence | str, height: int = 220) -> go.Figure:
    """``(S, rows, cols)`` images side by side on one colour range."""
    return panels_figure([(image, name, zrange, colorscale)
                          for image, name in zip(np.asarray(images), titles)], title, height)


def patterns_figure(patterns: np.ndarray, probe: np.ndarray, probed: int) -> go.Figure:
    """The episode's ``patterns (m, n)`` and the ``probe (n,)`` made from pattern ``probed``."""
    titles = [f"pattern {i}" + (" (probed)" if i == probed else "")
              for i in range(len(patterns))] + ["probe"]
    return image_row(as_images(np.vstack([patterns, probe[None]])), titles,
                     "Stored patterns and the probe", (-1.0, 1.0), BITS_SCALE)


def recall_figure(times: np.ndarray, x: np.ndarray, target: np.ndarray) -> go.Figure:
    """x(t) during the probe: ``x (T, n)`` at ``times (T,)`` seconds, then the ``target (n,)``."""
    titles = [f"x at t = {t:.2f} s" for t in times] + ["target"]
    return image_row(as_images(np.vstack([x, target[None]])), titles,
                     "Recall: x(t) while the probe is shown", (-1.0, 1.0), BITS_SCALE)


def theta_figure(theta: np.ndarray, titles: Sequence[str], title: str) -> go.Figure:
    """``theta (S, n, n)`` heatmaps on one symmetric colour range (blue < 0 < red) up to the
    99th percentile of ``|theta|``: the few largest entries (the diagonal, where x_i^2 = 1
    always) saturate instead of washing out the off-diagonal structure."""
    bound = float(np.percentile(np.abs(theta), 99)) or 1.0
    return image_row(theta, titles, title, (-bound, bound), "RdBu_r", height=260)


def errors_figure(guess: np.ndarray, target: np.ndarray, probe: np.ndarray) -> go.Figure:
    """The recalled signs ``sign(guess (n,))`` and where they are wrong against ``target (n,)``
    (orange: a bit the ``probe (n,)`` showed, red: a zeroed bit)."""
    signs, errors = as_images(np.vstack([np.sign(guess), error_map(guess, target, probe)]))
    return panels_figure([(signs, "sign of the recall", (-1.0, 1.0), BITS_SCALE),
                          (errors, "bit errors (orange: shown, red: zeroed)", (0.0, 2.0),
                           ERRORS_SCALE)], "Recall and its bit errors", height=260)


def episode_frames(times: np.ndarray, stride: int = 2) -> list[tuple[int, int]]:
    """The ``(interval, point)`` pairs an animation of a trace sampled at ``times (K, T)``
    shows: every ``stride``-th point of each interval but its end (the next interval starts
    from that state, x reset to its stimulus), then the very last point of the episode."""
    intervals, points = times.shape
    return [(k, j) for k in range(intervals) for j in range(0, points - 1, stride)] + \
        [(intervals - 1, points - 1)]


def episode_animation_figure(times: np.ndarray, shown: Sequence[str], stimuli: np.ndarray,
                             x: np.ndarray, theta: np.ndarray) -> go.Figure:
    """One episode of K intervals, traced at ``times (K, T)``, played frame by frame (the
    frames of :func:`episode_frames`): the stimulus of the interval ``stimuli (K, n)`` (named
    ``shown[k]``, e.g. ``"pattern 3"`` or ``"probe"``), the state ``x (K, T, n)`` and the
    synapses ``theta (K, T, n, n)``, with play / pause and a slider. theta keeps one colour
    range for every frame (the 99th percentile of ``|theta|`` over the episode), so the
    Hebbian memory is seen building up."""
    frames = episode_frames(times)
    labels = [f"{times[k, j]:.2f} s, {shown[k]}" for k, j in frames]
    bound = float(np.percentile(np.abs(theta), 99)) or 1.0

    def images(k: int, j: int) -> list[np.ndarray]:
        return [*as_images(np.stack([stimuli[k], x[k, j]])), theta[k, j]]

    titles = ("shown", "x(t)", "theta(t), the synapses")
    ranges = ((-1.0, 1.0), (-1.0, 1.0), (-bound, bound))
    scales = (BITS_SCALE, BITS_SCALE, "RdBu_r")
    fig = panels_figure(list(zip(images(*frames[0]), titles, ranges, scales)),
                        "One episode: the stimulus shown, x(t) and theta(t)", height=380)
    # a frame's data is merged into the traces: only z changes, ranges and scales stay
    fig.frames = [go.Frame(data=[go.Heatmap(z=z) for z in images(k, j)], name=label,
                           traces=[0, 1, 2]) for (k, j), label in zip(frames, labels)]
    fig.update_layout(margin=dict(l=10, r=10, t=50, b=110),
                      **animation_controls(labels, labels, prefix="", frame_ms=FRAME_MS,
                                           redraw=True))
    return fig


Reference = tuple[float, str]  # a value on the metric's scale, what it stands for


def paper_references(numbers: Sequence[tuple[str, float, str, str]]) -> list[Reference]:
    """``(label, value, text, source)`` of the paper's numbers -> one reference per distinct
    ``(value, text, source)``, naming every label that shares it (``"paper (Fig. 6): NODE DC,
    ODE-RNN: plateau near 17.5 %"``), in first-seen order."""
    merged: dict[tuple[float, str, str], list[str]] = {}
    for label, value, text, source in numbers:
        merged.setdefault((value, text, source), []).append(label)
    return [(value, f"paper ({source}): {', '.join(labels)}: {text}")
            for (value, text, source), labels in merged.items()]


def error_curves_figure(settings: dict[str, Sequence[Curve]], metric: str,
                        references: Sequence[Reference] = ()) -> go.Figure:
    """Held-out ``metric`` against training episodes: per setting (label -> its seeds' curves)
    the mean over seeds, with a band from the lowest to the highest seed; each of the paper's
    ``references`` on the same metric a dashed horizontal line with its text."""
    fig = go.Figure()
    for value, text in references:
        fig.add_hline(y=value, line=dict(color="#555555", dash="dash", width=1),
                      annotation=dict(text=text, font=dict(size=10, color="#555555")),
                      annotation_position="top right")
    for index, (label, curves) in enumerate(settings.items()):
        add_seed_band(fig, curves, label, CURVE_COLORS[index % len(CURVE_COLORS)])
    paper = "; dashed: the paper" if references else ""
    fig.update_layout(title=dict(text=f"Held-out {metric} vs training episodes (mean over "
                                      f"seeds, band: lowest to highest{paper})", x=0.01,
                                 font=dict(size=14)),
                      height=360, margin=dict(l=50, r=10, t=50, b=40), uirevision="keep",
                      legend=dict(orientation="h", y=-0.2), xaxis_title="episodes",
                      yaxis_title=metric, yaxis_tickformat=".0%")
    return fig
