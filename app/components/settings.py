"""Lab settings: a flat, URL-friendly dict <-> the library's RunConfig dict. Pure (no st.*).

The dashboard keeps one flat dict of plain values (what the widgets show and what the URL's query
string carries). :func:`to_run_config` turns it into the nested dict ``ncode_core.parse_run_config``
validates; :func:`from_query` reads untrusted query-string values back, clamping each to the
widget's bounds and dropping what it cannot use (reporting it), so no link can put the app into an
impossible state. Everything task- or model-specific comes from the registry (``Task.ui``,
``FlowModel.info``), so a new task or model appears here with no edit.
"""

from __future__ import annotations

from typing import Any

import ncode_core as nc

_MODEL = nc.ModelConfig()
_TRAINING = nc.TrainingConfig()
_SOLVER = nc.SolverConfig()

METHODS = ("dopri5", "bosh3", "adaptive_heun", "rk4", "midpoint", "euler")
TOLERANCES = (1e-2, 1e-3, 1e-4, 1e-5)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BATCH_SIZES = (16, 32, 64, 128, 256, 512)



class LabTaskNames:
    """The keys of :func:`ncode_core.lab_tasks`, read at each use (a task registered later counts)."""

    def __iter__(self):
        return iter(nc.lab_tasks())

    def __contains__(self, name: object) -> bool:
        return name in nc.lab_tasks()


# name -> (kind, low, high) for numbers, (choices,) for numbers from a list, ("names", names)
# for text choices (registry keys: a live view of the table, so a task registered later counts)
BOUNDS: dict[str, tuple] = {
    "task": ("names", LabTaskNames()),
    "model": ("names", nc.MODELS.keys()),
    "method": ("names", METHODS),
    "tol": (TOLERANCES,),
    "lr": (LEARNING_RATES,),
    "batch": (BATCH_SIZES,),
    "seed": ("int", 0, 9999),
    "hidden": ("int", 2, 64),
    "code": ("int", 1, 32),
    "n": ("int", 8, 4096),
    "noise": ("float", 0.0, 0.5),
    "test_ratio": ("float", 0.1, 0.5),
    "T": ("float", 0.2, 5.0),
    "control": ("names", ("code", "full")),
    "theta0": ("names", ("learned", "gamma")),
    "cost": ("float", 0.0, 1.0),
    "cost_on": ("names", ("theta", "x")),
}


def task_ui(task: str) -> nc.TaskUI:
    """What the dashboard knows about the registered task ``task``."""
    return nc.TASKS[task].ui


def lab_ui(task: str) -> nc.LabUI:
    """How the toy pages train and draw ``task`` (one of :func:`ncode_core.lab_tasks`)."""
    return nc.lab_tasks()[task].ui.lab


def task_label(task: str) -> str:
    """The task's name in menus."""
    return task_ui(task).label


def model_label(model: str) -> str:
    """The model family's name in menus."""
    return nc.MODELS[model].info.label


def default_task(page: str) -> str:
    """The task ``page`` opens on: the first that names the page in ``ui.lab.opens``, else the
    first registered task."""
    tasks = nc.lab_tasks()
    return next((name for name, cls in tasks.items() if page in cls.ui.lab.opens), next(iter(tasks)))


def fitting_model(task: str, model: str) -> str:
    """``model`` if it fits ``task``, otherwise the task's default model."""
    return model if model in nc.TASKS[task].families else lab_ui(task).default_model


def defaults_for(task: str) -> dict[str, Any]:
    """The default settings of ``task``: the library's defaults where the lab has the same
    setting, the task's own (``Task.ui``) for its data size, batch, learning rate and model."""
    ui = task_ui(task)
    return {
        "task": task, "model": ui.lab.default_model, "seed": 0, "method": _SOLVER.method,
        "tol": _SOLVER.rtol, "lr": ui.lab.lr, "batch": ui.lab.batch_size, "hidden": _MODEL.hidden,
        "code": _MODEL.gamma_hidden, "n": ui.lab.sample_range[0], "noise": 0.0, "test_ratio": 0.25,
        "T": _MODEL.integration_time, "control": _MODEL.control, "theta0": _MODEL.theta0,
        "cost": _TRAINING.running_cost, "cost_on": _TRAINING.running_cost_on,
    }


DEFAULTS: dict[str, Any] = defaults_for(default_task("lab"))


def clamp(name: str, value: Any) -> Any:
    """``value`` coerced into ``name``'s bounds (nearest allowed choice / clipped number).

    Raises ValueError when the value cannot be read at all (e.g. ``"abc"`` for a number, an
    unknown task name).
    """
    bound = BOUNDS[name]
    if not isinstance(value, str) or bound[0] == "names":
        return _clamp_value(name, bound, value)
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None
    return _clamp_value(name, bound, number)


