"""Streamlit glue for a LiveTraining: control buttons, status, metrics and curves.

Shared by the lab and the compare page. Buttons act through on_click callbacks (before the
rerun), so Play / Pause / Step / Reset work at any moment, including mid-training.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from app.components import figures
from app.components.controller import FAILED, RUNNING, LiveTraining
from app.components.views import main_metric


def control_buttons(prefix: str, lives: Callable[[], list[LiveTraining]],
                    reset: Callable[[], None]) -> None:
    """Play / Pause / Step / Reset (keys ``<prefix>_play`` ...) for the given controllers."""
    def each(action: str) -> Callable[[], None]:
        def run() -> None:
            for live in lives():
                getattr(live, action)()
        return run

    columns = st.columns(4)
    running = any(live.status == RUNNING for live in lives())
    failed = any(live.status == FAILED for live in lives())
    columns[0].button("Play", key=f"{prefix}_play", icon=":material/play_arrow:",
                      on_click=each("play"), disabled=running or failed, width="stretch")
    columns[1].button("Pause", key=f"{prefix}_pause", icon=":material/pause:",
                      on_click=each("pause"), disabled=not running, width="stretch")
    columns[2].button("Step", key=f"{prefix}_step", icon=":material/skip_next:",
                      on_click=each("step"), disabled=running or failed, width="stretch",
                      help="one optimiser step, then an evaluation")
    columns[3].button("Reset", key=f"{prefix}_reset", icon=":material/restart_alt:",
                      on_click=reset, width="stretch", help="new model from the settings")


def format_metric(name: str, value: Any) -> str:
    """Human text for a metric value (accuracy in %, others with 3 significant digits)."""
    if value is None:
        return "-"
    if "accuracy" in name:
        return f"{100 * value:.1f} %"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def metrics_row(live: LiveTraining, prefix: str, compact: bool = False) -> None:
    """st.metric tiles, each in a container keyed ``<prefix>_metric_<name>`` (for tests);
    ``compact`` keeps step, test loss, the task metric and steps/s (half-width columns)."""
    last = live.history[-1] if live.history else {}
    metric = main_metric(live.task)
    tiles = [
        ("step", "step", live.steps),
        ("train_loss", "train loss", last.get("train_loss")),
        ("test_loss", "test loss", live.evaluation.get("test_loss")),
        (metric, metric.replace("_", " "), live.evaluation.get(metric)),
        ("nfe", "NFE fwd / bwd", f"{last.get('nfe_forward', 0)} / {last.get('nfe_backward', 0)}"),
        ("rate", "steps/s", f"{live.wall_rate:.1f}" if live.wall_rate else
         f"{live.train_rate:.1f}"),
    ]
    if compact:
        tiles = [tile for tile in tiles if tile[0] not in ("train_loss", "nfe")]
    for column, (name, label, value) in zip(st.columns(len(tiles)), tiles):
        with column.container(key=f"{prefix}_metric_{name}"):
            delta = None
            if name == "rate" and live.train_rate:
                delta = f"{live.train_rate:.1f} while training"
            st.metric(label, format_metric(name, value), delta, delta_color="off",
                      delta_arrow="off", help="steps per wall-clock second since Play "
                      "(views and redraws included); below: steps per second spent "
                      "inside Trainer.step")


def status_line(live: LiveTraining) -> None:
    """Error box for a failed run, otherwise a caption with the state and the source."""
    if live.status == FAILED:
        st.error(live.error or "training failed", icon=":material/error:")
        return
    origin = "new model" if live.source == "new" else f"from pretrained `{live.source}`"
    st.caption(f"Status: **{live.status}** ({origin}, {live.trainer.parameter_count} "
               f"parameters, {live.config.model} on {live.config.task})")


def curves(live: LiveTraining, key: str) -> None:
    """The live training curves (the figure object is kept and refilled between chunks); a
    line saying so before the first step: an empty three-panel chart would cost the browser
    ~0.4 s on a page's first render and show nothing."""
    if not live.history:
        st.caption("The training curves (loss, test metric, NFE per step) appear after the "
                   "first step: press Play or Step.")
        return
    store = f"{key}_figure"
    figure = figures.curves_figure(live.history, main_metric(live.task),
                                   reuse=st.session_state.get(store))
    st.session_state[store] = figure
    st.plotly_chart(figure, key=key, width="stretch")
