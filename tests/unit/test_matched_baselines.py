"""Fair baselines: ``model.match_params`` sizes a baseline to its N-CODE's parameter count, and
the harder annuli protocol draws a fresh batch each step."""

from __future__ import annotations

import pytest
import torch

from ncode_core.config import ConfigError, ModelConfig, SolverConfig
from ncode_core.registry import parse_run_config
from ncode_core.registry import build_task, matched_width
from ncode_core.training import Trainer


def _trainer(task: str, model: str, **model_cfg) -> Trainer:
    return Trainer({"task": task, "model": model, "device": "cpu", "model_cfg": model_cfg})


@pytest.mark.parametrize("task, baseline, ncode", [
    *((task, baseline, ncode) for task in ("reflection", "annuli")
      for baseline in ("node", "anode", "node_dc") for ncode in ("ncode_open", "ncode_closed")),
    # the conv block on images: the filters are the width that is searched
    ("digits", "anode", "ncode_open"), ("digits", "node_dc", "ncode_open")])
def test_matched_baseline_is_within_ten_percent_of_its_ncode(task, baseline, ncode):
    target = _trainer(task, ncode).parameter_count
    plain = _trainer(task, baseline).parameter_count
    matched = _trainer(task, baseline, match_params=ncode)
    assert plain < 0.5 * target  # without matching the comparison is unfair
    assert abs(matched.parameter_count - target) <= 0.1 * target
    assert matched.config.model_cfg.hidden == ModelConfig().hidden  # the N-CODE's width is kept


def test_matched_width_is_the_closest_width():
    config = parse_run_config({"task": "annuli", "model": "node"})
    task = build_task(config)
    solver = SolverConfig()
    # NODE on R^2 with a linear readout: 2h + h + 2h + 2 + 3 = 5h + 5 parameters
    assert matched_width(task, "node", 5 * 40 + 5, ModelConfig(), solver) == 40
    assert matched_width(task, "node", 5 * 40 + 7, ModelConfig(), solver) == 40
    assert matched_width(task, "node", 5 * 40 + 8, ModelConfig(), solver) == 41


def test_matching_that_cannot_come_within_ten_percent_is_refused():
    # Van der Pol's system-identification closed loop has 2 parameters; a NODE has at least 4
    with pytest.raises(ConfigError, match="match_params"):
        _trainer("vanderpol", "node", match_params="ncode_closed")


def test_matching_applies_to_baselines_only():
    with pytest.raises(ConfigError, match="model_cfg.match_params"):
        parse_run_config({"task": "annuli", "model": "ncode_open",
                          "model_cfg": {"match_params": "ncode_closed"}})


def test_matching_leaves_the_seeded_initialisation_alone():
    """The sizing builds do not draw from the seeded RNG: a matched model equals an unmatched
    model built directly with the matched width."""
    matched = _trainer("annuli", "node", match_params="ncode_open")
    width = matched_width(matched.task, "node", _trainer("annuli", "ncode_open").parameter_count,
                          ModelConfig(), SolverConfig())
    direct = _trainer("annuli", "node", hidden=width)
    for (name, a), (_, b) in zip(matched.model.state_dict().items(),
                                 direct.model.state_dict().items()):
        assert torch.equal(a, b), name


def test_fresh_batches_draw_new_points_each_step():
    config = parse_run_config({"task": "annuli", "model": "node",
                               "task_cfg": {"fresh_batches": True, "noise": 0.05}})
    task = build_task(config)
    first, labels = task.train_batch(0, 64)
    assert first.shape == (64, 2) and labels.shape == (64,)
    assert torch.equal(first, task.train_batch(0, 64)[0])  # reproducible for resume
    assert not torch.equal(first, task.train_batch(1, 64)[0])
    assert not any(torch.equal(point, row) for point in first[:4] for row in task.x_train)
