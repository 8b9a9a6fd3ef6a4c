"""Ex-post density estimation (C.6): the GMM recovers separated blobs, settings are validated,
draws are reproducible, and sampling -> decoding runs end to end on a trained digits model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ncode_core.latent_paths import decode_interpolation, orbit_reconstructions
from ncode_core.sampling import (
    component_sweep,
    fit_gmm,
    fit_kde,
    sample_images,
    sample_latents,
)
from ncode_core.training import Trainer

CENTRES = np.array([[-10.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 5.0]])


def _blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.RandomState(seed)
    return np.concatenate([centre + rng.randn(200, 3) * 0.5 for centre in CENTRES])


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_gmm_recovers_well_separated_blobs(covariance_type):
    mixture = fit_gmm(_blobs(), 3, covariance_type)
    found = mixture.means_[np.argsort(mixture.means_[:, 0] + 0.01 * mixture.means_[:, 1])]
    expected = CENTRES[np.argsort(CENTRES[:, 0] + 0.01 * CENTRES[:, 1])]
    assert np.allclose(found, expected, atol=0.15)
    assert np.allclose(mixture.weights_, 1 / 3, atol=0.01)


@pytest.mark.parametrize("kwargs, field", [({"n_components": 0}, "n_components"),
                                           ({"n_components": 1001}, "n_components"),
                                           ({"n_components": 2, "covariance_type": "full2"},
                                            "covariance_type")])
def test_gmm_settings_are_validated(kwargs, field):
    with pytest.raises(ValueError, match=field):
        fit_gmm(_blobs(), **kwargs)


def test_kde_bandwidth_is_validated_and_draws_stay_near_the_data():
    with pytest.raises(ValueError, match="bandwidth"):
        fit_kde(_blobs(), 0.0)
    draws = sample_latents(fit_kde(_blobs(), 0.1), 100, seed=1).double().numpy()
    nearest = np.min(np.linalg.norm(draws[:, None] - CENTRES[None], axis=2), axis=1)
    assert nearest.max() < 4


def test_draws_are_reproducible_and_mixed_across_components():
    mixture = fit_gmm(_blobs(), 3)
    first, again = sample_latents(mixture, 60, seed=3), sample_latents(mixture, 60, seed=3)
    assert torch.equal(first, again)
    assert not torch.equal(first, sample_latents(mixture, 60, seed=4))
    # sklearn returns draws grouped by component; the first 20 must not all be one blob.
    assert len(set(np.argmin(np.linalg.norm(first[:20, None].numpy() - CENTRES[None], axis=2),
                             axis=1))) > 1


def test_component_sweep_scores_each_mixture():
    sweep = component_sweep(_blobs(), [1, 3], lambda mixture: -mixture.score(_blobs(1)))
    assert [k for k, _ in sweep] == [1, 3]
    assert sweep[1][1] < sweep[0][1]  # three components fit three blobs better than one


def test_sampling_decoding_and_orbits_run_end_to_end():
    trainer = Trainer({"task": "digits_ae", "model": "autoncode", "device": "cpu",
                       "solver": {"method": "rk4", "step_size": 2.5},
                       "training": {"lr": 3e-3, "batch_size": 64},
                       "task_cfg": {"n_train": 200, "n_test": 50}})
    for _ in range(5):
        trainer.step()
    task, model = trainer.task, trainer.model
    latents, labels = task.encode(model, task.train_split)
    assert latents.shape == (200, 10) and labels.shape == (200,)
    images = sample_images(model, fit_gmm(latents, 10, "diag"), 16, seed=0)
    assert images.shape == (16, 1, 8, 8)
    assert float(images.min()) >= 0 and float(images.max()) <= 1
    strip = decode_interpolation(model, latents[0], latents[1], 6, "spherical")
    assert strip.shape == (6, 1, 8, 8)
    test_images = task.images(task.test_split, torch.arange(4))[0]
    x0 = torch.randn(4, 10)
    times, orbit = orbit_reconstructions(model, test_images, 5, x0)
    assert times.shape == (5,) and orbit.shape == (5, 4, 1, 8, 8)
    assert float(times[-1]) == pytest.approx(10.0)
    with torch.no_grad():
        assert torch.allclose(orbit[-1], model(test_images, x0)[0], atol=1e-5)
