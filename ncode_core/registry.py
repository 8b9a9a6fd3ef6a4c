"""Name -> class tables for models and tasks, the run-config parser that checks names against
them, and the builders the CLI, jobs and app use."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import ValidationError
from torch import nn

from ncode_core.config import (
    TASK_CONFIG_CONTEXT,
    ConfigError,
    RunConfig,
    StrictModel,
    format_validation_error,
)
from ncode_core.models import FLOW_MODELS, TaskModel
from ncode_core.models.autoencoders import AUTOENCODER_MODELS
from ncode_core.tasks import (
    AnnuliTask,
    Cifar10AutoencodingTask,
    DigitsAutoencodingTask,
    MnistAutoencodingTask,
    ReflectionTask,
    Task,
    VanDerPolTask,
)

MODELS: dict[str, type[nn.Module]] = {
    cls.family: cls for cls in (*FLOW_MODELS, *AUTOENCODER_MODELS)
}
TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (ReflectionTask, AnnuliTask, VanDerPolTask, DigitsAutoencodingTask,
                              MnistAutoencodingTask, Cifar10AutoencodingTask)
}
TASK_CONFIGS: dict[str, type[StrictModel]] = {
    name: cls.config_model for name, cls in TASKS.items()
}  # a view of Task.config_model, for forms that list every task's settings


def check_pair(task: str, model: str) -> None:
    """Raise ConfigError unless ``model`` is a known family that fits ``task``."""
    if task not in TASKS:
        raise ConfigError(f"task: unknown task {task!r}; choose one of {sorted(TASKS)}")
    if model not in MODELS:
        raise ConfigError(f"model: unknown model {model!r}; choose one of {sorted(MODELS)}")
    fitting = TASKS[task].families
    if model not in fitting:
        raise ConfigError(f"model {model!r} does not fit task {task!r}; models that fit: "
                          f"{', '.join(fitting)}")


def parse_run_config(raw: dict[str, Any]) -> RunConfig:
    """Validate a plain dict (as produced by :meth:`RunConfig.to_dict`) into a frozen RunConfig.

    ``task_cfg`` is validated into the task's own config model (defaults filled in). Raises
    :class:`ConfigError` with a one-line message naming the field, the value and what is allowed.
    """
    name = raw.get("task") if isinstance(raw, dict) else None
    task_cls = TASKS.get(name) if isinstance(name, str) else None
    context = {TASK_CONFIG_CONTEXT: task_cls.config_model if task_cls else None}
    try:
        config = RunConfig.model_validate(raw, context=context)
    except ValidationError as error:
        raise ConfigError(format_validation_error(error)) from None
    check_pair(config.task, config.model)
    return config


def build_task(config: RunConfig, device: torch.device | str = "cpu",
               dtype: torch.dtype = torch.float32) -> Task:
    """The task named by ``config.task`` with its data on ``device``."""
    return TASKS[config.task](config.task_cfg, config.seed, device, dtype)


def build_model(task: Task, config: RunConfig) -> TaskModel | nn.Module:
    """The model family ``config.model`` with the architecture ``task`` supplies (CPU, float32)."""
    check_pair(task.name, config.model)
    return task.build_model(config.model, config.model_cfg, config.solver)
