"""N-CODE: the field's parameters theta are ODE state, per sample.

Open loop: ``theta(0) = gamma(x(0))``, ``dtheta/dt = 0``. Closed loop: ``dtheta/dt = g(t, x, theta)``
with ``theta(0)`` a learned constant or ``gamma(x(0))``.
"""

from __future__ import annotations

from torch import Tensor, nn

from ncode_core.config import SolverConfig
from ncode_core.dynamics.system import ControlledSystem
from ncode_core.models.base import FlowModel


class OpenLoopNCODE(FlowModel):
    """State ``(x, theta)``: x ``(B, d)``, theta ``(B, P)`` fixed at ``gamma(x(0))``."""

    family = "ncode_open"
    controlled = True

    def __init__(self, field: nn.Module, gamma: nn.Module, solver: SolverConfig,
                 integration_time: float):
        super().__init__(ControlledSystem(field), solver, integration_time)
        self.gamma = gamma

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return x0, self.gamma(x0)


class ClosedLoopNCODE(FlowModel):
    """State ``(x, theta)`` with ``dtheta/dt = law(t, x, theta)``; ``theta(0) = theta0(x(0))``
    where ``theta0`` is :class:`~ncode_core.dynamics.ConstantTheta0` or a Gamma."""

    family = "ncode_closed"
    controlled = True

    def __init__(self, field: nn.Module, law: nn.Module, theta0: nn.Module,
                 solver: SolverConfig, integration_time: float):
        super().__init__(ControlledSystem(field, law), solver, integration_time)
        self.theta0 = theta0

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return x0, self.theta0(x0)
