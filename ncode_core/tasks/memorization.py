"""Few-shot pattern memorization (section 4.3, appendix C.3, Fig. 6; Miconi et al. 2018).

An episode shows m random n-bit patterns in {-1, 1}, ``cycles`` times each in shuffled order,
then a probe: one of the patterns with a fixed fraction of its bits zeroed. The model must
reconstruct that pattern. Training episodes are fresh at every step (drawn from (seed, step));
evaluation uses a fixed held-out set drawn once from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ncode_core.config import MemorizationConfig, ModelConfig, SolverConfig
from ncode_core.models.episodic import (
    EPISODIC_FAMILIES,
    ODERNN,
    DataControlledRecurrentNODE,
    EpisodicFlow,
    LSTMBaseline,
    PlasticNCODE,
)
from ncode_core.tasks.base import Task, step_generator
from ncode_core.tasks.ui import TaskUI

HELD_OUT_STEP = -1  # training steps are >= 0, so the held-out stream never repeats a batch
EVAL_CHUNK = 64  # episodes per forward pass when evaluating (bounds memory at n = 1000)


@dataclass(frozen=True)
class Episodes:
    """A batch of B episodes of K = m * cycles + 1 intervals.

    Attributes:
        stimuli: ``(B, K, n)`` what each interval shows; the last interval is the probe.
        target: ``(B, n)`` the pattern the probe was made from.
        patterns: ``(B, m, n)`` the episode's patterns.
        order: ``(B, K - 1)`` which pattern each presentation shows.
    """

    stimuli: Tensor
    target: Tensor
    patterns: Tensor
    order: Tensor

    @property
    def probe(self) -> Tensor:
        """``(B, n)`` the degraded pattern shown last."""
        return self.stimuli[:, -1]

    def with_probe(self, index: int, pattern: int, probe: Tensor | Sequence[float]) -> Episodes:
        """Episode ``index`` alone (B = 1), probed with ``probe (n,)`` (any values; 0 = a
        zeroed bit) made from its pattern ``pattern``, which becomes the target."""
        stimuli = self.stimuli[index:index + 1].clone()
        stimuli[0, -1] = torch.as_tensor(probe, dtype=stimuli.dtype, device=stimuli.device)
        return Episodes(stimuli, self.patterns[index, pattern][None].clone(),
                        self.patterns[index:index + 1], self.order[index:index + 1])


def presentation_schedule(config: MemorizationConfig) -> list[float]:
    """Durations in seconds of the K = m * cycles + 1 intervals: presentations, then the query."""
    presentations = config.n_patterns * config.cycles
    return [config.presentation_time] * presentations + [config.query_time]


def degraded_bit_count(config: MemorizationConfig) -> int:
    """How many of the probe's n bits are zeroed: ``round(degradation * n)``, at least 1."""
    return max(1, round(config.degradation * config.n_bits))


