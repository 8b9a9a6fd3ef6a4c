"""Array helpers of the Latent flows page: PCA of latent orbits (against sklearn and a planar
case), the trajectory view's end points are the latent codes, a test image's x(0) is the one
its score used, GMM / t-SNE clusters of separated blobs match their classes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ncode_core.latent_paths import project_trajectories, trajectory_view
from ncode_core.metrics import cluster_latents, clustering_accuracy
from ncode_core.training import Trainer


def test_projection_matches_sklearn_pca():
    from sklearn.decomposition import PCA

    rng = np.random.RandomState(0)
    trajectory = rng.randn(6, 20, 5) * np.array([5.0, 3.0, 1.0, 0.5, 0.1]) + 2.0
    projection = project_trajectories(np.arange(6.0), trajectory)
    reference = PCA(2).fit(trajectory.reshape(-1, 5))
    assert projection.points.dtype == np.float64 and projection.points.shape == (6, 20, 2)
    assert np.allclose(projection.explained, reference.explained_variance_ratio_, rtol=1e-10)
    signs = np.sign((projection.components * reference.components_).sum(axis=1))
    assert np.allclose(projection.components, signs[:, None] * reference.components_,
                       atol=1e-10)
    expected = reference.transform(trajectory.reshape(-1, 5)).reshape(6, 20, 2) * signs
    assert np.allclose(projection.points, expected, atol=1e-10)


def test_orbits_in_a_plane_keep_their_distances():
    rng = np.random.RandomState(1)
    plane = np.linalg.qr(rng.randn(7, 2))[0].T  # two orthonormal directions in R^7
    coordinates = rng.randn(4, 9, 2)
    trajectory = coordinates @ plane + rng.randn(7)
    projection = project_trajectories(np.arange(4.0), trajectory)
    assert projection.explained.sum() == pytest.approx(1.0, abs=1e-12)
    flat, found = coordinates.reshape(-1, 2), projection.points.reshape(-1, 2)
    original = np.linalg.norm(flat[:, None] - flat[None], axis=2)
    projected = np.linalg.norm(found[:, None] - found[None], axis=2)
    assert np.allclose(original, projected, atol=1e-10)


@pytest.mark.parametrize("trajectory, problem", [(np.zeros((3, 4)), "(T, B, m)"),
                                                 (np.zeros((3, 4, 1)), "m >= 2"),
                                                 (np.ones((3, 4, 2)), "same point")])
def test_projection_refuses_what_it_cannot_project(trajectory, problem):
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        project_trajectories(np.arange(3.0), trajectory)


def _digits(model: str) -> Trainer:
    return Trainer({"task": "digits_ae", "model": model, "device": "cpu", "seed": 0,
                    "task_cfg": {"n_train": 64, "n_test": 32}})


def test_trajectory_view_ends_at_the_latent_code(float64):
    trainer = _digits("autoncode")
    trainer.model.double()
    trainer.task.dtype = torch.float64
    images, _, x0 = trainer.task.test_inputs(torch.arange(10))
    view = trajectory_view(trainer.model, images, 6, x0)
    codes = trainer.model.encode(images, x0).detach().numpy()
    assert view.times[0] == 0 and view.times[-1] == trainer.model.integration_time
    assert view.points.shape == (6, 10, 2)
    assert np.allclose(view.points[-1], (codes - view.mean) @ view.components.T, atol=1e-6)
    assert np.allclose(view.points[0], (x0.numpy() - view.mean) @ view.components.T,
                       atol=1e-12)


def test_test_inputs_use_the_x0_of_the_evaluation():
    trainer = _digits("autoncode")
    latents, labels = trainer.task.encode(trainer.model, trainer.task.test_split)
    index = torch.tensor([3, 17, 5])
    images, picked_labels, x0 = trainer.task.test_inputs(index)
    assert torch.equal(picked_labels, labels[index])
    # dopri5's steps depend on the batch it solves: agreement to the solver's tolerance (1e-3);
    # another image's x(0) would move the code by O(1)
    assert torch.allclose(trainer.model.encode(images, x0), latents[index], atol=1e-2)


def test_clusters_of_separated_blobs_match_their_classes():
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(3), 40)
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [20.0, 0.0, 5.0, 0.0], [0.0, 20.0, 0.0, -5.0]])
    latents = centres[labels] + rng.randn(120, 4)
    found = cluster_latents(latents, labels, n_clusters=3, seed=0)
    assert found.embedding.shape == (120, 2) and found.clusters.shape == (120,)
    assert found.accuracy == 1.0 and found.tsne_accuracy == 1.0
    assert clustering_accuracy(rng.permutation(labels), found.clusters) < 0.6


def test_score_latents_records_what_it_scored():
    from ncode_core.feature_extractors import train_domain_classifier
    from ncode_core.latent_scores import score_latents

    trainer = _digits("ae")
    classifier = train_domain_classifier(trainer.task.train_split, steps=5)
    scores = score_latents(trainer, classifier, components=3, fit_images=50, generated=30,
                           real=20)
    assert (scores.fit_images, scores.components, scores.clustering_images) == (50, 3, 20)
    assert (scores.frechet.n_real, scores.frechet.n_generated) == (20, 30)
    assert scores.frechet.name == "domain_frechet_distance" and scores.frechet.value > 0
    assert 0 < scores.clustering_accuracy <= 1
    assert scores.to_dict()["frechet"]["extractor"].startswith("DomainClassifier")
