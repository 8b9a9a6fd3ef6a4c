"""Name -> class tables for models and tasks, and the builders the CLI, jobs and app use."""

from __future__ import annotations

import torch

from ncode_core.config import ConfigError, RunConfig, TASK_CONFIGS
from ncode_core.models import (
    ANODE,
    NODE,
    ClosedLoopNCODE,
    DataControlledNODE,
    FlowModel,
    OpenLoopNCODE,
    TaskModel,
)
from ncode_core.tasks import AnnuliTask, ReflectionTask, Task, VanDerPolTask

MODELS: dict[str, type[FlowModel]] = {
    cls.family: cls for cls in (NODE, ANODE, DataControlledNODE, OpenLoopNCODE, ClosedLoopNCODE)
}
TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (ReflectionTask, AnnuliTask, VanDerPolTask)
}
assert set(TASKS) == set(TASK_CONFIGS), "every task needs a config model in config.TASK_CONFIGS"


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


def build_task(config: RunConfig, device: torch.device | str = "cpu",
               dtype: torch.dtype = torch.float32) -> Task:
    """The task named by ``config.task`` with its data on ``device``."""
    cls = TASKS[config.task]
    return cls(cls.config_model.model_validate(config.task_cfg), config.seed, device, dtype)


def build_model(task: Task, config: RunConfig) -> TaskModel:
    """The model family ``config.model`` with the architecture ``task`` supplies (CPU, float32)."""
    check_pair(task.name, config.model)
    return task.build_model(config.model, config.model_cfg, config.solver)
