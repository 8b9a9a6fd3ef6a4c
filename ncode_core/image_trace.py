"""Arrays for looking inside an image classifier: one image's controlled kernels theta as
kernels, its feature maps x(t) and its class scores along t (no plotting library, like viz)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ncode_core.models.base import TaskModel
from ncode_core.viz import _as_tensor, _numpy


@dataclass
class ImageTrace:
    """One image's pass through an image classifier, at ``T`` times.

    Attributes:
        times: ``(T,)`` the times asked for (the first is 0, the last the flow's T).
        x: ``(T, C', H, W)`` the state x(t): the image's channels, then any augmented ones.
        scores: ``(T, classes)`` the readout applied to x(t); the last row is the model's output.
        kernels: for N-CODE, each controlled convolution's per-sample weight along t,
            ``{name: (T, out, in, k, k)}`` in block order (constant along t for open loop);
            ``{}`` for a model without control (NODE, ANODE, NODE-DC).
    """

    times: np.ndarray
    x: np.ndarray
    scores: np.ndarray
    kernels: dict[str, np.ndarray]


@torch.no_grad()
def image_trace(model: TaskModel, image, times) -> ImageTrace:
    """Solve ``model``'s flow for one ``image (C, H, W)`` (pixels in [0, 1]) and return x(t),
    the class scores and the controlled kernels at ``times (T,)`` (increasing, from 0 to the
    flow's integration time for the last row to be the model's prediction).

    Raises:
        ValueError: ``times`` has fewer than two entries, or the controlled field does not lay
            its theta out as kernels (a non-image N-CODE).
    """
    flow = model.flow
    times = _as_tensor(times, model)
    if times.ndim != 1 or times.numel() < 2:
        raise ValueError(f"times: need at least two increasing times, got shape {tuple(times.shape)}")
    x0 = _as_tensor(image, model).unsqueeze(0)
    trajectory = flow(x0, times)
    states = trajectory.x[:, 0]
    scores = model.readout(states)
    kernels: dict[str, np.ndarray] = {}
    theta = flow.theta(trajectory)
    if theta is not None:
        field = flow.system.field
        if not hasattr(field, "unpack"):
            raise ValueError(f"{flow.family}: its field {type(field).__name__} has no kernels")
        unpacked = field.unpack(theta[:, 0])
        kernels = {name: _numpy(weight) for name, (weight, _bias) in unpacked.items()}
    return ImageTrace(_numpy(times), _numpy(states), _numpy(scores), kernels)


def kernel_difference(first: ImageTrace, second: ImageTrace, time_index: int = 0
                      ) -> dict[str, np.ndarray]:
    """``second``'s kernels minus ``first``'s at ``time_index``: ``{name: (out, in, k, k)}``
    (what per-sample control changes between two inputs; zeros for a shared-weight model,
    which has no kernels, so ``{}`` there)."""
    return {name: second.kernels[name][time_index] - first.kernels[name][time_index]
            for name in first.kernels}


def integration_times(model: TaskModel, count: int) -> np.ndarray:
    """``(count,)`` evenly spaced times from 0 to the flow's integration time."""
    return np.linspace(0.0, float(model.flow.integration_time), count)


def held_out_image(task, index: int) -> tuple[np.ndarray, int]:
    """Test image ``index`` of an image ``task`` as ``(C, H, W)`` pixels in [0, 1], and its
    label."""
    images, labels = task.test_split.batch(torch.tensor([index]))
    return _numpy(images[0]), int(labels[0])
