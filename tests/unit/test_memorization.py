"""Few-shot pattern memorization (section 4.3, C.3): the episode generator, the Eq. 7 dynamics,
plasticity as what makes recall possible, and every model's gradients (adjoint == direct)."""

from __future__ import annotations

import pytest
import torch

from ncode_core.config import ConfigError, MemorizationConfig, SolverConfig
from ncode_core.registry import parse_run_config
from ncode_core.models.episodic import PlasticNCODE
from ncode_core.tasks.base import step_generator
from ncode_core.tasks.memorization import (
    MemorizationTask,
    bit_errors,
    presentation_schedule,
    sample_episodes,
)
from ncode_core.training import Trainer

TIGHT = {"method": "dopri5", "rtol": 1e-10, "atol": 1e-10}
ODE_FAMILIES = ("ncode_closed", "node_dc", "ode_rnn")


def _episodes(count=64, seed=0, step=0, **settings):
    config = MemorizationConfig(**settings)
    return config, sample_episodes(config, count, step_generator(seed, step))


def _trainer(model, task_cfg, solver=None, training=None, dtype=torch.float32):
    config = {"task": "memorization", "model": model, "device": "cpu", "task_cfg": task_cfg,
              "solver": solver or {}, "training": training or {}}
    return Trainer(config, dtype=dtype)


# ---- generator ---------------------------------------------------------------------------


@pytest.mark.parametrize("degradation", [0.5, 0.7, 0.9])
def test_probe_zeroes_exactly_the_degradation_fraction_of_the_target(degradation):
    config, episodes = _episodes(n_bits=100, degradation=degradation)
    zeroed = episodes.probe == 0
    assert (zeroed.sum(dim=1) == round(degradation * 100)).all()
    kept = ~zeroed
    assert torch.equal(episodes.probe[kept], episodes.target[kept])
    # the target is one of the episode's patterns
    matches = (episodes.patterns == episodes.target.unsqueeze(1)).all(dim=2)
    assert matches.any(dim=1).all()


def test_balanced_patterns_have_half_their_bits_set():
    _, episodes = _episodes(n_bits=100, n_patterns=10, balanced=True)
    assert (episodes.patterns.sum(dim=2) == 0).all()
    assert set(episodes.patterns.unique().tolist()) == {-1.0, 1.0}


def test_unbalanced_patterns_are_random_signs():
    _, episodes = _episodes(count=256, n_bits=100)
    sums = episodes.patterns.sum(dim=2)
    assert set(episodes.patterns.unique().tolist()) == {-1.0, 1.0}
    assert (sums != 0).any()  # not forced to balance
    assert abs(float(episodes.patterns.mean())) < 0.02


def test_balanced_needs_an_even_pattern_length():
    with pytest.raises(ConfigError, match="task_cfg.balanced.*even n_bits"):
        parse_run_config({"task": "memorization", "model": "ncode_closed",
                          "task_cfg": {"n_bits": 101, "balanced": True}})


@pytest.mark.parametrize(("m", "cycles"), [(2, 1), (5, 2), (10, 3)])
def test_schedule_shows_every_pattern_once_per_cycle_then_the_probe(m, cycles):
    config, episodes = _episodes(count=16, n_bits=20, n_patterns=m, cycles=cycles,
                                 presentation_time=0.5, query_time=0.25)
    durations = presentation_schedule(config)
    assert durations == [0.5] * (m * cycles) + [0.25]
    assert episodes.stimuli.shape == (16, m * cycles + 1, 20)
    per_cycle = episodes.order.reshape(16, cycles, m)
    assert (per_cycle.sort(dim=2).values == torch.arange(m)).all()
    shown = episodes.stimuli[:, :-1]
    expected = episodes.patterns[torch.arange(16).unsqueeze(1), episodes.order]
    assert torch.equal(shown, expected)


