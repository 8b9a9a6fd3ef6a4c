"""The Jobs page's launch form, generated from the registry and the config models.

:func:`config_fields` turns a pydantic config model into widget descriptions (pure, tested without
Streamlit); :func:`launch_form` draws them and returns a raw job spec for
``ncode_core.submit_job``, which validates it again (its ConfigError is what the user sees). The
model section shows only the fields the chosen family uses (``FlowModel.info.options``).
:func:`preset_picker` offers the library's named paper experiments (``nc.PRESETS``) in one click.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

import ncode_core as nc

KEY = "jobs_form_"  # prefix of the form's widget keys
SECTIONS = (  # (spec key, title, config model); the task section depends on the task
    ("solver", "Solver", nc.SolverConfig),
    ("training", "Training", nc.TrainingConfig),
    ("model_cfg", "Model", nc.ModelConfig),
)
SKIPPED = {("training", "steps")}  # set by the job's own step target


@dataclass(frozen=True)
class FieldSpec:
    """One config field as a widget: ``kind`` is choice, bool, int, float or optional."""

    name: str
    kind: str
    default: Any
    options: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str | None = None


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    low = high = None
    for item in metadata:
        low = getattr(item, "ge", getattr(item, "gt", low)) if low is None else low
        high = getattr(item, "le", getattr(item, "lt", high)) if high is None else high
    return low, high


def config_fields(model: type) -> list[FieldSpec]:
    """Widget descriptions for every field of a pydantic config model, in declaration order."""
    fields = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        low, high = _bounds(list(info.metadata))
        origin = typing.get_origin(annotation)
        if origin is Literal:
            fields.append(FieldSpec(name, "choice", info.default, typing.get_args(annotation),
                                    help=info.description))
        elif annotation is bool:
            fields.append(FieldSpec(name, "bool", info.default, help=info.description))
        elif annotation is int:
            fields.append(FieldSpec(name, "int", info.default, minimum=low, maximum=high,
                                    help=info.description))
        elif annotation is float:
            fields.append(FieldSpec(name, "float", info.default, minimum=low, maximum=high,
                                    help=info.description))
        elif origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation):
            fields.append(FieldSpec(name, "optional", info.default, help=(
                (info.description + "; " if info.description else "") + "empty: none")))
    return fields


def parse_optional(text: str) -> Any:
    """An optional field's text: empty -> None, JSON numbers/booleans, else the string."""
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def changed_values(fields: list[FieldSpec], values: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that differ from their field's default (what the spec stores)."""
    defaults = {field.name: field.default for field in fields}
    return {name: value for name, value in values.items()
            if name in defaults and value != defaults[name]}


def _widget(box: Any, section: str, field: FieldSpec) -> Any:
    key = f"{KEY}{section}_{field.name}"
    label = field.name.replace("_", " ")
    if field.kind == "choice":
        return box.selectbox(label, field.options, index=field.options.index(field.default),
                             key=key, help=field.help)
    if field.kind == "bool":
        return box.checkbox(label, value=bool(field.default), key=key, help=field.help)
    if field.kind == "int":
        return int(box.number_input(label, value=int(field.default), step=1, key=key,
                                    min_value=None if field.minimum is None else int(field.minimum),
                                    max_value=None if field.maximum is None else int(field.maximum),
                                    help=field.help))
    if field.kind == "float":
        return float(box.number_input(label, value=float(field.default), format="%g", key=key,
                                      help=field.help))
    text = box.text_input(label, value="" if field.default is None else str(field.default),
                          key=key, help=field.help)
    return parse_optional(text)


def _task_label(task: str) -> str:
    return f"{nc.TASKS[task].ui.label} ({task})"


def _model_label(model: str) -> str:
    return f"{nc.MODELS[model].info.label} ({model})"


def launch_form() -> tuple[dict[str, Any], dict[str, str]] | None:
    """Draw the launch form; returns ``(raw spec, {"executor": name})`` when submitted. The Ray
    address is the operator's (``NCODE_RAY_ADDRESS``), shown read-only, never a form value."""
    left, right = st.columns(2)
    task = left.selectbox("Task", list(nc.TASKS), key=KEY + "task", format_func=_task_label,
                          help="every task the CLI knows (python -m ncode_core list)")
    families = list(nc.TASKS[task].families)
    model = right.selectbox("Model", families, key=KEY + "model", format_func=_model_label,
                            help=f"models that fit {task}")
    sections = [*SECTIONS, ("task_cfg", f"Task: {task}", nc.TASK_CONFIGS[task])]
    with st.form(KEY + "form", border=True):
        first, second, third = st.columns(3)
        steps = first.number_input("Steps", min_value=0, value=500, step=50, key=KEY + "steps")
        every = second.number_input("Checkpoint every", min_value=1, value=50, step=10,
                                    key=KEY + "checkpoint_every")
        seed = third.number_input("Seed", min_value=0, value=0, step=1, key=KEY + "seed")
        first, second, third = st.columns(3)
        name = first.text_input("Name", key=KEY + "name", placeholder=f"{task}-{model}")
        tags = second.text_input("Tags", key=KEY + "tags", placeholder="comma, separated")
        retries = third.number_input("Retries", min_value=0, max_value=100, value=0,
                                     key=KEY + "retries")
        first, second, third = st.columns(3)
        device = first.selectbox("Device", ["auto", "cpu", "cuda"], key=KEY + "device")
        executor = second.selectbox("Executor", list(nc.EXECUTORS), key=KEY + "executor")
        # shown, never editable: a browser user must not make the server contact another host
        third.text_input("Ray address", value=nc.operator_ray_address() or "not configured",
                         key=KEY + "address", disabled=True,
                         help="set by the operator (environment variable NCODE_RAY_ADDRESS)")
        spec_sections: dict[str, dict[str, Any]] = {}
        for spec_key, title, config_model in sections:
            fields = [f for f in config_fields(config_model) if (spec_key, f.name) not in SKIPPED
                      and (spec_key != "model_cfg" or f.name in nc.MODELS[model].info.options)]
            with st.expander(title):
                columns = st.columns(3)
                values = {field.name: _widget(columns[i % 3], spec_key, field)
                          for i, field in enumerate(fields)}
            spec_sections[spec_key] = changed_values(fields, values)
        submitted = st.form_submit_button("Launch job", type="primary", key=KEY + "launch",
                                          icon=":material/rocket_launch:")
    if not submitted:
        return None
    spec: dict[str, Any] = {"task": task, "model": model, "steps": int(steps),
                            "checkpoint_every": int(every), "seed": int(seed), "device": device,
                            "retries": int(retries), **spec_sections}
    if name.strip():
        spec["name"] = name.strip()
    if tags.strip():
        spec["tags"] = [tag.strip() for tag in tags.split(",") if tag.strip()]
    return spec, {"executor": executor}


def _preset_label(name: str) -> str:
    return f"{name}: {nc.PRESETS[name].job_count} jobs on {nc.PRESETS[name].task}"


def preset_picker() -> str | None:
    """A preset select box with what it runs and its budget, and a "Launch preset" button;
    returns the chosen preset's name when the button is clicked."""
    name = st.selectbox("Preset", list(nc.PRESETS), key=KEY + "preset",
                        format_func=_preset_label,
                        help="named paper experiments (python -m ncode_core presets)")
    preset = nc.PRESETS[name]
    st.caption(f"{preset.description}. Seeds {list(preset.seeds)}. Budget: {preset.budget}.")
    clicked = st.button("Launch preset", key=KEY + "preset_launch", type="primary",
                        icon=":material/playlist_play:")
    return name if clicked else None
