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

from app.components.figures import CURVE_COLORS, Curve, add_seed_band

BITS_SCALE = [[0.0, "#1f1f1f"], [0.5, "#bdbdbd"], [1.0, "#f2f2f2"]]  # -1, 0, +1
ERRORS_SCALE = [[0.0, "#f2f2f2"], [0.5, "#fdae61"], [1.0, "#d7191c"]]  # right, wrong, wrong zeroed
MARGIN = dict(l=10, r=10, t=50, b=10)


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


def error_curves_figure(settings: dict[str, Sequence[Curve]], metric: str) -> go.Figure:
    """Held-out ``metric`` against training episodes: per setting (label -> its seeds' curves)
    the mean over seeds, with a band from the lowest to the highest seed."""
    fig = go.Figure()
    for index, (label, curves) in enumerate(settings.items()):
        add_seed_band(fig, curves, label, CURVE_COLORS[index % len(CURVE_COLORS)])
    fig.update_layout(title=dict(text=f"Held-out {metric} vs training episodes (mean over "
                                      "seeds, band: lowest to highest)", x=0.01,
                                 font=dict(size=14)),
                      height=360, margin=dict(l=50, r=10, t=50, b=40), uirevision="keep",
                      legend=dict(orientation="h", y=-0.2), xaxis_title="episodes",
                      yaxis_title=metric, yaxis_tickformat=".0%")
    return fig
