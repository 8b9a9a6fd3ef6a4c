"""N-CODE: the field's parameters theta are ODE state, per sample.

Open loop: ``theta(0) = gamma(x(0))`` and theta stays fixed. Closed loop: the control evolves by
``du/dt = g(t, x, u)`` from a learned constant or from ``gamma(x(0))`` (Eq. 4). In both, the state
is ``(x, u)`` and ``theta = decoder(u)``, where u is a control code, or u is theta itself and
there is no decoder (see :class:`~ncode_core.dynamics.ControlledSystem`).
"""

from __future__ import annotations

from torch import Tensor, nn

from ncode_core.config import SolverConfig
from ncode_core.dynamics.system import ControlledSystem
from ncode_core.models.base import FlowModel


class OpenLoopNCODE(FlowModel):
    """State ``(x, u)``: x ``(B, d)``, u ``(B, K)`` fixed at ``gamma(x(0))``."""

    family = "ncode_open"
    controlled = True

    def __init__(self, field: nn.Module, gamma: nn.Module, decoder: nn.Module | None,
                 solver: SolverConfig, integration_time: float):
        super().__init__(ControlledSystem(field, None, decoder), solver, integration_time)
        self.gamma = gamma

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return x0, self.gamma(x0)


class ClosedLoopNCODE(FlowModel):
    """State ``(x, u)`` with ``du/dt = law(t, x, u)``; ``u(0) = initial(x(0))`` where
    ``initial`` is :class:`~ncode_core.dynamics.ConstantCode` (learned) or gamma; u is a code
    ``(B, K)`` with a decoder, theta ``(B, P)`` itself with ``decoder=None``."""

    family = "ncode_closed"
    controlled = True

    def __init__(self, field: nn.Module, law: nn.Module, initial: nn.Module,
                 decoder: nn.Module | None, solver: SolverConfig, integration_time: float):
        super().__init__(ControlledSystem(field, law, decoder), solver, integration_time)
        self.initial = initial

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return x0, self.initial(x0)
