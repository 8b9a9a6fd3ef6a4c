"""Models that read an episode of stimuli in turn (the memorization task, section 4.3, C.3).

An episode is ``stimuli (B, K, n)``: K intervals, each showing one n-bit stimulus for
``durations[k]`` seconds; the model's guess ``(B, n)`` is read at the end of the last interval.
The ODE models integrate each interval with :func:`~ncode_core.integrate.solve`, carrying their
state from one interval to the next, and differ in what the stimulus does at an interval's onset
and what they carry:

- :class:`PlasticNCODE` (``ncode_closed``, Eq. 7): x is set to the stimulus at each onset, the
  dynamic synapses theta carry the memory: ``dx/dt = tanh(theta x)``, ``dtheta/dt = mu * x x^T``.
- :class:`DataControlledRecurrentNODE` (``node_dc``, Massaroli et al.): x is carried, the current
  stimulus is appended to it: ``dx/dt = tanh(W [x, s] + b)``.
- :class:`ODERNN` (``ode_rnn``, Rubanova et al.): the hidden state h is carried and the stimulus
  added to it at each onset; ``dh/dt = tanh(W h + b)``; guess ``L h``.

:class:`LSTMBaseline` (``lstm``) is discrete: each interval is ``steps_per_interval`` LSTM steps.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ncode_core.config import SolverConfig
from ncode_core.dynamics.controllers import ConstantCode, HebbianLaw
from ncode_core.dynamics.fields import LinearField
from ncode_core.dynamics.system import (
    AutonomousSystem,
    ControlledSystem,
    DataControlledSystem,
    FlowSystem,
)
from ncode_core.integrate import State, solve
from ncode_core.models.info import ModelInfo


class EpisodicFlow(nn.Module):
    """Base of the ODE episode models: solve interval by interval, carrying the state.

    Subclasses set ``family`` and implement :meth:`start`, :meth:`onset` and :meth:`guess`.
    ``nfe`` is (forward evaluations summed over the episode's intervals, backward evaluations
    of the last backward pass).
    """

    family = ""

    def __init__(self, system: FlowSystem, solver: SolverConfig, durations: list[float]) -> None:
        super().__init__()
        self.system = system
        self.solver = solver
        self.durations = list(durations)
        self.forward_nfe = 0

    def start(self, stimulus: Tensor) -> State:
        """ODE state at the first onset from its stimulus ``(B, n)``."""
        raise NotImplementedError

    def onset(self, state: State, stimulus: Tensor) -> State:
        """The carried state when a new stimulus ``(B, n)`` appears."""
        raise NotImplementedError

    def guess(self, state: State) -> Tensor:
        """The reconstruction ``(B, n)`` read from the final state."""
        raise NotImplementedError

    def solve_intervals(self, stimuli: Tensor, points: int = 2) -> list[State]:
        """The solution of each interval at ``points`` evenly spaced times from its onset to its
        end; ``stimuli (B, K, n)``, K = len(durations). Returns K states, each component
        ``(points, B, ...)``; the next interval starts from the last point.
        """
        if stimuli.shape[1] != len(self.durations):
            raise ValueError(f"stimuli have {stimuli.shape[1]} intervals, the schedule "
                             f"{len(self.durations)}")
        solutions: list[State] = []
        total = 0
        for index, duration in enumerate(self.durations):
            stimulus = stimuli[:, index]
            state = (self.start(stimulus) if index == 0 else
                     self.onset(tuple(component[-1] for component in solutions[-1]), stimulus))
            times = torch.linspace(0.0, duration, points, dtype=stimuli.dtype,
                                   device=stimuli.device)
            solutions.append(solve(self.system, state, times, self.solver))
            total += self.system.nfe_forward
        self.forward_nfe = total
        return solutions

    def states(self, stimuli: Tensor) -> list[State]:
        """The state at the end of each interval; ``stimuli (B, K, n)``, K = len(durations)."""
        return [tuple(component[-1] for component in solution)
                for solution in self.solve_intervals(stimuli)]

    def synapses(self, state: State) -> Tensor | None:
        """The dynamic weights theta ``(B, n, n)`` of ``state``, or None for a model without."""
        return None

    def forward(self, stimuli: Tensor) -> Tensor:
        """stimuli ``(B, K, n)`` -> guess ``(B, n)`` at the end of the episode."""
        return self.guess(self.states(stimuli)[-1])

    @property
    def nfe(self) -> tuple[int, int]:
        """(forward, backward) function evaluations of the last episode / backward pass."""
        return self.forward_nfe, self.system.nfe_backward


class PlasticNCODE(EpisodicFlow):
    """Closed-loop N-CODE with dynamic synapses (Eq. 7). State ``(x (B, n), theta (B, n*n))``.

    ``dx/dt = tanh(theta x)``, ``dtheta/dt = mu * x x^T``; x is set to the stimulus at each
    onset (Eq. 7's ``x(0) = x_stim``), theta starts at the learned ``theta0`` and is carried.
    Learned: ``theta0`` and ``mu`` (2 n^2 parameters).

    Both start zero-mean: ``theta0`` like nn.Linear (uniform +-1/sqrt(n)), ``mu`` uniform
    +-``gain_scale``. Any all-positive mu would already store the patterns before training (the
    sign of ``tanh(theta x)`` is then a Hopfield recall), so training must discover plasticity.
    """

    family = "ncode_closed"

    def __init__(self, n_bits: int, solver: SolverConfig, durations: list[float],
                 gain_scale: float = 0.01) -> None:
        law = HebbianLaw(n_bits)
        nn.init.uniform_(law.mu, -gain_scale, gain_scale)
        super().__init__(ControlledSystem(LinearField(n_bits, nn.Tanh()), law), solver, durations)
        bound = n_bits ** -0.5
        self.theta0 = ConstantCode(torch.empty(n_bits * n_bits).uniform_(-bound, bound))

    def start(self, stimulus: Tensor) -> State:
        return stimulus, self.theta0(stimulus)

    def onset(self, state: State, stimulus: Tensor) -> State:
        return stimulus, state[1]

    def guess(self, state: State) -> Tensor:
        return state[0]

    def synapses(self, state: State) -> Tensor:
        """theta ``(B, n, n)``: row i holds the weights into unit i (``dx/dt = tanh(theta x)``)."""
        n = state[0].shape[-1]
        return state[1].reshape(*state[1].shape[:-1], n, n)

    def freeze_plasticity(self) -> None:
        """Set mu = 0 and stop learning it: theta stays theta0 (the static-weight ablation)."""
        with torch.no_grad():
            self.system.law.mu.zero_()
        self.system.law.mu.requires_grad_(False)


class DataControlledRecurrentNODE(EpisodicFlow):
    """Open-loop data control: ``dx/dt = tanh(W [x, s] + b)``, W ``(n, 2n)``.

    State ``(x, s)``: x ``(B, n)`` is carried across intervals (it starts at the first
    stimulus), s ``(B, n)`` is the current stimulus, constant within an interval.
    """

    family = "node_dc"

    def __init__(self, n_bits: int, solver: SolverConfig, durations: list[float]) -> None:
        field = nn.Sequential(nn.Linear(2 * n_bits, n_bits), nn.Tanh())
        super().__init__(DataControlledSystem(field), solver, durations)

    def start(self, stimulus: Tensor) -> State:
        return stimulus, stimulus

    def onset(self, state: State, stimulus: Tensor) -> State:
        return state[0], stimulus

    def guess(self, state: State) -> Tensor:
        return state[0]


class ODERNN(EpisodicFlow):
    """Static-weight recurrent cell in continuous time: ``dh/dt = tanh(W h + b)``.

    State ``(h (B, n),)``: h starts at the first stimulus and each later stimulus is added to it
    at its onset; the guess is a linear read-out ``L h`` (which balances the parameter count).
    """

    family = "ode_rnn"
    info = ModelInfo("ODE-RNN", ())
    controlled = False

    def __init__(self, n_bits: int, solver: SolverConfig, durations: list[float]) -> None:
        field = nn.Sequential(nn.Linear(n_bits, n_bits), nn.Tanh())
        super().__init__(AutonomousSystem(field), solver, durations)
        self.readout = nn.Linear(n_bits, n_bits)

    def start(self, stimulus: Tensor) -> State:
        return (stimulus,)

    def onset(self, state: State, stimulus: Tensor) -> State:
        return (state[0] + stimulus,)

    def guess(self, state: State) -> Tensor:
        return self.readout(state[0])


class LSTMBaseline(nn.Module):
    """A vanilla LSTM with a large hidden state and a linear read-out (C.3).

    Each interval of the episode is ``steps_per_interval`` steps with its stimulus as input (the
    paper: 5); the guess ``(B, n)`` is read from the last step's output. ``nfe`` is (0, 0).
    """

    family = "lstm"
    info = ModelInfo("LSTM", ())
    controlled = False

    def __init__(self, n_bits: int, hidden: int, steps_per_interval: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_bits, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, n_bits)
        self.steps_per_interval = steps_per_interval

    def forward(self, stimuli: Tensor) -> Tensor:
        """stimuli ``(B, K, n)`` -> guess ``(B, n)``."""
        sequence = stimuli.repeat_interleave(self.steps_per_interval, dim=1)
        outputs, _ = self.lstm(sequence)
        return self.readout(outputs[:, -1])

    @property
    def nfe(self) -> tuple[int, int]:
        """No ODE is solved."""
        return 0, 0


EPISODIC_FAMILIES = ("ncode_closed", "node_dc", "ode_rnn", "lstm")
