"""Shared machinery of the continuous-time models: solve the system, return a Trajectory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor, nn

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics.system import FlowSystem
from ncode_core.integrate import solve
from ncode_core.models.field_builders import FieldBuilder, Shape
from ncode_core.models.info import ModelInfo


@dataclass
class Trajectory:
    """A solved flow.

    Attributes:
        times: ``(T,)`` output times.
        x: ``(T, B, *state_shape)`` state (ANODE's includes its augmented dimensions).
        context: per-sample extra state, each ``(T, B, ...)``: ``(u,)`` (the control: a
            code or theta itself) for N-CODE, ``(x0,)`` for the data-controlled NODE, ``()`` for NODE/ANODE.
        cost: ``(B,)`` running cost integrated over ``[times[0], times[-1]]``, or None.
    """

    times: Tensor
    x: Tensor
    context: tuple[Tensor, ...]
    cost: Tensor | None = None


class FlowModel(nn.Module):
    """Base of NODE, ANODE, NODE-DC and N-CODE: maps x(0) to a :class:`Trajectory`.

    Subclasses set ``family`` (the registry key), ``controlled`` (True when the context is a
    per-sample theta), ``info`` (label and options, :class:`ModelInfo`) and implement
    :meth:`build` and :meth:`initial_state`. States are
    ``(B, *shape)`` for any per-sample shape the task's field handles.
    """

    family = ""
    controlled = False
    info: ClassVar[ModelInfo]

    def __init__(self, system: FlowSystem, solver: SolverConfig, integration_time: float) -> None:
        super().__init__()
        self.system = system
        self.solver = solver
        self.integration_time = integration_time

    @classmethod
    def build(cls, fields: FieldBuilder, shape: Shape, config: ModelConfig,
              solver: SolverConfig) -> "FlowModel":
        """This family around the field architecture ``fields`` builds, on states
        ``(B, *shape)``, with the sizes of ``config``."""
        raise NotImplementedError

    def state_shape(self, data_shape: Shape) -> Shape:
        """Per-sample shape of x in the ODE for inputs of ``data_shape`` (ANODE augments it)."""
        return tuple(data_shape)

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        """``x0 (B, *shape)`` -> ODE state at t = 0, ``(x, *context)``."""
        raise NotImplementedError

    def default_times(self, reference: Tensor) -> Tensor:
        """``(2,)`` tensor ``[0, T]`` on ``reference``'s device and dtype."""
        return torch.tensor([0.0, self.integration_time], dtype=reference.dtype,
                            device=reference.device)

    def forward(self, x0: Tensor, times: Tensor | None = None) -> Trajectory:
        """x0 ``(B, *shape)`` -> Trajectory at ``times`` (default ``[0, T]``)."""
        times = self.default_times(x0) if times is None else times
        state0 = self.initial_state(x0)
        if self.solver.adjoint or not self.system.context_is_constant:
            states, cost = self._solve(state0, times)
            return Trajectory(times, states[0], states[1:], cost)
        # A constant context (open-loop control) with direct backprop: solve x alone, the
        # context held outside the state (the adjoint needs it in the state); its path repeats
        # the initial value at each time.
        x, *context = state0
        with self.system.holding_context(tuple(context)):
            (path,), cost = self._solve((x,), times)
        return Trajectory(times, path, tuple(c.expand(len(times), *c.shape) for c in context),
                          cost)

    def _solve(self, state0: tuple[Tensor, ...],
               times: Tensor) -> tuple[tuple[Tensor, ...], Tensor | None]:
        """Solve from ``state0`` (each ``(B, ...)``) -> (states ``(T, B, ...)``, running cost
        ``(B,)`` over the solve or None), adding the cost component where the system has one."""
        if self.system.running_cost is None:
            return solve(self.system, state0, times, self.solver), None
        *states, cost = solve(self.system, (*state0, state0[0].new_zeros(state0[0].shape[0])),
                              times, self.solver)
        return tuple(states), cost[-1] - cost[0]

    def field_at(self, t: float, x: Tensor, context: tuple[Tensor, ...]) -> Tensor:
        """Evaluate dx/dt at points ``x (N, *state_shape)`` for one sample's context (each
        ``(N, ...)``).

        Used to draw the vector field a given sample's theta induces; not counted as NFE.
        """
        time = torch.as_tensor(t, dtype=x.dtype, device=x.device)
        return self.system.core_derivative(time, x, context)[0]

    def theta(self, trajectory: Trajectory) -> Tensor | None:
        """Field parameters along a trajectory ``(T, B, P)`` for N-CODE models, else None."""
        if not self.controlled:
            return None
        return self.system.theta(trajectory.context[0])

    @property
    def nfe(self) -> tuple[int, int]:
        """(forward, backward) function evaluations of the last solve / backward pass."""
        return self.system.nfe_forward, self.system.nfe_backward


def parameter_count(module: nn.Module) -> int:
    """Number of trainable scalars of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class SelectDims(nn.Module):
    """Readout that returns the first ``count`` scalars of each flattened state:
    ``(B, *shape) -> (B, count)``."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1)[:, : self.count]


class TaskModel(nn.Module):
    """A flow plus the task's readout of the final state: what training optimises and saves.

    Reports the flow's solver evaluations as :attr:`nfe` (the Trainer reads that, so models
    that are not ODEs, e.g. recurrent baselines, simply do not define it).
    """

    def __init__(self, flow: FlowModel, readout: nn.Module) -> None:
        super().__init__()
        self.flow = flow
        self.readout = readout

    def forward(self, x0: Tensor) -> tuple[Tensor, Trajectory]:
        """x0 ``(B, *shape)`` -> (readout of x(T) ``(B, out)``, trajectory)."""
        trajectory = self.flow(x0)
        return self.readout(trajectory.x[-1]), trajectory

    @property
    def nfe(self) -> tuple[int, int]:
        """(forward, backward) function evaluations of the flow's last solve / backward pass."""
        return self.flow.nfe
