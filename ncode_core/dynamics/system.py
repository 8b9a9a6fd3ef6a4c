"""The coupled right-hand sides solved by the models.

Every system's ODE state is a tuple ``(x, *context)``: ``context`` is ``()`` for a NODE,
``(x0,)`` for the data-controlled NODE and ``(theta,)`` for N-CODE. With a running cost
``l(t, x, context) -> (B,)`` (Eq. 5) the state gains one last component, the accumulated cost,
so the adjoint method differentiates the integral like any other state.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ncode_core.integrate import CountedVectorField, State


class FlowSystem(CountedVectorField):
    """Base: adds the optional running-cost component around :meth:`core_derivative`."""

    def __init__(self) -> None:
        super().__init__()
        self.running_cost: nn.Module | None = None

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        """d(x, *context)/dt without the cost component."""
        raise NotImplementedError

    def derivative(self, t: Tensor, state: State) -> State:
        core = state[:-1] if self.running_cost is not None else state
        x, context = core[0], tuple(core[1:])
        derivative = self.core_derivative(t, x, context)
        if self.running_cost is None:
            return derivative
        return (*derivative, self.running_cost(t, x, context))


class AutonomousSystem(FlowSystem):
    """NODE / ANODE: ``dx/dt = f(x)`` with shared weights. State ``(x,)``, x ``(B, D)``."""

    def __init__(self, field: nn.Module) -> None:
        super().__init__()
        self.field = field

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        return (self.field(x),)


class DataControlledSystem(FlowSystem):
    """Massaroli et al.: ``dx/dt = f([x, x0])``. State ``(x, x0)``, both ``(B, D)``; x0 constant."""

    def __init__(self, field: nn.Module) -> None:
        super().__init__()
        self.field = field

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        (x0,) = context
        return self.field(torch.cat([x, x0], dim=1)), torch.zeros_like(x0)


class ControlledSystem(FlowSystem):
    """N-CODE: ``dx/dt = f(x; theta)``, ``dtheta/dt = g(t, x, theta)`` (0 for open loop).

    State ``(x, theta)``: x ``(B, D)``, theta ``(B, P)``.
    """

    def __init__(self, field: nn.Module, law: nn.Module | None = None) -> None:
        super().__init__()
        self.field = field
        self.law = law

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        (theta,) = context
        dx = self.field(x, theta)
        dtheta = torch.zeros_like(theta) if self.law is None else self.law(t, x, theta)
        return dx, dtheta
