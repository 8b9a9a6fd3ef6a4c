"""Compare: a baseline NODE and an N-CODE trained side by side on the same data and seed."""

from __future__ import annotations

import json

import streamlit as st

import ncode_core as nc
from app import resources, state
from app.components import live_panel
from app.components import settings as S
from app.components.controller import FAILED, RUNNING, LiveTraining
from app.components.views import ViewOptions, lab_views

REFRESH_S = 0.1

st.title("Compare NODE and N-CODE")
tasks = list(nc.lab_tasks())
columns = st.columns(4)
task = columns[0].selectbox("Task", tasks, format_func=S.task_label,
                            index=tasks.index(S.default_task("compare")), key="cmp_task")
families = nc.TASKS[task].families
baselines = [name for name in families if not nc.MODELS[name].controlled]
variants = [name for name in families if nc.MODELS[name].controlled]
baseline = columns[1].selectbox("Baseline", baselines, format_func=S.model_label,
                                key="cmp_baseline")
variant = columns[2].selectbox("N-CODE variant", variants, format_func=S.model_label,
                               key="cmp_variant")
seed = columns[3].number_input("Seed", 0, 9999, 0, key="cmp_seed")
matched = st.toggle("Parameter-matched baseline", value=True, key="cmp_matched",
                    help="the baseline's hidden width is chosen so its parameter count is within "
                         "10 % of the N-CODE's (model.match_params)")
base = {**S.defaults_for(task), "seed": seed}
configs = {name: S.to_run_config({**base, "model": name}) for name in (baseline, variant)}
if matched:
    wanted = {**configs[baseline], "model_cfg": {**configs[baseline]["model_cfg"],
                                                 "match_params": variant}}
    problem = resources.build_problem(json.dumps(wanted, sort_keys=True))
    if problem is None:
        configs[baseline] = wanted
    else:  # no width comes within 10 % (e.g. Van der Pol's 2-parameter system identification)
        st.warning(f"No parameter-matched {S.model_label(baseline)} here: {problem}")
        matched = False
st.caption("Same task, data, seed, solver and optimiser; "
           + ("the baseline has as many parameters as N-CODE (within 10 %). " if matched else
              "the models differ in size too (see their parameter counts). ")
           + S.lab_ui(task).compare_lesson)


def reset() -> None:
    st.session_state[state.COMPARE] = {name: LiveTraining(config, label=S.model_label(name))
                                       for name, config in configs.items()}


lives: dict[str, LiveTraining] = st.session_state[state.COMPARE]
if list(lives) != list(configs) or any(lives[n].raw_config != configs[n] for n in configs):
    reset()
    lives = st.session_state[state.COMPARE]

live_panel.control_buttons("cmp", lambda: list(st.session_state[state.COMPARE].values()),
                           reset)
names = {name: f"{task}-{name}" for name in configs}
available = {e["name"] for e in resources.manifest()}


def same_model(name: str) -> bool:
    """The pretrained checkpoint of ``name`` was built with this page's model settings."""
    stored = resources.pretrained_checkpoint(names[name])["config"].model_cfg.model_dump()
    return stored == nc.parse_run_config(configs[name]).model_cfg.model_dump()


if seed == 0 and all(n in available for n in names.values()) and all(map(same_model, configs)):

    def open_pretrained() -> None:
        """Both models from their pretrained checkpoints (same data: seed 0, lab defaults)."""
        current = st.session_state[state.COMPARE]
        for name, checkpoint in names.items():
            current[name].load(resources.pretrained_checkpoint(checkpoint), checkpoint)
            current[name].pause()

    st.button("Open both pretrained", key="cmp_pretrained", on_click=open_pretrained,
              icon=":material/bolt:", help=", ".join(names.values()))
running = any(live.status == RUNNING for live in lives.values())


@st.fragment(run_every=REFRESH_S if running else None)
def side_by_side() -> None:
    current: dict[str, LiveTraining] = st.session_state[state.COMPARE]
    budget = min(1.5, st.session_state[state.CHUNK]) / len(current)
    for live in current.values():
        if live.status == RUNNING:
            live.run_chunk(budget_s=budget)
            if live.status == FAILED:
                st.rerun()
    for column, (name, live) in zip(st.columns(len(current)), current.items()):
        with column:
            st.subheader(live.label)
            live_panel.status_line(live)
            live_panel.metrics_row(live, f"cmp_{name}", compact=True)
            ui = live.task.ui
            samples = tuple(tuple(sample) for sample in ui.lab.samples)
            views = lab_views(live, ViewOptions(samples=samples, resolution=15),
                              list(ui.lab.main_views))
            for view, figure in views.items():
                st.plotly_chart(figure, key=f"cmp_{name}_{view}")
            live_panel.curves(live, f"cmp_{name}_curves")


side_by_side()
