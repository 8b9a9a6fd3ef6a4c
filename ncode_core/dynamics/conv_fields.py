"""The image tasks' vector field (paper C.2): a ResNet-like conv block 1x1 -> 3x3 -> 1x1 with
ReLU between the convolutions and size-preserving padding, in a shared and a per-sample form.

The per-sample form takes the controlled kernels from theta ``(B, P)`` and runs each controlled
convolution as ONE grouped convolution over the whole batch: the batch is folded into the channel
axis (``(B, C, H, W) -> (1, B*C, H, W)``) and the B kernels stacked along the output channels
with ``groups=B``, so sample b only meets kernel b. Kernels that are not controlled are ordinary
parameters shared by every sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Literal, get_args

import torch
from torch import Tensor, nn
from torch.nn import functional as F

ControlledKernels = Literal["all", "3x3"]
CONTROLLED_KERNEL_CHOICES: tuple[str, ...] = get_args(ControlledKernels)
KERNEL_NAMES = ("in_1x1", "mid_3x3", "out_1x1")


def conv_block_layers(in_channels: int, filters: int, out_channels: int) -> list[nn.Conv2d]:
    """The block's three convolutions: ``in -> filters`` (1x1), ``filters -> filters`` (3x3,
    padding 1), ``filters -> out`` (1x1), each with a bias."""
    return [nn.Conv2d(in_channels, filters, 1), nn.Conv2d(filters, filters, 3, padding=1),
            nn.Conv2d(filters, out_channels, 1)]


class SharedConvField(nn.Module):
    """``(B, in_channels, H, W) -> (B, out_channels, H, W)``: conv 1x1, ReLU, conv 3x3, ReLU,
    conv 1x1, with weights shared by all samples (NODE, ANODE, NODE-DC)."""

    def __init__(self, in_channels: int, filters: int, out_channels: int) -> None:
        super().__init__()
        first, middle, last = conv_block_layers(in_channels, filters, out_channels)
        self.net = nn.Sequential(first, nn.ReLU(), middle, nn.ReLU(), last)

    def forward(self, x: Tensor) -> Tensor:
        """x: ``(B, in_channels, H, W)`` -> ``(B, out_channels, H, W)``."""
        return self.net(x)


class PerSampleConvField(nn.Module):
    """The conv block on ``(B, channels, H, W)`` whose controlled kernels come from theta.

    ``controlled="all"`` (the paper's "NCODE") takes all three convolutions from theta;
    ``"3x3"`` ("NCODE 3x3") only the middle one, the two 1x1 convolutions being shared
    parameters. Layout of theta ``(B, P)``, ``P = theta_size``: for each controlled convolution
    in block order, its weight ``(out, in, k, k)`` then its bias ``(out,)``, flattened and
    concatenated.
    """

    def __init__(self, channels: int, filters: int, controlled: ControlledKernels = "all") -> None:
        super().__init__()
        if controlled not in CONTROLLED_KERNEL_CHOICES:
            raise ValueError(f"controlled: {controlled!r} is not one of {CONTROLLED_KERNEL_CHOICES}")
        self.channels = channels
        self.filters = filters
        self.controlled = controlled
        layers = conv_block_layers(channels, filters, channels)
        controlled_names = KERNEL_NAMES if controlled == "all" else ("mid_3x3",)
        # (name, weight shape) of each controlled convolution, in theta's order.
        self.controlled_specs: list[tuple[str, tuple[int, ...]]] = []
        self.static = nn.ModuleDict()
        for name, layer in zip(KERNEL_NAMES, layers):
            if name in controlled_names:
                self.controlled_specs.append((name, tuple(layer.weight.shape)))
            else:
                self.static[name] = layer
        self.theta_size = sum(math.prod(shape) + shape[0] for _, shape in self.controlled_specs)

    def unpack(self, theta: Tensor) -> dict[str, tuple[Tensor, Tensor]]:
        """theta ``(B, P)`` -> ``{name: (weight (B, out, in, k, k), bias (B, out))}`` for the
        controlled convolutions."""
        sizes = [size for _, shape in self.controlled_specs
                 for size in (math.prod(shape), shape[0])]
        pieces = torch.split(theta, sizes, dim=1)
        kernels = {}
        for index, (name, shape) in enumerate(self.controlled_specs):
            weight, bias = pieces[2 * index], pieces[2 * index + 1]
            kernels[name] = (weight.reshape(-1, *shape), bias)
        return kernels

    def forward(self, x: Tensor, theta: Tensor) -> Tensor:
        """x: ``(B, channels, H, W)``, theta: ``(B, P)`` -> ``(B, channels, H, W)``."""
        return self.convolve(x, self.unpack(theta))

    def bind(self, theta: Tensor) -> Callable[[Tensor], Tensor]:
        """The field of theta ``(B, P)`` as a function of x ``(B, channels, H, W)``, theta
        unpacked once (open loop holds theta fixed over a solve)."""
        return partial(self.convolve, kernels=self.unpack(theta))

    def convolve(self, x: Tensor, kernels: dict[str, tuple[Tensor, Tensor]]) -> Tensor:
        """The block on x ``(B, channels, H, W)`` with the controlled ``kernels`` of
        :meth:`unpack` -> ``(B, channels, H, W)``."""
        hidden = x
        for index, name in enumerate(KERNEL_NAMES):
            if name in kernels:
                weight, bias = kernels[name]
                # padding k // 2 keeps H and W for the odd kernel sizes of the block
                hidden = per_sample_conv2d(hidden, weight, bias, padding=weight.shape[-1] // 2)
            else:
                hidden = self.static[name](hidden)
            if index < len(KERNEL_NAMES) - 1:
                hidden = F.relu(hidden)
        return hidden

    def initial_theta(self, generator: torch.Generator | None = None) -> Tensor:
        """One ``(P,)`` draw with nn.Conv2d's default scale (uniform +-1/sqrt(fan_in) for
        weight and bias)."""
        draws = []
        for _, shape in self.controlled_specs:
            bound = 1.0 / math.sqrt(math.prod(shape[1:]))
            for count in (math.prod(shape), shape[0]):
                draws.append((torch.rand(count, generator=generator) * 2 - 1) * bound)
        return torch.cat(draws)


def per_sample_conv2d(x: Tensor, weight: Tensor, bias: Tensor, padding: int) -> Tensor:
    """Sample b of ``x (B, C_in, H, W)`` convolved with its own ``weight[b] (C_out, C_in, k, k)``
    plus ``bias[b] (C_out,)``, as one grouped convolution -> ``(B, C_out, H', W')``."""
    batch, in_channels, height, width = x.shape
    out_channels = weight.shape[1]
    folded = F.conv2d(x.reshape(1, batch * in_channels, height, width),
                      weight.reshape(batch * out_channels, *weight.shape[2:]),
                      bias.reshape(batch * out_channels), padding=padding, groups=batch)
    return folded.reshape(batch, out_channels, *folded.shape[2:])
