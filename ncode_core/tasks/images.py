"""Image classification (paper section 4.2, Table 1, appendix C.2): the conv block flow on
``(C, H, W)`` images, a linear map of the flattened x(T) to 10 class scores, cross-entropy.

One :class:`ImageTask` class parameterised per dataset; the pixels come from the data layer
(:func:`ncode_core.data.load_split`), so a missing dataset is a one-line error naming the command
that provides it.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
from pydantic import Field
from torch import Tensor, nn
from torch.nn import functional as F

from ncode_core.config import ModelConfig, SolverConfig, StrictModel
from ncode_core.data import ImageSplit, load_split
from ncode_core.dynamics.conv_fields import ControlledKernels
from ncode_core.models import (
    ChannelAugmentedFlow,
    ConvFieldBuilder,
    FlowModel,
    TaskModel,
    build_flow,
    flat_size,
)
from ncode_core.tasks.base import Task
from ncode_core.tasks.ui import TaskUI

CLASS_COUNT = 10
# Families whose state the task augments with zero channels; `node` stays the plain conv NODE,
# `anode` augments by its own mechanism, and the closed-loop law reads x(t) at the image's shape.
WRAPPED_FAMILIES = ("node_dc", "ncode_open")


class ImageConfig(StrictModel):
    """Settings of an image task. The conv block's width is ``model.hidden`` (filters; the
    paper uses 50) and gamma's hidden units ``model.gamma_hidden`` (the paper uses 10)."""

    controlled_kernels: ControlledKernels = Field(
        "all", description="N-CODE: kernels theta holds, all three ('NCODE') or the 3x3 only")
    augment_channels: int = Field(
        10, ge=0, le=256,
        description="zero channels appended to the state (anode, node_dc, ncode_open; paper: 10)")
    train_limit: int | None = Field(
        None, ge=1, description="use only the first N training images (None: all)")
    test_limit: int | None = Field(
        None, ge=1, description="evaluate on the first N test images (None: all)")


def _first(split: ImageSplit, limit: int | None, device: torch.device) -> ImageSplit:
    """The first ``limit`` samples of ``split`` (all when None), stored on ``device``."""
    count = len(split) if limit is None else min(limit, len(split))
    return dataclasses.replace(split, images=split.images[:count].to(device),
                               labels=split.labels[:count].to(device))


IMAGES_PAGE = "images"  # the url path of the dashboard's Images page (every image task)


