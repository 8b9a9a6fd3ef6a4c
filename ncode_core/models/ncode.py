"""N-CODE: the field's parameters theta are ODE state, per sample.

Open loop: ``theta(0) = gamma(x(0))`` and theta stays fixed. Closed loop: the control evolves by
``du/dt = g(t, x, u)`` from a learned constant or from ``gamma(x(0))`` (Eq. 4). In both, the state
is ``(x, u)`` and ``theta = decoder(u)``, where u is a control code, or u is theta itself and
there is no decoder (see :class:`~ncode_core.dynamics.ControlledSystem`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics.controllers import ConstantCode, Gamma, MLPControlLaw, ThetaDecoder
from ncode_core.dynamics.system import ControlledSystem
from ncode_core.models.base import FlowModel
from ncode_core.models.field_builders import FieldBuilder, Shape, flat_size
from ncode_core.models.info import ModelInfo


# Initial scale of the full closed-loop law's output layer: dtheta/dt acts on every weight
# directly, so it starts as small as the code form's decoder heads would.
FULL_LAW_SCALE = 0.1


class OpenLoopNCODE(FlowModel):
    """State ``(x, u)``: x ``(B, *shape)``, u ``(B, K)`` fixed at ``gamma(x(0))``."""

    family = "ncode_open"
    info = ModelInfo("N-CODE open loop", ("hidden", "gamma_hidden", "integration_time"))
    controlled = True

    def __init__(self, field: nn.Module, gamma: nn.Module, decoder: nn.Module | None,
                 solver: SolverConfig, integration_time: float):
        super().__init__(ControlledSystem(field, None, decoder), solver, integration_time)
        self.gamma = gamma

    @classmethod
    def build(cls, fields: FieldBuilder, shape: Shape, config: ModelConfig,
              solver: SolverConfig) -> "OpenLoopNCODE":
        """The task's controlled field; gamma (``gamma_hidden`` units) sets the control code
        that linear heads decode to theta."""
        field = fields.controlled_field(shape)
        decoder = ThetaDecoder(config.gamma_hidden, field.initial_theta())
        gamma = Gamma(flat_size(shape), config.gamma_hidden)
        return cls(field, gamma, decoder, solver, config.integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return x0, self.gamma(x0)


class ClosedLoopNCODE(FlowModel):
    """State ``(x, u)`` with ``du/dt = law(t, x, u)``; ``u(0) = initial(x(0))`` where
    ``initial`` is :class:`~ncode_core.dynamics.ConstantCode` (learned) or gamma; u is a code
    ``(B, K)`` with a decoder, theta ``(B, P)`` itself with ``decoder=None``."""

    family = "ncode_closed"
    info = ModelInfo("N-CODE closed loop", ("hidden", "gamma_hidden", "law_hidden", "theta0",
                                               "control", "integration_time"), theta_evolves=True)
    controlled = True

    def __init__(self, field: nn.Module, law: nn.Module, initial: nn.Module,
                 decoder: nn.Module | None, solver: SolverConfig, integration_time: float):
        super().__init__(ControlledSystem(field, law, decoder), solver, integration_time)
        self.initial = initial

    @classmethod
    def build(cls, fields: FieldBuilder, shape: Shape, config: ModelConfig,
              solver: SolverConfig) -> "ClosedLoopNCODE":
        """The task's controlled field and an MLP law of ``law_hidden`` units.

        ``model.control=code``: the law evolves gamma's code u (``gamma_hidden`` units) that
        linear heads decode to theta. ``model.control=full`` (the paper's closed loop): the law
        drives every field parameter, theta ``(B, P)`` itself is the state. theta(0) is a learned
        constant or ``gamma(x(0))`` (Eq. 4) by ``model.theta0``.
        """
        field = fields.controlled_field(shape)
        code, inputs = config.gamma_hidden, flat_size(shape)
        theta_base = field.initial_theta()
        decoder = ThetaDecoder(code, theta_base)
        if config.control == "code":
            law = MLPControlLaw(code, inputs, config.law_hidden)
            initial = (Gamma(inputs, code) if config.theta0 == "gamma"
                       else ConstantCode(torch.zeros(code)))
            return cls(field, law, initial, decoder, solver, config.integration_time)
        law = MLPControlLaw(field.theta_size, inputs, config.law_hidden,
                            output_scale=FULL_LAW_SCALE)
        initial = (nn.Sequential(Gamma(inputs, code), decoder) if config.theta0 == "gamma"
                   else ConstantCode(theta_base))
        return cls(field, law, initial, None, solver, config.integration_time)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        return x0, self.initial(x0)
