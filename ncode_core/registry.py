"""Name -> class tables for models and tasks, the run-config parser that checks names against
them, and the builders the CLI, jobs and app use."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import ValidationError
from torch import nn

from ncode_core.config import (
    ADAPTIVE_METHODS,
    MAX_WIDTH,
    TASK_CONFIG_CONTEXT,
    ConfigError,
    ModelConfig,
    RunConfig,
    SolverConfig,
    StrictModel,
    format_validation_error,
    shorten,
)
from ncode_core.budget import check_run_fits
from ncode_core.dynamics.system import QuadraticCost
from ncode_core.models import FLOW_MODELS, ODERNN, LSTMBaseline, TaskModel, parameter_count
from ncode_core.models.autoencoders import AUTOENCODER_MODELS
from ncode_core.tasks import (
    AnnuliTask,
    CelebaAutoencodingTask,
    Cifar10AutoencodingTask,
    CIFAR10Task,
    DigitsAutoencodingTask,
    DigitsTask,
    FashionMNISTTask,
    MemorizationTask,
    MnistAutoencodingTask,
    MNISTTask,
    ReflectionTask,
    Task,
    VanDerPolTask,
)

# The ODE families (models/factory.py), the recurrent baselines only memorization uses and the
# autoencoders (each task builds the class that fits it for a family key, e.g. memorization's
# episodic N-CODE).
MODELS: dict[str, type[nn.Module]] = {
    cls.family: cls for cls in (*FLOW_MODELS, ODERNN, LSTMBaseline, *AUTOENCODER_MODELS)
}
TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (ReflectionTask, AnnuliTask, VanDerPolTask, MemorizationTask,
                              DigitsTask, MNISTTask, FashionMNISTTask, CIFAR10Task,
                              DigitsAutoencodingTask, MnistAutoencodingTask,
                              Cifar10AutoencodingTask, CelebaAutoencodingTask)
}
TASK_CONFIGS: dict[str, type[StrictModel]] = {
    name: cls.config_model for name, cls in TASKS.items()
}  # a view of Task.config_model, for forms that list every task's settings


def lab_tasks() -> dict[str, type[Task]]:
    """The registered tasks the toy pages (lab, Compare, tour, explorer) train and draw live:
    those whose ``ui.lab`` is set, in registry order (read at call time)."""
    return {name: cls for name, cls in TASKS.items() if cls.ui.lab is not None}


def check_pair(task: str, model: str) -> None:
    """Raise ConfigError unless ``model`` is a known family that fits ``task``."""
    if task not in TASKS:
        raise ConfigError(f"task: unknown task {shorten(repr(task))}; choose one of {sorted(TASKS)}")
    if model not in MODELS:
        raise ConfigError(f"model: unknown model {shorten(repr(model))}; choose one of "
                          f"{sorted(MODELS)}")
    fitting = TASKS[task].families
    if model not in fitting:
        raise ConfigError(f"model {model!r} does not fit task {task!r}; models that fit: "
                          f"{', '.join(fitting)}")


def parse_run_config(raw: dict[str, Any], check_resources: bool = True) -> RunConfig:
    """Validate a plain dict (as produced by :meth:`RunConfig.to_dict`) into a frozen RunConfig.

    ``task_cfg`` is validated into the task's own config model (defaults filled in). Raises
    :class:`ConfigError` with a one-line message naming the field, the value and what is allowed.
    """
    name = raw.get("task") if isinstance(raw, dict) else None
    task_cls = TASKS.get(name) if isinstance(name, str) else None
    context = {TASK_CONFIG_CONTEXT: task_cls.config_model if task_cls else None}
    try:
        config = RunConfig.model_validate(_with_task_defaults(raw, task_cls), context=context)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error)) from None
    check_pair(config.task, config.model)
    check_model_options(config)
    if check_resources:  # the fixed-step bound and the memory budget (budget.py)
        check_run_fits(config, TASKS[config.task])
    return config


def _with_task_defaults(raw: dict[str, Any], task: type[Task] | None) -> dict[str, Any]:
    """``raw`` with the task's own solver/training defaults under the values the caller gave.

    A task whose sensible settings differ from the global defaults (memorization: fixed-step
    solver, small batches of episodes) declares ``solver_defaults`` / ``training_defaults``.
    """
    if task is None:
        return raw
    merged = dict(raw)
    for section, defaults in (("solver", task.solver_defaults),
                              ("training", task.training_defaults)):
        given = raw.get(section, {})
        if defaults and isinstance(given, dict):
            merged[section] = {**defaults, **given}
    solver = merged.get("solver")
    if (isinstance(solver, dict) and "step_size" not in raw.get("solver", {})
            and solver.get("method") in ADAPTIVE_METHODS):
        # a task's default step belongs to its default fixed-grid method: a caller who picks
        # an adaptive one gets no step size it did not ask for
        merged["solver"] = {k: v for k, v in solver.items() if k != "step_size"}
    return merged


MATCH_TOLERANCE = 0.10  # a matched baseline's parameter count is within 10 % of its N-CODE's


def check_model_options(config: RunConfig) -> None:
    """Raise ConfigError when an option does not apply to ``config.model``.

    A running cost on theta needs a model with theta (N-CODE); ``model_cfg.match_params`` sizes
    a baseline and names the N-CODE family it is matched with, which must fit the task.
    """
    controlled = MODELS[config.model].controlled
    training = config.training
    if training.running_cost > 0 and training.running_cost_on == "theta" and not controlled:
        raise ConfigError(f"training.running_cost_on: 'theta' needs an N-CODE model "
                          f"(ncode_open, ncode_closed), got model {config.model!r}; use 'x'")
    target = config.model_cfg.match_params
    if target != "off":
        if controlled:
            raise ConfigError(f"model_cfg.match_params: applies to the baselines (node, anode, "
                              f"node_dc), got model {config.model!r}; use 'off'")
        check_pair(config.task, target)


def matched_width(task: Task, family: str, target_params: int, config: ModelConfig,
                  solver: SolverConfig) -> int:
    """Hidden width of baseline ``family`` on ``task`` whose parameter count (flow and readout)
    is closest to ``target_params``.

    Counts grow with the width, so a binary search over ``1..4096`` (``config.MAX_WIDTH``) finds
    it. Raises ConfigError when even the closest width misses the target by more than 10 %.
    """
    def count(width: int) -> int:
        with torch.random.fork_rng(devices=[]):  # sizing must not move the seeded init
            sized = config.model_copy(update={"hidden": width, "match_params": "off"})
            return parameter_count(task.build_model(family, sized, solver))

    low, high = 1, MAX_WIDTH
    while low < high:  # smallest width with count >= target
        middle = (low + high) // 2
        if count(middle) >= target_params:
            high = middle
        else:
            low = middle + 1
    width = min({max(1, low - 1), low}, key=lambda w: abs(count(w) - target_params))
    if abs(count(width) - target_params) > MATCH_TOLERANCE * target_params:
        raise ConfigError(
            f"model_cfg.match_params: no width of {family} comes within 10 % of "
            f"{target_params} parameters on {task.name} (closest: hidden={width} with "
            f"{count(width)}); use 'off'")
    return width


def build_task(config: RunConfig, device: torch.device | str = "cpu",
               dtype: torch.dtype = torch.float32) -> Task:
    """The task named by ``config.task`` with its data on ``device``."""
    return TASKS[config.task](config.task_cfg, config.seed, device, dtype)


def build_model(task: Task, config: RunConfig) -> nn.Module:
    """The model family ``config.model`` with the architecture ``task`` supplies (CPU, float32):
    a TaskModel for the point tasks, an episode model for memorization; each has ``nfe``.

    Applies the options that wrap a family: ``model_cfg.match_params`` (a baseline's hidden
    width matched to the named N-CODE built from the same settings) and the running cost of
    ``training.running_cost`` (Eq. 5) on ``flow.system``.
    """
    check_pair(task.name, config.model)
    check_model_options(config)
    model_cfg = config.model_cfg
    if model_cfg.match_params != "off":
        with torch.random.fork_rng(devices=[]):
            target = parameter_count(task.build_model(model_cfg.match_params, model_cfg,
                                                      config.solver))
        width = matched_width(task, config.model, target, model_cfg, config.solver)
        model_cfg = model_cfg.model_copy(update={"hidden": width})
    model = task.build_model(config.model, model_cfg, config.solver)
    weight = config.training.running_cost
    if weight > 0:
        if not isinstance(model, TaskModel):
            raise ConfigError(f"training.running_cost: task {task.name!r} has no single flow to "
                              f"put a running cost on; use 0")
        on_theta = config.training.running_cost_on == "theta"
        model.flow.system.running_cost = QuadraticCost(
            x_weight=0.0 if on_theta else weight, theta_weight=weight if on_theta else 0.0)
    return model
