"""A digit drawn by the user for the Images page: on a canvas (``streamlit-drawable-canvas``,
pinned in requirements.txt) where that component imports, else on an editable grid at the task's
image size. Either way the result is one image ``(C, H, W)`` in [0, 1] prepared like the
dataset's (:func:`ncode_core.digit_from_drawing`), or None while nothing usable is drawn."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

import ncode_core as nc

CANVAS_PX = 224  # drawn at this size, then reduced to the task's
STROKE_PX = 18  # about MNIST's stroke width relative to its digits (2-3 px of a 20 px box)


def canvas_component() -> Callable[..., Any] | None:
    """``streamlit_drawable_canvas.st_canvas``, or None when it is not installed or cannot
    register its assets. Imported on use: its assets register only inside a running app (an
    import from a bare interpreter, e.g. a test process, raises StreamlitAPIException)."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except (ImportError, StreamlitAPIException):
        return None
    return st_canvas


def canvas_ink(rgba: np.ndarray) -> np.ndarray:
    """A canvas picture ``(H, W, 4)`` RGBA bytes, white strokes on black -> ink ``(H, W)`` in
    [0, 1] (the mean of the colour channels)."""
    return np.asarray(rgba, dtype=np.float64)[..., :3].mean(axis=-1) / 255.0


def grid_image(grid: np.ndarray, channels: int) -> np.ndarray:
    """An edited ``(H, W)`` grid (empty cells None/NaN) -> image ``(channels, H, W)`` clipped
    to [0, 1]."""
    values = np.clip(np.nan_to_num(np.asarray(grid, dtype=np.float64)), 0.0, 1.0)
    return np.repeat(values[None], channels, axis=0)


def drawn_image(task: type[nc.ImageTask], levels: int, start: np.ndarray,
                key: str) -> np.ndarray | None:
    """Let the user draw a digit for ``task`` (its ``drawn_digit_box``; pixels quantised to
    ``levels``); ``start (C, H, W)`` fills the fallback grid. Returns the image ``(C, H, W)``
    in [0, 1], or None while the canvas is empty."""
    st_canvas = canvas_component()
    if st_canvas is None:
        st.caption("Edit the digit: one cell per pixel, 0 = background, 1 = full stroke (the "
                   "drawing canvas `streamlit-drawable-canvas` is not installed: "
                   "`pip install -r requirements.txt` adds it).")
        height, width = start.shape[1:]
        frame = pd.DataFrame(start[0], columns=[str(c) for c in range(width)])
        edited = st.data_editor(frame, key=f"{key}_grid", column_config={
            str(c): st.column_config.NumberColumn(min_value=0.0, max_value=1.0, step=0.1,
                                                  format="%.1f") for c in range(width)})
        return grid_image(edited.to_numpy(), start.shape[0])
    box = task.drawn_digit_box
    height, width = task.input_shape[1:]
    st.caption(f"Draw one digit with the mouse: it is cropped to its strokes, scaled so its "
               f"longer side spans {box} of the {height}x{width} image's pixels and centred by "
               f"its mass, as the dataset's digits were.")
    result = st_canvas(stroke_width=STROKE_PX, stroke_color="#ffffff", background_color="#000000",
                       height=CANVAS_PX, width=CANVAS_PX, return_image_data=True, key=key)
    rgba = result.image_data
    if rgba is None:
        return None
    try:
        return nc.digit_from_drawing(canvas_ink(rgba), task.input_shape, box, levels)
    except ValueError:  # an empty canvas (after the toolbar's reset)
        return None