def test_episodes_are_fresh_per_step_and_reproducible():
    _, first = _episodes(step=3)
    _, again = _episodes(step=3)
    _, other = _episodes(step=4)
    assert torch.equal(first.stimuli, again.stimuli)
    assert not torch.equal(first.stimuli, other.stimuli)
    task_a = MemorizationTask(MemorizationConfig(n_test_episodes=8), seed=1)
    task_b = MemorizationTask(MemorizationConfig(n_test_episodes=8), seed=1)
    assert torch.equal(task_a.test.stimuli, task_b.test.stimuli)
    assert not torch.equal(task_a.train_batch(0, 8)[0], task_a.test.stimuli)


def test_bit_errors_count_signs_over_all_and_over_zeroed_bits():
    target = torch.tensor([[1.0, -1.0, 1.0, -1.0]])
    probe = torch.tensor([[1.0, -1.0, 0.0, 0.0]])
    guess = torch.tensor([[0.3, -2.0, -0.1, 0.0]])  # bit 2 wrong sign, bit 3 undecided
    assert bit_errors(guess, target, probe) == (0.5, 1.0)


# ---- Eq. 7 -------------------------------------------------------------------------------


def test_plastic_dynamics_match_a_hand_computed_step(float64):
    n, h = 3, 0.1
    solver = SolverConfig(method="euler", step_size=h)
    model = PlasticNCODE(n, solver, durations=[h]).double()
    theta0 = torch.tensor([[0.2, -0.5, 0.1], [0.3, 0.0, -0.4], [-0.6, 0.7, 0.2]])
    mu = torch.tensor([[0.5, 1.0, -0.2], [0.0, 0.3, 0.8], [1.5, -1.0, 0.4]])
    with torch.no_grad():
        model.theta0.initial.copy_(theta0.flatten())
        model.system.law.mu.copy_(mu)
    stimulus = torch.tensor([[1.0, -1.0, 0.5]])
    x0 = stimulus[0].tolist()
    # dx_i/dt = tanh(sum_j theta_ij x_j), dtheta_ij/dt = mu_ij x_i x_j, one Euler step of h
    x1 = [x0[i] + h * torch.tanh(torch.tensor(sum(theta0[i, j].item() * x0[j]
                                                  for j in range(n)))).item() for i in range(n)]
    theta1 = [[theta0[i, j].item() + h * mu[i, j].item() * x0[i] * x0[j] for j in range(n)]
              for i in range(n)]
    x_end, theta_end = model.states(stimulus.unsqueeze(1))[-1]
    assert torch.allclose(x_end[0], torch.tensor(x1), atol=1e-12)
    assert torch.allclose(theta_end[0].reshape(n, n), torch.tensor(theta1), atol=1e-12)


def test_theta_carries_over_while_x_is_reset_at_each_onset(float64):
    solver = SolverConfig(method="euler", step_size=0.5)
    model = PlasticNCODE(4, solver, durations=[0.5, 0.5]).double()
    stimuli = torch.tensor([[[1.0, -1.0, 1.0, 1.0], [0.0, 1.0, 0.0, -1.0]]])
    (_, theta_first), (x_second, theta_second) = model.states(stimuli)
    second = stimuli[0, 1]
    expected_x = second + 0.5 * torch.tanh(theta_first.reshape(4, 4) @ second)
    assert torch.allclose(x_second[0], expected_x)
    expected_theta = theta_first.reshape(4, 4) + 0.5 * model.system.law.mu * torch.outer(
        second, second)
    assert torch.allclose(theta_second.reshape(4, 4), expected_theta)


# ---- plasticity is what recalls ----------------------------------------------------------

SHORT_TASK = {"n_bits": 100, "n_patterns": 5, "degradation": 0.5, "n_test_episodes": 64}


def _train_short(freeze: bool) -> dict[str, float]:
    trainer = _trainer("ncode_closed", SHORT_TASK,
                       training={"steps": 15, "lr": 1e-2, "batch_size": 8})
    if freeze:
        trainer.model.freeze_plasticity()
    for _ in range(15):
        trainer.step()
    return trainer.evaluate()


