"""Concentric annuli (Fig. 5): inner disk (class 0) vs surrounding annulus (class 1) in 2-D."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ncode_core.config import AnnuliConfig
from ncode_core.models import FlowModel, TaskModel, flat_size
from ncode_core.tasks.base import Task, step_generator
from ncode_core.tasks.ui import FractionSplit, LabUI, TaskUI, TourStep


def sample_annuli(config: AnnuliConfig, count: int,
                  generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """``count`` points ``(count, 2)`` float64 and labels ``(count,)`` in {0, 1}, half each.

    Radii are uniform in (0, inner_radius) and (outer_min, outer_max), angles uniform; Gaussian
    noise of std ``noise`` is added to the coordinates.
    """
    inner = count // 2
    labels = torch.cat([torch.zeros(inner), torch.ones(count - inner)]).double()
    unit = torch.rand(count, generator=generator, dtype=torch.float64)
    low = torch.where(labels == 0, 0.0, config.outer_min)
    high = torch.where(labels == 0, config.inner_radius, config.outer_max)
    radius = low + unit * (high - low)
    angle = torch.rand(count, generator=generator, dtype=torch.float64) * 2 * math.pi
    points = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    points = points + config.noise * torch.randn(count, 2, generator=generator, dtype=torch.float64)
    order = torch.randperm(count, generator=generator)
    return points[order], labels[order]


def square_around_annuli(config: AnnuliConfig) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)``: a square around the outer ring, widened by the noise (2 std) and a
    margin, so every data point and a bit of the plane around it show."""
    radius = config.outer_max + 2 * config.noise + 0.3
    return (-radius, radius, -radius, radius)


class AnnuliTask(Task):
    """Binary classification with a linear readout of x(T) regressed onto the 0/1 labels (MSE),
    as in Massaroli et al.'s protocol; a point is classified 1 when its readout exceeds 0.5.

    MSE has a finite optimum, so a fitted flow stops sharpening (BCE would push the readout to
    infinity and the solver's step count up). A held-out test split of ``test_fraction`` of the
    points. With ``fresh_batches`` every training step draws a new batch from the distribution
    (with ``noise=0.05``: the harder protocol of Massaroli et al.). Metrics: ``test_accuracy``.
    """

    name = "annuli"
    config_model = AnnuliConfig
    input_shape = (2,)
    metric_names = ("test_accuracy",)
    description = "2-D concentric annuli (Fig. 5): N-CODE separates them by a bifurcation"
    ui = TaskUI(
        label="Concentric annuli (2-D)", primary_metric="test_accuracy", higher_is_better=True,
        lab=LabUI(
            views=("decision", "trajectories", "field_a", "field_b", "theta"),
            main_views=("decision", "trajectories"), samples=((0.25, 0.1), (1.2, 0.4)),
            sample_range=(512, 64, 4096), batch_size=128, lr=1e-2, own_horizon=False,
            uses_noise=True, split=FractionSplit(),
            plot_bounds=square_around_annuli,
            default_model="ncode_open", opens=("lab",),
            compare_lesson="A NODE's flow deforms the plane without tearing it, so the ring still "
                           "encloses the disk after the flow and no line separates them; N-CODE "
                           "gives each point its own field and separates the classes.",
            tour=(TourStep(
                "Annuli torn apart by a bifurcation",
                "Inner disk vs outer annulus. A NODE's flow deforms the plane without tearing it: "
                "after the flow the ring still encloses the disk, so in 2-D no line separates "
                "them and the linear readout has to compromise. N-CODE switches the field between "
                "the classes (compare sample A and sample B) so the flow separates them cleanly. "
                "Then open the Bifurcation explorer.", "ncode_open"),),
        ),
    )

    def __init__(self, config: AnnuliConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        points, labels = sample_annuli(config, config.n_samples, step_generator(seed, -1))
        points = points.to(device=self.device, dtype=dtype)
        labels = labels.to(device=self.device, dtype=dtype)
        n_test = max(1, round(config.n_samples * config.test_fraction))
        self.x_test, self.y_test = points[:n_test], labels[:n_test]
        self.x_train, self.y_train = points[n_test:], labels[n_test:]

    def readout(self, flow: FlowModel) -> nn.Module:
        """Linear score of the whole final state (ANODE's augmented coordinates included)."""
        return nn.Linear(flat_size(flow.state_shape(self.input_shape)), 1)

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        if not self.config.fresh_batches:
            return self.minibatch(self.x_train, self.y_train, step, batch_size)
        points, labels = sample_annuli(self.config, batch_size, step_generator(self.seed, step))
        as_data = dict(device=self.device, dtype=self.dtype)
        return points.to(**as_data), labels.to(**as_data)

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        output, trajectory = model(x)
        score = output.squeeze(1)
        loss = F.mse_loss(score, y)
        return self.with_running_cost(loss, trajectory), {"accuracy": accuracy(score, y)}

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, float]:
        score = self.predict_in_batches(lambda x: model(x)[0].squeeze(1), self.x_test)
        return {"test_loss": float(F.mse_loss(score, self.y_test)),
                "test_accuracy": accuracy(score, self.y_test)}

    @torch.no_grad()
    def class_score(self, model: TaskModel, points: Tensor) -> Tensor:
        """Readout ``(N,)`` for points ``(N, 2)``: the soft decision map (0 inner, 1 outer)."""
        return model(points)[0].squeeze(1)


def accuracy(score: Tensor, labels: Tensor) -> float:
    """Fraction of ``score (N,)`` on the right side of 0.5 for 0/1 ``labels (N,)``."""
    return float(((score > 0.5).to(labels.dtype) == labels).to(torch.float64).mean())
