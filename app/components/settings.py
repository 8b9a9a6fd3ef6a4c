"""Lab settings: a flat, URL-friendly dict <-> the library's RunConfig dict. Pure (no st.*).

The dashboard keeps one flat dict of plain values (what the widgets show and what the URL's query
string carries). :func:`to_run_config` turns it into the nested dict ``ncode_core.parse_run_config``
validates; :func:`from_query` reads untrusted query-string values back, clamping each to the
widget's bounds and dropping what it cannot use (reporting it), so no link can put the app into an
impossible state.
"""

from __future__ import annotations

from typing import Any

import ncode_core as nc

_MODEL = nc.ModelConfig()
_TRAINING = nc.TrainingConfig()
_SOLVER = nc.SolverConfig()

TASK_LABELS = {"annuli": "Concentric annuli (2-D)", "reflection": "Reflection x -> -x (1-D)",
               "vanderpol": "Van der Pol (1-D)"}
MODEL_LABELS = {"node": "NODE", "anode": "ANODE", "node_dc": "NODE-DC (data-controlled)",
                "ncode_open": "N-CODE open loop", "ncode_closed": "N-CODE closed loop"}
METHODS = ("dopri5", "bosh3", "adaptive_heun", "rk4", "midpoint", "euler")
TOLERANCES = (1e-2, 1e-3, 1e-4, 1e-5)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BATCH_SIZES = (16, 32, 64, 128, 256, 512)

# name -> (kind, low, high) for numbers, (choices,) for categorical values
BOUNDS: dict[str, tuple] = {
    "task": (tuple(TASK_LABELS),),
    "model": (tuple(MODEL_LABELS),),
    "method": (METHODS,),
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
}

# The library's own defaults where the lab has the same setting; lab-specific ones otherwise.
DEFAULTS: dict[str, Any] = {
    "task": "annuli", "model": "ncode_open", "seed": 0, "method": _SOLVER.method,
    "tol": _SOLVER.rtol, "lr": _TRAINING.lr, "batch": 128, "hidden": _MODEL.hidden,
    "code": _MODEL.gamma_hidden, "n": 512, "noise": 0.0, "test_ratio": 0.25,
    "T": _MODEL.integration_time,
}
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "annuli": {"n": 512, "batch": 128, "lr": 1e-2, "T": 1.0},
    "reflection": {"n": 256, "batch": 64, "lr": 1e-2, "T": 1.0},
    "vanderpol": {"n": 16, "batch": 16, "lr": 3e-2, "T": 1.0},
}
# How many samples each task may hold (the "n" widget's range for that task).
SAMPLE_RANGE = {"annuli": (64, 4096), "reflection": (16, 2048), "vanderpol": (4, 64)}
USES_NOISE = {"annuli", "vanderpol"}


def defaults_for(task: str) -> dict[str, Any]:
    """The default settings with ``task``'s own defaults applied."""
    return {**DEFAULTS, **TASK_DEFAULTS.get(task, {}), "task": task}


def clamp(name: str, value: Any) -> Any:
    """``value`` coerced into ``name``'s bounds (nearest allowed choice / clipped number).

    Raises ValueError when the value cannot be read at all (e.g. ``"abc"`` for a number, an
    unknown task name).
    """
    bound = BOUNDS[name]
    if not isinstance(value, str) or len(bound) == 1 and isinstance(bound[0][0], str):
        return _clamp_value(name, bound, value)
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None
    return _clamp_value(name, bound, number)


def _clamp_value(name: str, bound: tuple, value: Any) -> Any:
    if len(bound) == 1:
        choices = bound[0]
        if isinstance(choices[0], str):
            if value not in choices:
                raise ValueError(f"{name}={value!r} is not one of {', '.join(choices)}")
            return value
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
    """Fill missing keys from the task's defaults and clamp everything (task-aware ``n``)."""
    task = settings.get("task", DEFAULTS["task"])
    result = defaults_for(task)
    for name, value in settings.items():
        if name in BOUNDS:
            result[name] = clamp(name, value)
    low, high = SAMPLE_RANGE[result["task"]]
    result["n"] = min(max(result["n"], low), high)
    return result


def from_query(params: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Settings from query-string values; returns ``(settings, problems)``.

    Unknown keys are ignored; unreadable values are dropped (the default is used) and named in
    ``problems``; out-of-range numbers are clamped.
    """
    problems: list[str] = []
    task = params.get("task", DEFAULTS["task"])
    if task not in TASK_LABELS:
        problems.append(f"task={task!r} is not one of {', '.join(TASK_LABELS)}")
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
    task, n = s["task"], s["n"]
    n_test = max(2, round(n * s["test_ratio"]))
    if task == "annuli":
        task_cfg = {"n_samples": n, "test_fraction": s["test_ratio"], "noise": s["noise"]}
    elif task == "reflection":
        task_cfg = {"n_train": max(2, n - n_test), "n_test": n_test}
    else:
        n_test = max(1, round(n * s["test_ratio"]))
        task_cfg = {"n_train": max(1, n - n_test), "n_test": n_test, "noise": s["noise"]}
    return {
        "task": task, "model": s["model"], "seed": s["seed"], "device": "cpu",
        "solver": {"method": s["method"], "rtol": s["tol"], "atol": s["tol"],
                   "max_num_steps": 2000},
        "training": {"lr": s["lr"], "batch_size": s["batch"], "steps": steps},
        "model_cfg": {"hidden": s["hidden"], "gamma_hidden": s["code"], "law_hidden": s["code"],
                      "integration_time": s["T"]},
        "task_cfg": task_cfg,
    }


def from_run_config(config: dict[str, Any]) -> dict[str, Any]:
    """Best-effort inverse of :func:`to_run_config` (e.g. for a pretrained checkpoint's config)."""
    task = config["task"]
    task_cfg = config.get("task_cfg", {})
    if task == "annuli":
        n, ratio = task_cfg.get("n_samples", 2048), task_cfg.get("test_fraction", 0.25)
    else:
        n = task_cfg.get("n_train", 8) + task_cfg.get("n_test", 8)
        ratio = task_cfg.get("n_test", 8) / n
    solver, training = config.get("solver", {}), config.get("training", {})
    model_cfg = config.get("model_cfg", {})
    raw = {"task": task, "model": config["model"], "seed": config.get("seed", 0),
           "method": solver.get("method", _SOLVER.method), "tol": solver.get("rtol", _SOLVER.rtol),
           "lr": training.get("lr", _TRAINING.lr), "batch": training.get("batch_size", 128),
           "hidden": model_cfg.get("hidden", _MODEL.hidden),
           "code": model_cfg.get("gamma_hidden", _MODEL.gamma_hidden),
           "T": model_cfg.get("integration_time", _MODEL.integration_time), "n": n,
           "test_ratio": ratio,
           "noise": task_cfg.get("noise", 0.0)}
    return normalise(raw)
