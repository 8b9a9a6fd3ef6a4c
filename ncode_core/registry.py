"""Name -> class tables for models and tasks, and the builders the CLI, jobs and app use."""

from __future__ import annotations

import torch
from torch import nn

from ncode_core.config import ConfigError, RunConfig, TASK_CONFIGS
from ncode_core.models import (
    ANODE,
    NODE,
    ClosedLoopNCODE,
    DataControlledNODE,
    ODERNN,
    LSTMBaseline,
    OpenLoopNCODE,
)
from ncode_core.tasks import AnnuliTask, MemorizationTask, ReflectionTask, Task, VanDerPolTask

MODELS: dict[str, type[nn.Module]] = {
    cls.family: cls for cls in (NODE, ANODE, DataControlledNODE, OpenLoopNCODE, ClosedLoopNCODE,
                                ODERNN, LSTMBaseline)
}
TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (ReflectionTask, AnnuliTask, VanDerPolTask, MemorizationTask)
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


def build_model(task: Task, config: RunConfig) -> nn.Module:
    """The model family ``config.model`` with the architecture ``task`` supplies (CPU, float32):
    a TaskModel for the point tasks, an episode model for memorization; each has ``nfe``."""
    check_pair(task.name, config.model)
    return task.build_model(config.model, config.model_cfg, config.solver)
