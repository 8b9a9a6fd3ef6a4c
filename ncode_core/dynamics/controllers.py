"""Controllers: gamma (open loop, ``theta(0) = gamma(x(0))``) and closed-loop laws
``dtheta/dt = g(theta, x, t)``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ncode_core.dynamics.fields import PositiveScalar


class Gamma(nn.Module):
    """``theta(0) = theta_base + head(tanh(W x(0) + b))``: a 2-layer perceptron around a base.

    ``theta_base`` starts at an ordinary field initialisation so every sample begins with a
    sensible flow; the head learns how x(0) deforms it.
    """

    def __init__(self, in_dim: int, theta_size: int, hidden: int, theta_base: Tensor) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh())
        self.head = nn.Linear(hidden, theta_size)
        self.theta_base = nn.Parameter(theta_base.clone())

    def forward(self, x0: Tensor) -> Tensor:
        """x0: ``(B, in_dim)`` -> theta0: ``(B, theta_size)``."""
        return self.theta_base + self.head(self.encoder(x0))


class ConstantTheta0(nn.Module):
    """A learned theta(0) shared by all samples (closed loop with a fixed initialisation)."""

    def __init__(self, theta_base: Tensor) -> None:
        super().__init__()
        self.theta_base = nn.Parameter(theta_base.clone())

    def forward(self, x0: Tensor) -> Tensor:
        """x0: ``(B, D)`` (only its batch size is used) -> ``(B, P)``."""
        return self.theta_base.expand(x0.shape[0], -1)


class MLPControlLaw(nn.Module):
    """Generic closed-loop law ``g(theta, x, t) = MLP([theta, x, t])``, ``(B, P)``."""

    def __init__(self, theta_size: int, x_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(theta_size + x_dim + 1, hidden), nn.Tanh(), nn.Linear(hidden, theta_size)
        )

    def forward(self, t: Tensor, x: Tensor, theta: Tensor) -> Tensor:
        """t: ``()``, x: ``(B, D)``, theta: ``(B, P)`` -> dtheta/dt ``(B, P)``."""
        time = t.to(x).expand(x.shape[0], 1)
        return self.net(torch.cat([theta, x, time], dim=1))


class VanDerPolLaw(nn.Module):
    """Fig. 3: ``dtheta/dt = x / mu`` with mu shared with the field."""

    def __init__(self, mu: PositiveScalar) -> None:
        super().__init__()
        self.mu = mu

    def forward(self, t: Tensor, x: Tensor, theta: Tensor) -> Tensor:
        """x, theta: ``(B, 1)`` -> ``(B, 1)``."""
        return x / self.mu()


class HebbianLaw(nn.Module):
    """Eq. 7: ``dtheta/dt = mu * (x x^T)`` elementwise, theta a flat ``(B, n*n)`` matrix."""

    def __init__(self, dim: int, initial_gain: float = 0.1) -> None:
        super().__init__()
        self.dim = dim
        self.mu = nn.Parameter(torch.full((dim, dim), initial_gain))

    def forward(self, t: Tensor, x: Tensor, theta: Tensor) -> Tensor:
        """x: ``(B, n)``, theta: ``(B, n*n)`` -> ``(B, n*n)``."""
        outer = x.unsqueeze(2) * x.unsqueeze(1)
        return (self.mu * outer).reshape(x.shape[0], -1)
