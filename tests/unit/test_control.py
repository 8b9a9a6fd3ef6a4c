"""Open vs closed loop (Sec. 3.1) and Proposition 1 (Appendix A.1), computed numerically."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ncode_core.config import ModelConfig, SolverConfig
from ncode_core.dynamics import ConstantCode
from ncode_core.integrate import solve
from ncode_core.models import ClosedLoopNCODE, MLPFieldBuilder, OpenLoopNCODE, build_flow

TIGHT = SolverConfig(method="dopri5", rtol=1e-10, atol=1e-10)


def _theta_after_perturbation(flow, x0: torch.Tensor, kick: float) -> torch.Tensor:
    """theta(T) when x(T/2) is shifted by ``kick`` mid-trajectory."""
    half = flow.integration_time / 2
    x_mid, u_mid = (s[-1] for s in solve(flow.system, flow.initial_state(x0),
                                         torch.tensor([0.0, half]), TIGHT))
    _, u_end = solve(flow.system, (x_mid + kick, u_mid),
                     torch.tensor([half, flow.integration_time]), TIGHT)
    return flow.system.theta(u_end[-1])


@pytest.mark.parametrize("family, reacts", [("ncode_open", False), ("ncode_closed", True)])
def test_theta_reacts_to_perturbed_state_only_in_closed_loop(family, reacts, float64):
    torch.manual_seed(0)
    flow = build_flow(family, MLPFieldBuilder(8), (2,), ModelConfig(gamma_hidden=4), TIGHT).double()
    x0 = torch.randn(5, 2)
    with torch.no_grad():
        unperturbed = _theta_after_perturbation(flow, x0, 0.0)
        perturbed = _theta_after_perturbation(flow, x0, 0.5)
        theta0 = flow.system.theta(flow.initial_state(x0)[1])
    change = (perturbed - unperturbed).abs().max().item()
    if reacts:
        assert change > 1e-3
    else:
        assert change == 0.0
        # open loop: theta(t) = gamma(x(0)) throughout
        assert torch.allclose(unperturbed, theta0, rtol=0, atol=1e-12)


class MinusTheta(nn.Module):
    """f(x, theta) = -theta (Appendix A.1, open loop)."""

    def forward(self, x, theta):
        return -theta


class ThetaField(nn.Module):
    """f(x, theta) = theta (Appendix A.1, closed loop: x' = theta)."""

    def forward(self, x, theta):
        return theta


class MinusX(nn.Module):
    """g(t, x, theta) = -x (closed loop: theta' = -x, so x'' = -x)."""

    def forward(self, t, x, theta):
        return -x


def test_proposition_1_open_loop_is_not_injective(float64):
    """theta = gamma(x(0)) = x(0), f = -theta, T = 1: Phi(x0) = x0 - x0 T = 0 for every x0."""
    flow = OpenLoopNCODE(MinusTheta(), nn.Identity(), None, TIGHT, 1.0)
    x_end = flow(torch.tensor([[0.0], [1.0], [-2.5]])).x[-1]
    assert torch.allclose(x_end, torch.zeros(3, 1), atol=1e-9)


def test_proposition_1_closed_loop_is_not_injective(float64):
    """x' = theta, theta' = -x, theta(0) = 0: x(t) = x0 cos t, so x(pi/2) = 0 for every x0."""
    flow = ClosedLoopNCODE(ThetaField(), MinusX(), ConstantCode(torch.zeros(1)), None, TIGHT,
                           math.pi / 2)
    x0 = torch.linspace(-2, 2, 7).unsqueeze(1)
    times = torch.linspace(0, math.pi / 2, 5)
    trajectory = flow(x0, times)
    assert torch.allclose(trajectory.x[-1], torch.zeros(7, 1), atol=1e-9)
    expected = x0.squeeze(1) * torch.cos(times).unsqueeze(1)
    assert torch.allclose(trajectory.x[..., 0], expected, atol=1e-9)
