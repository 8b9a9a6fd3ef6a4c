"""``episode_trace``: the arrays the Memorization page shows, from the model's own forward pass."""

from __future__ import annotations

import pytest
import torch

import ncode_core as nc
from ncode_core.tasks.base import step_generator

SMALL = {"n_bits": 16, "n_patterns": 3, "n_test_episodes": 4}


def _trainer(model: str) -> nc.Trainer:
    return nc.Trainer({"task": "memorization", "model": model, "device": "cpu",
                       "task_cfg": SMALL})


def _episodes(trainer: nc.Trainer, count: int = 2) -> nc.Episodes:
    return nc.sample_episodes(trainer.task.config, count, step_generator(7, 0))


@pytest.mark.parametrize("points", [2, 5])
def test_shapes_times_and_the_final_guess_equal_the_forward_pass(points):
    trainer = _trainer("ncode_closed")
    episodes = _episodes(trainer)
    trace = nc.episode_trace(trainer.model, episodes, points)
    k, n = episodes.stimuli.shape[1], SMALL["n_bits"]
    assert trace.x.shape == (k, points, 2, n)
    assert trace.theta.shape == (k, points, 2, n, n)
    assert trace.times.shape == (k, points)
    schedule = nc.presentation_schedule(trainer.task.config)
    assert trace.times[0, 0] == 0 and trace.times[-1, -1] == pytest.approx(sum(schedule))
    torch.testing.assert_close(trace.guess, trainer.model(episodes.stimuli))
    # x is reset to the stimulus at each onset; theta starts at theta0 and is carried over
    torch.testing.assert_close(trace.x[:, 0], episodes.stimuli.transpose(0, 1))
    theta0 = trainer.model.theta0(episodes.stimuli[:, 0]).reshape(2, n, n)
    torch.testing.assert_close(trace.theta[0, 0], theta0)
    torch.testing.assert_close(trace.theta[1:, 0], trace.theta[:-1, -1])


def test_theta_grows_by_the_hebbian_outer_product_of_the_shown_pattern():
    """With mu = 1 and x held near a pattern p, theta's change over a presentation has the
    sign pattern of p p^T (Eq. 7)."""
    trainer = _trainer("ncode_closed")
    with torch.no_grad():
        trainer.model.system.law.mu.fill_(1.0)
    episodes = _episodes(trainer, 1)
    trace = nc.episode_trace(trainer.model, episodes, 3)
    shown = episodes.stimuli[0, 0]
    increment = trace.theta[0, -1, 0] - trace.theta[0, 0, 0]
    agree = torch.sign(increment) == torch.sign(torch.outer(shown, shown))
    assert agree.double().mean() > 0.9


def test_a_model_without_synapses_has_no_theta():
    trainer = _trainer("ode_rnn")
    episodes = _episodes(trainer)
    trace = nc.episode_trace(trainer.model, episodes, 3)
    assert trace.theta is None
    torch.testing.assert_close(trace.guess, trainer.model(episodes.stimuli))


def test_the_lstm_and_too_few_points_are_refused():
    with pytest.raises(TypeError, match="not an episodic ODE model"):
        nc.episode_trace(_trainer("lstm").model, _episodes(_trainer("lstm")))
    trainer = _trainer("ncode_closed")
    with pytest.raises(ValueError, match="at least 2"):
        nc.episode_trace(trainer.model, _episodes(trainer), 1)


def test_with_probe_keeps_one_episode_and_targets_the_probed_pattern():
    trainer = _trainer("ncode_closed")
    episodes = _episodes(trainer, 3)
    probe = [0.0] * SMALL["n_bits"]
    one = episodes.with_probe(2, 1, probe)
    assert one.stimuli.shape == (1, *episodes.stimuli.shape[1:])
    torch.testing.assert_close(one.stimuli[0, :-1], episodes.stimuli[2, :-1])
    assert (one.probe == 0).all() and (episodes.probe != 0).any()  # the original is untouched
    torch.testing.assert_close(one.target[0], episodes.patterns[2, 1])
    torch.testing.assert_close(one.patterns[0], episodes.patterns[2])
