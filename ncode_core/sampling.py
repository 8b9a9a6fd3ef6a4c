"""Ex-post density estimation of latents (Ghosh et al. 2020; C.6): fit a Gaussian mixture or a
Gaussian kernel density to training latents, draw latents, decode them into images."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

GMM_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
MAX_COMPONENTS = 1000


def _latent_array(latents: Any) -> np.ndarray:
    if hasattr(latents, "detach"):
        latents = latents.detach().cpu().numpy()
    return np.asarray(latents, dtype=np.float64)


def fit_gmm(latents: Any, n_components: int, covariance_type: str = "full", seed: int = 0,
            max_iter: int = 100, tol: float = 1e-3):
    """A GaussianMixture fitted by EM to latents ``(N, D)`` (k-means initialisation, the paper's
    tolerance 1e-3 and at most 100 iterations).

    Raises ValueError naming the setting when ``n_components`` is outside 1..1000 or above N,
    or ``covariance_type`` is not one of :data:`GMM_COVARIANCE_TYPES`.
    """
    from sklearn.mixture import GaussianMixture

    values = _latent_array(latents)
    if not 1 <= n_components <= min(MAX_COMPONENTS, len(values)):
        raise ValueError(f"n_components: {n_components} is not allowed; choose 1 to "
                         f"{min(MAX_COMPONENTS, len(values))} (at most the number of latents)")
    if covariance_type not in GMM_COVARIANCE_TYPES:
        raise ValueError(f"covariance_type: {covariance_type!r} is not allowed; choose one of "
                         f"{', '.join(GMM_COVARIANCE_TYPES)}")
    mixture = GaussianMixture(n_components, covariance_type=covariance_type, max_iter=max_iter,
                              tol=tol, random_state=seed, reg_covar=1e-5)
    return mixture.fit(values)


def fit_kde(latents: Any, bandwidth: float):
    """A Gaussian KernelDensity with kernel std ``bandwidth`` (> 0) on latents ``(N, D)``."""
    from sklearn.neighbors import KernelDensity

    if not bandwidth > 0:
        raise ValueError(f"bandwidth: {bandwidth} is not allowed; it must be > 0")
    return KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(_latent_array(latents))


def sample_latents(density: Any, count: int, seed: int = 0) -> Tensor:
    """``count`` latents ``(count, D)`` float32 drawn from a fitted GMM or KDE, reproducible
    from ``seed``."""
    if hasattr(density, "weights_"):  # GaussianMixture: sample() reads its random_state
        density.random_state = seed
        values = density.sample(count)[0]
        order = np.random.RandomState(seed).permutation(count)  # sample() groups by component
        values = values[order]
    else:
        values = density.sample(count, random_state=seed)
    return torch.as_tensor(values, dtype=torch.float32)


@torch.no_grad()
def sample_images(model: Any, density: Any, count: int, seed: int = 0) -> Tensor:
    """Images ``(count, C, H, W)``: latents drawn from ``density`` through ``model.decode``
    (in evaluation mode, on the model's device and dtype)."""
    model.eval()
    reference = next(model.parameters())
    latents = sample_latents(density, count, seed).to(reference)
    return model.decode(latents)


def component_sweep(latents: Any, components: list[int], score: Callable[[Any], float],
                    covariance_type: str = "full", seed: int = 0) -> list[tuple[int, float]]:
    """``(n_components, score(gmm))`` for a GMM fitted to ``latents`` with each number of
    components (Fig. A.7); ``score`` maps a fitted mixture to a number (e.g. a Frechet
    distance of its decoded samples)."""
    return [(k, float(score(fit_gmm(latents, k, covariance_type, seed)))) for k in components]
