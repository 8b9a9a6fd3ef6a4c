"""Open loop with direct backprop solves x alone, theta decoded once and held fixed
(:meth:`ControlledSystem.holding_context`): the same flow, gradients and NFE as the state
``(x, u)`` with ``du/dt = 0`` that the adjoint path still solves."""

from __future__ import annotations

import threading

import pytest
import torch

from ncode_core.dynamics import QuadraticCost
from ncode_core.integrate import solve
from ncode_core.training import Trainer

BATCH = 64


def _annuli_open_loop(dtype=torch.float64):
    """Default annuli open-loop model (dopri5 1e-3, direct backprop) and one training batch."""
    trainer = Trainer({"task": "annuli", "model": "ncode_open", "device": "cpu", "seed": 0,
                       "training": {"batch_size": BATCH}}, dtype=dtype)
    x, _ = trainer.task.train_batch(0, BATCH)
    return trainer.model.flow, x.to(dtype)


def _state_form(flow, x0, times):
    """x, control ``(T, B, ...)`` and the cost ``(B,)`` or None, solving the state ``(x, u)``
    (plus the cost) as FlowModel did before holding the control."""
    state0 = flow.initial_state(x0)
    if flow.system.running_cost is None:
        x, control = solve(flow.system, state0, times, flow.solver)
        return x, control, None
    x, control, cost = solve(flow.system, (*state0, x0.new_zeros(x0.shape[0])), times,
                             flow.solver)
    return x, control, cost[-1] - cost[0]


def _loss(x_end, control, cost):
    """A loss that reaches x(T), the control path and the running cost."""
    loss = x_end.pow(2).sum() + control.sum()
    return loss if cost is None else loss + cost.sum()


def _gradients(flow, loss):
    flow.zero_grad(set_to_none=True)
    loss.backward()
    return {name: p.grad.clone() for name, p in flow.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("running_cost", [False, True])
def test_held_control_matches_the_state_form(running_cost, float64):
    flow, x0 = _annuli_open_loop()
    assert not flow.solver.adjoint and flow.solver.method == "dopri5"
    if running_cost:
        flow.system.running_cost = QuadraticCost(x_weight=0.5, theta_weight=0.1)
    times = torch.linspace(0.0, flow.integration_time, 4)
    decodes = []
    flow.system.decoder.register_forward_hook(lambda *_: decodes.append(1))

    held = flow(x0, times)
    held_grads = _gradients(flow, _loss(held.x[-1], held.context[0], held.cost))
    held_nfe = flow.nfe
    held_decodes = len(decodes)

    x, control, cost = _state_form(flow, x0, times)
    state_grads = _gradients(flow, _loss(x[-1], control, cost))

    assert held_decodes == 1, "the fast path must decode theta once per solve"
    assert len(decodes) - 1 >= flow.nfe[0], "the state form decodes theta at every evaluation"
    assert held_nfe == flow.nfe
    assert torch.allclose(held.x, x, rtol=0, atol=1e-12)
    assert held.context[0].shape == control.shape == (4, BATCH, control.shape[-1])
    assert torch.allclose(held.context[0], control, rtol=0, atol=1e-12)
    assert torch.allclose(flow.theta(held), flow.system.theta(control), rtol=0, atol=1e-12)
    if running_cost:
        assert torch.allclose(held.cost, cost, rtol=1e-12, atol=1e-12)
    assert held_grads.keys() == state_grads.keys()
    assert any(name.startswith("gamma") for name in held_grads)
    for name in held_grads:
        assert torch.allclose(held_grads[name], state_grads[name], rtol=1e-10, atol=1e-12), name


def test_held_control_keeps_the_solver_steps_in_float32():
    """Same accepted and rejected steps as the state form at the default float32: u's error is
    0 and, on annuli, x outweighs u in dopri5's initial-step heuristic, so x(T) is bitwise the
    same."""
    flow, x0 = _annuli_open_loop(torch.float32)
    times = flow.default_times(x0)
    with torch.no_grad():
        held = flow(x0)
        held_nfe = flow.nfe[0]
        x, _, _ = _state_form(flow, x0, times)
    assert held_nfe == flow.nfe[0]
    assert torch.equal(held.x[-1], x[-1])


def test_only_open_loop_holds_its_control():
    trainer = Trainer({"task": "annuli", "model": "ncode_closed", "device": "cpu", "seed": 0})
    system = trainer.model.flow.system
    assert not system.context_is_constant
    with pytest.raises(ValueError, match="open-loop"):
        with system.holding_context((torch.zeros(1, 4),)):
            pass
    node = Trainer({"task": "annuli", "model": "node", "device": "cpu", "seed": 0})
    assert not node.model.flow.system.context_is_constant
    with pytest.raises(ValueError, match="not constant"):
        node.model.flow.system.holding_context(())


def test_threads_solving_one_model_at_once_each_keep_their_own_held_control():
    """The dashboard can run a model in two threads at once (a training chunk still finishing
    in the script run a click interrupted, while the next run draws the views): one thread's
    solve ending must not take the held control from another's."""
    flow, x0 = _annuli_open_loop()
    with torch.no_grad():
        expected = flow(x0).x[-1]
    failures: list[BaseException] = []
    results: list[torch.Tensor] = []

    def solve_repeatedly() -> None:
        try:
            for _ in range(40):
                with torch.no_grad():
                    results.append(flow(x0).x[-1])
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=solve_repeatedly) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, repr(failures[0])
    assert len(results) == 120
    assert all(torch.equal(result, expected) for result in results)
