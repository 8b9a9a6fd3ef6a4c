"""Teaching tour: each registered task's steps (``Task.ui.lab.tour``), each a short text and a
one-click preset for the lab."""

from __future__ import annotations

import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import field_animation, forms
from app.components import settings as S
from app.components.controller import LiveTraining
from app.components.open_in_lab import open_in_lab
from app.components.views import as_numpy

STEPS: list[tuple[str, nc.TourStep]] = [(task, step) for task, cls in nc.lab_tasks().items()
                                        for step in cls.ui.lab.tour]


def apply(task: str, step: nc.TourStep, pretrained: str | None) -> None:
    """Put the step's preset into the lab (with the pretrained weights when given)."""
    if pretrained:
        open_in_lab(resources.pretrained_checkpoint(pretrained), pretrained)
        return
    settings = {**S.defaults_for(task), "model": step.model}
    forms.replace_settings(settings)
    st.session_state[state.LAB] = LiveTraining(S.to_run_config(settings))


st.title("Teaching tour")
titles = [f"{i + 1}. {step.title}" for i, (_, step) in enumerate(STEPS)]
choice = st.radio("Step", titles, key="tour_step", horizontal=False)
task, step = STEPS[titles.index(choice)]
st.subheader(step.title)
st.markdown(step.text)
available = {e["name"] for e in resources.manifest()}
pretrained_name = f"{task}-{step.model}"
if pretrained_name in available:
    trained = resources.pretrained_trainer(pretrained_name)
    if nc.is_closed_loop(trained.model):  # theta(t) moves the field: show it moving
        inputs = as_numpy(trained.task.x_test)
        st.plotly_chart(field_animation.closed_loop_animation(trained.model, inputs[0], inputs),
                        key="tour_field_animation")
        st.caption("The pretrained model: press Play to watch the field one sample sees "
                   "change as its theta(t) evolves.")
columns = st.columns(2)
if columns[0].button("Open in the lab (untrained)", key="tour_go", type="primary",
                     icon=":material/play_circle:"):
    apply(task, step, None)
    st.switch_page("app_pages/lab.py")
if pretrained_name in available and columns[1].button(
        "Open in the lab (pretrained)", key="tour_go_pretrained", icon=":material/bolt:"):
    apply(task, step, pretrained_name)
    st.switch_page("app_pages/lab.py")
