"""Figure builders of the Latent flows page: latent orbits projected to 2-D, image strips and
grids (orbits, GMM samples, interpolations), AutoN-CODE's sparse theta, a 2-D embedding coloured
by group.

Pure: arrays (from ``nc.trajectory_view``, ``nc.sample_images``, ...) -> plotly figures, no st.*
calls. Images are laid out as ONE heatmap of tiles separated by NaN gaps, never one trace each.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from app.components.figures import _layout, with_separators
from app.components.image_figures import DIVERGING, GREYS, tile_kernels

OTHERS = "rgba(120, 120, 120, 0.35)"  # the other images' orbits: context, not the subject


def tile_images(images: np.ndarray, columns: int) -> np.ndarray:
    """Square images ``(N, C, H, H)`` in a grid of ``columns`` -> ``(C, rows*(H+1)-1,
    columns*(H+1)-1)`` with NaN gaps (and NaN tiles where the last row is short)."""
    count, channels, height, width = images.shape
    if height != width:
        raise ValueError(f"images: tiles need square images, got {height}x{width}")
    rows = -(-count // columns)
    padded = np.full((rows * columns, channels, height, width), np.nan)
    padded[:count] = images
    grid = padded.reshape(rows, columns, channels, height, width)
    return np.stack([tile_kernels(grid[:, :, c]) for c in range(channels)])


def image_grid_figure(images: np.ndarray, columns: int, title: str,
                      row_labels: Sequence[str] | None = None, height: int | None = None
                      ) -> go.Figure:
    """Images ``(N, C, H, H)`` in [0, 1] as a grid of ``columns`` (grey heatmap for one
    channel, an RGB picture for three); ``row_labels`` name the rows on the y axis."""
    tiles = tile_images(np.asarray(images, dtype=np.float64), columns)
    rows = -(-len(images) // columns)
    if tiles.shape[0] == 3:
        trace = go.Image(z=np.moveaxis(np.nan_to_num(np.clip(tiles, 0, 1)) * 255, 0, -1))
    else:
        trace = go.Heatmap(z=tiles[0], colorscale=GREYS, zmin=0, zmax=1, showscale=False,
                           hoverongaps=False)
    fig = go.Figure(trace)
    side = images.shape[-1]
    if row_labels is not None:
        centres = [r * (side + 1) + (side - 1) / 2 for r in range(rows)]
        fig.update_yaxes(tickvals=centres, ticktext=list(row_labels), showticklabels=True)
    else:
        fig.update_yaxes(showticklabels=False)
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    fig.update_xaxes(showticklabels=False)
    return _layout(fig, title, height=height or max(180, 60 + 320 * rows // max(columns, 1)))


def image_strip_figure(images: np.ndarray, captions: Sequence[str], title: str,
                       axis_title: str) -> go.Figure:
    """One row of images ``(K, C, H, H)`` with a caption under each (e.g. its time t)."""
    fig = image_grid_figure(images, len(images), title, height=220)
    side = images.shape[-1]
    fig.update_xaxes(tickvals=[k * (side + 1) + (side - 1) / 2 for k in range(len(images))],
                     ticktext=list(captions), showticklabels=True, title=axis_title)
    return fig


def trajectories_figure(points: np.ndarray, explained: np.ndarray, chosen: int,
                        labels: np.ndarray, title: str) -> go.Figure:
    """Latent orbits ``points (T, B, 2)`` (PCA coordinates): every orbit a thin grey line
    ending in a dot coloured by its label ``(B,)``; orbit ``chosen`` drawn thick, with markers
    at each time, x(0) and x(T) marked."""
    others = [points[:, b] for b in range(points.shape[1]) if b != chosen]
    fig = go.Figure()
    if others:
        lines = with_separators(others)
        fig.add_trace(go.Scatter(x=lines[:, 0], y=lines[:, 1], mode="lines", name="other orbits",
                                 line=dict(color=OTHERS, width=1), hoverinfo="skip"))
    ends = points[-1]
    fig.add_trace(go.Scatter(x=ends[:, 0], y=ends[:, 1], mode="markers", name="x(T), by label",
                             marker=dict(color=labels, colorscale="Turbo", size=5,
                                         colorbar=dict(title="label", len=0.8)),
                             text=[f"label {int(v)}" for v in labels]))
    path = points[:, chosen]
    fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers",
                             name="chosen image's orbit", line=dict(color="black", width=3)))
    fig.add_trace(go.Scatter(x=path[[0, -1], 0], y=path[[0, -1], 1], mode="markers+text",
                             text=["x(0)", "x(T)"], textposition="top center", showlegend=False,
                             marker=dict(color="crimson", size=11, symbol="diamond")))
    fig.update_xaxes(title=f"PC 1 ({100 * explained[0]:.0f} % of the latents' variance)")
    fig.update_yaxes(title=f"PC 2 ({100 * explained[1]:.0f} %)")
    return _layout(fig, title, height=480)


def theta_figure(matrix: np.ndarray, title: str) -> go.Figure:
    """theta ``(m, m)`` as a heatmap on a symmetric diverging scale; the zeros are left blank
    so the sparsity pattern shows."""
    shown = np.where(matrix == 0, np.nan, matrix)
    limit = float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 1.0
    index = np.arange(1, matrix.shape[0] + 1)
    fig = go.Figure(go.Heatmap(z=shown, x=index, y=index, colorscale=DIVERGING, zmin=-limit,
                               zmax=limit, zmid=0, hoverongaps=False,
                               colorbar=dict(title="theta_ij")))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain",
                     title="row i (drives dx_i/dt)")
    fig.update_xaxes(constrain="domain", title="column j (reads x_j)")  # no margin beside theta
    return _layout(fig, title, height=420)


def embedding_figure(embedding: np.ndarray, groups: np.ndarray, title: str,
                     group_name: str) -> go.Figure:
    """A 2-D embedding ``(N, 2)`` as points coloured by ``groups (N,)`` (one legend entry per
    group, named ``"<group_name> <g>"``)."""
    fig = go.Figure()
    for group in np.unique(groups):
        inside = groups == group
        fig.add_trace(go.Scattergl(x=embedding[inside, 0], y=embedding[inside, 1],
                                   mode="markers", marker=dict(size=4),
                                   name=f"{group_name} {int(group)}"))
    fig.update_xaxes(title="t-SNE 1")
    fig.update_yaxes(title="t-SNE 2")
    return _layout(fig, title, height=420)
