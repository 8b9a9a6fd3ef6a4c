"""solve(): accuracy against closed forms, NFE counting, and clear failures."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ncode_core.config import SolverConfig
from ncode_core.integrate import CountedVectorField, SolverError, solve

# (method, options, tolerance on the solution): adaptive methods at tight tolerances, fixed-grid
# methods at a step that their order makes accurate. Intermediate outputs come from each method's
# dense-output interpolant, which torchdiffeq builds at lower order for dopri8 and bosh3 (measured
# errors ~7e-7 and ~4e-6 here), hence their looser bounds.
CASES = [
    ("dopri5", {"rtol": 1e-10, "atol": 1e-10}, 1e-8),
    ("dopri8", {"rtol": 1e-10, "atol": 1e-10}, 1e-5),
    ("bosh3", {"rtol": 1e-9, "atol": 1e-9}, 2e-5),
    ("adaptive_heun", {"rtol": 1e-8, "atol": 1e-8, "max_num_steps": 100_000}, 1e-5),
    ("rk4", {"step_size": 1e-3}, 1e-9),
    ("midpoint", {"step_size": 1e-3}, 1e-5),
    ("euler", {"step_size": 1e-4}, 1e-3),
]


class LinearSystem(CountedVectorField):
    """dx/dt = A x for a fixed matrix A; state (x,), x (B, n)."""

    def __init__(self, matrix: torch.Tensor) -> None:
        super().__init__()
        self.matrix = nn.Parameter(matrix)

    def derivative(self, t, state):
        (x,) = state
        return (x @ self.matrix.T,)


@pytest.mark.parametrize("method, options, tolerance", CASES)
def test_linear_ode_matches_matrix_exponential(method, options, tolerance, float64):
    generator = torch.Generator().manual_seed(0)
    matrix = torch.randn(3, 3, generator=generator) * 0.5
    x0 = torch.randn(4, 3, generator=generator)
    times = torch.linspace(0, 1.5, 4)
    system = LinearSystem(matrix)
    (x,) = solve(system, (x0,), times, SolverConfig(method=method, **options))
    for index, t in enumerate(times):
        expected = x0 @ torch.linalg.matrix_exp(matrix * t).T
        assert torch.allclose(x[index], expected, atol=tolerance, rtol=0), method


def test_nfe_counts_forward_and_backward_and_reset(float64):
    system = LinearSystem(torch.tensor([[0.0, 1.0], [-1.0, 0.0]]))
    x0 = torch.ones(2, 2)
    times = torch.tensor([0.0, 1.0])
    fixed = SolverConfig(method="rk4", step_size=0.1)
    (x,) = solve(system, (x0,), times, fixed)
    assert system.nfe_forward == 40  # 10 steps x 4 stages
    x[-1].sum().backward()
    assert system.nfe_backward == 40  # one vector-Jacobian product per retained evaluation
    solve(system, (x0,), times, fixed)
    assert (system.nfe_forward, system.nfe_backward) == (40, 0)  # reset per call

    adjoint = SolverConfig(method="rk4", step_size=0.1, adjoint=True)
    (x,) = solve(system, (x0,), times, adjoint)
    assert system.nfe_forward == 40
    x[-1].sum().backward()
    assert system.nfe_backward == 40  # the adjoint solve re-evaluates the field backwards


class Blowup(CountedVectorField):
    """dx/dt = x^2 from x(0) = 1 blows up at t = 1."""

    def derivative(self, t, state):
        return (state[0] ** 2,)


def test_step_size_underflow_is_reported(float64):
    with pytest.raises(SolverError) as caught:
        solve(Blowup(), (torch.ones(1, 1),), torch.tensor([0.0, 2.0]),
              SolverConfig(rtol=1e-6, atol=1e-6, max_num_steps=100_000))
    assert caught.value.reason in ("step size underflow", "non-finite state")


def test_max_steps_exceeded_is_reported(float64):
    system = LinearSystem(torch.tensor([[0.0, 50.0], [-50.0, 0.0]]))
    with pytest.raises(SolverError) as caught:
        solve(system, (torch.ones(1, 2),), torch.tensor([0.0, 10.0]),
              SolverConfig(rtol=1e-8, atol=1e-8, max_num_steps=5))
    assert caught.value.reason == "max steps exceeded"
    assert "max steps exceeded" in str(caught.value)


def test_non_finite_state_is_reported(float64):
    with pytest.raises(SolverError) as caught:
        # Euler with step 1 on x' = x^2: 1, 2, 6, 42, 1806, ... overflows to inf within 20 steps
        solve(Blowup(), (torch.ones(1, 1),), torch.tensor([0.0, 20.0]),
              SolverConfig(method="euler", step_size=1.0))
    assert caught.value.reason == "non-finite state"
