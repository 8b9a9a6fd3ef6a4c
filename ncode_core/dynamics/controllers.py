"""Controllers: gamma (open loop, ``theta(0) = gamma(x(0))``) and closed-loop laws
``dtheta/dt = g(theta, x, t)``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ncode_core.dynamics.fields import PositiveScalar


class Gamma(nn.Module):
    """Open-loop controller's first layer: the control code ``u(0) = tanh(W x(0) + b)``.

    With the system's :class:`ThetaDecoder` (linear heads) this is the paper's two-layer
    perceptron ``theta(0) = gamma(x(0))`` (C.2: hidden units, then one linear head per
    controlled weight). Only the ``code_dim`` hidden units are ODE state, not all of theta.
    Inputs of any per-sample shape are flattened here (``in_dim`` scalars per sample).
    """

    def __init__(self, in_dim: int, code_dim: int) -> None:
        super().__init__()
        self.layer = nn.Linear(in_dim, code_dim)

    def forward(self, x0: Tensor) -> Tensor:
        """x0: ``(B, *shape)`` with ``in_dim`` scalars per sample -> u0: ``(B, code_dim)``."""
        return torch.tanh(self.layer(x0.flatten(1)))


class ConstantCode(nn.Module):
    """A learned initial control shared by all samples (closed loop, fixed initialisation)."""

    def __init__(self, initial: Tensor) -> None:
        super().__init__()
        self.initial = nn.Parameter(initial.clone())

    def forward(self, x0: Tensor) -> Tensor:
        """x0: ``(B, D)`` (only its batch size is used) -> ``(B, K)``."""
        return self.initial.expand(x0.shape[0], -1)


class ThetaDecoder(nn.Linear):
    """Linear heads from control code to field parameters: ``theta = theta_base + H u``.

    The bias is ``theta_base``, an ordinary field initialisation, and ``H`` starts at
    ``head_scale`` times nn.Linear's scale. The default 1 is the plain perceptron of the paper's
    Appendix B: from the first step each sample's field differs enough for training to pull
    the classes apart (annuli: median 10 steps to 99 % vs 35 with heads at 0.1, at the same
    NFE; ``benchmarks/time_to_accuracy.py``). ``u (..., K) -> theta (..., P)``.
    """

    def __init__(self, code_dim: int, theta_base: Tensor, head_scale: float = 1.0) -> None:
        super().__init__(code_dim, theta_base.numel())
        with torch.no_grad():
            self.weight.mul_(head_scale)
            self.bias.copy_(theta_base)


class MLPControlLaw(nn.Module):
    """Generic closed-loop law ``du/dt = g(u, x, t) = MLP([u, x, t])`` on the control ``(B, K)``
    (the code of :class:`ThetaDecoder`, or theta itself when there is no decoder). x of any
    per-sample shape is flattened here (``x_dim`` scalars per sample).

    ``output_scale`` multiplies the last layer's initial weights and bias: a law acting on theta
    directly starts small, as the decoder's heads do, so every sample begins near one flow.
    """

    def __init__(self, control_dim: int, x_dim: int, hidden: int,
                 output_scale: float = 1.0) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(control_dim + x_dim + 1, hidden), nn.Tanh(), nn.Linear(hidden, control_dim)
        )
        with torch.no_grad():
            self.net[2].weight.mul_(output_scale)
            self.net[2].bias.mul_(output_scale)

    def forward(self, t: Tensor, x: Tensor, control: Tensor) -> Tensor:
        """t: ``()``, x: ``(B, *shape)``, control: ``(B, K)`` -> d control/dt ``(B, K)``."""
        time = t.to(x).expand(x.shape[0], 1)
        return self.net(torch.cat([control, x.flatten(1), time], dim=1))


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
