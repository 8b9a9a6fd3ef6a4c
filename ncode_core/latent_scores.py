"""Scores of a trained autoencoder's latent space (Sec. 4.4-4.5, C.6-C.7): the domain Frechet
distance of images decoded from a GMM fitted to its training latents, and the clustering
accuracy of its test latents. One function, shared by the benchmark and the dashboard."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from ncode_core.feature_extractors import DomainClassifier, domain_frechet_distance
from ncode_core.metrics import FrechetScore, latent_clustering_accuracy
from ncode_core.sampling import fit_gmm, sample_images


@dataclass(frozen=True)
class LatentScores:
    """``frechet``: domain Frechet distance (extractor, N real, N generated inside) of images
    decoded from a ``components``-component full-covariance GMM fitted to ``fit_images``
    training latents; ``clustering_accuracy`` of a 10-component GMM on the latents of the first
    ``clustering_images`` test images."""

    frechet: FrechetScore
    components: int
    fit_images: int
    clustering_accuracy: float
    clustering_images: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dict (JSON-safe)."""
        return asdict(self)


@torch.no_grad()
def score_latents(trainer: Any, classifier: DomainClassifier, components: int = 100,
                  fit_images: int | None = None, generated: int = 2000,
                  real: int | None = None, seed: int = 0) -> LatentScores:
    """Score the autoencoder of ``trainer`` (an autoencoding task's Trainer): GMM fitted to the
    first ``fit_images`` training latents (all when None), ``generated`` decoded samples
    against the first ``real`` test images (all when None) in ``classifier``'s features, and
    the clustering accuracy of those test images' latents."""
    task, model = trainer.task, trainer.model
    train_latents, _ = task.encode(model, task.train_split, fit_images)
    test_latents, labels = task.encode(model, task.test_split, real)
    mixture = fit_gmm(train_latents, components, "full", seed)
    samples = sample_images(model, mixture, generated, seed)
    real_images = task.test_split.batch(torch.arange(len(labels)))[0]
    frechet = domain_frechet_distance(classifier, real_images, samples, task.dataset)
    return LatentScores(frechet, components, len(train_latents),
                        latent_clustering_accuracy(test_latents, labels, 10, seed), len(labels))
