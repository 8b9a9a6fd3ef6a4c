"""Image autoencoding (Sec. 4.4, C.4): AutoN-CODE, AE and VAE reconstruct images of a dataset.

``test_loss`` is the reconstruction loss on the test images (without the VAE's KL term), so the
three families compare on one number; ``test_mse`` is the per-pixel MSE whatever the training
loss. AutoN-CODE's x(0) at evaluation is drawn per test image from ``x0_seed``, so the score
does not depend on the evaluation batch size.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor
from torch.nn import functional as F

from ncode_core.config import AutoencodingConfig, ModelConfig, SolverConfig
from ncode_core.data import ImageSplit, StreamingImageSplit, load_celeba_64, load_split
from ncode_core.models.autoencoders import (
    ARCHITECTURES,
    AUTOENCODER_FAMILIES,
    Architecture,
    Autoencoder,
    build_autoencoder,
)
from ncode_core.tasks.base import Task
from ncode_core.tasks.ui import TaskUI


LATENT_FLOWS_PAGE = "latent_flows"  # the url path of the dashboard's Latent flows page

# Names of the paper's scores (``AutoencodingTask.paper_scores`` keys) that appear on several
# datasets; benchmarks look them up by these.
PAPER_GMM_CLUSTERING = "clustering accuracy % (10-component GMM; Fig. A.10)"
PAPER_TSNE_CLUSTERING = "clustering accuracy % (t-SNE, then GMM; Fig. A.10)"
PAPER_FID_100 = "FID, 100-component GMM; VAE: its prior (Table 2)"
PAPER_FID_1000 = "FID, 1000-component GMM (Table 2)"


Split = ImageSplit | StreamingImageSplit


def reconstruction_loss(reconstruction: Tensor, images: Tensor, kind: str) -> Tensor:
    """Mean per-pixel ``mse`` or ``bce`` between ``reconstruction`` and ``images``
    ``(B, C, H, W)`` in [0, 1]."""
    if kind == "bce":
        return F.binary_cross_entropy(reconstruction, images)
    return F.mse_loss(reconstruction, images)


def evaluation_x0(count: int, latent_dim: int, seed: int) -> Tensor:
    """AutoN-CODE's evaluation x(0) ``(count, latent_dim)`` float64 ~ N(0, I): row i is the
    x(0) of test image i, whatever the batch it is evaluated in."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(count, latent_dim, generator=generator, dtype=torch.float64)


