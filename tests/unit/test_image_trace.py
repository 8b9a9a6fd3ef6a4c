"""nc.image_trace: one image's x(t), class scores along t and controlled kernels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ncode_core as nc


def trainer(model: str, **task_cfg) -> nc.Trainer:
    """An untrained small digits classifier (4 filters, float32, CPU)."""
    return nc.Trainer({"task": "digits", "model": model, "seed": 0, "device": "cpu",
                       "model_cfg": {"hidden": 4}, "task_cfg": task_cfg}, device="cpu")


@pytest.fixture(scope="module")
def ncode() -> nc.Trainer:
    return trainer("ncode_open")


def test_shapes_and_final_scores_equal_the_model_output(ncode):
    image, label = nc.held_out_image(ncode.task, 5)
    assert image.shape == (1, 8, 8) and 0 <= image.min() and image.max() <= 1
    assert label == int(ncode.task.test_split.labels[5])
    times = nc.integration_times(ncode.model, 4)
    trace = nc.image_trace(ncode.model, image, times)
    assert trace.times.shape == (4,) and trace.times[-1] == ncode.model.flow.integration_time
    assert trace.x.shape == (4, 11, 8, 8)  # 1 image channel + 10 augmented
    assert trace.scores.shape == (4, 10)
    np.testing.assert_allclose(trace.x[0, :1], image, atol=1e-6)  # x(0) is the image
    assert np.all(trace.x[0, 1:] == 0)  # augmented channels start at zero
    with torch.no_grad():
        output = ncode.model(torch.as_tensor(image, dtype=torch.float32)[None])[0][0].numpy()
    np.testing.assert_allclose(trace.scores[-1], output, atol=1e-5)


def test_kernels_are_the_controlled_convolutions_per_sample(ncode):
    times = nc.integration_times(ncode.model, 3)
    first = nc.image_trace(ncode.model, nc.held_out_image(ncode.task, 0)[0], times)
    second = nc.image_trace(ncode.model, nc.held_out_image(ncode.task, 1)[0], times)
    shapes = {name: weight.shape for name, weight in first.kernels.items()}
    assert shapes == {"in_1x1": (3, 4, 11, 1, 1), "mid_3x3": (3, 4, 4, 3, 3),
                      "out_1x1": (3, 11, 4, 1, 1)}
    for weight in first.kernels.values():  # open loop: theta is constant along t
        np.testing.assert_allclose(weight[0], weight[-1], atol=1e-6)
    difference = nc.kernel_difference(first, second)
    for name, change in difference.items():
        np.testing.assert_allclose(change, second.kernels[name][0] - first.kernels[name][0])
        assert np.abs(change).max() > 0  # another image, other kernels


def test_only_the_3x3_is_drawn_when_only_it_is_controlled():
    run = trainer("ncode_open", controlled_kernels="3x3")
    trace = nc.image_trace(run.model, nc.held_out_image(run.task, 0)[0], [0.0, 1.0])
    assert list(trace.kernels) == ["mid_3x3"]


@pytest.mark.parametrize("model", ["anode", "node_dc"])
def test_shared_weight_models_have_no_kernels(model):
    run = trainer(model)
    trace = nc.image_trace(run.model, nc.held_out_image(run.task, 0)[0], [0.0, 0.5, 1.0])
    assert trace.kernels == {} and trace.scores.shape == (3, 10)
    assert nc.kernel_difference(trace, trace) == {}


def test_a_single_time_is_refused(ncode):
    with pytest.raises(ValueError, match="at least two"):
        nc.image_trace(ncode.model, nc.held_out_image(ncode.task, 0)[0], [1.0])
