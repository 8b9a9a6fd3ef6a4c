"""Settings widgets of the lab / compare pages. Widget bounds come from components.settings, so a
user cannot enter an impossible configuration; the library validates the result again."""

from __future__ import annotations

from typing import Any

import streamlit as st

import ncode_core as nc
from app import state
from app.components import settings as S

WIDGET = "w_"  # prefix of the settings widgets' keys


def replace_settings(new: dict[str, Any]) -> None:
    """Set the lab settings (e.g. from a preset) and drop the widgets' own state so they show it.

    Safe in callbacks and before the widgets are drawn."""
    st.session_state[state.SETTINGS] = S.normalise(new)
    for key in [k for k in st.session_state if str(k).startswith(WIDGET)]:
        del st.session_state[key]


def _on_task_change() -> None:
    current = dict(st.session_state[state.SETTINGS])
    task = st.session_state[WIDGET + "task"]
    replace_settings({**S.defaults_for(task), "model": S.fitting_model(task, current["model"]),
                      "seed": current["seed"]})


def _read() -> dict[str, Any]:
    return S.normalise({name: st.session_state[WIDGET + name] for name in S.BOUNDS
                        if WIDGET + name in st.session_state})


def _store() -> None:
    st.session_state[state.SETTINGS] = _read()


def settings_form(container=None) -> dict[str, Any]:
    """Draw the settings widgets in ``container`` (default: the sidebar); returns the settings.

    Menus, ranges and which widgets apply come from the task's ``ui`` and the model's ``info``.
    """
    box = container if container is not None else st.sidebar
    current = S.normalise(st.session_state[state.SETTINGS])
    for name, value in current.items():
        st.session_state.setdefault(WIDGET + name, value)
    task = current["task"]
    ui = S.task_ui(task)
    box.selectbox("Task", list(nc.lab_tasks()), format_func=S.task_label,
                  key=WIDGET + "task", on_change=_on_task_change)
    box.selectbox("Model", list(nc.TASKS[task].families), format_func=S.model_label,
                  key=WIDGET + "model", on_change=_store)
    options = nc.MODELS[st.session_state[WIDGET + "model"]].info.options
    with box.expander("Solver", expanded=False):
        st.selectbox("Method", S.METHODS, key=WIDGET + "method", on_change=_store,
                     help="dopri5/bosh3/adaptive_heun adapt their step; rk4/midpoint/euler use T/10")
        st.select_slider("Tolerance (rtol = atol)", S.TOLERANCES, key=WIDGET + "tol",
                         on_change=_store, format_func=lambda v: f"{v:.0e}",
                         disabled=st.session_state[WIDGET + "method"] not in S.METHODS[:3])
    with box.expander("Training and model", expanded=True):
        st.select_slider("Learning rate", S.LEARNING_RATES, key=WIDGET + "lr", on_change=_store,
                         format_func=lambda v: f"{v:g}")
        st.select_slider("Batch size", S.BATCH_SIZES, key=WIDGET + "batch", on_change=_store)
        st.slider("Hidden units of f", 2, 64, key=WIDGET + "hidden", on_change=_store)
        st.slider("Control code size (N-CODE)", 1, 32, key=WIDGET + "code", on_change=_store,
                  disabled="gamma_hidden" not in options)
        st.slider("Integration time T", 0.2, 5.0, step=0.1, key=WIDGET + "T", on_change=_store,
                  disabled=ui.lab.own_horizon,
                  help="this task sets its own horizon" if ui.lab.own_horizon else None)
        st.selectbox("Closed loop acts on", S.BOUNDS["control"][1], key=WIDGET + "control",
                     on_change=_store, disabled="control" not in options,
                     format_func={"code": "a control code u (theta = decoder(u))",
                                  "full": "every field parameter theta"}.get)
        st.selectbox("theta(0)", S.BOUNDS["theta0"][1], key=WIDGET + "theta0", on_change=_store,
                     disabled="theta0" not in options,
                     format_func={"learned": "a learned constant",
                                  "gamma": "gamma(x(0)) (Eq. 4)"}.get)
        st.slider("Running cost weight (Eq. 5)", 0.0, 1.0, step=0.01, key=WIDGET + "cost",
                  on_change=_store, help="adds weight x the integral of |theta|^2 or |x|^2 over "
                  "[0, T] to the training loss; 0 turns it off")
        st.radio("Running cost on", S.BOUNDS["cost_on"][1], key=WIDGET + "cost_on",
                 on_change=_store, horizontal=True,
                 help="theta needs an N-CODE model; a baseline's cost is always on x")
    with box.expander("Data", expanded=False):
        _, low, high = ui.lab.sample_range
        st.slider("Samples (train + test)", low, high, key=WIDGET + "n", on_change=_store)
        st.slider("Test fraction", 0.1, 0.5, step=0.05, key=WIDGET + "test_ratio",
                  on_change=_store)
        st.slider("Noise", 0.0, 0.5, step=0.01, key=WIDGET + "noise", on_change=_store,
                  disabled=not ui.lab.uses_noise)
        st.number_input("Seed", 0, 9999, step=1, key=WIDGET + "seed", on_change=_store)
    settings = _read()
    st.session_state[state.SETTINGS] = settings
    return settings
