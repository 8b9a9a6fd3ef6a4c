"""Every registered task and model family declares what the dashboard needs, consistently."""

from __future__ import annotations

import dataclasses
import math

import pytest

import ncode_core as nc


@pytest.mark.parametrize("name", list(nc.TASKS))
def test_task_ui_is_consistent_with_the_task(name):
    task = nc.TASKS[name]
    ui = task.ui
    assert isinstance(ui, nc.TaskUI) and ui.label
    assert ui.primary_metric in task.metric_names
    assert ui.lab is None or isinstance(ui.lab, nc.LabUI)


def test_the_toy_pages_list_exactly_the_tasks_with_a_lab_ui():
    assert set(nc.lab_tasks()) == {name for name, cls in nc.TASKS.items() if cls.ui.lab}
    assert nc.lab_tasks(), "the toy pages need at least one task"


@pytest.mark.parametrize("name", list(nc.lab_tasks()))
def test_lab_ui_is_consistent_with_the_task(name):
    task = nc.TASKS[name]
    ui = task.ui
    assert ui.lab.main_views and set(ui.lab.main_views) <= set(ui.lab.views)
    assert len(ui.lab.samples) in (0, 2)
    assert all(len(sample) == math.prod(task.input_shape) for sample in ui.lab.samples)
    default, low, high = ui.lab.sample_range
    assert 1 <= low <= default <= high
    assert ui.lab.default_model in task.families
    assert all(step.model in task.families for step in ui.lab.tour)
    bounds = ui.lab.plot_bounds(task.config_model())
    assert len(bounds) == 2 * math.prod(task.input_shape)
    assert all(bounds[i] < bounds[i + 1] for i in range(0, len(bounds), 2))


@pytest.mark.parametrize("name", list(nc.lab_tasks()))
@pytest.mark.parametrize("samples, fraction, noise", [(64, 0.25, 0.1), (37, 0.3, 0.0),
                                                     (500, 0.1, 0.05)])
def test_data_settings_read_back_what_task_config_wrote(name, samples, fraction, noise):
    ui = nc.TASKS[name].ui
    config = nc.TASKS[name].config_model.model_validate(ui.lab.task_config(samples, fraction, noise))
    read_samples, read_fraction, read_noise = ui.lab.data_settings(config)
    assert read_samples == samples
    assert abs(read_fraction - fraction) <= 0.5 / samples + 1e-12  # a count is rounded
    assert read_noise == (noise if ui.lab.uses_noise else 0.0)


def test_task_ui_cannot_be_changed():
    ui = next(iter(nc.TASKS.values())).ui
    with pytest.raises(dataclasses.FrozenInstanceError):
        ui.label = "changed"


@pytest.mark.parametrize("family", list(nc.MODELS))
def test_model_family_declares_label_and_options(family):
    info = nc.MODELS[family].info
    assert isinstance(info, nc.ModelInfo) and info.label
    assert set(info.options) <= set(nc.ModelConfig.model_fields), info.options
    assert not info.theta_evolves or nc.MODELS[family].controlled


def test_model_labels_tell_families_apart():
    labels = [cls.info.label for cls in nc.MODELS.values()]
    assert len(set(labels)) == len(labels)
