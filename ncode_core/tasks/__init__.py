"""Tasks: data, the models that fit them, losses and metrics."""

from ncode_core.tasks.annuli import AnnuliTask, sample_annuli
from ncode_core.tasks.autoencoding import (
    AutoencodingTask,
    CelebaAutoencodingTask,
    Cifar10AutoencodingTask,
    DigitsAutoencodingTask,
    MnistAutoencodingTask,
)
from ncode_core.tasks.base import Task, step_generator
from ncode_core.tasks.images import (
    CIFAR10Task,
    DigitsTask,
    FashionMNISTTask,
    ImageConfig,
    ImageTask,
    MNISTTask,
)
from ncode_core.tasks.memorization import MemorizationTask
from ncode_core.tasks.reflection import ReflectionTask
from ncode_core.tasks.vanderpol import VanDerPolTask, vanderpol_reference
from ncode_core.tasks.ui import CountSplit, FractionSplit, LabUI, TaskUI, TourStep

__all__ = [
    "AnnuliTask",
    "CIFAR10Task",
    "DigitsTask",
    "FashionMNISTTask",
    "ImageConfig",
    "ImageTask",
    "MNISTTask",
    "CountSplit",
    "FractionSplit",
    "MemorizationTask",
    "AutoencodingTask",
    "CelebaAutoencodingTask",
    "Cifar10AutoencodingTask",
    "DigitsAutoencodingTask",
    "MnistAutoencodingTask",
    "ReflectionTask",
    "Task",
    "LabUI",
    "TaskUI",
    "TourStep",
    "VanDerPolTask",
    "sample_annuli",
    "step_generator",
    "vanderpol_reference",
]
