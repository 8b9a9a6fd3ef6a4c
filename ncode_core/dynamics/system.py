"""The coupled right-hand sides solved by the models.

Every system's ODE state is a tuple ``(x, *context)``: ``context`` is ``()`` for a NODE,
``(x0,)`` for the data-controlled NODE and ``(u,)`` for N-CODE (its control: a code decoded to
theta, or theta itself). With a running cost ``l(t, x, theta) -> (B,)`` (Eq. 5) the state gains
one last component, the accumulated cost, so the adjoint method differentiates the integral like
any other state.

Open-loop N-CODE solved with direct backprop may instead hold its constant control outside the
state (:meth:`FlowSystem.holding_context`): the state is then ``(x,)`` plus the cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import torch
from torch import Tensor, nn

from ncode_core.integrate import CountedVectorField, State


class FlowSystem(CountedVectorField):
    """Base: adds the optional running-cost component around :meth:`core_derivative`."""

    def __init__(self) -> None:
        super().__init__()
        self.running_cost: nn.Module | None = None

    @property
    def context_is_constant(self) -> bool:
        """True when ``d context / dt = 0`` and :meth:`holding_context` can take the context
        out of the state."""
        return False

    def holding_context(self, context: State) -> AbstractContextManager[None]:
        """Within the block the state is ``(x,)`` (plus the cost), ``context`` held fixed;
        only for a system whose :attr:`context_is_constant`."""
        raise ValueError(f"{type(self).__name__} cannot hold its context: it is not constant")

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        """d(x, *context)/dt without the cost component."""
        raise NotImplementedError

    def field_parameters(self, context: State) -> Tensor | None:
        """Per-sample field parameters theta ``(B, P)`` for ``context``; None without control."""
        return None

    def derivative(self, t: Tensor, state: State) -> State:
        core = state[:-1] if self.running_cost is not None else state
        x, context = core[0], tuple(core[1:])
        derivative = self.core_derivative(t, x, context)
        if self.running_cost is None:
            return derivative
        return (*derivative, self.running_cost(t, x, self.field_parameters(context)))


class AutonomousSystem(FlowSystem):
    """NODE / ANODE: ``dx/dt = f(x)`` with shared weights. State ``(x,)``, x ``(B, *shape)``."""

    def __init__(self, field: nn.Module) -> None:
        super().__init__()
        self.field = field

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        return (self.field(x),)


class DataControlledSystem(FlowSystem):
    """Massaroli et al.: ``dx/dt = f([x, x0])``, concatenated along the first per-sample axis
    (features or channels). State ``(x, x0)``, both ``(B, *shape)``; x0 constant."""

    def __init__(self, field: nn.Module) -> None:
        super().__init__()
        self.field = field

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        (x0,) = context
        return self.field(torch.cat([x, x0], dim=1)), torch.zeros_like(x0)


class ControlledSystem(FlowSystem):
    """N-CODE: ``dx/dt = f(x; theta(u))`` and ``du/dt = g(t, x, u)`` (0 for open loop).

    State ``(x, u)``: x ``(B, *shape)``, u ``(B, K)`` the control. With a decoder, u is a control
    code and ``theta(u) = decoder(u)`` (``model.control=code``); without one, u is theta itself,
    every field parameter ``(B, P)`` (``model.control=full``, the paper's closed loop). For open
    loop the two are the same model (gamma's last layer is linear and theta stays constant); the
    code keeps the solver's per-step arithmetic proportional to ``D + K`` instead of ``D + P``,
    and with direct backprop :meth:`holding_context` takes u out of the state altogether.
    """

    def __init__(self, field: nn.Module, law: nn.Module | None = None,
                 decoder: nn.Module | None = None) -> None:
        super().__init__()
        self.field = field
        self.law = law
        self.decoder = decoder
        # thread id -> (theta, bound field) while that thread's solve holds its control: the
        # dashboard may run one model in two threads at once (an interrupted script run still
        # finishing a training chunk while the next draws the views)
        self.held: dict[int, tuple[Tensor, Callable[[Tensor], Tensor]]] = {}

    @property
    def context_is_constant(self) -> bool:
        return self.law is None

    def theta(self, control: Tensor) -> Tensor:
        """Field parameters ``(..., P)`` for control ``(..., K)``."""
        return control if self.decoder is None else self.decoder(control)

    @contextmanager
    def holding_context(self, context: State) -> Iterator[None]:
        """Open loop: within the block the state is ``(x,)`` (plus the cost) and theta, decoded
        once from the control ``context = (u,)``, u ``(B, K)``, is held fixed for every
        evaluation.

        The same function and gradients as the state ``(x, u)`` with ``du/dt = 0``, without
        decoding theta at every evaluation nor carrying u through the solver's arithmetic.
        Direct backprop only: theta is no ODE state nor parameter, so the adjoint would drop
        its gradient. Adaptive solvers accept the same steps (their error norm is a max over
        the state's components and u's error is 0), but dopri5's first trial step weighs every
        component of the initial state: where u's scale outweighs x's (reflection, seeds 0-1)
        the first step and x(T) differ within the tolerance (4e-5 at 1e-3, same NFE); on
        annuli x(T) is bitwise the same. Held per thread: solves of one model in several
        threads at once each see their own theta.
        """
        if not self.context_is_constant:
            raise ValueError("only an open-loop system (no control law) can hold its control")
        (control,) = context
        theta = self.theta(control)
        thread = threading.get_ident()
        self.held[thread] = (theta, bind_field(self.field, theta))
        try:
            yield
        finally:
            del self.held[thread]

    def field_parameters(self, context: State) -> Tensor:
        held = self.held.get(threading.get_ident())
        return held[0] if held is not None else self.theta(context[0])

    def core_derivative(self, t: Tensor, x: Tensor, context: State) -> State:
        held = self.held.get(threading.get_ident())
        if held is not None:
            return (held[1](x),)
        (control,) = context
        dx = self.field(x, self.theta(control))
        if self.law is None:
            return dx, torch.zeros_like(control)
        return dx, self.law(t, x, control)


def bind_field(field: nn.Module, theta: Tensor) -> Callable[[Tensor], Tensor]:
    """``x -> field(x, theta)`` for theta ``(B, P)``: the field's own ``bind`` where it has one
    (it unpacks theta once), else a plain closure."""
    bind = getattr(field, "bind", None)
    return bind(theta) if bind is not None else lambda x: field(x, theta)


class QuadraticCost(nn.Module):
    """Running cost ``l(t, x, theta) = x_weight |x|^2 + theta_weight |theta|^2`` per sample,
    ``(B,)`` (Eq. 5), for x ``(B, *shape)`` of any shape. ``theta (B, P)`` are the field parameters the system reports (always all of
    them, never the control code), None for a system without control.

    Set it as ``flow.system.running_cost`` and the Trajectory's ``cost`` holds its integral
    over [0, T], differentiable by direct backprop or the adjoint.
    """

    def __init__(self, x_weight: float = 1.0, theta_weight: float = 0.0) -> None:
        super().__init__()
        self.x_weight = x_weight
        self.theta_weight = theta_weight

    def forward(self, t: Tensor, x: Tensor, theta: Tensor | None) -> Tensor:
        """x ``(B, *shape)``, theta ``(B, P)`` or None -> cost rate ``(B,)``."""
        cost = self.x_weight * x.flatten(1).pow(2).sum(dim=1)
        if theta is not None and self.theta_weight:
            cost = cost + self.theta_weight * theta.flatten(1).pow(2).sum(dim=1)
        return cost
