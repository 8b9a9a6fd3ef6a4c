"""Longer memorization runs (make test-slow): the default CLI run's claim and the baselines."""

from __future__ import annotations

import pytest

from ncode_core.training import Trainer, fit

pytestmark = pytest.mark.slow


def _evaluate(model: str, seed: int = 0, steps: int | None = None) -> dict:
    training = {} if steps is None else {"steps": steps, "eval_every": steps}
    trainer = Trainer({"task": "memorization", "model": model, "seed": seed, "device": "cpu",
                       "training": training})
    return fit(trainer).evaluation


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_run_recalls_degraded_patterns(seed):
    """``train --task memorization --model ncode_closed`` (defaults) recalls the zeroed bits."""
    metrics = _evaluate("ncode_closed", seed)
    assert metrics["degraded_bit_error"] < 0.05
    assert metrics["bit_error"] < 0.02


@pytest.mark.parametrize("family", ["node_dc", "ode_rnn"])
def test_static_weight_baselines_stay_far_above_ncode(family):
    """At N-CODE's default budget the static-weight models are near chance on zeroed bits."""
    assert _evaluate(family)["degraded_bit_error"] > 0.3
