"""Van der Pol (Fig. 3): fit trajectories of ``dx/dt = mu (x - x^3/3 - theta)``,
``dtheta/dt = x / mu`` observing x only.

With ``model_form=sysid`` (default) the N-CODE models are system identification, as in Fig. 3:
``ncode_closed`` is the true equations with one learnable mu (and theta(0) = 0, 2 parameters
counting its learned constant), so fitting recovers mu; ``ncode_open`` is the same 1-D field with
constant control theta = gamma(x(0)), which cannot oscillate, nor can any 1-D NODE. With
``model_form=generic`` the N-CODE models are the generic learned ones (per-sample MLP field,
MLP law for closed loop), as on the other toy tasks. Loss: MSE over all observation times (a
discretised running cost, Eq. 5).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from ncode_core.config import ModelConfig, SolverConfig, VanDerPolConfig
from ncode_core.dynamics.controllers import ConstantCode, Gamma, ThetaDecoder, VanDerPolLaw
from ncode_core.dynamics.fields import PositiveScalar, VanDerPolField
from ncode_core.integrate import solve
from ncode_core.models import FlowModel, SelectDims, TaskModel
from ncode_core.models.ncode import ClosedLoopNCODE, OpenLoopNCODE
from ncode_core.tasks.base import Task, step_generator
from ncode_core.tasks.ui import CountSplit, LabUI, TaskUI, TourStep

REFERENCE_SOLVER = SolverConfig(method="dopri5", rtol=1e-9, atol=1e-9, max_num_steps=100_000)


def vanderpol_reference(mu: float, x0, times) -> tuple[Tensor, Tensor]:
    """The reference solution, solved here only: x(t) and theta(t), each ``(T, B)`` float64,
    from x(0) = ``x0 (B,)``, theta(0) = 0 at ``times (T,)`` (tensors or array-likes), with
    the same field and law modules the models use (tolerance 1e-9)."""
    x0 = torch.as_tensor(x0, dtype=torch.float64).reshape(-1)
    times = torch.as_tensor(times, dtype=torch.float64)
    mu_module = PositiveScalar(mu).double()
    flow = ClosedLoopNCODE(VanDerPolField(mu_module), VanDerPolLaw(mu_module),
                           ConstantCode(torch.zeros(1, dtype=torch.float64)), None,
                           REFERENCE_SOLVER, float(times[-1]))
    with torch.no_grad():
        state0 = flow.initial_state(x0.unsqueeze(1))
        x, theta = solve(flow.system, state0, times, REFERENCE_SOLVER)
    return x[..., 0], theta[..., 0]


class VanDerPolTask(Task):
    """Trajectory fitting. Inputs x(0) ``(B, 1)``; targets x(t_i) ``(T, B)``.

    Metrics: ``test_mse`` over held-out initial conditions and, where the model has one, the
    learned ``mu`` next to ``mu_true``.
    """

    name = "vanderpol"
    config_model = VanDerPolConfig
    input_shape = (1,)
    metric_names = ("test_mse", "mu")
    description = ("Van der Pol oscillator (Fig. 3): system identification of mu; constant control "
                   "degenerates, dynamic theta fits")
    ui = TaskUI(
        label="Van der Pol (1-D)", primary_metric="test_mse", higher_is_better=False,
        lab=LabUI(
            views=("portrait", "theta"), main_views=("portrait",), samples=(),
            sample_range=(16, 4, 64), batch_size=16, lr=3e-2, own_horizon=True, uses_noise=True,
            split=CountSplit(least=1), plot_bounds=lambda c: (-c.x0_range, c.x0_range),
            default_model="ncode_closed",
            compare_lesson="A 1-D NODE cannot oscillate (a solution of one autonomous 1-D ODE is "
                           "monotone in time); the closed-loop N-CODE here is the Van der Pol system "
                           "itself with a learnable mu (system identification, as in Fig. 3).",
            tour=(TourStep(
                "Van der Pol: dynamic control fits an oscillation",
                "Observed x(t) of a Van der Pol oscillator. With a constant theta the 1-D model "
                "cannot oscillate; the closed loop dtheta/dt = x / mu is the Van der Pol system "
                "itself with a learnable mu (system identification, as in Fig. 3): it fits the "
                "target and learns mu.", "ncode_closed"),),
        ),
    )

    def __init__(self, config: VanDerPolConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        generator = step_generator(seed, -1)
        self.times64 = torch.linspace(0, config.horizon, config.n_times, dtype=torch.float64)

        def draw(count: int) -> tuple[Tensor, Tensor]:
            x0 = (torch.rand(count, generator=generator, dtype=torch.float64) * 2 - 1)
            x0 = x0 * config.x0_range
            target, _ = vanderpol_reference(config.mu_true, x0, self.times64)
            target = target + config.noise * torch.randn(target.shape, generator=generator,
                                                         dtype=torch.float64)
            as_data = dict(device=self.device, dtype=dtype)
            return x0.unsqueeze(1).to(**as_data), target.to(**as_data)

        self.x_train, self.y_train = draw(config.n_train)
        self.x_test, self.y_test = draw(config.n_test)
        self.times = self.times64.to(device=self.device, dtype=dtype)

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> TaskModel:
        """N-CODE: the Fig. 3 field with learnable mu; other families: the MLP field. All on
        [0, horizon]."""
        horizon = self.config.horizon
        sysid = self.config.model_form == "sysid"
        if sysid and family in (OpenLoopNCODE.family, ClosedLoopNCODE.family):
            mu = PositiveScalar(self.config.mu_init)
            field = VanDerPolField(mu)
            if family == OpenLoopNCODE.family:
                decoder = ThetaDecoder(config.gamma_hidden, torch.zeros(1))
                flow: FlowModel = OpenLoopNCODE(field, Gamma(1, config.gamma_hidden), decoder,
                                                solver, horizon)
            else:
                # theta itself is the state (no decoder): dtheta/dt = x / mu exactly as Fig. 3
                flow = ClosedLoopNCODE(field, VanDerPolLaw(mu), ConstantCode(torch.zeros(1)),
                                       None, solver, horizon)
        else:
            return super().build_model(
                family, config.model_copy(update={"integration_time": horizon}), solver)
        return TaskModel(flow, SelectDims(1))

    def predict(self, model: TaskModel, x0: Tensor) -> Tensor:
        """Model trajectories x(t_i) ``(T, B)`` from x(0) ``(B, 1)``."""
        return model.flow(x0, self.times).x[..., 0]

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        index = self.batch_indices(step, batch_size, self.x_train.shape[0])
        if index is None:
            return self.x_train, self.y_train
        return self.x_train[index], self.y_train[:, index]

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        trajectory = model.flow(x, self.times)
        loss = F.mse_loss(trajectory.x[..., 0], y)
        return self.with_running_cost(loss, trajectory), {"mse": float(loss.detach())}

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, float]:
        prediction = self.predict_in_batches(lambda x0: self.predict(model, x0), self.x_test, dim=1)
        mse = float(F.mse_loss(prediction, self.y_test))
        metrics = {"test_loss": mse, "test_mse": mse, "mu_true": self.config.mu_true}
        mu = getattr(model.flow.system.field, "mu", None)
        if isinstance(mu, PositiveScalar):
            metrics["mu"] = float(mu())
        return metrics
