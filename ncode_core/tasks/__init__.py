"""Tasks: data, the models that fit them, losses and metrics."""

from ncode_core.tasks.annuli import AnnuliTask, sample_annuli
from ncode_core.tasks.autoencoding import (
    AutoencodingTask,
    Cifar10AutoencodingTask,
    DigitsAutoencodingTask,
    MnistAutoencodingTask,
)
from ncode_core.tasks.base import Task, step_generator
from ncode_core.tasks.reflection import ReflectionTask
from ncode_core.tasks.vanderpol import VanDerPolTask, vanderpol_reference

__all__ = [
    "AnnuliTask",
    "AutoencodingTask",
    "Cifar10AutoencodingTask",
    "DigitsAutoencodingTask",
    "MnistAutoencodingTask",
    "ReflectionTask",
    "Task",
    "VanDerPolTask",
    "sample_annuli",
    "step_generator",
    "vanderpol_reference",
]
