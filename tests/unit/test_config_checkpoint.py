"""Validation at the boundaries: configs and checkpoint files."""

from __future__ import annotations

import pickle

import pytest
import torch
from pydantic import ValidationError

from ncode_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ncode_core.config import ConfigError, SolverConfig, apply_overrides
from ncode_core.jobs import validate_job_spec
from ncode_core.registry import parse_run_config
from ncode_core.training import Trainer


def test_defaults_are_filled_and_round_trip():
    config = parse_run_config({"task": "annuli", "model": "ncode_open"})
    assert config.task_cfg.inner_radius == 0.5
    assert parse_run_config(config.to_dict()) == config


@pytest.mark.parametrize("raw, needle", [
    ({"task": "annuli", "model": "node", "solver": {"method": "rk45"}}, "solver.method"),
    ({"task": "annuli", "model": "node", "solver": {"rtol": 0}}, "solver.rtol"),
    ({"task": "annuli", "model": "node", "training": {"batch_size": "big"}}, "training.batch_size"),
    ({"task": "annuli", "model": "node", "training": {"lr": float("inf")}}, "training.lr"),
    ({"task": "annuli", "model": "node", "extra": 1}, "extra"),
    ({"task": "annuli", "model": "node", "task_cfg": {"outer_min": 2, "outer_max": 1}},
     "task_cfg.outer_max"),
    ({"task": "annuli", "model": "node", "model_cfg": {"hidden": 0}}, "model_cfg.hidden"),
    ({"task": "annuli", "model": "transformer"}, "unknown model"),
    ({"task": "annuli", "model": "lstm"}, "models that fit: node"),
])
def test_invalid_configs_name_the_field(raw, needle):
    with pytest.raises(ConfigError) as caught:
        parse_run_config(raw)
    assert needle in str(caught.value)
    assert "\n" not in str(caught.value)


def test_overrides_parse_json_values_and_aliases():
    raw = apply_overrides({"task": "annuli"}, ["training.lr=1e-3", "model.hidden=32",
                                               "task.noise=0.1", "solver.adjoint=true", "seed=4"])
    assert raw["training"]["lr"] == 1e-3 and raw["model_cfg"]["hidden"] == 32
    assert raw["task_cfg"]["noise"] == 0.1 and raw["solver"]["adjoint"] is True
    assert raw["seed"] == 4


def _small_trainer(steps: int = 0) -> Trainer:
    trainer = Trainer({"task": "annuli", "model": "ncode_open", "device": "cpu",
                       "training": {"batch_size": 64}}, dtype=torch.float64)
    for _ in range(steps):
        trainer.step()
    return trainer


def test_resume_from_checkpoint_continues_exactly(tmp_path):
    straight = _small_trainer(6)
    interrupted = _small_trainer(3)
    path = save_checkpoint(tmp_path / "c.pt", interrupted.state_dict(), {"note": "mid"})
    payload = load_checkpoint(path)
    resumed = Trainer(payload["config"], dtype=torch.float64)
    resumed.load_state_dict({"config": payload["config"].to_dict(), "model": payload["state_dict"],
                             "optimizer": payload["optimizer"], "step": payload["step"]})
    for _ in range(3):
        resumed.step()
    for name, value in straight.model.state_dict().items():
        assert torch.allclose(resumed.model.state_dict()[name], value, rtol=1e-12, atol=1e-14)


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format_version": 1, "payload": pickle.loads(pickle.dumps(Trainer))}, path)
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        load_checkpoint(path)


@pytest.mark.parametrize("content", [b"", b"not a torch file", b"\x80\x04K\x01."])
def test_corrupt_checkpoint_is_refused(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_checkpoint_with_invalid_config_is_refused(tmp_path):
    state = _small_trainer().state_dict()
    state["config"] = {**state["config"], "training": {"lr": -1}}
    path = save_checkpoint(tmp_path / "c.pt", state)
    with pytest.raises(CheckpointError, match="training.lr"):
        load_checkpoint(path)


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken_save(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "c.pt", _small_trainer().state_dict())
    assert list(tmp_path.iterdir()) == []


def _every_config_section(config) -> list:
    return [config, config.solver, config.training, config.model_cfg, config.task_cfg]


@pytest.mark.parametrize("task", ["reflection", "annuli", "vanderpol"])
def test_configs_cannot_be_mutated(task):
    config = parse_run_config({"task": task, "model": "ncode_open"})
    for section in _every_config_section(config):
        name = next(iter(type(section).model_fields))
        with pytest.raises(ValidationError, match="frozen"):
            setattr(section, name, getattr(section, name))
    assert parse_run_config(config.to_dict()) == config


def test_a_changed_copy_leaves_the_original_alone():
    config = parse_run_config({"task": "annuli", "model": "node"})
    changed = config.model_copy(update={"training": config.training.model_copy(
        update={"steps": 7})})
    assert changed.training.steps == 7 and config.training.steps == 500
    assert type(changed.task_cfg) is type(config.task_cfg)


def test_task_settings_are_the_tasks_own_frozen_model():
    config = parse_run_config({"task": "annuli", "model": "node", "task_cfg": {"noise": 0.2}})
    assert type(config.task_cfg).__name__ == "AnnuliConfig" and config.task_cfg.noise == 0.2
    assert config.to_dict()["task_cfg"]["noise"] == 0.2


def test_job_specs_cannot_be_mutated():
    spec = validate_job_spec({"task": "annuli", "model": "node", "steps": 3})
    with pytest.raises(ValidationError, match="frozen"):
        spec.steps = 4


@pytest.mark.parametrize("raw, words", [
    ({}, "dopri5 tol 0.001"),
    ({"method": "dopri5", "rtol": 1e-5, "atol": 1e-7}, "dopri5 rtol 1e-05 atol 1e-07"),
    ({"method": "rk4", "step_size": 1.0}, "rk4 step 1"),
    ({"method": "euler"}, "euler step T/10"),
])
def test_a_solver_says_the_settings_that_apply_to_its_method(raw, words):
    assert SolverConfig.model_validate(raw).summary() == words
