"""Vector fields.

A *controlled* field computes ``f(x; theta)`` where ``theta`` is a flat per-sample vector
``(B, P)``: every sample carries its own parameters, evaluated in one batched call (bmm), never a
loop over the batch. A *shared* field is an ordinary MLP whose weights are nn.Parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn


class SharedMLPField(nn.Module):
    """Plain MLP ``(B, in_dim) -> (B, out_dim)``: in -> hidden (tanh) -> out."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, out_dim))

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(B, in_dim)`` -> ``(B, out_dim)``."""
        return self.net(x)


ELEMENTWISE_MAX_DIM = 4  # state sizes up to this use the elementwise path of PerSampleMLPField


class PerSampleMLPField(nn.Module):
    """MLP field ``x -> W2 tanh(W1 x + b1) + b2`` whose weights come from theta, per sample.

    Layout of ``theta`` ``(B, P)`` with ``P = theta_size``: ``W1 (hidden, dim)``, ``b1 (hidden)``,
    ``W2 (dim, hidden)``, ``b2 (dim)``, flattened and concatenated in that order.
    """

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.dim = dim
        self.hidden = hidden
        self.theta_size = 2 * dim * hidden + hidden + dim

    def unpack(self, theta: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(B, P)`` -> ``W1 (B, h, d)``, ``b1 (B, h)``, ``W2 (B, d, h)``, ``b2 (B, d)``."""
        d, h = self.dim, self.hidden
        w1, b1, w2, b2 = torch.split(theta, (h * d, h, d * h, d), dim=1)
        return w1.reshape(-1, h, d), b1, w2.reshape(-1, d, h), b2

    def forward(self, x: Tensor, theta: Tensor) -> Tensor:
        """x: ``(B, dim)``, theta: ``(B, P)`` -> ``(B, dim)``."""
        return self._field(theta, held=False)(x)

    def bind(self, theta: Tensor) -> Callable[[Tensor], Tensor]:
        """The field of theta ``(B, P)`` as a function ``x (B, dim) -> (B, dim)``, theta
        unpacked once: a solve that holds theta fixed (open loop) calls it at every evaluation,
        and autograd then splits theta's gradient once per solve instead of once per call."""
        return self._field(theta, held=True)

    def _field(self, theta: Tensor, held: bool) -> Callable[[Tensor], Tensor]:
        """``x -> f(x; theta)``; ``held``: called many times with this theta."""
        w1, b1, w2, b2 = self.unpack(theta)
        if self.dim > ELEMENTWISE_MAX_DIM:
            def dense(x: Tensor) -> Tensor:
                hidden = torch.tanh(torch.baddbmm(b1.unsqueeze(2), w1, x.unsqueeze(2)))
                return torch.baddbmm(b2.unsqueeze(2), w2, hidden).squeeze(2)
            return dense
        # Small state (the toy tasks): batched products of tiny matrices are slow on CPU,
        # above all their backward (two bmm each); a fused multiply-add per input dimension and
        # a broadcast product summed over hidden units cost ~half (benchmarks/per_sample_fields).
        # W1's columns copied contiguous pay off only when reused: open-loop annuli steps ~8 %
        # faster (toy_speed); for a theta used once (closed loop) the copy cost ~5 %.
        columns = w1.transpose(1, 2).contiguous().unbind(1) if held else w1.unbind(2)

        def elementwise(x: Tensor) -> Tensor:
            pre = b1
            for j, column in enumerate(columns):
                pre = torch.addcmul(pre, column, x[:, j: j + 1])
            return (w2 * torch.tanh(pre).unsqueeze(1)).sum(dim=2) + b2
        return elementwise

    def initial_theta(self, generator: torch.Generator | None = None) -> Tensor:
        """One ``(P,)`` draw with nn.Linear's default scale (uniform +-1/sqrt(fan_in))."""
        d, h = self.dim, self.hidden

        def uniform(count: int, fan_in: int) -> Tensor:
            bound = 1.0 / math.sqrt(fan_in)
            return (torch.rand(count, generator=generator) * 2 - 1) * bound

        return torch.cat([uniform(h * d, d), uniform(h, d), uniform(d * h, h), uniform(d, h)])


class LinearField(nn.Module):
    """``f(x; theta) = theta x`` with theta a per-sample ``(dim, dim)`` matrix, flattened.

    With a tanh this is the field of Eq. 7's Hebbian memory (dx/dt = tanh(theta x)).
    """

    def __init__(self, dim: int, activation: nn.Module | None = None) -> None:
        super().__init__()
        self.dim = dim
        self.theta_size = dim * dim
        self.activation = activation if activation is not None else nn.Identity()

    def forward(self, x: Tensor, theta: Tensor) -> Tensor:
        """x: ``(B, dim)``, theta: ``(B, dim*dim)`` -> ``(B, dim)``."""
        matrix = theta.reshape(-1, self.dim, self.dim)
        return self.activation(torch.bmm(matrix, x.unsqueeze(2)).squeeze(2))


class PositiveScalar(nn.Module):
    """A learnable scalar kept positive by a log parameterisation (e.g. Van der Pol's mu)."""

    def __init__(self, initial: float) -> None:
        super().__init__()
        self.log_value = nn.Parameter(torch.tensor(math.log(initial)))

    def forward(self) -> Tensor:
        """Returns the scalar, shape ``()``."""
        return self.log_value.exp()


class VanDerPolField(nn.Module):
    """Fig. 3: ``dx/dt = mu (x - x^3/3 - theta)`` for 1-D x and 1-D theta ``(B, 1)``."""

    theta_size = 1

    def __init__(self, mu: PositiveScalar) -> None:
        super().__init__()
        self.mu = mu

    def forward(self, x: Tensor, theta: Tensor) -> Tensor:
        """x, theta: ``(B, 1)`` -> ``(B, 1)``."""
        return self.mu() * (x - x.pow(3) / 3 - theta)