def test_plastic_ncode_learns_recall_and_frozen_theta_stays_at_chance():
    plastic = _train_short(freeze=False)
    frozen = _train_short(freeze=True)
    assert plastic["degraded_bit_error"] < 0.1, plastic
    assert frozen["degraded_bit_error"] > 0.4, frozen
    assert plastic["bit_error"] < 0.05 < 0.2 < frozen["bit_error"]


# ---- every model -------------------------------------------------------------------------

TINY_TASK = {"n_bits": 6, "n_patterns": 2, "cycles": 1, "n_test_episodes": 4, "lstm_hidden": 12,
             "lstm_steps": 2}


@pytest.mark.parametrize("family", [*ODE_FAMILIES, "lstm"])
def test_every_model_maps_an_episode_to_a_guess_with_finite_gradients(family):
    trainer = _trainer(family, TINY_TASK, training={"batch_size": 3})
    stimuli, target = trainer.task.train_batch(0, 3)
    guess = trainer.model(stimuli)
    assert guess.shape == target.shape == (3, 6)
    loss, metrics = trainer.task.loss(trainer.model, stimuli, target)
    loss.backward()
    for name, parameter in trainer.model.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
    assert set(metrics) == {"bit_error", "degraded_bit_error"}
    forward, backward = trainer.model.nfe
    assert (forward > 0 and backward > 0) if family in ODE_FAMILIES else (forward, backward) == (0, 0)
    evaluation = trainer.evaluate()
    assert set(evaluation) == {"test_loss", "bit_error", "degraded_bit_error"}


def test_parameter_counts_are_matched_except_the_lstm():
    counts = {family: _trainer(family, {"n_bits": 100}).parameter_count
              for family in (*ODE_FAMILIES, "lstm")}
    assert counts["ncode_closed"] == 2 * 100 * 100
    for family in ("node_dc", "ode_rnn"):
        assert abs(counts[family] - counts["ncode_closed"]) / counts["ncode_closed"] < 0.02
    assert counts["lstm"] > 10 * counts["ncode_closed"]


@pytest.mark.parametrize("family", ODE_FAMILIES)
def test_adjoint_equals_direct_gradients_on_a_tiny_episode(family):
    def gradients(adjoint: bool) -> dict[str, torch.Tensor]:
        trainer = _trainer(family, TINY_TASK, solver={**TIGHT, "adjoint": adjoint},
                           training={"batch_size": 2}, dtype=torch.float64)  # same seed, same init
        stimuli, target = trainer.task.train_batch(0, 2)
        trainer.task.loss(trainer.model, stimuli, target)[0].backward()
        return {name: p.grad.clone() for name, p in trainer.model.named_parameters()}

    direct, adjoint = gradients(False), gradients(True)
    assert direct.keys() == adjoint.keys() and direct
    for name in direct:
        assert torch.allclose(adjoint[name], direct[name], rtol=1e-5, atol=1e-9), name


def test_models_that_do_not_fit_are_refused_with_the_list():
    with pytest.raises(ConfigError, match="models that fit: ncode_closed, node_dc, ode_rnn, lstm"):
        parse_run_config({"task": "memorization", "model": "node"})
    with pytest.raises(ConfigError, match="does not fit task 'annuli'"):
        parse_run_config({"task": "annuli", "model": "lstm"})


def test_task_defaults_fill_only_what_the_user_left_out():
    config = parse_run_config({"task": "memorization", "model": "ncode_closed",
                               "training": {"lr": 0.05}})
    assert config.training.lr == 0.05
    assert config.training.batch_size == MemorizationTask.training_defaults["batch_size"]
    assert config.solver.method == MemorizationTask.solver_defaults["method"]
    assert parse_run_config({"task": "annuli", "model": "node"}).solver.method == "dopri5"
