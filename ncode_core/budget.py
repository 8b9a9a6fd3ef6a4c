"""Will a run fit this machine? The fixed-step bound and the memory estimate.

:func:`check_run_fits` is called by :func:`ncode_core.registry.parse_run_config`, the validation the
CLI (``train``), job specs (``submit``, the runner) and the dashboard's forms all go through, so
a run that cannot fit is refused before anything starts, with the estimate in the message.

The estimate is measured, not modelled: the model is built on PyTorch's ``meta`` device (shapes
only, no memory), one evaluation of its vector field is traced with saved-tensor hooks at batch
sizes 1 and 2, and the difference gives the bytes autograd keeps per sample and per evaluation.
It therefore follows any change of architecture. What it counts:

- parameters with their gradients and the optimiser's two moments (4 copies);
- the ODE state (x and the per-sample theta or control code) at each kept evaluation;
- the activations autograd keeps per field evaluation, times the evaluations kept for
  backpropagation: ``ceil(T / step_size) * stages`` for fixed-grid solvers, a nominal
  :data:`NOMINAL_ADAPTIVE_EVALUATIONS` for adaptive ones (their step count is known only while
  they run; ``solver.max_num_steps`` bounds it), one with the adjoint (it recomputes);
- the batch, taken at ``training.batch_size`` (a task whose training set is smaller uses less).

Limits: it is an estimate of the training step on the host (CPU) memory; evaluation, the data
set and CUDA memory are not counted. Models that are not one flow around the task's field
(memorization's episode models, the LSTM) are counted by their parameters only.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

from ncode_core.config import ConfigError, RunConfig
from ncode_core.environment import env_number
from ncode_core.models import TaskModel
from ncode_core.tasks.base import Task

BYTES_PER_VALUE = 4  # float32, the training dtype
PARAMETER_COPIES = 4  # value, gradient, Adam's first and second moments
NOMINAL_ADAPTIVE_EVALUATIONS = 100
STAGES = {"euler": 1, "midpoint": 2, "rk4": 4}  # field evaluations per fixed-grid step
DEFAULT_BUDGET_FRACTION = 0.5  # of the machine's physical memory


@dataclass(frozen=True)
class RunEstimate:
    """What one training step of a run needs.

    ``solver_steps``: fixed-grid steps over [0, T] (None for adaptive methods);
    ``evaluations_kept``: field evaluations whose activations autograd keeps;
    ``memory_bytes``: the estimated peak memory of a training step.
    """

    parameters: int
    state_values_per_sample: int
    saved_bytes_per_sample: int
    solver_steps: int | None
    evaluations_kept: int
    memory_bytes: int


def memory_budget_bytes() -> int:
    """``$NCODE_MEMORY_BUDGET_MB`` megabytes, else half of this machine's physical memory."""
    megabytes = env_number("NCODE_MEMORY_BUDGET_MB", 0.0, strictly_above=-1.0)
    if megabytes > 0:
        return int(megabytes * 2**20)
    return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * DEFAULT_BUDGET_FRACTION)


def _meta_model(config: RunConfig, task_class: type[Task]) -> torch.nn.Module:
    """The run's model with shapes but no storage (its task's data is not generated)."""
    task = object.__new__(task_class)  # the base initialiser only: no data is drawn
    Task.__init__(task, config.task_cfg, config.seed, "meta")
    with torch.device("meta"):
        return task.build_model(config.model, config.model_cfg, config.solver)


def _saved_bytes(model: torch.nn.Module, input_shape: tuple[int, ...],
                 batch: int) -> tuple[int, int]:
    """(bytes autograd saves for gamma plus one field evaluation, state values) at ``batch``;
    (0, 0) for a model that is not one flow (see the module docstring)."""
    if not isinstance(model, TaskModel):
        return 0, 0
    saved = 0

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        nonlocal saved
        saved += tensor.numel() * tensor.element_size()
        return tensor

    flow = model.flow
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        state = flow.initial_state(torch.zeros(batch, *input_shape, device="meta"))
        flow.system(torch.zeros((), device="meta"), tuple(state))
    return saved, sum(part.numel() for part in state)


def estimate_run(config: RunConfig, task_class: type[Task]) -> RunEstimate:
    """Measure what a training step of ``config`` on ``task_class`` needs (see the module
    docstring)."""
    model = _meta_model(config, task_class)
    one, state_one = _saved_bytes(model, task_class.input_shape, 1)
    two, state_two = _saved_bytes(model, task_class.input_shape, 2)
    per_sample, state_per_sample = max(two - one, 0), state_two - state_one
    fixed = max(one - per_sample, 0)  # weights saved for the backward pass
    solver = config.solver
    steps = None
    if solver.adaptive:
        kept = NOMINAL_ADAPTIVE_EVALUATIONS
    else:
        flow = model.flow if isinstance(model, TaskModel) else None
        horizon = float(flow.integration_time if flow is not None
                        else config.model_cfg.integration_time)
        step_size = solver.step_size if solver.step_size is not None else horizon / 10
        steps = math.ceil(horizon / step_size - 1e-9)
        kept = steps * STAGES[solver.method]
    if solver.adjoint:
        kept = 1  # the adjoint recomputes the forward pass instead of keeping it
    parameters = sum(p.numel() for p in model.parameters())
    batch = config.training.batch_size
    memory = (parameters * BYTES_PER_VALUE * PARAMETER_COPIES
              + kept * (fixed + batch * (per_sample + state_per_sample * BYTES_PER_VALUE)))
    return RunEstimate(parameters, state_per_sample, per_sample, steps, kept, memory)


def _size(count_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count_bytes < 1024:
            return f"{count_bytes:.0f} {unit}"
        count_bytes /= 1024
    return f"{count_bytes:.1f} TB"


def check_run_fits(config: RunConfig, task_class: type[Task]) -> RunEstimate:
    """Refuse a run that cannot fit: a fixed-grid solve needing more than
    ``solver.max_num_steps`` steps, or an estimated memory above :func:`memory_budget_bytes`.

    Raises:
        ConfigError: naming the fields to change, with the estimate.
    """
    estimate = estimate_run(config, task_class)
    solver = config.solver
    if estimate.solver_steps is not None and estimate.solver_steps > solver.max_num_steps:
        raise ConfigError(
            f"solver.step_size: {solver.method} with step {solver.step_size} needs "
            f"{estimate.solver_steps} steps per solve, more than solver.max_num_steps = "
            f"{solver.max_num_steps}; use a larger step_size, an adaptive method, or raise "
            "max_num_steps")
    budget = memory_budget_bytes()
    if estimate.memory_bytes > budget:
        raise ConfigError(
            f"run too large: a training step needs about {_size(estimate.memory_bytes)} "
            f"({estimate.parameters} parameters, {estimate.evaluations_kept} field evaluations "
            f"kept x training.batch_size {config.training.batch_size} x "
            f"{_size(estimate.saved_bytes_per_sample)} per sample), over the memory budget of "
            f"{_size(budget)} (NCODE_MEMORY_BUDGET_MB); lower training.batch_size, "
            "model sizes or the number of solver steps, or use solver.adjoint=true")
    return estimate
