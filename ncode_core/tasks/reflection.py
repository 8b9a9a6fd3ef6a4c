"""Reflection x -> -x in 1-D (Fig. 4): the model's output is x(T) itself, no readout."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from ncode_core.config import ModelConfig, ReflectionConfig, SolverConfig
from ncode_core.models.base import SelectDims, TaskModel
from ncode_core.models.factory import MLP_FAMILIES, build_mlp_flow
from ncode_core.tasks.base import Task, step_generator


class ReflectionTask(Task):
    """x(0) ~ U(-r, r), target -x(0), loss MSE(x(T), -x(0)).

    A NODE's flow map is monotone in 1-D, so its best MSE is about the target variance r^2/3;
    N-CODE can reach zero. Metrics: ``test_mse`` and ``target_variance`` (for that comparison).
    """

    name = "reflection"
    families = MLP_FAMILIES
    config_model = ReflectionConfig
    input_dim = 1
    metric_names = ("test_mse", "target_variance")
    description = "1-D reflection x -> -x (Fig. 4): trajectories of a NODE cannot cross"

    def __init__(self, config: ReflectionConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        generator = step_generator(seed, -1)
        span = config.input_range

        def draw(count: int) -> Tensor:
            x = (torch.rand(count, 1, generator=generator, dtype=torch.float64) * 2 - 1) * span
            return x.to(device=self.device, dtype=dtype)

        self.x_train, self.x_test = draw(config.n_train), draw(config.n_test)

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> TaskModel:
        return TaskModel(build_mlp_flow(family, 1, config, solver), SelectDims(1))

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        return self.minibatch(self.x_train, -self.x_train, step, batch_size)

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        output, trajectory = model(x)
        loss = F.mse_loss(output, y)
        return self.with_running_cost(loss, trajectory), {"mse": float(loss.detach())}

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, float]:
        output, _ = model(self.x_test)
        mse = float(F.mse_loss(output, -self.x_test))
        return {"test_loss": mse, "test_mse": mse,
                "target_variance": float(self.x_test.var(unbiased=False))}
