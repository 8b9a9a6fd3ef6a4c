"""Bifurcation explorer: move x(0) along a line across the class boundary; watch the field switch,
its equilibria and their stability, and the bifurcations where they change."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import bifurcation_figures, figures
from app.components.views import plot_bounds

st.title("Bifurcation explorer")
st.caption("For N-CODE every x(0) gets its own field through theta(0) = gamma(x(0)). Crossing "
           "the class boundary, gamma switches the field: the flow splits the data by a "
           "bifurcation rather than by bending one shared flow.")


def explorable(task: str) -> bool:
    """Whether the explorer applies: a two-class task on the plane (it has a decision map)."""
    lab = nc.TASKS[task].ui.lab
    return lab is not None and "decision" in lab.views


live = st.session_state.get(state.LAB)
sources = []
if live is not None and explorable(live.task.name):
    sources.append("current lab model")
planar = [e for e in resources.manifest() if explorable(e["task"])]
sources += [e["name"] for e in sorted(planar, key=lambda e: not nc.MODELS[e["model"]].controlled)]
if not sources:
    st.info("Train a model on a two-class task in the plane (concentric annuli) in the Toy lab, "
            "or build the pretrained models first.")
    st.stop()
source = st.selectbox("Model", sources, key="bif_source")
if source == "current lab model":
    model, task = live.model, live.task
else:
    trainer = resources.pretrained_trainer(source)
    model, task = trainer.model, trainer.task

bounds = plot_bounds(task)
columns = st.columns(3)
angle = columns[0].slider("Direction of the line (degrees)", 0, 359, 20, key="bif_angle")
reach = columns[1].slider("Line length (from the centre)", 0.5, 2.0,
                          float(min(max(bounds[1], 0.5), 2.0)), 0.05, key="bif_reach")
position = columns[2].slider("Position of x(0) on the line", 0.0, 1.0, 0.3, 0.01,
                             key="bif_position")
direction = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
start, end = np.zeros(2), reach * direction
point = start + position * (end - start)
POSITIONS = 100  # continuation grid along the line (the < 1 s redraw target is for 100)


def continuation() -> nc.Continuation:
    """Equilibria along the line, recomputed only when the model or the line changes (moving
    x(0) on the line only moves the marker)."""
    serial = (live.serial, live.steps) if source == "current lab model" else None
    key = (source, serial, angle, reach)
    cached = st.session_state.get("bif_continuation")
    if cached is None or cached["key"] != key:
        result = nc.equilibria_along_line(model, start, end, POSITIONS, half_width=bounds[1])
        cached = {"key": key, "value": result}
        st.session_state["bif_continuation"] = cached
    return cached["value"]


# the lab's model may still be training in an interrupted run's thread (LiveTraining.lock)
guard = live.lock if source == "current lab model" else contextlib.nullcontext()
try:
    with guard:
        branches = continuation()
        equilibria = nc.sample_equilibria(model, point, half_width=bounds[1])
        diagram = nc.bifurcation_line(model, start, end, count=61, task=task)
        field_grid = nc.vector_field(model, point, bounds, 20)
        lines = nc.streamlines(field_grid, 8)
        path = nc.trajectories(model, point[None], n_times=30).x[:, 0, :2]
        decision = nc.decision_map(model, bounds, 40, task=task)
except (nc.SolverError, RuntimeError) as error:
    st.error(f"This model cannot be evaluated here: {error}")
    st.stop()

score = float(np.interp(position, diagram.position, diagram.score))
st.metric("class-1 score at x(0)", f"{score:.3f}",
          "outer annulus (class 1)" if score > 0.5 else "inner disk (class 0)")
left, right = st.columns(2)
with left:
    fig = figures.decision_figure(decision, samples=[point], title="The line in the data plane")
    fig.add_scatter(x=[start[0], end[0]], y=[start[1], end[1]], mode="lines", name="line",
                    line=dict(color="black", dash="dash"))
    st.plotly_chart(fig, key="bif_plane")
with right:
    fig = figures.vector_field_figure(field_grid, lines, point, f"Field of x(0) = ({point[0]:.2f}"
                                      f", {point[1]:.2f}) and its equilibria", path=path)
    st.plotly_chart(bifurcation_figures.add_equilibria(fig, equilibria), key="bif_field")

state_dim = branches.branches.shape[2]
st.plotly_chart(bifurcation_figures.bifurcation_diagram_figure(branches, marker=position),
                key="bif_equilibria")
st.caption(f"Equilibria of f(x; theta) searched by Newton from a grid in the box "
           f"[{-bounds[1]:.1f}, {bounds[1]:.1f}]^{state_dim} of the ODE state at {POSITIONS} "
           "positions; stable solid, unstable dashed. A *boundary* event is an equilibrium "
           "entering or leaving that box, not a bifurcation."
           + (" The state includes augmented coordinates: the markers show its first two."
              if state_dim > 2 else ""))
rows = bifurcation_figures.event_rows(branches, start, end)
if rows:
    st.dataframe(rows, key="bif_events", hide_index=True)
else:
    st.info("No change in the number or stability of the equilibria along this line.")
st.plotly_chart(figures.bifurcation_figure(diagram, marker=position), key="bif_diagram")
