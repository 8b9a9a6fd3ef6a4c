"""Training and evaluation: a :class:`Trainer` that advances one optimiser step at a time
(the dashboard runs it in chunks) and :func:`fit`, the loop with callbacks (CLI and jobs)."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch

from ncode_core.checkpoint import CheckpointError
from ncode_core.config import RunConfig, shorten
from ncode_core.models import parameter_count
from ncode_core.registry import build_model, build_task, parse_run_config
from ncode_core.runtime import resolve_device, seed_everything

log = logging.getLogger(__name__)


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss or gradient; ``reason`` says which."""

    def __init__(self, reason: str, step: int) -> None:
        self.reason = reason
        self.step = step
        super().__init__(f"training diverged at step {step}: {reason}")


@runtime_checkable
class CountsEvaluations(Protocol):
    """A model solved by an ODE solver: ``nfe`` is (forward, backward) function evaluations of
    its last solve / backward pass. Models without one (recurrent baselines) report no NFE."""

    @property
    def nfe(self) -> tuple[int, int]: ...


def evaluation_counts(model: Any) -> tuple[int, int] | None:
    """``model.nfe`` for models that count solver evaluations, else None."""
    return model.nfe if isinstance(model, CountsEvaluations) else None


class Trainer:
    """Owns task, model and optimiser for one :class:`RunConfig`; the model may be any
    nn.Module the task builds (an ODE or not).

    ``step()`` performs one optimiser step and returns its metrics; ``evaluate()`` the held-out
    metrics. ``state_dict()`` / ``load_state_dict()`` cover everything needed to resume exactly
    (model, optimiser, step counter): minibatches depend only on (seed, step).
    """

    def __init__(self, config: RunConfig | dict[str, Any], device: str | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        self.config = config if isinstance(config, RunConfig) else parse_run_config(config)
        self.device = resolve_device(device or self.config.device)
        seed_everything(self.config.seed)
        self.task = build_task(self.config, self.device, dtype)
        self.model = build_model(self.task, self.config).to(device=self.device, dtype=dtype)
        training = self.config.training
        optimizer_cls = torch.optim.AdamW if training.optimizer == "adamw" else torch.optim.Adam
        self.optimizer = optimizer_cls(self.model.parameters(), lr=training.lr,
                                       weight_decay=training.weight_decay)
        self.lr_schedule = None
        if training.lr_plateau_factor is not None:
            self.lr_schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimizer, factor=training.lr_plateau_factor,
                patience=training.lr_plateau_patience)
        self.window_losses: list[float] = []  # training losses since the last plateau check
        self.step_count = 0

    @property
    def parameter_count(self) -> int:
        """Number of trainable scalars."""
        return parameter_count(self.model)

    def step(self) -> dict[str, float]:
        """One optimiser step. Returns ``step``, ``train_loss``, batch metrics, ``step_s`` and,
        for models that count solver evaluations, ``nfe_forward`` and ``nfe_backward``.

        Raises:
            DivergenceError: non-finite loss or gradient (the parameters are left unchanged).
            SolverError: the ODE solve failed.
        """
        started = time.perf_counter()
        training = self.config.training
        self.model.train()
        x, y = self.task.train_batch(self.step_count, training.batch_size)
        self.optimizer.zero_grad(set_to_none=True)
        loss, batch_metrics = self.task.loss(self.model, x, y)
        forward_counts = evaluation_counts(self.model)
        if not torch.isfinite(loss):
            raise DivergenceError("NaN loss" if torch.isnan(loss) else "infinite loss",
                                  self.step_count)
        loss.backward()
        counts = {}
        if forward_counts is not None:
            counts = {"nfe_forward": forward_counts[0],
                      "nfe_backward": evaluation_counts(self.model)[1]}
        limit = training.grad_clip if training.grad_clip is not None else math.inf
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), limit)
        if not torch.isfinite(grad_norm):
            raise DivergenceError("non-finite gradient", self.step_count)
        self.optimizer.step()
        self.step_count += 1
        self._track_plateau(float(loss.detach()))
        return {
            "step": self.step_count,
            "train_loss": float(loss.detach()),
            **{f"train_{name}": value for name, value in batch_metrics.items()},
            **counts,
            "step_s": time.perf_counter() - started,
        }

    def _track_plateau(self, loss: float) -> None:
        """Feed the plateau schedule the mean training loss of every ``eval_every`` steps."""
        if self.lr_schedule is None:
            return
        self.window_losses.append(loss)
        if len(self.window_losses) == self.config.training.eval_every:
            self.lr_schedule.step(sum(self.window_losses) / len(self.window_losses))
            self.window_losses = []

    def evaluate(self) -> dict[str, Any]:
        """Held-out metrics of the current model (``test_loss`` + the task's metrics)."""
        self.model.eval()
        return self.task.evaluate(self.model)

    def state_dict(self) -> dict[str, Any]:
        """Plain-type resume state: config, model and optimiser tensors, step."""
        return {
            "config": self.config.to_dict(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step_count,
            **({"lr_schedule": self.lr_schedule.state_dict(), "window_losses": self.window_losses}
               if self.lr_schedule is not None else {}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` produced (config must match this trainer's).

        Raises:
            CheckpointError: the weights or optimiser state do not fit this model (e.g. a
                checkpoint whose config names one task but whose weights come from another).
        """
        try:
            self.model.load_state_dict(state["model"])
            if state.get("optimizer") is not None:
                self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise CheckpointError(f"weights do not fit {self.config.task}/{self.config.model}: "
                                  f"{shorten(first, 160)}") from None
        self.step_count = int(state["step"])
        if self.lr_schedule is not None and state.get("lr_schedule") is not None:
            self.lr_schedule.load_state_dict(state["lr_schedule"])
            self.window_losses = list(state.get("window_losses", []))


class Callback(Protocol):
    """Hooks for :func:`fit`. All are optional; implement what you need."""

    def on_step(self, trainer: Trainer, metrics: dict[str, Any]) -> None: ...

    def should_stop(self, trainer: Trainer) -> bool: ...


@dataclass
class EarlyStopping:
    """Stop when ``metric`` has not improved by ``min_delta`` for ``patience`` evaluations."""

    metric: str = "test_loss"
    patience: int = 5
    min_delta: float = 0.0
    mode: str = "min"
    best: float | None = field(default=None, init=False)
    stale: int = field(default=0, init=False)

    def on_step(self, trainer: Trainer, metrics: dict[str, Any]) -> None:
        if self.metric not in metrics:
            return
        value = metrics[self.metric] if self.mode == "min" else -metrics[self.metric]
        if self.best is None or value < self.best - self.min_delta:
            self.best, self.stale = value, 0
        else:
            self.stale += 1

    def should_stop(self, trainer: Trainer) -> bool:
        return self.stale >= self.patience


@dataclass
class FitResult:
    """Summary of a :func:`fit` call: last step metrics, last evaluation, timing. The NFEs are
    the last step's, 0 for a model that does no ODE solve."""

    steps: int
    train_loss: float
    evaluation: dict[str, Any]
    nfe_forward: int
    nfe_backward: int
    wall_s: float
    steps_per_s: float
    history: list[dict[str, Any]]


def fit(trainer: Trainer, steps: int | None = None,
        callbacks: list[Any] | None = None) -> FitResult:
    """Train until ``trainer.step_count`` reaches ``steps`` (default: config.training.steps).

    Evaluates every ``training.eval_every`` steps and at the end; metrics of evaluated steps
    carry the evaluation too. Callbacks see every step's metrics; any ``should_stop`` ends
    training early. Errors (DivergenceError, SolverError) propagate to the caller.
    """
    callbacks = callbacks or []
    target = trainer.config.training.steps if steps is None else steps
    every = trainer.config.training.eval_every
    history: list[dict[str, Any]] = []
    started = time.perf_counter()
    done = 0
    metrics: dict[str, Any] = {"train_loss": math.nan}
    evaluation: dict[str, Any] = {}
    while trainer.step_count < target:
        metrics = trainer.step()
        done += 1
        if trainer.step_count % every == 0 or trainer.step_count == target:
            evaluation = trainer.evaluate()
            metrics.update(evaluation)
        history.append(metrics)
        for callback in callbacks:
            if hasattr(callback, "on_step"):
                callback.on_step(trainer, metrics)
        if any(getattr(c, "should_stop", lambda _t: False)(trainer) for c in callbacks):
            log.info("stopped early at step %d", trainer.step_count)
            break
    wall = time.perf_counter() - started
    if not evaluation:
        evaluation = trainer.evaluate()
    return FitResult(
        steps=trainer.step_count, train_loss=metrics["train_loss"], evaluation=evaluation,
        nfe_forward=metrics.get("nfe_forward", 0), nfe_backward=metrics.get("nfe_backward", 0),
        wall_s=wall,
        steps_per_s=done / wall if wall > 0 else 0.0, history=history,
    )
