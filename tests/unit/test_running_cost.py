"""The running cost of Eq. 5, switched on from the config (``training.running_cost``)."""

from __future__ import annotations

import math

import pytest
import torch

from ncode_core.config import ConfigError, apply_overrides
from ncode_core.registry import parse_run_config
from ncode_core.dynamics import ConstantCode, LinearField
from ncode_core.jobs.spec import validate_job_spec
from ncode_core.training import Trainer

WEIGHT = 0.3
DECAY = 0.7  # the linear field dx/dt = -DECAY x


def _linear_field_trainer(on: str) -> Trainer:
    """Closed-loop N-CODE on the reflection whose field is made ``dx/dt = theta x`` with the
    constant theta = -DECAY: x(t) = x0 exp(-DECAY t)."""
    raw = apply_overrides(
        {"task": "reflection", "model": "ncode_closed", "device": "cpu",
         "solver": {"rtol": 1e-10, "atol": 1e-10}, "model_cfg": {"control": "full"}},
        [f"training.running_cost={WEIGHT}", f"training.running_cost_on={on}"])
    trainer = Trainer(raw, dtype=torch.float64)
    system = trainer.model.flow.system
    system.field, system.law = LinearField(1), None
    trainer.model.flow.initial = ConstantCode(torch.tensor([-DECAY], dtype=torch.float64))
    return trainer


@pytest.mark.parametrize("on", ["x", "theta"])
def test_running_cost_from_config_adds_its_closed_form_to_the_loss(on):
    trainer = _linear_field_trainer(on)
    x, y = trainer.task.train_batch(0, 64)
    with_cost = trainer.task.loss(trainer.model, x, y)[0]
    trainer.model.flow.system.running_cost = None
    without_cost = trainer.task.loss(trainer.model, x, y)[0]
    horizon = trainer.model.flow.integration_time
    if on == "x":  # integral of x0^2 exp(-2 a t) over [0, T], batch mean
        expected = x.pow(2).mean() * (1 - math.exp(-2 * DECAY * horizon)) / (2 * DECAY)
    else:  # theta is constant: T |theta|^2
        expected = torch.tensor(horizon * DECAY**2)
    assert float((with_cost - without_cost).detach()) == pytest.approx(WEIGHT * float(expected), rel=1e-7)


def test_running_cost_penalises_theta_not_the_control_code(float64):
    """Open loop keeps the code u = gamma(x(0)) as state; the cost is T |decoder(u)|^2."""
    trainer = Trainer({"task": "annuli", "model": "ncode_open", "device": "cpu",
                       "solver": {"rtol": 1e-10, "atol": 1e-10},
                       "training": {"running_cost": WEIGHT}}, dtype=torch.float64)
    flow = trainer.model.flow
    x0 = trainer.task.x_test[:8]
    with torch.no_grad():
        cost = flow(x0).cost
        code = flow.gamma(x0)
        theta = flow.system.theta(code)
    assert theta.shape[1] > code.shape[1]
    expected = WEIGHT * flow.integration_time * theta.pow(2).sum(dim=1)
    assert torch.allclose(cost, expected, rtol=1e-8)


def test_running_cost_off_by_default():
    trainer = Trainer({"task": "reflection", "model": "ncode_open", "device": "cpu"})
    assert trainer.model.flow.system.running_cost is None


def test_running_cost_on_theta_refused_for_a_model_without_theta():
    with pytest.raises(ConfigError, match="training.running_cost_on"):
        parse_run_config({"task": "annuli", "model": "node",
                          "training": {"running_cost": 0.1, "running_cost_on": "theta"}})
    parse_run_config({"task": "annuli", "model": "node",
                      "training": {"running_cost": 0.1, "running_cost_on": "x"}})


def test_running_cost_reaches_job_specs():
    spec = validate_job_spec({"task": "annuli", "model": "ncode_open", "steps": 10,
                              "training": {"running_cost": 0.1, "running_cost_on": "x"}})
    assert spec.run_config().training.running_cost == 0.1
    with pytest.raises(ConfigError, match="running_cost_on"):
        validate_job_spec({"task": "annuli", "model": "node", "steps": 10,
                           "overrides": ["training.running_cost=0.1"]})
