"""Teaching tour: five steps, each a short text and a one-click preset for the lab."""

from __future__ import annotations

import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import field_animation, forms
from app.components import settings as S
from app.components.controller import LiveTraining
from app.components.views import as_numpy

STEPS = [
    ("A NODE cannot learn the reflection",
     "Map x to -x on [-1, 1]. A NODE's trajectories are solutions of one autonomous ODE: in 1-D "
     "they can never cross, so the flow map is increasing and x -> -x is out of reach. Press "
     "Play: the test MSE stalls near the variance of the target (about 1/3).",
     {"task": "reflection", "model": "node"}),
    ("Open-loop control: theta(0) = gamma(x(0))",
     "N-CODE gives every sample its own field f(x; theta). With theta = gamma(x(0)) a point "
     "at x(0) = 0.5 flows down while -0.5 flows up: the two fields in the lab differ, and the "
     "trajectories cross in the (t, x) picture.",
     {"task": "reflection", "model": "ncode_open"}),
    ("Closed-loop control: dtheta/dt = g(theta, x, t)",
     "Now theta evolves along the trajectory. Move the field-time slider: the field each "
     "sample sees changes over time.",
     {"task": "reflection", "model": "ncode_closed"}),
    ("Annuli torn apart by a bifurcation",
     "Inner disk vs outer annulus. A NODE must squeeze the inner disk through the ring; "
     "N-CODE switches the field between the classes (compare sample A and sample B) so the flow "
     "separates them cleanly. Then open the Bifurcation explorer.",
     {"task": "annuli", "model": "ncode_open"}),
    ("Van der Pol: dynamic control fits an oscillation",
     "Observed x(t) of a Van der Pol oscillator. With a constant theta the 1-D model cannot "
     "oscillate; with dtheta/dt = x / mu (closed loop) it fits the target and learns mu.",
     {"task": "vanderpol", "model": "ncode_closed"}),
]


def apply(index: int, pretrained: str | None) -> None:
    """Put step ``index``'s preset into the lab (with the pretrained weights when given)."""
    preset = STEPS[index][2]
    if pretrained:
        payload = resources.pretrained_checkpoint(pretrained)
        config = payload["config"].to_dict()
        forms.replace_settings(S.from_run_config(config))
        live = LiveTraining(config)
        live.load(payload, pretrained)
    else:
        settings = {**S.defaults_for(preset["task"]), **preset}
        forms.replace_settings(settings)
        live = LiveTraining(S.to_run_config(settings))
    st.session_state[state.LAB] = live


st.title("Teaching tour")
titles = [f"{i + 1}. {title}" for i, (title, _, _) in enumerate(STEPS)]
choice = st.radio("Step", titles, key="tour_step", horizontal=False)
index = titles.index(choice)
title, text, preset = STEPS[index]
st.subheader(title)
st.markdown(text)
available = {e["name"] for e in resources.manifest()}
pretrained_name = f"{preset['task']}-{preset['model']}"
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
    apply(index, None)
    st.switch_page("app_pages/lab.py")
if pretrained_name in available and columns[1].button(
        "Open in the lab (pretrained)", key="tour_go_pretrained", icon=":material/bolt:"):
    apply(index, pretrained_name)
    st.switch_page("app_pages/lab.py")
