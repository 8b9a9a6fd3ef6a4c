"""What a task supplies to the model families: the architecture of the vector field.

The family (NODE, ANODE, NODE-DC, open- or closed-loop N-CODE) decides how the field is wrapped:
shared weights, augmented or data-concatenated inputs, per-sample theta from gamma or a law. The
task decides what the field is (an MLP for the toys; a conv block on ``(C, H, W)`` images, the
Eq. 7 plastic network or the latent linear flow elsewhere) by handing a :class:`FieldBuilder` to
:func:`ncode_core.models.build_flow`.

Shapes are per sample (no batch dimension). Where a family adds channels (ANODE's zeros,
NODE-DC's copy of x(0)) it adds them along the first per-sample axis: features of a flat state,
channels of an image.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
from torch import Tensor, nn

from ncode_core.dynamics.fields import PerSampleMLPField, SharedMLPField

Shape = tuple[int, ...]


def flat_size(shape: Shape) -> int:
    """Number of scalars in one sample of ``shape``."""
    return math.prod(shape)


class ControlledField(Protocol):
    """``f(x; theta)``: x ``(B, *shape)``, theta ``(B, theta_size)`` -> ``(B, *shape)``.

    A field that unpacks theta may also offer ``bind(theta) -> (x -> f(x; theta))`` doing the
    unpacking once: open loop holds theta fixed over a solve and calls the bound field.
    """

    theta_size: int

    def __call__(self, x: Tensor, theta: Tensor) -> Tensor: ...

    def initial_theta(self, generator: torch.Generator | None = None) -> Tensor:
        """One ``(theta_size,)`` draw: a sensible field every sample starts near."""
        ...


class FieldBuilder(Protocol):
    """A task's field architecture, built on demand for the shapes a family asks for."""

    def shared_field(self, in_shape: Shape, out_shape: Shape) -> nn.Module:
        """A field with shared weights ``(B, *in_shape) -> (B, *out_shape)``."""
        ...

    def controlled_field(self, shape: Shape) -> ControlledField:
        """A field whose weights are a per-sample theta, on states ``(B, *shape)``."""
        ...


class MLPFieldBuilder:
    """The toy tasks' field: an MLP with ``hidden`` tanh units on flat states ``(B, D)``."""

    def __init__(self, hidden: int) -> None:
        self.hidden = hidden

    def shared_field(self, in_shape: Shape, out_shape: Shape) -> nn.Module:
        """:class:`SharedMLPField` ``(B, in_shape[0]) -> (B, out_shape[0])``."""
        return SharedMLPField(self._flat(in_shape), self._flat(out_shape), self.hidden)

    def controlled_field(self, shape: Shape) -> PerSampleMLPField:
        """:class:`PerSampleMLPField` on ``(B, shape[0])``."""
        return PerSampleMLPField(self._flat(shape), self.hidden)

    @staticmethod
    def _flat(shape: Shape) -> int:
        if len(shape) != 1:
            raise ValueError(f"the MLP field needs flat states (a shape (D,)), got {shape}; "
                             "a task with non-flat states supplies its own FieldBuilder")
        return shape[0]
