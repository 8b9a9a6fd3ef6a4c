"""The project's only door to torchdiffeq: :func:`solve` with NFE counting and clear failures.

Forward NFE counts evaluations of the vector field while the forward solve runs. Backward NFE
counts evaluations needed by the backward pass: with the adjoint method, the field calls the
adjoint solver makes; with direct backpropagation, the vector-Jacobian products taken through
the field's graph (one per retained forward evaluation). Both are reset by every :func:`solve`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchdiffeq import odeint, odeint_adjoint

from ncode_core.config import SolverConfig

State = tuple[Tensor, ...]


class SolverError(RuntimeError):
    """The ODE solve failed. ``reason`` is one of ``step size underflow``,
    ``max steps exceeded`` or ``non-finite state``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"ODE solver failed: {reason}" + (f" ({detail})" if detail else ""))


class CountedVectorField(nn.Module):
    """Base of every ODE right-hand side: subclasses implement :meth:`derivative`;
    :meth:`forward` counts evaluations for :func:`solve`.

    Counters: ``nfe_forward`` (calls during the forward solve) and ``nfe_backward`` (calls made
    by the adjoint solver, or vector-Jacobian products taken by direct backprop).
    """

    def __init__(self) -> None:
        super().__init__()
        self.nfe_forward = 0
        self.nfe_backward = 0
        self.in_forward_solve = False
        self.count_vjps = False

    def reset_nfe(self) -> None:
        """Zero both counters."""
        self.nfe_forward = 0
        self.nfe_backward = 0

    def derivative(self, t: Tensor, state: State) -> State:
        """d state / dt; tensors shaped like ``state``."""
        raise NotImplementedError

    def forward(self, t: Tensor, state: State) -> State:
        if self.in_forward_solve:
            self.nfe_forward += 1
        else:
            self.nfe_backward += 1
        derivative = self.derivative(t, state)
        if self.count_vjps and torch.is_grad_enabled():
            derivative = _CountVJP.apply(self, *derivative)
        return derivative


class _CountVJP(torch.autograd.Function):
    """Identity whose backward increments ``counter.nfe_backward`` (one VJP through the field)."""

    @staticmethod
    def forward(ctx, counter: CountedVectorField, *tensors: Tensor):
        ctx.counter = counter
        return tuple(t.view_as(t) for t in tensors)

    @staticmethod
    def backward(ctx, *grads: Tensor):
        ctx.counter.nfe_backward += 1
        return (None, *grads)


def _solver_options(config: SolverConfig, times: Tensor) -> dict:
    if config.adaptive:
        return {"max_num_steps": config.max_num_steps}
    span = float(times[-1] - times[0])
    step = config.step_size if config.step_size is not None else abs(span) / 10
    return {"step_size": step}


def solve(field: CountedVectorField, state0: State, times: Tensor, config: SolverConfig) -> State:
    """Integrate ``d state / dt = field(t, state)`` from ``state0`` at ``times``.

    Args:
        field: the right-hand side; its NFE counters are reset and filled by this call.
        state0: tuple of tensors, each ``(B, ...)``.
        times: ``(T,)`` increasing output times; ``times[0]`` is the initial time.
        config: method, tolerances, fixed step, adjoint switch, step budget.

    Returns:
        Tuple matching ``state0``, each tensor ``(T, B, ...)``.

    Raises:
        SolverError: step-size underflow, step budget exceeded, or a non-finite state.
    """
    field.reset_nfe()
    field.count_vjps = not config.adjoint
    options = _solver_options(config, times)
    integrator = odeint_adjoint if config.adjoint else odeint
    extra = {"adjoint_options": dict(options)} if config.adjoint else {}
    field.in_forward_solve = True
    try:
        states = integrator(
            field, state0, times, rtol=config.rtol, atol=config.atol,
            method=config.method, options=options, **extra,
        )
    except (AssertionError, RuntimeError) as error:
        failure = _classify_failure(error)
        if failure is None:
            raise
        raise failure from error
    finally:
        field.in_forward_solve = False
    if not all(bool(torch.isfinite(s).all()) for s in states):
        raise SolverError("non-finite state", "NaN or inf in the solution")
    return states


def _classify_failure(error: Exception) -> SolverError | None:
    """Map torchdiffeq's assertion/runtime messages to a SolverError; None if unrelated."""
    message = str(error)
    if "underflow" in message:
        return SolverError("step size underflow", message)
    if "max_num_steps" in message:
        return SolverError("max steps exceeded", message)
    if "nan" in message.lower() or "inf" in message.lower():
        return SolverError("non-finite state", message)
    return None
