"""Trainer and fit(): callbacks, early stopping, and failures that carry their reason."""

from __future__ import annotations

import math

import pytest
import torch

from ncode_core.integrate import SolverError
from ncode_core.training import DivergenceError, EarlyStopping, Trainer, fit


def _trainer(**sections) -> Trainer:
    return Trainer({"task": "annuli", "model": "node", "device": "cpu",
                    "training": {"batch_size": 64, "eval_every": 2, **sections.pop("training", {})},
                    **sections})


def test_fit_reaches_the_step_count_and_calls_back_every_step():
    seen = []

    class Recorder:
        def on_step(self, trainer, metrics):
            seen.append(metrics["step"])

    result = fit(_trainer(training={"steps": 5}), callbacks=[Recorder()])
    assert seen == [1, 2, 3, 4, 5] and result.steps == 5
    assert "test_accuracy" in result.evaluation and result.steps_per_s > 0
    assert [("test_loss" in h) for h in result.history] == [False, True, False, True, True]


def test_early_stopping_ends_training_when_the_metric_stalls():
    stopper = EarlyStopping(metric="test_loss", patience=2, min_delta=math.inf)
    result = fit(_trainer(training={"steps": 50}), callbacks=[stopper])
    assert result.steps == 6  # first evaluation sets the best, two stale ones stop it


def test_nan_loss_raises_divergence_with_reason_and_keeps_parameters(monkeypatch):
    trainer = _trainer()
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    monkeypatch.setattr(trainer.task, "loss", lambda model, x, y: (torch.tensor(math.nan), {}))
    with pytest.raises(DivergenceError) as caught:
        trainer.step()
    assert caught.value.reason == "NaN loss" and trainer.step_count == 0
    for name, value in trainer.model.state_dict().items():
        assert torch.equal(value, before[name])


def test_solver_failure_surfaces_with_its_reason():
    trainer = _trainer(solver={"rtol": 1e-9, "atol": 1e-9, "max_num_steps": 2})
    with pytest.raises(SolverError) as caught:
        trainer.step()
    assert caught.value.reason == "max steps exceeded"


def test_same_seed_same_run():
    first = [_trainer().step()["train_loss"] for _ in range(1)]
    second = [_trainer().step()["train_loss"] for _ in range(1)]
    assert first == second
