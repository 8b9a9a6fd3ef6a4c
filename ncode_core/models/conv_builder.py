"""The image tasks' FieldBuilder: the conv block of paper C.2 on ``(C, H, W)`` states."""

from __future__ import annotations

from ncode_core.dynamics.conv_fields import ControlledKernels, PerSampleConvField, SharedConvField
from ncode_core.models.field_builders import Shape


class ConvFieldBuilder:
    """Builds the 1x1 -> 3x3 -> 1x1 conv block with ``filters`` channels inside.

    ``augment_channels`` zero channels are added to every shape a family asks for (in and out),
    for families whose state carries them (see :class:`~ncode_core.models.ChannelAugmentedFlow`):
    NODE-DC's field then reads ``[x (c + a), x0 (c)]`` and writes ``c + a`` channels.
    ``controlled`` picks the kernels theta holds (``"all"`` or ``"3x3"``). ``filters`` is the
    width a parameter-matching search varies.
    """

    def __init__(self, filters: int, augment_channels: int = 0,
                 controlled: ControlledKernels = "all") -> None:
        self.filters = filters
        self.augment_channels = augment_channels
        self.controlled = controlled

    def shared_field(self, in_shape: Shape, out_shape: Shape) -> SharedConvField:
        """:class:`SharedConvField` ``(B, in_c + a, H, W) -> (B, out_c + a, H, W)``."""
        return SharedConvField(self._channels(in_shape), self.filters, self._channels(out_shape))

    def controlled_field(self, shape: Shape) -> PerSampleConvField:
        """:class:`PerSampleConvField` on ``(B, c + a, H, W)``."""
        return PerSampleConvField(self._channels(shape), self.filters, self.controlled)

    def _channels(self, shape: Shape) -> int:
        if len(shape) != 3:
            raise ValueError(f"the conv field needs image states (a shape (C, H, W)), got {shape}")
        return shape[0] + self.augment_channels