class ImageTask(Task):
    """10-class classification of one dataset's images.

    Models: ``node`` (conv NODE), ``anode`` (``augment_channels`` zero channels), ``node_dc``
    (the image concatenated at the first 1x1), ``ncode_open`` (gamma -> per-sample kernels),
    ``ncode_closed``. Class scores are a linear map of the flattened x(T), augmented channels
    included (the paper's "linear transformation of the final state x(T)"; pooling would drop
    where features are, and the block's receptive field is only a few pixels). Metrics:
    ``test_accuracy`` (primary) and ``test_loss`` over the whole test split, in batches.
    """

    dataset: ClassVar[str] = ""
    config_model = ImageConfig
    metric_names = ("test_accuracy",)
    # 64 images a step: the global default of 512 would keep ~13 GB of conv activations for the
    # backward pass (budget.py's estimate on MNIST), over half of a 24 GB machine. lr 1e-2: the
    # global 3e-2 left open-loop N-CODE near 0.3 test accuracy on digits after 40-60 steps.
    training_defaults = {"batch_size": 64, "lr": 1e-2}
    # 256 images of 28x28 through 50 filters are ~40 MB per activation: evaluation stays small
    eval_batch_size = 256
    # Table 1 of the paper: test accuracy (fraction) per model family; {} where the paper has none.
    paper_test_accuracy: ClassVar[dict[str, float]] = {}
    # training images of the whole dataset (the data layer's train split), for epoch counts
    train_size: ClassVar[int] = 0
    # digit datasets: pixels the longer side of a digit spans in its image, for a digit drawn by
    # hand to be prepared like the dataset's (ncode_core.digit_from_drawing); None: not digits
    drawn_digit_box: ClassVar[int | None] = None

    @classmethod
    def epochs(cls, steps: int, batch_size: int, config: ImageConfig) -> float:
        """Training images seen in ``steps`` minibatches of ``batch_size``, in passes over the
        training set (``config.train_limit`` of it when set). Minibatches are drawn at random
        per step, so an epoch counts images seen, not one shuffled pass."""
        count = cls.train_size if config.train_limit is None else min(config.train_limit,
                                                                      cls.train_size)
        return steps * batch_size / count

    def __init__(self, config: ImageConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        self.train_split = _first(load_split(self.dataset, "train"), config.train_limit,
                                  self.device)
        self.test_split = _first(load_split(self.dataset, "test"), config.test_limit,
                                 self.device)
        if self.train_split.image_shape != self.input_shape:
            raise ValueError(f"{self.dataset}: images are {self.train_split.image_shape}, "
                             f"the task expects {self.input_shape}")

    def field_builder(self, config: ModelConfig, augment_channels: int = 0) -> ConvFieldBuilder:
        """The conv block of ``config.hidden`` filters, with ``augment_channels`` zero channels
        added to the shapes a family asks for."""
        return ConvFieldBuilder(config.hidden, augment_channels, self.config.controlled_kernels)

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> TaskModel:
        """``family`` around the conv block, augmented by ``augment_channels`` zero channels
        for anode, node_dc and ncode_open."""
        augment = self.config.augment_channels
        if family in WRAPPED_FAMILIES and augment:
            inner = build_flow(family, self.field_builder(config, augment), self.input_shape,
                               config, solver)
            flow: FlowModel = ChannelAugmentedFlow(inner, augment)
        else:
            if family == "anode":
                config = config.model_copy(update={"augment_dim": augment})
            flow = build_flow(family, self.field_builder(config), self.input_shape, config,
                              solver)
        return TaskModel(flow, self.readout(flow))

    def readout(self, flow: FlowModel) -> nn.Module:
        """``(B, *state_shape) -> (B, 10)``: a linear map of the flattened x(T)."""
        size = flat_size(flow.state_shape(self.input_shape))
        return nn.Sequential(nn.Flatten(), nn.Linear(size, CLASS_COUNT))

    def images(self, split: ImageSplit, index: Tensor | None) -> tuple[Tensor, Tensor]:
        """Images ``(B, C, H, W)`` in [0, 1] (task dtype) and labels ``(B,)`` of ``index``
        (the whole split when None)."""
        index = torch.arange(len(split), device=self.device) if index is None else index
        images, labels = split.batch(index, self.device)
        return images.to(self.dtype), labels

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        index = self.batch_indices(step, batch_size, len(self.train_split))
        return self.images(self.train_split, index)

    def loss(self, model: TaskModel, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        logits = model(x)[0]
        return F.cross_entropy(logits, y), {"accuracy": argmax_accuracy(logits, y)}

    @torch.no_grad()
    def evaluate(self, model: TaskModel) -> dict[str, float]:
        split = self.test_split
        logits = self.predict_in_batches(
            lambda pixels: model(pixels.to(self.dtype) / split.max_value)[0], split.images)
        return {"test_loss": float(F.cross_entropy(logits, split.labels)),
                "test_accuracy": argmax_accuracy(logits, split.labels)}


def argmax_accuracy(logits: Tensor, labels: Tensor) -> float:
    """Fraction of rows of ``logits (N, classes)`` whose argmax is ``labels (N,)``."""
    return float((logits.argmax(dim=1) == labels).to(torch.float64).mean())


class DigitsTask(ImageTask):
    """scikit-learn's 8x8 digits (bundled; 1437 train / 360 test): fast tests and lab runs."""

    name = "digits"
    dataset = "digits"
    train_size = 1_437
    drawn_digit_box = 8
    ui = TaskUI(label="8x8 digits (scikit-learn)", primary_metric="test_accuracy", higher_is_better=True,
                page=IMAGES_PAGE)
    input_shape = (1, 8, 8)
    description = "8x8 digits (bundled with scikit-learn): the conv flows at lab size"


class MNISTTask(ImageTask):
    """MNIST 28x28 (Table 1), 60k train / 10k test."""

    name = "mnist"
    dataset = "mnist"
    train_size = 60_000
    drawn_digit_box = 20
    ui = TaskUI(label="MNIST", primary_metric="test_accuracy", higher_is_better=True,
                page=IMAGES_PAGE)
    input_shape = (1, 28, 28)
    description = "MNIST (Table 1): per-sample controlled convolutions vs ANODE and NODE-DC"
    paper_test_accuracy = {"anode": 0.982, "node_dc": 0.985, "ncode_open": 0.992}


class FashionMNISTTask(ImageTask):
    """Fashion-MNIST 28x28, 60k train / 10k test."""

    name = "fashion_mnist"
    dataset = "fashion_mnist"
    train_size = 60_000
    ui = TaskUI(label="Fashion-MNIST", primary_metric="test_accuracy", higher_is_better=True,
                page=IMAGES_PAGE)
    input_shape = (1, 28, 28)
    description = "Fashion-MNIST: the Table 1 models on clothing images"


class CIFAR10Task(ImageTask):
    """CIFAR-10 32x32 RGB (Table 1), 50k train / 10k test."""

    name = "cifar10"
    dataset = "cifar10"
    train_size = 50_000
    ui = TaskUI(label="CIFAR-10", primary_metric="test_accuracy", higher_is_better=True,
                page=IMAGES_PAGE)
    input_shape = (3, 32, 32)
    description = "CIFAR-10 (Table 1): per-sample controlled convolutions on colour images"
    paper_test_accuracy = {"anode": 0.612, "node_dc": 0.620, "ncode_open": 0.741}
