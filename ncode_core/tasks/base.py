"""What every task provides to training, evaluation, the CLI and the dashboard."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import BaseModel
from torch import Tensor

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.models.base import TaskModel, Trajectory


def step_generator(seed: int, step: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator determined by (seed, step): minibatches are reproducible and resumable."""
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + step) % (2**63 - 1))
    return generator


class Task:
    """A problem: data (made deterministically from the seed), models that fit it, loss, metrics.

    Subclasses define ``name``, ``families`` (registry model keys that fit), ``config_model``,
    ``input_dim``, ``metric_names`` and implement the methods below. Data lives on ``device`` in
    ``dtype``.
    """

    name: ClassVar[str] = ""
    families: ClassVar[tuple[str, ...]] = ()
    config_model: ClassVar[type[BaseModel]]
    input_dim: ClassVar[int] = 0
    metric_names: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def __init__(self, config: BaseModel, seed: int, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32) -> None:
        self.config = config
        self.seed = seed
        self.device = torch.device(device)
        self.dtype = dtype

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> TaskModel:
        """The model family with the field architecture this task needs."""
        raise NotImplementedError

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        """Inputs ``(B, input_dim)`` and targets for optimiser step ``step``."""
        raise NotImplementedError

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        """Scalar loss to minimise and batch metrics (plain floats)."""
        raise NotImplementedError

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, Any]:
        """Held-out metrics: ``test_loss`` plus the task's ``metric_names``."""
        raise NotImplementedError

    @staticmethod
    def with_running_cost(loss: Tensor, trajectory: Trajectory) -> Tensor:
        """``loss`` plus the batch mean of the trajectory's integrated running cost (Eq. 5),
        when the model has one (``training.running_cost > 0``); held-out metrics leave it out."""
        return loss if trajectory.cost is None else loss + trajectory.cost.mean()

    def minibatch(self, inputs: Tensor, targets: Tensor, step: int,
                  batch_size: int) -> tuple[Tensor, Tensor]:
        """A seeded random minibatch of a fixed training set (all of it if small enough)."""
        count = inputs.shape[0]
        if batch_size >= count:
            return inputs, targets
        index = torch.randperm(count, generator=step_generator(self.seed, step))[:batch_size]
        index = index.to(inputs.device)
        return inputs[index], targets[index]
