"""Toy lab: pick a task, a model and settings; train live; look inside the flow."""

from __future__ import annotations

import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import field_animation, forms, live_panel
from app.components import settings as S
from app.components.controller import FAILED, RUNNING, LiveTraining
from app.components.open_in_lab import open_in_lab
from app.components.views import VIEW_TITLES, ViewOptions, as_numpy, build_view, view_names

REFRESH_S = 0.1  # run_every of the training fragment; each run trains one adaptive chunk
WIDE_VIEWS = {"paths", "portrait", "theta"}  # drawn across the page; the others in pairs

state.load_url_settings_once()
st.title("Toy lab")
st.caption("Train a NODE or an N-CODE on a toy task and watch its flow change. Training runs in "
           "short chunks; every control works while it runs.")
for problem in st.session_state[state.QUERY_PROBLEMS]:
    st.warning(f"Ignored from the link: {problem}")

settings = forms.settings_form(st.sidebar)


def build(config: dict) -> LiveTraining | None:
    """A fresh controller for ``config``; a config the library refuses is shown, not raised."""
    try:
        return LiveTraining(config)
    except (nc.ConfigError, nc.SolverError, ValueError, RuntimeError) as error:
        st.session_state["lab_build_error"] = str(error)
        return None


def reset() -> None:
    st.session_state[state.LAB] = build(S.to_run_config(st.session_state[state.SETTINGS]))


def load_pretrained() -> None:
    name = st.session_state.get("lab_pretrained")
    if not name:
        return
    try:
        open_in_lab(resources.pretrained_checkpoint(name), name)
    except (nc.ConfigError, nc.CheckpointError, nc.SolverError, ValueError,
            RuntimeError) as error:
        st.session_state["lab_build_error"] = str(error)
        st.session_state[state.LAB] = None


with st.sidebar:
    entries = [e for e in resources.manifest() if e["task"] in nc.lab_tasks()]
    if entries:
        st.selectbox("Pretrained model", [e["name"] for e in entries], key="lab_pretrained",
                     index=None, placeholder="open a pretrained checkpoint")
        st.button("Open pretrained", key="lab_open", on_click=load_pretrained,
                  icon=":material/folder_open:")
    st.slider("Longest training chunk (s)", 0.3, 3.0, step=0.1, key=state.CHUNK,
              help="training runs in chunks about 4x as long as the page needs to redraw "
                   "between them (80 % of the time training), never longer than this; "
                   "controls act between chunks")
    st.slider("Refresh views every (s)", 1.0, 10.0, step=0.5, key=state.VIEW_EVERY,
              help="while training; the pictures cost more to draw than the curves")

config = S.to_run_config(settings)
live: LiveTraining | None = st.session_state[state.LAB]
if live is None or (live.raw_config != config and live.source == "new") or (
        live.source != "new" and S.from_run_config(live.config.to_dict()) != settings):
    live = build(config)
    st.session_state[state.LAB] = live
if live is None:
    st.error(f"These settings cannot be built: {st.session_state.get('lab_build_error')}")
    st.stop()

query = S.to_query(settings)
if {k: st.query_params.get(k) for k in query} != query:
    st.query_params.from_dict(query)

live_panel.control_buttons("lab", lambda: [st.session_state[state.LAB]], reset)
live_panel.status_line(live)

task = live.task
samples = st.session_state[state.SAMPLES][task.name]
time_varying = live.model.flow.info.theta_evolves
horizon = float(live.model.flow.integration_time)
field_time, resolution = 0.0, 20
if samples:  # a task without samples draws its views from its own test inputs
    with st.expander("Samples and field time", expanded=True):
        columns = st.columns(5)
        dims = len(samples[0])
        for index, name in enumerate("AB"):
            for dim in range(dims):
                key = f"lab_sample_{task.name}_{name}{dim}"
                st.session_state.setdefault(key, float(samples[index][dim]))
                samples[index][dim] = columns[index * 2 + dim].number_input(
                    f"sample {name}: x{dim + 1}(0)", -3.0, 3.0, step=0.05, key=key)
        field_time = columns[4].slider("field time t", 0.0, horizon, 0.0, horizon / 20,
                                       key="lab_time", disabled=not time_varying,
                                       help="closed loop: theta(t) changes the field over time")
        resolution = columns[4].slider("arrow grid", 10, 40, 20, key="lab_resolution",
                                       disabled=dims != 2)


