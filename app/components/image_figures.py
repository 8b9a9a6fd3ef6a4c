"""Figure builders of the Images page: an image, class probabilities along t, feature maps x(t)
as a strip, controlled kernels as tiles and two inputs' kernels with their difference.

Pure: arrays (from ``nc.image_trace``) -> plotly figures, no st.* calls. Kernels are drawn as ONE
heatmap of tiles separated by NaN gaps, never one trace per kernel.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.components.figures import _layout

GREYS = "gray"  # dark background, bright strokes: as the digits are stored (0 = background)
DIVERGING = "RdBu_r"  # kernels and differences: 0 white, signs in red / blue


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``scores (T, classes)`` -> probabilities ``(T, classes)``."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def image_figure(image: np.ndarray, title: str, height: int = 260) -> go.Figure:
    """``image (C, H, W)`` in [0, 1]: one channel as a grey heatmap, three as an RGB picture."""
    if image.shape[0] == 3:
        trace = go.Image(z=np.moveaxis(np.clip(image, 0, 1) * 255, 0, -1))
    else:
        trace = go.Heatmap(z=image[0], colorscale=GREYS, zmin=0, zmax=1, showscale=False)
    fig = go.Figure(trace)
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    return _layout(fig, title, height=height)


def scores_figure(times: np.ndarray, scores: np.ndarray, classes: Sequence[str],
                  label: int | None = None) -> go.Figure:
    """Class probabilities (softmax of the readout of x(t)) along ``times (T,)`` for
    ``scores (T, classes)``; the true class ``label`` drawn thicker."""
    probabilities = softmax(scores)
    fig = go.Figure()
    for index, name in enumerate(classes):
        fig.add_trace(go.Scatter(x=times, y=probabilities[:, index], mode="lines+markers",
                                 name=str(name),
                                 line=dict(width=4 if index == label else 1.5)))
    fig.update_xaxes(title="t")
    fig.update_yaxes(title="probability", range=[0, 1])
    return _layout(fig, "Class scores along t (softmax of the readout of x(t))")


def feature_strip_figure(times: np.ndarray, x: np.ndarray, channels: Sequence[int]) -> go.Figure:
    """Feature maps ``x (T, C, H, W)``: one row per channel of ``channels``, one column per time;
    each row on its own colour scale (shared along t, so a row shows how the channel evolves)."""
    rows, columns = len(channels), len(times)
    fig = make_subplots(rows=rows, cols=columns, horizontal_spacing=0.01,
                        vertical_spacing=0.02,
                        column_titles=[f"t = {t:.2f}" for t in times],
                        row_titles=[f"ch {c}" for c in channels])
    for row, channel in enumerate(channels, start=1):
        values = x[:, channel]
        low, high = float(values.min()), float(values.max())
        for column in range(columns):
            fig.add_trace(go.Heatmap(z=values[column], colorscale="Viridis", zmin=low, zmax=high,
                                     showscale=False), row=row, col=column + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    _layout(fig, "Feature maps x(t) (rows: channels, columns: times)", height=90 * rows + 100)
    return fig.update_layout(margin_t=70)  # room for the column titles under the title


def tile_kernels(weight: np.ndarray, max_out: int | None = None,
                 max_in: int | None = None) -> np.ndarray:
    """Kernels ``weight (out, in, k, k)`` laid out as one 2-D array: kernel (o, i) at tile row
    o, tile column i, tiles of ``k x k`` separated by one NaN row/column when k > 1 (1x1
    kernels are simply the ``(out, in)`` matrix). Only the first ``max_out`` / ``max_in``."""
    weight = weight[:max_out, :max_in]
    out_count, in_count, size, _ = weight.shape
    gap = 1 if size > 1 else 0
    tiles = np.full((out_count * (size + gap) - gap, in_count * (size + gap) - gap), np.nan)
    for o in range(out_count):
        for i in range(in_count):
            top, left = o * (size + gap), i * (size + gap)
            tiles[top:top + size, left:left + size] = weight[o, i]
    return tiles


def _kernel_heatmap(tiles: np.ndarray, limit: float, colorbar_x: float | None) -> go.Heatmap:
    return go.Heatmap(z=tiles, colorscale=DIVERGING, zmin=-limit, zmax=limit, zmid=0,
                      showscale=colorbar_x is not None,
                      colorbar=dict(x=colorbar_x, len=0.9) if colorbar_x is not None else None,
                      hoverongaps=False)


def _symmetric_limit(*arrays: np.ndarray) -> float:
    """Largest absolute finite value of ``arrays`` (1 when all are zero)."""
    largest = max(float(np.nanmax(np.abs(a))) if np.isfinite(a).any() else 0.0 for a in arrays)
    return largest or 1.0


def kernels_figure(weight: np.ndarray, title: str, max_out: int | None = None,
                   max_in: int | None = None) -> go.Figure:
    """One controlled convolution's kernels ``(out, in, k, k)`` as tiles (rows: output
    channels, columns: input channels), on a symmetric diverging scale."""
    tiles = tile_kernels(weight, max_out, max_in)
    fig = go.Figure(_kernel_heatmap(tiles, _symmetric_limit(tiles), 1.0))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", title="output channel tiles",
                     showticklabels=False)
    fig.update_xaxes(title="input channel tiles", showticklabels=False)
    return _layout(fig, title, height=380)


def kernel_comparison_figure(first: np.ndarray, second: np.ndarray,
                             names: tuple[str, str], max_out: int | None = None,
                             max_in: int | None = None) -> go.Figure:
    """Two inputs' kernels ``(out, in, k, k)`` side by side (one shared scale) and their
    difference ``second - first`` (its own scale, so small differences stay visible)."""
    first_tiles = tile_kernels(first, max_out, max_in)
    second_tiles = tile_kernels(second, max_out, max_in)
    difference = second_tiles - first_tiles
    shared = _symmetric_limit(first_tiles, second_tiles)
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.06,
                        subplot_titles=[names[0], names[1], f"{names[1]} - {names[0]}"])
    fig.add_trace(_kernel_heatmap(first_tiles, shared, None), row=1, col=1)
    fig.add_trace(_kernel_heatmap(second_tiles, shared, 0.63), row=1, col=2)
    fig.add_trace(_kernel_heatmap(difference, _symmetric_limit(difference), 1.0), row=1, col=3)
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    _layout(fig, "Per-sample kernels of two inputs and their difference", height=400)
    return fig.update_layout(margin_t=70)  # room for the panel titles under the title
