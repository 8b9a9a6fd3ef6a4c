"""Theorem 1: adjoint gradients equal direct-backprop gradients (float64) for every model,
including gamma's parameters (Remark 1) and a loss with an integrated running cost (Eq. 5)."""

from __future__ import annotations

import pytest
import torch

from ncode_core.config import SolverConfig
from ncode_core.dynamics import (
    ConstantCode,
    HebbianLaw,
    LinearField,
    QuadraticCost,
)
from ncode_core.models import ClosedLoopNCODE
from ncode_core.registry import MODELS, TASKS
from ncode_core.tasks import ImageTask
from ncode_core.training import Trainer

TIGHT = {"method": "dopri5", "rtol": 1e-10, "atol": 1e-10}
# Image tasks are checked in test_images.py, on a tiny input with a fine fixed grid: their ReLU
# conv block makes dopri5 at this tolerance take thousands of steps.
POINT_TASKS = sorted(name for name, cls in TASKS.items() if not issubclass(cls, ImageTask))


def _gradients(model, loss_fn):
    torch.manual_seed(0)  # models that draw noise (AutoN-CODE's x0) draw the same in both passes
    model.zero_grad(set_to_none=True)
    loss_fn().backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def _compare(model, loss_fn):
    """Gradients with direct backprop then with the adjoint (a copy of the frozen solver config
    with ``adjoint=True`` swapped in for the second pass); returns both dicts."""
    flow = model.flow if hasattr(model, "flow") else model
    direct_solver = flow.solver
    assert not direct_solver.adjoint
    direct = _gradients(model, loss_fn)
    flow.solver = direct_solver.model_copy(update={"adjoint": True})
    try:
        adjoint = _gradients(model, loss_fn)
    finally:
        flow.solver = direct_solver
    return direct, adjoint


def _assert_close(direct, adjoint):
    assert direct.keys() == adjoint.keys()
    assert direct, "no parameter received a gradient"
    for name in direct:
        assert torch.allclose(adjoint[name], direct[name], rtol=1e-5, atol=1e-9), name


def _trainer(task: str, model: str, **model_options) -> Trainer:
    config = {"task": task, "model": model, "device": "cpu", "solver": TIGHT,
              "training": {"batch_size": 16},
              "model_cfg": {"hidden": 8, "gamma_hidden": 4, "law_hidden": 8, **model_options}}
    return Trainer(config, dtype=torch.float64)


# Every (task, model) pair that fits and solves an ODE (counts NFE), on bundled data (MNIST and
# CIFAR tasks need a download and build the same models as the digits ones). Memorization's
# default episode (n = 100, theta 100 x 100) takes a minute at these tolerances:
# test_memorization checks adjoint == direct for its ODE models on a tiny episode instead.
FITTING_PAIRS = [(task, family) for task in POINT_TASKS for family in TASKS[task].families
                 if hasattr(MODELS[family], "nfe") and task != "memorization"
                 and getattr(TASKS[task], "dataset", "digits") == "digits"]


@pytest.mark.parametrize("task, family", FITTING_PAIRS)
def test_adjoint_equals_direct_for_every_model(task, family):
    trainer = _trainer(task, family)
    x, y = trainer.task.train_batch(0, 16)
    direct, adjoint = _compare(trainer.model, lambda: trainer.task.loss(trainer.model, x, y)[0])
    _assert_close(direct, adjoint)
    if family == "ncode_open":  # Remark 1: gamma's parameters get their gradient through theta(0)
        assert any(name.startswith("flow.gamma") for name in direct)


@pytest.mark.parametrize("task", ["reflection", "annuli"])
@pytest.mark.parametrize("control", ["full", "code"])
@pytest.mark.parametrize("theta0", ["learned", "gamma"])
def test_adjoint_equals_direct_for_every_closed_loop_form(task, control, theta0):
    """Closed loop over all of theta (full) or a code, from a learned theta(0) or gamma(x(0))."""
    trainer = _trainer(task, "ncode_closed", control=control, theta0=theta0)
    x, y = trainer.task.train_batch(0, 16)
    direct, adjoint = _compare(trainer.model, lambda: trainer.task.loss(trainer.model, x, y)[0])
    _assert_close(direct, adjoint)
    assert any(name.startswith("flow.system.law") for name in direct)
    if theta0 == "gamma":  # Eq. 4: gamma's parameters get their gradient through theta(0)
        gamma_weight = "flow.initial.0.layer.weight" if control == "full" else \
            "flow.initial.layer.weight"
        assert gamma_weight in direct


def test_full_control_evolves_every_field_parameter(float64):
    trainer = _trainer("annuli", "ncode_closed", control="full", theta0="gamma")
    flow = trainer.model.flow
    x, _ = trainer.task.train_batch(0, 16)
    theta = flow.theta(flow(x))
    assert theta.shape == (2, 16, flow.system.field.theta_size)
    moved = (theta[-1] - theta[0]).abs() > 1e-8
    assert moved.all(), "the law left some field parameters constant"


@pytest.mark.parametrize("family, options", [("node", {}), ("ncode_open", {}),
                                             ("ncode_closed", {"control": "code"}),
                                             ("ncode_closed", {"control": "full"})])
def test_adjoint_equals_direct_with_running_cost(family, options):
    trainer = _trainer("annuli", family, **options)
    flow = trainer.model.flow
    flow.system.running_cost = QuadraticCost(x_weight=0.5, theta_weight=0.1)
    x, y = trainer.task.train_batch(0, 16)

    def loss():
        trajectory = flow(x)
        readout = trainer.model.readout(trajectory.x[-1]).squeeze(1)
        return ((readout - y) ** 2).mean() + trajectory.cost.mean()

    direct, adjoint = _compare(trainer.model, loss)
    _assert_close(direct, adjoint)


def test_running_cost_integrates_the_cost(float64):
    """For a NODE with a zero field, x stays x0, so the integral is T * |x0|^2."""
    trainer = _trainer("annuli", "node")
    flow = trainer.model.flow
    for parameter in flow.parameters():
        parameter.data.zero_()
    flow.system.running_cost = QuadraticCost(x_weight=1.0)
    x0 = torch.randn(5, 2)
    cost = flow(x0).cost
    assert torch.allclose(cost, flow.integration_time * x0.pow(2).sum(1), rtol=1e-8)


def test_adjoint_equals_direct_for_hebbian_closed_loop(float64):
    """Eq. 7: dx/dt = tanh(theta x), dtheta/dt = mu * x x^T, theta(0) learned."""
    n = 6
    solver = SolverConfig(**TIGHT)
    flow = ClosedLoopNCODE(LinearField(n, torch.nn.Tanh()), HebbianLaw(n),
                           ConstantCode(0.1 * torch.randn(n * n)), None, solver, 0.5)
    x0 = torch.randn(3, n)
    direct, adjoint = _compare(flow, lambda: flow(x0).x[-1].pow(2).sum())
    _assert_close(direct, adjoint)
    assert "system.law.mu" in direct
