"""Trainer and fit(): callbacks, early stopping, failures that carry their reason, models that
are not ODEs, batched evaluation and minibatches drawn by index."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from ncode_core.__main__ import main
from ncode_core.integrate import SolverError
from ncode_core.tasks import ReflectionTask
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


class Affine(nn.Module):
    """A model with no ODE and no ``nfe``: ``x -> a x + b``, returning ``(output, None)`` as the
    reflection task reads its models (the place a recurrent baseline would take)."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(1, 1)
        self.seen_batches: list[int] = []

    def forward(self, x: torch.Tensor):
        self.seen_batches.append(x.shape[0])
        return self.layer(x), None


@pytest.fixture
def affine_reflection(monkeypatch):
    """The reflection task building :class:`Affine` instead of a flow."""
    monkeypatch.setattr(ReflectionTask, "build_model",
                        lambda self, family, config, solver: Affine())


def test_trainer_trains_a_model_that_is_not_an_ode(affine_reflection):
    trainer = Trainer({"task": "reflection", "model": "node", "device": "cpu",
                       "training": {"steps": 60, "lr": 0.1, "eval_every": 20}})
    assert isinstance(trainer.model, Affine)
    metrics = trainer.step()
    assert "nfe_forward" not in metrics and "nfe_backward" not in metrics
    result = fit(trainer)
    assert result.evaluation["test_mse"] < 0.05  # a x + b with a -> -1 solves the reflection
    assert (result.nfe_forward, result.nfe_backward) == (0, 0)


def test_cli_json_contract_holds_for_a_model_that_is_not_an_ode(affine_reflection, tmp_path,
                                                                  capsys):
    code = main(["train", "--task", "reflection", "--model", "node", "--steps", "3",
                 "--device", "cpu", "--out", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and (report["nfe_forward"], report["nfe_backward"]) == (0, 0)
    assert report["params"] == 2


def test_ode_models_report_their_solver_evaluations():
    metrics = _trainer().step()
    assert metrics["nfe_forward"] > 0 and metrics["nfe_backward"] > 0


def test_evaluation_goes_through_the_model_in_task_sized_batches(affine_reflection,
                                                                  monkeypatch):
    trainer = Trainer({"task": "reflection", "model": "node", "device": "cpu",
                       "task_cfg": {"n_test": 250}})
    whole = trainer.evaluate()
    monkeypatch.setattr(ReflectionTask, "eval_batch_size", 100)
    trainer.model.seen_batches.clear()
    batched = trainer.evaluate()
    assert trainer.model.seen_batches == [100, 100, 50]
    assert batched["test_mse"] == pytest.approx(whole["test_mse"], rel=1e-6)


def test_minibatches_gather_only_their_indices_and_depend_on_seed_and_step():
    trainer = _trainer()
    task = trainer.task
    count = task.x_train.shape[0]
    index = task.batch_indices(3, 64, count)
    assert index.shape == (64,) and index.unique().numel() == 64
    assert 0 <= int(index.min()) and int(index.max()) < count
    assert torch.equal(index, task.batch_indices(3, 64, count))
    assert not torch.equal(index, task.batch_indices(4, 64, count))
    x, y = task.train_batch(3, 64)
    assert torch.equal(x, task.x_train[index]) and torch.equal(y, task.y_train[index])
    whole_x, _ = task.train_batch(0, count)
    assert whole_x is task.x_train  # a batch of the whole set is the set itself, not a copy


def test_learning_rate_is_halved_when_the_training_loss_plateaus():
    """C.4's schedule: with a negligible learning rate the full-batch loss cannot improve, so
    every window after the first cuts the rate (patience 0); resuming keeps the schedule."""
    config = {"task": "reflection", "model": "node", "device": "cpu",
              "training": {"lr": 1e-12, "batch_size": 4096, "eval_every": 2,
                           "lr_plateau_factor": 0.5, "lr_plateau_patience": 0}}
    trainer = Trainer(config)
    for _ in range(6):
        trainer.step()
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(1e-12 * 0.5 ** 2)
    resumed = Trainer(config)
    resumed.load_state_dict(trainer.state_dict())
    for _ in range(2):
        trainer.step()
        resumed.step()
    assert resumed.optimizer.param_groups[0]["lr"] == trainer.optimizer.param_groups[0]["lr"]
