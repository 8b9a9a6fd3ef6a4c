"""The domain feature extractor for Frechet distances of generated images at CPU scale.

:class:`DomainClassifier` is a small classifier trained on the dataset itself; its penultimate
layer gives a *domain Frechet distance*, a number that is not FID and never called so. Real FID
(Inception-V3 features) lives in :mod:`ncode_core.inception`.
"""

from __future__ import annotations

import hashlib

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ncode_core.data import ImageSplit
from ncode_core.metrics import FrechetScore, frechet_score
from ncode_core.models.field_builders import Shape, flat_size


def weights_sha256(module: nn.Module) -> str:
    """sha256 of a module's parameters and buffers (names and float64 bytes, in order)."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().to(torch.float64).cpu().numpy().tobytes())
    return digest.hexdigest()


class DomainClassifier(nn.Module):
    """MLP classifier on images ``(B, *image_shape)``: flatten -> FC(hidden) -> ReLU ->
    FC(features) -> ReLU -> FC(classes). :meth:`features` is the ``(B, features)`` penultimate
    activation used for the domain Frechet distance."""

    def __init__(self, image_shape: Shape, classes: int = 10, hidden: int = 256,
                 features: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(flat_size(image_shape), hidden),
                                  nn.ReLU(), nn.Linear(hidden, features), nn.ReLU())
        self.head = nn.Linear(features, classes)

    def features(self, images: Tensor) -> Tensor:
        """images ``(B, C, H, W)`` in [0, 1] -> ``(B, features)``."""
        return self.body(images)

    def forward(self, images: Tensor) -> Tensor:
        """images ``(B, C, H, W)`` -> logits ``(B, classes)``."""
        return self.head(self.body(images))


def train_domain_classifier(split: ImageSplit, steps: int = 1000, batch_size: int = 128,
                            seed: int = 0, lr: float = 1e-3) -> DomainClassifier:
    """A :class:`DomainClassifier` trained by Adam on ``split`` (cross-entropy), in eval mode."""
    torch.manual_seed(seed)
    classifier = DomainClassifier(split.image_shape, classes=len(split.classes))
    optimizer = torch.optim.Adam(classifier.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        index = torch.randint(len(split), (batch_size,), generator=generator)
        images, labels = split.batch(index)
        loss = F.cross_entropy(classifier(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return classifier.eval()


@torch.no_grad()
def classifier_accuracy(classifier: DomainClassifier, split: ImageSplit) -> float:
    """Fraction of ``split`` the classifier labels correctly."""
    correct = 0
    for images, labels in split.batches(1000):
        correct += int((classifier(images).argmax(1) == labels).sum())
    return correct / len(split)


@torch.no_grad()
def domain_frechet_distance(classifier: DomainClassifier, real: Tensor,
                            generated: Tensor, dataset: str) -> FrechetScore:
    """Frechet distance between the classifier features of ``real`` and ``generated`` images
    ``(N, C, H, W)`` in [0, 1], recorded as a ``domain_frechet_distance`` (not FID)."""
    classifier.eval()
    return frechet_score(classifier.features(real.float()), classifier.features(generated.float()),
                         name="domain_frechet_distance",
                         extractor=f"DomainClassifier trained on {dataset} (penultimate layer)",
                         weights_sha256=weights_sha256(classifier), resize_rule="none")