class AutoencodingTask(Task):
    """Reconstruct the images of ``dataset`` through a latent of Table A.1's size.

    Subclasses set ``name``, ``dataset`` (a data-layer name) and ``architecture`` (which sets
    ``input_shape``); one whose data does not fit in memory overrides :meth:`open_split`. The
    training batch's targets are the class labels (unused by the loss; kept for clustering
    views). Metrics: ``test_mse``.
    """

    families = AUTOENCODER_FAMILIES
    config_model = AutoencodingConfig
    metric_names = ("test_mse",)
    dataset: ClassVar[str] = ""
    architecture: ClassVar[Architecture]
    # The paper's scores on this dataset: score name (with unit and source) -> family -> value
    # as printed. Result tables and benchmarks read them here, so each is typed once.
    paper_scores: ClassVar[dict[str, dict[str, float]]] = {}
    eval_batch_size = 500

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "architecture" in cls.__dict__:  # the input shape is the architecture's, one source
            cls.input_shape = cls.architecture.image_shape

    def __init__(self, config: AutoencodingConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        self.train_split = self.open_split("train").first(config.n_train)
        self.test_split = self.open_split("test").first(config.n_test)

    def open_split(self, split: str) -> Split:
        """The named split of ``dataset``, here held in memory."""
        return load_split(self.dataset, split)

    @property
    def latent_dim(self) -> int:
        """The latent size m the models are built with."""
        return self.config.latent_dim or self.architecture.latent_dim

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> Autoencoder:
        """``family`` on this dataset's Table A.1 architecture (``config`` is not used: the
        sizes are the paper's; the latent size and flow time are task settings)."""
        return build_autoencoder(family, self.architecture, solver, self.latent_dim,
                                 self.config.flow_time, self.config.theta_row_norm,
                                 self.config.x0_seed)

    def images(self, split: Split, index: Tensor) -> tuple[Tensor, Tensor]:
        """Images ``(B, C, H, W)`` in [0, 1] (task device and dtype) and labels ``(B,)``."""
        images, labels = split.batch(index, self.device)
        return images.to(self.dtype), labels

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        count = len(self.train_split)
        index = self.batch_indices(step, batch_size, count)
        return self.images(self.train_split, torch.arange(count) if index is None else index.cpu())

    def loss(self, model: Autoencoder, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        reconstruction, _, kl = model(x)
        loss = reconstruction_loss(reconstruction, x, self.config.reconstruction)
        metrics = {"reconstruction": float(loss.detach())}
        if kl is not None:
            # Per-sample ELBO terms divided by the pixel count, on the reconstruction's scale.
            kl_term = kl.mean() / x[0].numel()
            metrics["kl"] = float(kl.mean().detach())
            loss = loss + kl_term
        return loss, metrics

    def test_inputs(self, index: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Test images ``(B, C, H, W)``, labels ``(B,)`` and AutoN-CODE's evaluation x(0)
        ``(B, m)`` (rows of :func:`evaluation_x0`, so a view of image i flows from the same
        x(0) as its score) for indices ``index (B,)`` into the test split."""
        images, labels = self.images(self.test_split, index)
        x0 = evaluation_x0(len(self.test_split), self.latent_dim, self.config.x0_seed)
        return images, labels, x0[index].to(images)

    @torch.no_grad()
    def encode(self, model: Autoencoder, split: Split,
               count: int | None = None) -> tuple[Tensor, Tensor]:
        """Latents ``(N, m)`` of the first ``count`` images of ``split`` (all when None;
        AutoN-CODE from the seeded per-image x(0) of :func:`evaluation_x0`) and labels
        ``(N,)``, in evaluation batches."""
        model.eval()
        split = split.first(count)
        x0 = evaluation_x0(len(split), model.latent_dim, self.config.x0_seed)
        latents, labels = [], []
        for index in torch.split(torch.arange(len(split)), self.eval_batch_size):
            images, batch_labels = self.images(split, index)
            latents.append(model.encode(images, x0[index].to(images)))
            labels.append(batch_labels)
        return torch.cat(latents), torch.cat(labels)

    @torch.no_grad()
    def evaluate(self, model: Autoencoder) -> dict[str, float]:
        model.eval()
        split = self.test_split
        x0 = evaluation_x0(len(split), model.latent_dim, self.config.x0_seed)
        total, total_mse = 0.0, 0.0
        for index in torch.split(torch.arange(len(split)), self.eval_batch_size):
            images, _ = self.images(split, index)
            reconstruction = model(images, x0[index].to(images))[0]
            weight = len(index) / len(split)
            total += weight * float(reconstruction_loss(reconstruction, images,
                                                        self.config.reconstruction))
            total_mse += weight * float(F.mse_loss(reconstruction, images))
        return {"test_loss": total, "test_mse": total_mse}


class DigitsAutoencodingTask(AutoencodingTask):
    """Bundled 8x8 digits (not in the paper): MNIST's MLP shrunk, latent 10; fast runs/tests."""

    name = "digits_ae"
    ui = TaskUI(label="Digits autoencoding (8x8)", primary_metric="test_mse",
                higher_is_better=False, page=LATENT_FLOWS_PAGE)
    dataset = "digits"
    architecture = ARCHITECTURES["digits"]
    description = "8x8 digits autoencoding (small stand-in for mnist_ae; latent 10)"


class MnistAutoencodingTask(AutoencodingTask):
    """MNIST (Table A.1: MLP 400, latent 25)."""

    name = "mnist_ae"
    ui = TaskUI(label="MNIST autoencoding", primary_metric="test_mse",
                higher_is_better=False, page=LATENT_FLOWS_PAGE)
    dataset = "mnist"
    architecture = ARCHITECTURES["mnist"]
    paper_scores = {
        PAPER_GMM_CLUSTERING: {"autoncode": 86.02, "ae": 81.2, "vae": 83.2},
        PAPER_TSNE_CLUSTERING: {"autoncode": 97.26},
    }
    description = "MNIST autoencoding (Sec. 4.4, Table A.1: latent 25): AutoN-CODE vs AE vs VAE"


class Cifar10AutoencodingTask(AutoencodingTask):
    """CIFAR-10 (Table A.1: conv 4x4, latent 128); needs the dataset under the data root."""

    name = "cifar10_ae"
    ui = TaskUI(label="CIFAR-10 autoencoding", primary_metric="test_mse",
                higher_is_better=False, page=LATENT_FLOWS_PAGE)
    dataset = "cifar10"
    architecture = ARCHITECTURES["cifar10"]
    paper_scores = {
        PAPER_FID_100: {"autoncode": 34.90, "ae": 73.24, "vae": 105.45},
        PAPER_FID_1000: {"autoncode": 24.19, "ae": 55.55},
        PAPER_GMM_CLUSTERING: {"autoncode": 33.31, "ae": 31.4, "vae": 29.1},
        PAPER_TSNE_CLUSTERING: {"autoncode": 27.00},
    }
    description = "CIFAR-10 autoencoding (Table 2: conv, latent 128; data from a data root)"


class CelebaAutoencodingTask(AutoencodingTask):
    """CelebA 64x64 (Table A.1: conv 5x5, latent 64; C.4: batch 16 for AutoN-CODE), streamed
    from the data root (see :data:`~ncode_core.data.CELEBA_TRANSFORM`); unlabelled."""

    name = "celeba_ae"
    ui = TaskUI(label="CelebA autoencoding (64x64)", primary_metric="test_mse",
                higher_is_better=False, page=LATENT_FLOWS_PAGE)
    dataset = "celeba"
    architecture = ARCHITECTURES["celeba"]
    paper_scores = {
        PAPER_FID_100: {"autoncode": 55.27, "ae": 63.11, "vae": 68.07},
        PAPER_FID_1000: {"autoncode": 52.47, "ae": 55.60},
    }
    description = ("CelebA 64x64 autoencoding (Table 2: conv 5x5, latent 64; data from a data "
                   "root, streamed)")
    # C.4 trains AutoN-CODE on CelebA with batches of 16 (64 for AE and VAE: set it).
    training_defaults = {"batch_size": 16}
    # 1024-channel activations of 64x64 images: evaluation batches stay small on a CPU.
    eval_batch_size = 100

    def open_split(self, split: str) -> Split:
        """CelebA's ``split`` (train, valid or test), read a batch at a time as
        ``(3, 64, 64)`` images (crop and resize: :data:`ncode_core.data.CELEBA_TRANSFORM`)."""
        return load_celeba_64(split)
