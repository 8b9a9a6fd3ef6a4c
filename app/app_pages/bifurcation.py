"""Bifurcation explorer: move x(0) along a line across the class boundary; watch the field switch."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import figures
from app.components.views import plot_bounds

st.title("Bifurcation explorer")
st.caption("For N-CODE every x(0) gets its own field through theta(0) = gamma(x(0)). Crossing "
           "the class boundary, gamma switches the field: the flow splits the data by a "
           "bifurcation rather than by bending one shared flow.")


def explorable(task: str) -> bool:
    """Whether the explorer applies: a two-class task on the plane (it has a decision map)."""
    return "decision" in nc.TASKS[task].ui.views


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

try:
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
    st.plotly_chart(figures.vector_field_figure(field_grid, lines, point,
                                                f"Field of x(0) = ({point[0]:.2f}, "
                                                f"{point[1]:.2f})", path=path),
                    key="bif_field")
st.plotly_chart(figures.bifurcation_figure(diagram, marker=position), key="bif_diagram")
