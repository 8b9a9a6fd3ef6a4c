"""What the dashboard needs to show a task, declared once per task as ``Task.ui``.

The app reads these fields and never branches on a task's name, so a new task is one file plus
one registry line and the dashboard picks it up. Plain values only (no plotting, no streamlit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel

Bounds = tuple[float, ...]  # (low, high) per input dimension: (x0, x1) or (x0, x1, y0, y1)


@dataclass(frozen=True)
class TourStep:
    """One step of the teaching tour: a title, a short text, the model family it opens."""

    title: str
    text: str
    model: str


@dataclass(frozen=True)
class FractionSplit:
    """A task config holding a total count ``n_samples`` and a held-out ``test_fraction``."""

    def task_config(self, samples: int, test_fraction: float) -> dict[str, Any]:
        """The config fields for ``samples`` points (train + test) and ``test_fraction``."""
        return {"n_samples": samples, "test_fraction": test_fraction}

    def read(self, config: BaseModel) -> tuple[int, float]:
        """``(samples, test_fraction)`` of a validated task config."""
        return config.n_samples, config.test_fraction


@dataclass(frozen=True)
class CountSplit:
    """A task config holding ``n_train`` and ``n_test``; each split keeps ``least`` items."""

    least: int = 1

    def task_config(self, samples: int, test_fraction: float) -> dict[str, Any]:
        """The config fields for ``samples`` items (train + test), ``test_fraction`` held out."""
        n_test = max(self.least, round(samples * test_fraction))
        return {"n_train": max(self.least, samples - n_test), "n_test": n_test}

    def read(self, config: BaseModel) -> tuple[int, float]:
        """``(samples, test_fraction)`` of a validated task config."""
        total = config.n_train + config.n_test
        return total, config.n_test / total


@dataclass(frozen=True)
class LabUI:
    """What the Toy lab, Compare, the Bifurcation explorer and the tour need to train a task live
    and draw it (toy tasks only: a task without a ``LabUI`` does not appear on those pages).

    Attributes:
        views: every picture the lab draws for this task, in page order (names the app's view
            builders know: ``decision``, ``trajectories``, ``paths``, ``portrait``, ``field_a``,
            ``field_b``, ``theta``; ``theta`` is drawn only for controlled models).
        main_views: the views Compare shows and the lab draws first.
        samples: sample inputs A and B, each with one coordinate per input dimension; empty when
            the task's views start from its own test inputs instead.
        sample_range: ``(default, low, high)`` of the number of data items (train + test).
        batch_size: the lab's default minibatch.
        lr: the lab's default learning rate.
        own_horizon: True when the task fixes the integration time itself (the T setting is off).
        uses_noise: True when the task config has a ``noise`` field the lab may set.
        split: how a count and a test fraction map onto the task config.
        plot_bounds: the task config -> the box around its data (:data:`Bounds`).
        default_model: the model family the dashboard opens this task with.
        opens: dashboard pages that open on this task by default (``lab``, ``compare``).
        compare_lesson: what Compare shows on this task (one sentence).
        tour: this task's steps of the teaching tour, in order.
    """

    views: tuple[str, ...]
    main_views: tuple[str, ...]
    samples: tuple[tuple[float, ...], ...]
    sample_range: tuple[int, int, int]
    batch_size: int
    lr: float
    own_horizon: bool
    uses_noise: bool
    split: FractionSplit | CountSplit
    plot_bounds: Callable[[BaseModel], Bounds]
    default_model: str
    opens: tuple[str, ...] = ()
    compare_lesson: str = ""
    tour: tuple[TourStep, ...] = ()

    def task_config(self, samples: int, test_fraction: float, noise: float) -> dict[str, Any]:
        """Task config fields for the lab's data settings (``noise`` only where it applies)."""
        fields = self.split.task_config(samples, test_fraction)
        return {**fields, "noise": noise} if self.uses_noise else fields

    def data_settings(self, config: BaseModel) -> tuple[int, float, float]:
        """``(samples, test_fraction, noise)`` of a validated task config (noise 0 if none)."""
        samples, fraction = self.split.read(config)
        noise = float(config.noise) if self.uses_noise else 0.0
        return samples, fraction, noise


@dataclass(frozen=True)
class TaskUI:
    """The dashboard's knowledge of one task.

    Attributes:
        label: the task's name in menus.
        primary_metric: the held-out metric plotted next to the loss (a key of ``evaluate()``).
        higher_is_better: the primary metric's direction.
        lab: how the toy pages train and draw it live; None for tasks with pages of their own
            (memorization, images), which the toy pages do not list.
        page: the url path of the dashboard page of its own (e.g. ``"memorization"``); None
            when the task runs only in the library, the command line and Jobs.
    """

    label: str
    primary_metric: str
    higher_is_better: bool
    lab: LabUI | None = None
    page: str | None = None
