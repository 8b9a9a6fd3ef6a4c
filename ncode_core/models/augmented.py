"""Any family on a state with zero channels appended to x(0), as the paper does for every image
model (section 4.2: "we did augment the state dimension, akin to ANODE, by increasing the
channel dimension by 10, which helped stabilize training")."""

from __future__ import annotations

import torch
from torch import Tensor

from ncode_core.models.base import FlowModel
from ncode_core.models.field_builders import Shape


class ChannelAugmentedFlow(FlowModel):
    """``inner`` with ``channels`` zero channels appended to x after its initial state is made.

    ``inner`` is built on the image's own shape ``(c, H, W)`` around a field that handles
    ``c + channels`` (a :class:`~ncode_core.models.ConvFieldBuilder` with ``augment_channels``):
    what reads x(0) (gamma, NODE-DC's copy) sees the image only, the flow the augmented state
    ``(B, c + channels, H, W)``. Solver, system, NFE and theta are the inner model's.
    """

    def __init__(self, inner: FlowModel, channels: int) -> None:
        # FlowModel.__init__ would register inner.system a second time; the system is the
        # inner model's, reached through the property below.
        torch.nn.Module.__init__(self)
        self.inner = inner
        self.channels = channels
        self.solver = inner.solver
        self.integration_time = inner.integration_time

    @property
    def system(self):  # type: ignore[override]
        """The inner model's coupled system."""
        return self.inner.system

    @property
    def family(self) -> str:  # type: ignore[override]
        """The inner model's registry key."""
        return self.inner.family

    @property
    def controlled(self) -> bool:  # type: ignore[override]
        """True when the inner model's context is a per-sample theta."""
        return self.inner.controlled

    def state_shape(self, data_shape: Shape) -> Shape:
        inner_shape = self.inner.state_shape(data_shape)
        return (inner_shape[0] + self.channels, *inner_shape[1:])

    def initial_state(self, x0: Tensor) -> tuple[Tensor, ...]:
        """x0 ``(B, c, H, W)`` -> the inner state with x ``(B, c + channels, H, W)``."""
        x, *context = self.inner.initial_state(x0)
        zeros = x.new_zeros(x.shape[0], self.channels, *x.shape[2:])
        return (torch.cat([x, zeros], dim=1), *context)