def sample_episodes(config: MemorizationConfig, count: int, generator: torch.Generator,
                    device: torch.device | str = "cpu",
                    dtype: torch.dtype = torch.float32) -> Episodes:
    """``count`` episodes drawn from ``generator`` (on the CPU, so results match across devices)."""
    m, n = config.n_patterns, config.n_bits
    if config.balanced:
        ranks = torch.rand(count, m, n, generator=generator).argsort(dim=2).argsort(dim=2)
        patterns = torch.where(ranks < n // 2, 1.0, -1.0)
    else:
        patterns = torch.randint(0, 2, (count, m, n), generator=generator).double() * 2 - 1
    order = torch.rand(count, config.cycles, m, generator=generator).argsort(dim=2).flatten(1)
    chosen = torch.randint(0, m, (count,), generator=generator)
    target = patterns[torch.arange(count), chosen]
    bit_ranks = torch.rand(count, n, generator=generator).argsort(dim=1).argsort(dim=1)
    probe = torch.where(bit_ranks < degraded_bit_count(config), 0.0, target)
    shown = torch.gather(patterns, 1, order.unsqueeze(2).expand(-1, -1, n))
    stimuli = torch.cat([shown, probe.unsqueeze(1)], dim=1)
    as_data = dict(device=device, dtype=dtype)
    return Episodes(stimuli.to(**as_data), target.to(**as_data), patterns.to(**as_data),
                    order.to(device))


def bit_errors(guess: Tensor, target: Tensor, probe: Tensor) -> tuple[float, float]:
    """Sign errors of ``guess (B, n)``: over all bits, and over the bits zeroed in ``probe``.

    A guess of exactly 0 counts as wrong. Chance is about 0.5 on the zeroed bits.
    """
    wrong = (torch.sign(guess) != target).to(torch.float64)
    zeroed = probe == 0
    return float(wrong.mean()), float(wrong[zeroed].mean())


@dataclass(frozen=True)
class EpisodeTrace:
    """One run of episodes through an episodic ODE model, sampled T times per interval.

    K intervals (presentations, then the probe), T >= 2 points per interval from its onset to
    its end (the first point is the state right after the onset, the last is the state the
    next interval starts from).

    Attributes:
        times: ``(K, T)`` seconds since the episode began.
        x: ``(K, T, B, n)`` the model's read-out at each time (x itself for the plastic N-CODE).
        theta: ``(K, T, B, n, n)`` the dynamic synapses, or None for a model without them.
        guess: ``(B, n)`` the final read-out, what the model's forward pass returns.
    """

    times: Tensor
    x: Tensor
    theta: Tensor | None
    guess: Tensor


@torch.no_grad()
def episode_trace(model: EpisodicFlow, episodes: Episodes, times_per_interval: int = 5
                  ) -> EpisodeTrace:
    """Run ``episodes`` (B of them, usually 1) through ``model``, keeping ``times_per_interval``
    evenly spaced states per interval. Trains nothing; the solver's own steps are unchanged,
    so ``guess`` equals ``model(episodes.stimuli)``.

    Raises:
        TypeError: ``model`` solves no ODE per interval (the LSTM baseline).
        ValueError: ``times_per_interval`` < 2, or the episodes do not fit the model's schedule.
    """
    if not isinstance(model, EpisodicFlow):
        raise TypeError(f"{type(model).__name__} is not an episodic ODE model: nothing to trace")
    if times_per_interval < 2:
        raise ValueError(f"times_per_interval must be at least 2, got {times_per_interval}")
    solutions = model.solve_intervals(episodes.stimuli, times_per_interval)
    per_time = [[tuple(component[t] for component in solution)
                 for t in range(times_per_interval)] for solution in solutions]
    x = torch.stack([torch.stack([model.guess(state) for state in row]) for row in per_time])
    synapses = [[model.synapses(state) for state in row] for row in per_time]
    theta = (None if synapses[0][0] is None else
             torch.stack([torch.stack(row) for row in synapses]))
    onsets = torch.tensor([0.0, *model.durations[:-1]], dtype=torch.float64).cumsum(0)
    fractions = torch.linspace(0.0, 1.0, times_per_interval, dtype=torch.float64)
    times = onsets[:, None] + torch.tensor(model.durations, dtype=torch.float64)[:, None] * fractions
    return EpisodeTrace(times, x, theta, x[-1, -1])


class MemorizationTask(Task):
    """Reconstruct a degraded pattern after seeing m patterns (Fig. 6).

    Inputs: ``stimuli (B, K, n)``; targets ``(B, n)``. Loss: mean squared error of the final
    guess (the paper's L2). Metrics: ``bit_error`` (sign error over all bits; chance about
    degradation / 2) and ``degraded_bit_error`` (over the zeroed bits only; chance 0.5).
    """

    name = "memorization"
    families = EPISODIC_FAMILIES
    config_model = MemorizationConfig
    # input_shape stays (): inputs are episodes (B, K, n), not points, and n is a config value
    metric_names = ("bit_error", "degraded_bit_error")
    ui = TaskUI(label="Pattern memorization (Fig. 6)", primary_metric="degraded_bit_error",
                higher_is_better=False, page="memorization")
    description = "few-shot pattern memorization (Fig. 6): plastic synapses recall a degraded pattern"
    # Two rk4 steps per 0.5 s interval: the plastic dynamics are smooth and an episode has
    # 2m + 1 intervals, so an adaptive solver's extra evaluations buy nothing here.
    solver_defaults = {"method": "rk4", "step_size": 0.25}
    training_defaults = {"steps": 100, "lr": 3e-3, "batch_size": 16, "eval_every": 25}

    def __init__(self, config: MemorizationConfig, seed: int, device="cpu", dtype=torch.float32):
        super().__init__(config, seed, device, dtype)
        self.test = sample_episodes(config, config.n_test_episodes,
                                    step_generator(seed, HELD_OUT_STEP), self.device, dtype)

    def build_model(self, family: str, config: ModelConfig, solver: SolverConfig) -> nn.Module:
        n, durations = self.config.n_bits, presentation_schedule(self.config)
        if family == "ncode_closed":
            return PlasticNCODE(n, solver, durations)
        if family == "node_dc":
            return DataControlledRecurrentNODE(n, solver, durations)
        if family == "ode_rnn":
            return ODERNN(n, solver, durations)
        if family == "lstm":
            return LSTMBaseline(n, self.config.lstm_hidden, self.config.lstm_steps)
        raise ValueError(f"unknown model family {family!r}; choose one of {self.families}")

    def train_batch(self, step: int, batch_size: int) -> tuple[Tensor, Tensor]:
        episodes = sample_episodes(self.config, batch_size, step_generator(self.seed, step),
                                   self.device, self.dtype)
        return episodes.stimuli, episodes.target

    def loss(self, model: nn.Module, x: Tensor, y: Tensor) -> tuple[Tensor, dict[str, float]]:
        guess = model(x)
        loss = (guess - y).pow(2).mean()
        bit_error, degraded = bit_errors(guess.detach(), y, x[:, -1])
        return loss, {"bit_error": bit_error, "degraded_bit_error": degraded}

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        guess = torch.cat([model(chunk) for chunk in self.test.stimuli.split(EVAL_CHUNK)])
        bit_error, degraded = bit_errors(guess, self.test.target, self.test.probe)
        return {"test_loss": float((guess - self.test.target).pow(2).mean()),
                "bit_error": bit_error, "degraded_bit_error": degraded}
