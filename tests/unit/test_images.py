"""Image classification (section 4.2, C.2): the conv block, per-sample kernels as one grouped
convolution, every family on every image task, Theorem 1 for the conv N-CODE, a short digits
training that control makes work, and the missing-data message.

MNIST, Fashion-MNIST and CIFAR-10 are exercised on SYNTHETIC random pixels injected in place of
the data layer here (the library never makes them up); digits is the real bundled dataset.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

import pytest

from ncode_core.config import ConfigError
from ncode_core.data import DataError, ImageSplit
from ncode_core.dynamics import ConstantCode, PerSampleConvField, per_sample_conv2d
from ncode_core.models import MODEL_FAMILIES, ChannelAugmentedFlow
from ncode_core.registry import TASKS, parse_run_config
from ncode_core.tasks import images
from ncode_core.training import Trainer

IMAGE_TASKS = ("digits", "mnist", "fashion_mnist", "cifar10")
# A fine fixed grid: the block's ReLU kinks make dopri5 at tight tolerances take thousands of
# steps (and its adaptive backward solve then drifts), while rk4 on the same grid both ways
# agrees to ~1e-7 relative.
FINE_GRID = {"method": "rk4", "step_size": 1e-2}


def synthetic_split(dataset: str, split: str, shape: tuple[int, ...], count: int = 12) -> ImageSplit:
    """SYNTHETIC stand-in for a dataset that needs a data root: random bytes and labels."""
    generator = torch.Generator().manual_seed(0 if split == "train" else 1)
    pixels = torch.randint(0, 256, (count, *shape), generator=generator, dtype=torch.uint8)
    labels = torch.randint(0, 10, (count,), generator=generator)
    return ImageSplit(f"synthetic-{dataset}", split, pixels, labels, 255,
                      tuple(str(label) for label in range(10)))


@pytest.fixture
def synthetic_data(monkeypatch):
    """Image tasks other than digits read synthetic splits of their own image shape."""
    real_load_split = images.load_split
    shapes = {cls.dataset: cls.input_shape for cls in TASKS.values()
              if issubclass(cls, images.ImageTask)}

    def load_split(name: str, split: str = "train", root=None) -> ImageSplit:
        if name == "digits":
            return real_load_split(name, split, root)
        return synthetic_split(name, split, shapes[name])

    monkeypatch.setattr(images, "load_split", load_split)


def trainer(task: str, model: str, dtype=torch.float32, **overrides) -> Trainer:
    config = {"task": task, "model": model, "device": "cpu", "seed": 0,
              "model_cfg": {"hidden": 4, "gamma_hidden": 3, "law_hidden": 4}}
    config.update(overrides)
    return Trainer(config, dtype=dtype)


# ---------------------------------------------------------------- per-sample kernels


def test_grouped_convolution_equals_a_loop_over_samples(float64):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, 6, 7, generator=generator)
    weight = torch.randn(5, 4, 3, 3, 3, generator=generator)
    bias = torch.randn(5, 4, generator=generator)
    grouped = per_sample_conv2d(x, weight, bias, padding=1)
    loop = torch.stack([F.conv2d(x[b: b + 1], weight[b], bias[b], padding=1)[0]
                        for b in range(5)])
    assert grouped.shape == (5, 4, 6, 7)
    assert torch.allclose(grouped, loop, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("controlled", ["all", "3x3"])
def test_controlled_block_equals_a_loop_of_shared_blocks(float64, controlled):
    """Each sample's output is the static conv block with that sample's kernels."""
    field = PerSampleConvField(channels=2, filters=5, controlled=controlled)
    generator = torch.Generator().manual_seed(1)
    theta = torch.stack([field.initial_theta(generator) for _ in range(4)])
    x = torch.randn(4, 2, 5, 5, generator=generator)
    batched = field(x, theta)
    unpacked = field.unpack(theta)
    for b in range(4):
        hidden = x[b: b + 1]
        for index, name in enumerate(("in_1x1", "mid_3x3", "out_1x1")):
            if name in unpacked:
                weight, bias = unpacked[name]
                hidden = F.conv2d(hidden, weight[b], bias[b], padding=weight.shape[-1] // 2)
            else:
                hidden = field.static[name](hidden)
            hidden = F.relu(hidden) if index < 2 else hidden
        assert torch.allclose(batched[b: b + 1], hidden, rtol=1e-12, atol=1e-12)


def test_theta_holds_only_the_controlled_kernels():
    full = PerSampleConvField(channels=11, filters=50, controlled="all")
    inner = PerSampleConvField(channels=11, filters=50, controlled="3x3")
    assert inner.theta_size == 50 * 50 * 9 + 50
    assert full.theta_size == inner.theta_size + (11 * 50 + 50) + (50 * 11 + 11)
    assert set(inner.static) == {"in_1x1", "out_1x1"} and not list(full.static)
    with pytest.raises(ValueError, match="controlled"):
        PerSampleConvField(1, 4, controlled="5x5")  # type: ignore[arg-type]


# ---------------------------------------------------------------- every family, every task


@pytest.mark.parametrize("task", IMAGE_TASKS)
@pytest.mark.parametrize("family", MODEL_FAMILIES)
def test_shapes_and_finite_gradients(synthetic_data, task, family):
    run = trainer(task, family)
    x, y = run.task.train_batch(0, 6)
    assert x.shape == (6, *TASKS[task].input_shape) and y.shape == (6,)
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    logits, trajectory = run.model(x)
    assert logits.shape == (6, 10)
    assert trajectory.x.shape[2:] == run.model.flow.state_shape(run.task.input_shape)
    loss, _ = run.task.loss(run.model, x, y)
    loss.backward()
    grads = [p.grad for p in run.model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    metrics = run.evaluate()
    assert 0 <= metrics["test_accuracy"] <= 1 and torch.isfinite(torch.tensor(metrics["test_loss"]))


@pytest.mark.parametrize("family", ["anode", "node_dc", "ncode_open"])
def test_augmented_state_starts_with_zero_channels_and_gamma_reads_the_image(family):
    run = trainer("digits", family)
    x, _ = run.task.train_batch(0, 3)
    flow = run.model.flow
    assert flow.state_shape((1, 8, 8)) == (11, 8, 8)
    state0 = flow.initial_state(x)
    assert torch.equal(state0[0][:, :1], x) and not state0[0][:, 1:].any()
    names = [name for name, _ in run.model.state_dict().items()]
    assert len(names) == len(set(names))
    if family == "ncode_open":
        assert isinstance(flow, ChannelAugmentedFlow)
        assert flow.inner.gamma.layer.in_features == 64  # the image, not its zero channels


def test_unknown_controlled_kernels_is_refused_naming_the_field():
    with pytest.raises(ConfigError, match="task_cfg.controlled_kernels"):
        parse_run_config({"task": "digits", "model": "ncode_open",
                          "task_cfg": {"controlled_kernels": "5x5"}})


# ---------------------------------------------------------------- Theorem 1


@pytest.mark.parametrize("controlled", ["all", "3x3"])
def test_adjoint_equals_direct_for_conv_ncode(controlled):
    run = trainer("digits", "ncode_open", dtype=torch.float64, solver=FINE_GRID,
                  task_cfg={"controlled_kernels": controlled, "augment_channels": 2})
    x, y = run.task.train_batch(0, 2)
    flow = run.model.flow

    def gradients():
        run.model.zero_grad(set_to_none=True)
        run.task.loss(run.model, x, y)[0].backward()
        return {n: p.grad.clone() for n, p in run.model.named_parameters() if p.grad is not None}

    direct = gradients()
    flow.solver = flow.solver.model_copy(update={"adjoint": True})
    adjoint = gradients()
    assert direct.keys() == adjoint.keys() and any(".gamma." in n for n in direct)
    for name in direct:
        assert torch.allclose(adjoint[name], direct[name], rtol=1e-5, atol=1e-9), name


# ---------------------------------------------------------------- training and control


def ablate_control(run: Trainer) -> None:
    """Every sample gets the mean control code over the test set (so the mean theta: the
    decoder is linear)."""
    flow = run.model.flow.inner
    pixels = run.task.images(run.task.test_split, None)[0]
    with torch.no_grad():
        mean_code = flow.gamma(pixels).mean(dim=0)
    flow.gamma = ConstantCode(mean_code)


def test_short_digits_training_beats_chance_and_needs_its_control():
    run = trainer("digits", "ncode_open", model_cfg={"hidden": 8, "gamma_hidden": 10},
                  training={"steps": 25, "batch_size": 64, "lr": 1e-2},
                  solver={"rtol": 1e-2, "atol": 1e-2})
    for _ in range(25):
        run.step()
    trained = run.evaluate()["test_accuracy"]
    assert trained > 0.6  # chance is 0.1
    ablate_control(run)
    assert run.evaluate()["test_accuracy"] < trained - 0.05


# ---------------------------------------------------------------- epochs


def test_every_image_task_declares_its_training_set_size():
    sizes = {name: TASKS[name].train_size for name in IMAGE_TASKS}
    assert sizes == {"digits": 1437, "mnist": 60_000, "fashion_mnist": 60_000, "cifar10": 50_000}


def test_epochs_count_training_images_seen_of_the_declared_training_set():
    digits = trainer("digits", "node")
    assert len(digits.task.train_split) == images.DigitsTask.train_size
    config = images.ImageConfig()
    assert images.DigitsTask.epochs(449, 64, config) == pytest.approx(449 * 64 / 1437)
    assert images.MNISTTask.epochs(938, 64, config) == pytest.approx(1.0005, abs=1e-4)
    limited = images.ImageConfig(train_limit=640)
    assert images.MNISTTask.epochs(10, 64, limited) == 1.0
    assert images.DigitsTask.epochs(10, 64, images.ImageConfig(train_limit=10**6)) == \
        pytest.approx(640 / 1437)


# ---------------------------------------------------------------- missing data


def test_missing_dataset_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="python -m ncode_core data fetch mnist"):
        trainer("mnist", "ncode_open")


def test_cli_train_without_the_dataset_is_one_line_naming_the_command(tmp_path, monkeypatch,
                                                                     capsys):
    from ncode_core.__main__ import main

    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path / "empty"))
    out = tmp_path / "out"
    code = main(["train", "--task", "mnist", "--model", "ncode_open", "--out", str(out),
                 "--json"])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code != 0 and captured.out == "" and not out.exists()
    assert len(lines) == 1 and "python -m ncode_core data fetch mnist" in lines[0]
