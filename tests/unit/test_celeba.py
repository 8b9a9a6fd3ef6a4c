"""The ``celeba_ae`` task (Table A.1's CelebA 64x64 column) and its streamed data.

CelebA is not on these machines and torchvision checks its annotation files by md5, so no
fixture can pass for it: the transform is checked on a synthetic PIL image, and the streamed
split and the task on an in-memory stand-in dataset (tests only) through the task's
``open_split`` hook. The missing-data error is checked against an empty data root.
"""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from torch.utils.data import Dataset

from ncode_core.__main__ import main
from ncode_core.config import AutoencodingConfig, ModelConfig, SolverConfig
from ncode_core.data import DataError, StreamingImageSplit
from ncode_core.data.celeba import CELEBA_CROP, celeba_64_transform
from ncode_core.data.streaming import UNLABELLED
from ncode_core.registry import parse_run_config
from ncode_core.tasks import CelebaAutoencodingTask


class StandInFaces(Dataset):
    """``count`` seeded random (3, 64, 64) images with no labels, CelebA's item shape after
    the transform; records which items were read. A synthetic stand-in, tests only."""

    def __init__(self, count: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.images = torch.rand(count, 3, 64, 64, generator=generator)
        self.read: list[int] = []

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        self.read.append(index)
        return self.images[index], None


class StandInCelebaTask(CelebaAutoencodingTask):
    """celeba_ae with its splits streamed from :class:`StandInFaces` (tests only)."""

    def open_split(self, split: str) -> StreamingImageSplit:
        return StreamingImageSplit("celeba", split, StandInFaces(12, seed=len(split)))


def test_transform_crops_the_centre_140_pixels_and_resizes_to_64():
    # A 178x218 aligned-face-sized image, white exactly on its centre 140x140 square: an
    # off-centre or wider crop would bring black into the edges of the 64x64 result.
    width, height = 178, 218
    left, top = (width - CELEBA_CROP) // 2, (height - CELEBA_CROP) // 2
    image = Image.new("RGB", (width, height))
    image.paste((255, 255, 255), (left, top, left + CELEBA_CROP, top + CELEBA_CROP))
    pixels = celeba_64_transform()(image)
    assert pixels.shape == (3, 64, 64) and pixels.dtype == torch.float32
    assert torch.allclose(pixels, torch.ones_like(pixels), atol=1e-6)
    # one pixel to the left, the crop's edge column would not be white
    shifted = Image.new("RGB", (width, height))
    shifted.paste((255, 255, 255), (left + 1, top, left + 1 + CELEBA_CROP, top + CELEBA_CROP))
    assert float(celeba_64_transform()(shifted)[:, :, 0].max()) < 0.99


def test_streamed_split_reads_only_the_requested_images():
    faces = StandInFaces(10, seed=0)
    split = StreamingImageSplit("celeba", "test", faces)
    assert len(split) == 10 and split.image_shape == (3, 64, 64) and split.classes == UNLABELLED
    faces.read.clear()

    images, labels = split.batch(torch.tensor([7, 2]))
    assert torch.equal(images, faces.images[[7, 2]]) and labels.tolist() == [0, 0]
    assert faces.read == [7, 2]

    head = split.first(4)
    assert len(head) == 4 and faces.read == [7, 2]  # taking the head reads nothing
    batches = list(head.batches(3))
    assert [len(b[0]) for b in batches] == [3, 1]
    assert torch.equal(torch.cat([b[0] for b in batches]), faces.images[:4])
    assert split.first(None) is split and split.first(99) is split


def test_celeba_task_trains_and_evaluates_on_a_stand_in():
    task = StandInCelebaTask(AutoencodingConfig(n_train=8, n_test=3), seed=0)
    assert task.input_shape == (3, 64, 64) and task.latent_dim == 64
    assert (len(task.train_split), len(task.test_split)) == (8, 3)
    torch.manual_seed(0)
    model = task.build_model("autoncode", ModelConfig(),
                             SolverConfig(method="rk4", step_size=2.5))
    x, y = task.train_batch(0, 2)
    assert x.shape == (2, 3, 64, 64) and y.tolist() == [0, 0]

    loss, metrics = task.loss(model, x, y)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in model.parameters()]
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss) and metrics["reconstruction"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))

    task.eval_batch_size = 2  # evaluation in batches: 2 + 1 images
    result = task.evaluate(model)
    assert set(result) == {"test_loss", "test_mse"} and 0 < result["test_mse"] < 1
    latents, labels = task.encode(model, task.test_split)
    assert latents.shape == (3, 64) and labels.tolist() == [0, 0, 0]


def test_celeba_task_defaults_to_c4_batch_of_16():
    config = parse_run_config({"task": "celeba_ae", "model": "autoncode"})
    assert config.training.batch_size == 16
    given = parse_run_config({"task": "celeba_ae", "model": "ae",
                              "training": {"batch_size": 64}})
    assert given.training.batch_size == 64


def test_missing_celeba_says_what_to_place_where(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match=r"celeba is not in .*data fetch celeba.*img_align_celeba/"
                                        r".* in " + str(tmp_path / "celeba")):
        CelebaAutoencodingTask(AutoencodingConfig(), seed=0)

    out = tmp_path / "runs"
    code = main(["train", "--task", "celeba_ae", "--model", "autoncode", "--steps", "1",
                 "--out", str(out)])
    error = capsys.readouterr().err.strip()
    assert code != 0 and "\n" not in error and "img_align_celeba/" in error
    assert list(tmp_path.iterdir()) == []  # nothing written
