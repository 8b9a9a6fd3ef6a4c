"""Paths through latent space for pictures: interpolation between two codes (C.8, Fig. A.12) and
decoded orbits x(t) of AutoN-CODE (Fig. 7, A.4)."""

from __future__ import annotations

import torch
from torch import Tensor

from ncode_core.models.autoencoders import Autoencoder, AutoNCODE

INTERPOLATION_MODES = ("linear", "spherical")


def interpolate_latents(start: Tensor, end: Tensor, steps: int, mode: str = "linear") -> Tensor:
    """``steps`` latents ``(steps, D)`` from ``start`` to ``end`` ``(D,)`` inclusive.

    ``spherical`` (slerp) follows the great circle between the two directions while
    interpolating the norms linearly; it falls back to linear for (anti)parallel codes.
    """
    if mode not in INTERPOLATION_MODES:
        raise ValueError(f"mode: {mode!r} is not allowed; choose one of {INTERPOLATION_MODES}")
    if steps < 2:
        raise ValueError(f"steps: {steps} is not allowed; need at least 2")
    weights = torch.linspace(0, 1, steps, dtype=start.dtype, device=start.device)[:, None]
    linear = (1 - weights) * start + weights * end
    if mode == "linear":
        return linear
    norm_start, norm_end = start.norm(), end.norm()
    cosine = torch.dot(start / norm_start, end / norm_end).clamp(-1, 1)
    angle = torch.arccos(cosine)
    if float(torch.sin(angle)) < 1e-6:
        return linear
    direction = (torch.sin((1 - weights) * angle) * start / norm_start
                 + torch.sin(weights * angle) * end / norm_end) / torch.sin(angle)
    return direction * ((1 - weights) * norm_start + weights * norm_end)


@torch.no_grad()
def decode_interpolation(model: Autoencoder, start: Tensor, end: Tensor, steps: int,
                         mode: str = "linear") -> Tensor:
    """Images ``(steps, C, H, W)`` decoded along :func:`interpolate_latents`."""
    model.eval()
    return model.decode(interpolate_latents(start, end, steps, mode))


@torch.no_grad()
def orbit_reconstructions(model: AutoNCODE, images: Tensor, n_times: int,
                          x0: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Times ``(n_times,)`` on [0, T] and images ``(n_times, B, C, H, W)`` decoded from x(t)
    along each image's latent orbit (the last is the reconstruction)."""
    model.eval()
    times = torch.linspace(0, model.integration_time, n_times, dtype=images.dtype,
                           device=images.device)
    trajectory = model.latent_trajectory(images, times, x0)
    decoded = model.decode(trajectory.flatten(0, 1))
    return times, decoded.reshape(n_times, images.shape[0], *decoded.shape[1:])