def _clamp_value(name: str, bound: tuple, value: Any) -> Any:
    if bound[0] == "names":
        if value not in bound[1]:
            raise ValueError(f"{name}={value!r} is not one of {', '.join(bound[1])}")
        return value
    if len(bound) == 1:
        choices = bound[0]
        number = float(value)
        if number != number:  # NaN
            raise ValueError(f"{name}={value!r} is not a number")
        return min(choices, key=lambda c: abs(c - number))
    kind, low, high = bound
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{name}={value!r} is not a finite number")
    number = min(max(number, low), high)
    return int(round(number)) if kind == "int" else number


def normalise(settings: dict[str, Any]) -> dict[str, Any]:
    """Fill missing keys from the task's defaults and clamp everything (task-aware ``n``; a
    model that does not fit the task becomes the task's default model)."""
    task = settings.get("task", DEFAULTS["task"])
    result = defaults_for(task)
    for name, value in settings.items():
        if name in BOUNDS:
            result[name] = clamp(name, value)
    _, low, high = lab_ui(result["task"]).sample_range
    result["n"] = min(max(result["n"], low), high)
    result["model"] = fitting_model(result["task"], result["model"])
    result["cost_on"] = _cost_target(result)
    return result


def from_query(params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Settings from query-string values; returns ``(settings, problems)``.

    Unknown keys are ignored; unreadable values are dropped (the default is used) and named in
    ``problems``; out-of-range numbers are clamped.
    """
    problems: list[str] = []
    task = params.get("task", DEFAULTS["task"])
    if task not in nc.lab_tasks():
        problems.append(f"task={task!r} is not one of {', '.join(nc.lab_tasks())}")
        task = DEFAULTS["task"]
    settings = defaults_for(task)
    for name in BOUNDS:
        if name == "task" or name not in params:
            continue
        try:
            settings[name] = clamp(name, params[name])
        except (TypeError, ValueError) as error:
            problems.append(str(error))
    return normalise(settings), problems


def to_query(settings: dict[str, Any]) -> dict[str, str]:
    """Settings as query-string values (all keys, so a link is complete)."""
    return {name: (repr(value) if isinstance(value, float) else str(value))
            for name, value in normalise(settings).items()}


def to_run_config(settings: dict[str, Any], steps: int = 10_000_000) -> dict[str, Any]:
    """The ``parse_run_config`` input for these settings (CPU, the lab's solver budget)."""
    s = normalise(settings)
    task_cfg = lab_ui(s["task"]).task_config(s["n"], s["test_ratio"], s["noise"])
    return {
        "task": s["task"], "model": s["model"], "seed": s["seed"], "device": "cpu",
        "solver": {"method": s["method"], "rtol": s["tol"], "atol": s["tol"],
                   "max_num_steps": 2000},
        "training": {"lr": s["lr"], "batch_size": s["batch"], "steps": steps,
                     "running_cost": s["cost"], "running_cost_on": s["cost_on"]},
        "model_cfg": {"hidden": s["hidden"], "gamma_hidden": s["code"], "law_hidden": s["code"],
                      "integration_time": s["T"], "control": s["control"], "theta0": s["theta0"]},
        "task_cfg": task_cfg,
    }


def _cost_target(settings: dict[str, Any]) -> str:
    """What the running cost penalises: the chosen target where the model has a theta, else x
    (a baseline has no theta, and the library refuses a cost on it)."""
    return settings["cost_on"] if nc.MODELS[settings["model"]].controlled else "x"


def from_run_config(config: dict[str, Any]) -> dict[str, Any]:
    """Best-effort inverse of :func:`to_run_config` (e.g. for a pretrained checkpoint's config)."""
    task = config["task"]
    task_cfg = nc.TASKS[task].config_model.model_validate(config.get("task_cfg", {}))
    n, ratio, noise = lab_ui(task).data_settings(task_cfg)
    solver, training = config.get("solver", {}), config.get("training", {})
    model_cfg = config.get("model_cfg", {})
    raw = {"task": task, "model": config["model"], "seed": config.get("seed", 0),
           "method": solver.get("method", _SOLVER.method), "tol": solver.get("rtol", _SOLVER.rtol),
           "lr": training.get("lr", _TRAINING.lr), "batch": training.get("batch_size", 128),
           "hidden": model_cfg.get("hidden", _MODEL.hidden),
           "code": model_cfg.get("gamma_hidden", _MODEL.gamma_hidden),
           "T": model_cfg.get("integration_time", _MODEL.integration_time), "n": n,
           "test_ratio": ratio, "noise": noise,
           "control": model_cfg.get("control", _MODEL.control),
           "theta0": model_cfg.get("theta0", _MODEL.theta0),
           "cost": training.get("running_cost", _TRAINING.running_cost),
           "cost_on": training.get("running_cost_on", _TRAINING.running_cost_on)}
    return normalise(raw)
