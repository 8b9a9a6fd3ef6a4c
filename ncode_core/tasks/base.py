"""What every task provides to training, evaluation, the CLI and the dashboard."""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from pydantic import BaseModel
from torch import Tensor, nn

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.models import (
    MODEL_FAMILIES,
    FieldBuilder,
    FlowModel,
    MLPFieldBuilder,
    SelectDims,
    Shape,
    TaskModel,
    Trajectory,
    build_flow,
    flat_size,
)
from ncode_core.tasks.ui import TaskUI


def step_generator(seed: int, step: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator determined by (seed, step): minibatches are reproducible and resumable."""
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + step) % (2**63 - 1))
    return generator


class Task:
    """A problem: data (made deterministically from the seed), models that fit it, loss, metrics.

    Subclasses define ``name``, ``families`` (registry model keys that fit), ``config_model``,
    ``input_shape`` (one sample's shape: ``(D,)`` for points, ``(C, H, W)`` for images),
    ``metric_names``, ``ui`` (what the dashboard needs, :class:`TaskUI`) and implement the data,
    loss and evaluation methods below. The model is the family wrapped around the task's
    :meth:`field_builder`, read out by :meth:`readout`; a task overrides those (or
    :meth:`build_model` itself) for its own architecture. Data lives on
    ``device`` in ``dtype``; evaluation goes through the model ``eval_batch_size`` samples at a
    time. ``solver_defaults`` and ``training_defaults`` replace global config defaults the
    user did not set.
    """

    name: ClassVar[str] = ""
    families: ClassVar[tuple[str, ...]] = MODEL_FAMILIES
    config_model: ClassVar[type[BaseModel]]
    input_shape: ClassVar[Shape] = ()
    metric_names: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    eval_batch_size: ClassVar[int] = 1024
    ui: ClassVar[TaskUI]
    solver_defaults: ClassVar[dict[str, Any]] = {}
    training_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: BaseModel, seed: int, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32) -> None:
        self.config = config
        self.seed = seed
        self.device = torch.device(device)
        self.dtype = dtype

    def field_builder(self, config: ModelConfig) -> FieldBuilder:
        """The field architecture: here the toys' MLP of ``config.hidden`` units (flat states)."""
        return MLPFieldBuilder(config.hidden)

    def readout(self, flow: FlowModel) -> nn.Module:
        """Map of x(T) ``(B, *state_shape)`` to the output: here x(T) itself (the input's
        scalars, without ANODE's augmented ones)."""
        return SelectDims(flat_size(self.input_shape))

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> TaskModel:
        """The model family around this task's field, followed by its readout."""
        flow = build_flow(family, self.field_builder(config), self.input_shape, config, solver)
        return TaskModel(flow, self.readout(flow))

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        """Inputs ``(B, *input_shape)`` and targets for optimiser step ``step``."""
        raise NotImplementedError

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        """Scalar loss to minimise and batch metrics (plain floats)."""
        raise NotImplementedError

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, Any]:
        """Held-out metrics: ``test_loss`` plus the task's ``metric_names``."""
        raise NotImplementedError

    def batch_indices(self, step: int, batch_size: int, count: int) -> Tensor | None:
        """Indices ``(batch_size,)`` of step ``step``'s minibatch out of ``count`` samples (on
        the task's device), or None when the batch is the whole set.

        Only indices are drawn: the caller gathers just those samples, never a copy of the set.
        """
        if batch_size >= count:
            return None
        order = torch.randperm(count, generator=step_generator(self.seed, step))
        return order[:batch_size].to(self.device)

    @staticmethod
    def with_running_cost(loss: Tensor, trajectory: Trajectory | None) -> Tensor:
        """``loss`` plus the batch mean of the trajectory's integrated running cost (Eq. 5),
        when the model has one (``training.running_cost > 0``; a model that is not an ODE has no
        trajectory); held-out metrics leave it out."""
        if trajectory is None or trajectory.cost is None:
            return loss
        return loss + trajectory.cost.mean()

    def minibatch(self, inputs: Tensor, targets: Tensor, step: int,
                  batch_size: int) -> tuple[Tensor, Tensor]:
        """A seeded random minibatch of a fixed training set (the set itself if small enough),
        samples along dim 0 of both tensors."""
        index = self.batch_indices(step, batch_size, inputs.shape[0])
        if index is None:
            return inputs, targets
        return inputs[index], targets[index]

    def predict_in_batches(self, predict: Callable[[Tensor], Tensor], inputs: Tensor,
                           dim: int = 0) -> Tensor:
        """``predict`` applied to ``inputs (N, ...)`` in chunks of ``eval_batch_size`` samples
        (views, no copy), outputs concatenated along ``dim`` (where the output's samples are)."""
        chunks = torch.split(inputs, self.eval_batch_size, dim=0)
        return torch.cat([predict(chunk) for chunk in chunks], dim=dim)