def pick_sample() -> None:
    """A click on the decision map makes the clicked data point sample A."""
    event = st.session_state.get("lab_decision")
    points = (event or {}).get("selection", {}).get("points", [])
    if points and "x" in points[0] and "y" in points[0]:
        name = st.session_state[state.LAB].task.name
        picked = [float(points[0]["x"]), float(points[0]["y"])]
        st.session_state[state.SAMPLES][name][0] = picked
        for dim, value in enumerate(picked):
            st.session_state[f"lab_sample_{name}_A{dim}"] = value


running = live.status == RUNNING


def view_cache(current: LiveTraining) -> tuple[dict, ViewOptions]:
    """The figures drawn so far for the model's current state and the options (emptied when
    the model moved or the options changed), and those options."""
    options = ViewOptions(samples=tuple(tuple(s) for s in samples), time=field_time,
                          resolution=resolution)
    key = (current.serial, current.steps, options.samples, options.time, options.resolution)
    cached = st.session_state.get("lab_view_cache")
    if cached is None or cached["key"] != key:
        cached = {"key": key, "views": {}}
        st.session_state["lab_view_cache"] = cached
        st.session_state["lab_last_views"] = cached["views"]
    return cached["views"], options


def view_rows(names: list[str]) -> list[list[str]]:
    """The views in page rows: wide ones alone, the others in pairs, order kept."""
    rows: list[list[str]] = []
    pending: list[str] = []
    for name in names:
        if name in WIDE_VIEWS:
            rows += [pending] if pending else []
            rows.append([name])
            pending = []
        else:
            pending.append(name)
            if len(pending) == 2:
                rows.append(pending)
                pending = []
    return rows + ([pending] if pending else [])


@st.fragment(run_every=REFRESH_S if running else None)
def live_training() -> None:
    """One training chunk per run, then the numbers and the curves (light)."""
    current: LiveTraining = st.session_state[state.LAB]
    if current.status == RUNNING:
        current.run_chunk(longest_s=st.session_state[state.CHUNK])
        if current.status == FAILED:
            st.rerun()  # full rerun: stops run_every and shows the error with the buttons
    live_panel.metrics_row(current, "lab")
    live_panel.curves(current, "lab_curves")


def draw_views(current: LiveTraining, names: list[str], views: dict,
               options: ViewOptions) -> bool:
    """Compute (unless cached) and draw ``names`` in rows; False when the model cannot be drawn
    (a warning says why)."""
    for row in view_rows(names):
        for column, name in zip(st.columns(len(row)), row):
            try:
                if name not in views:
                    views[name] = build_view(current, name, options)
            except (nc.SolverError, RuntimeError) as error:
                st.warning(f"The views cannot be drawn for this model: {error}")
                return False
            with column:
                if name == "decision":  # a click on a data point picks sample A
                    st.plotly_chart(views[name], key="lab_decision", on_select=pick_sample,
                                    selection_mode="points")
                else:
                    st.plotly_chart(views[name], key=f"lab_{name}")
    return True


@st.fragment(run_every=st.session_state[state.VIEW_EVERY] if running else None)
def model_views() -> None:
    """The pictures of the model (heavier: refreshed every few seconds while training).

    The task's main views are drawn at once; the others in an expander whose content is
    computed and sent only while it is open: a new tab's browser then draws fewer charts (annuli:
    two of five) before its first one shows (``benchmarks/app_throughput.py --render-only``)."""
    current: LiveTraining = st.session_state[state.LAB]
    views, options = view_cache(current)
    st.caption(f"Views of the model at step {current.steps}.")
    names = view_names(current)
    main = [name for name in names if name in current.task.ui.lab.main_views]
    more = [name for name in names if name not in main]
    if not draw_views(current, main, views, options):
        return
    animated = nc.is_closed_loop(current.model)  # theta(t) moves the field: show it moving
    if not more and not animated:
        return
    # the label names what the task can show, not what this model shows: a label that changed
    # with the model would make a new expander (closed again) at each change of model
    titles = [VIEW_TITLES[name] for name in current.task.ui.lab.views if name not in main]
    label = f"More views: {', '.join(titles + ['the field over time (closed loop)'])}"
    box = st.expander(label, key=state.MORE_VIEWS, on_change="rerun")
    if not box.open:
        return
    with box:
        if not draw_views(current, more, views, options) or not animated:
            return
        inputs = as_numpy(current.task.x_test)
        start = samples[0][: inputs.shape[1]] if samples else inputs[0]
        with current.lock:  # no training step on the model meanwhile (LiveTraining.lock)
            animation = field_animation.closed_loop_animation(current.model, start, inputs,
                                                              horizon=horizon)
        st.plotly_chart(animation, key="lab_field_animation")


live_training()
model_views()
