"""Reflection x -> -x in 1-D (Fig. 4): the model's output is x(T) itself, no readout."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from ncode_core.config import ReflectionConfig
from ncode_core.models import TaskModel
from ncode_core.tasks.base import Task, step_generator
from ncode_core.tasks.ui import CountSplit, LabUI, TaskUI, TourStep


class ReflectionTask(Task):
    """x(0) ~ U(-r, r), target -x(0), loss MSE(x(T), -x(0)).

    A NODE's flow map is monotone in 1-D, so its best MSE is about the target variance r^2/3;
    N-CODE can reach zero. Metrics: ``test_mse`` and ``target_variance`` (for that comparison).
    """

    name = "reflection"
    config_model = ReflectionConfig
    input_shape = (1,)
    metric_names = ("test_mse", "target_variance")
    description = "1-D reflection x -> -x (Fig. 4): trajectories of a NODE cannot cross"
    ui = TaskUI(
        label="Reflection x -> -x (1-D)", primary_metric="test_mse", higher_is_better=False,
        lab=LabUI(
            views=("paths", "field_a", "field_b", "theta"), main_views=("paths",),
            samples=((0.5,), (-0.5,)), sample_range=(256, 16, 2048), batch_size=64, lr=1e-2,
            own_horizon=False, uses_noise=False, split=CountSplit(least=2),
            plot_bounds=lambda c: (-c.input_range, c.input_range),
            default_model="ncode_open", opens=("compare",),
            compare_lesson="On the reflection x -> -x a NODE's trajectories cannot cross, so its "
                           "best test MSE stays near the target variance; N-CODE drives it close "
                           "to zero.",
            tour=(
                TourStep(
                    "A NODE cannot learn the reflection",
                    "Map x to -x on [-1, 1]. A NODE's trajectories are solutions of one autonomous "
                    "ODE: in 1-D they can never cross, so the flow map is increasing and x -> -x is "
                    "out of reach. Press Play: the test MSE stalls near the variance of the target "
                    "(about 1/3).", "node"),
                TourStep(
                    "Open-loop control: theta(0) = gamma(x(0))",
                    "N-CODE gives every sample its own field f(x; theta). With theta = gamma(x(0)) "
                    "a point at x(0) = 0.5 flows down while -0.5 flows up: the two fields in the lab "
                    "differ, and the trajectories cross in the (t, x) picture.", "ncode_open"),
                TourStep(
                    "Closed-loop control: dtheta/dt = g(theta, x, t)",
                    "Now theta evolves along the trajectory (by default through a small control "
                    "code u with theta = decoder(u); the lab's 'Closed loop acts on' setting "
                    "makes the law drive every field parameter). Move the field-time slider: "
                    "the field each sample sees changes over time.", "ncode_closed"),
            ),
        ),
    )

    def __init__(self, config: ReflectionConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        generator = step_generator(seed, -1)
        span = config.input_range

        def draw(count: int) -> Tensor:
            x = (torch.rand(count, 1, generator=generator, dtype=torch.float64) * 2 - 1) * span
            return x.to(device=self.device, dtype=dtype)

        self.x_train, self.x_test = draw(config.n_train), draw(config.n_test)

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        return self.minibatch(self.x_train, -self.x_train, step, batch_size)

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        output, trajectory = model(x)
        loss = F.mse_loss(output, y)
        return self.with_running_cost(loss, trajectory), {"mse": float(loss.detach())}

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, float]:
        output = self.predict_in_batches(lambda x: model(x)[0], self.x_test)
        mse = float(F.mse_loss(output, -self.x_test))
        return {"test_loss": mse, "test_mse": mse,
                "target_variance": float(self.x_test.var(unbiased=False))}
