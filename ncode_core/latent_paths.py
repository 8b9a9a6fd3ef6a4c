"""Paths through latent space for pictures: interpolation between two codes (C.8, Fig. A.12),
decoded orbits x(t) of AutoN-CODE (Fig. 7, A.4) and the orbits of many images projected to 2-D
(PCA of the latents) to be drawn together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


@dataclass(frozen=True)
class TrajectoryProjection:
    """Latent orbits projected onto their first two principal components (float64).

    ``times (T,)``; ``points (T, B, 2)``: x(t) of each image in PCA coordinates;
    ``mean (m,)`` and ``components (2, m)`` (orthonormal rows) define the projection
    ``(x - mean) @ components.T``; ``explained (2,)``: fraction of the variance of all the
    latents ``x(t)`` each component carries.
    """

    times: np.ndarray
    points: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray


def project_trajectories(times, trajectory) -> TrajectoryProjection:
    """PCA of every latent of ``trajectory (T, B, m)`` (all times and images pooled), keeping
    two components; ``times (T,)``. Needs m >= 2 and at least two distinct latents.

    Why pooled: one projection for all times keeps the orbits comparable, so an image's path
    from x(0) to x(T) is drawn in the same plane as the others'.
    """
    values = np.asarray(trajectory.detach().cpu() if hasattr(trajectory, "detach")
                        else trajectory, dtype=np.float64)
    if values.ndim != 3 or values.shape[2] < 2:
        raise ValueError(f"trajectory: need a (T, B, m) array with m >= 2, got {values.shape}")
    flat = values.reshape(-1, values.shape[2])
    mean = flat.mean(axis=0)
    _, singular, right = np.linalg.svd(flat - mean, full_matrices=False)
    variance = singular ** 2
    if variance.sum() == 0:
        raise ValueError("trajectory: every latent is the same point; there is nothing to project")
    components = right[:2]
    points = (values - mean) @ components.T
    return TrajectoryProjection(np.asarray(times, dtype=np.float64), points, mean, components,
                                variance[:2] / variance.sum())


@torch.no_grad()
def trajectory_view(model: AutoNCODE, images: Tensor, n_times: int,
                    x0: Tensor | None = None) -> TrajectoryProjection:
    """The latent orbits x(t) on [0, T] of images ``(B, C, H, W)`` (AutoN-CODE, from ``x0``
    ``(B, m)``) at ``n_times`` evenly spaced times, projected by :func:`project_trajectories`."""
    model.eval()
    times = torch.linspace(0, model.integration_time, n_times, dtype=images.dtype,
                           device=images.device)
    return project_trajectories(times.cpu().numpy(), model.latent_trajectory(images, times, x0))
