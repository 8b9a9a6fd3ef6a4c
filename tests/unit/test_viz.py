"""ncode_core.viz: the arrays behind the dashboard's pictures (float64 where numerical)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ncode_core as nc

BOUNDS = (-1.5, 1.5, -1.0, 1.0)


def trained(task: str, model: str, steps: int = 2, **task_cfg) -> nc.Trainer:
    """A float64 trainer moved a few steps away from its initialisation."""
    config = {"task": task, "model": model, "seed": 3, "device": "cpu",
              "solver": {"rtol": 1e-7, "atol": 1e-7},
              "training": {"batch_size": 64, "lr": 0.05}, "task_cfg": task_cfg}
    trainer = nc.Trainer(config, dtype=torch.float64)
    for _ in range(steps):
        trainer.step()
    return trainer


@pytest.fixture(scope="module")
def annuli_models() -> dict[str, nc.Trainer]:
    return {family: trained("annuli", family, n_samples=256)
            for family in ("node", "anode", "node_dc", "ncode_open", "ncode_closed")}


def test_node_field_is_the_mlp_output(annuli_models):
    model = annuli_models["node"].model
    points = np.random.default_rng(0).normal(size=(30, 2))
    values = nc.field_values(model, points, nc.sample_context(model, [0.1, 0.2]))
    expected = model.flow.system.field(torch.tensor(points)).detach().numpy()
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)
    assert nc.sample_context(model, [0.1, 0.2]) == ()


def test_anode_field_is_projection_with_zero_augmentation(annuli_models):
    model = annuli_models["anode"].model
    points = np.random.default_rng(1).normal(size=(12, 2))
    values = nc.field_values(model, points, ())
    lifted = torch.cat([torch.tensor(points), torch.zeros(12, model.flow.augment_dim,
                                                          dtype=torch.float64)], dim=1)
    expected = model.flow.system.field(lifted).detach().numpy()[:, :2]
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)


def test_open_loop_field_of_a_sample_is_the_field_its_gamma_gives(annuli_models):
    flow = annuli_models["ncode_open"].model.flow
    x0 = [0.3, -0.4]
    points = np.random.default_rng(2).normal(size=(25, 2))
    values = nc.field_values(flow, points, nc.sample_context(flow, x0))
    with torch.no_grad():
        theta = flow.system.theta(flow.gamma(torch.tensor([x0], dtype=torch.float64)))
        expected = flow.system.field(torch.tensor(points), theta.expand(25, -1)).numpy()
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)
    # another sample sees another field; a NODE-DC sample too
    other = nc.field_values(flow, points, nc.sample_context(flow, [1.2, 0.0]))
    assert np.abs(other - values).max() > 1e-6
    dc = annuli_models["node_dc"].model
    a = nc.field_values(dc, points, nc.sample_context(dc, x0))
    b = nc.field_values(dc, points, nc.sample_context(dc, [1.2, 0.0]))
    assert np.abs(a - b).max() > 1e-6


@pytest.mark.parametrize("family", ["node_dc", "ncode_open", "ncode_closed"])
def test_field_at_time_t_is_the_velocity_of_the_sample_trajectory(annuli_models, family):
    """Central difference of the solved x(t) equals the sample's field evaluated at x(t)."""
    model = annuli_models[family].model
    x0, t, h = np.array([0.4, -0.7]), 0.6, 1e-4
    path = nc.trajectories(model, x0[None], n_times=3, horizon=t + h)
    before = nc.trajectories(model, x0[None], n_times=2, horizon=t - h).x[-1, 0]
    velocity = (path.x[-1, 0] - before) / (2 * h)
    at_t = nc.trajectories(model, x0[None], n_times=2, horizon=t).x[-1, 0]
    field = nc.field_values(model, at_t[None], nc.sample_context(model, x0, t=t), t=t)[0]
    np.testing.assert_allclose(field, velocity, rtol=1e-4, atol=1e-5)


def test_closed_loop_field_changes_with_time(annuli_models):
    model = annuli_models["ncode_closed"].model
    early = nc.vector_field(model, [0.3, 0.3], BOUNDS, 9, t=0.0)
    late = nc.vector_field(model, [0.3, 0.3], BOUNDS, 9, t=1.0)
    assert np.abs(early.u - late.u).max() > 1e-6


def test_vector_field_grid_orientation(annuli_models):
    model = annuli_models["ncode_open"].model
    field = nc.vector_field(model, [0.5, 0.5], BOUNDS, 7)
    assert field.u.shape == (7, 7) and field.xs[0] == -1.5 and field.ys[-1] == 1.0
    point = np.array([[field.xs[2], field.ys[5]]])
    value = nc.field_values(model, point, nc.sample_context(model, [0.5, 0.5]))[0]
    np.testing.assert_allclose([field.u[5, 2], field.v[5, 2]], value, rtol=1e-12)


def test_streamlines_follow_the_field():
    xs = ys = np.linspace(-1, 1, 21)
    gx, gy = np.meshgrid(xs, ys)
    rotation = nc.VectorField(xs, ys, -gy, gx)
    lines = nc.streamlines(rotation, seeds_per_side=4, steps=20)
    finite = lines[np.isfinite(lines).all(axis=1)]
    assert len(finite) > 100
    assert (np.abs(finite) <= 1 + 1e-9).all()
    # along every line of a rotation the radius is (nearly) conserved
    for line in np.split(lines, np.where(np.isnan(lines[:, 0]))[0]):
        line = line[np.isfinite(line).all(axis=1)]
        if len(line) > 2:
            radius = np.hypot(line[:, 0], line[:, 1])
            assert radius.max() - radius.min() < 0.02
    shear = nc.VectorField(xs, ys, np.ones_like(gx), np.zeros_like(gx))
    lines = nc.streamlines(shear, seeds_per_side=3, steps=5)
    pieces = [p for p in np.split(lines, np.where(np.isnan(lines[:, 0]))[0])
              if np.isfinite(p).all(axis=1).sum() > 2]
    assert len(pieces) >= 3
    for piece in pieces:
        piece = piece[np.isfinite(piece).all(axis=1)]
        assert np.ptp(piece[:, 1]) < 1e-12 and np.all(np.diff(piece[:, 0]) > 0)


def test_trajectories_start_at_x0_and_end_at_the_model_output(annuli_models):
    model = annuli_models["ncode_closed"].model
    x0 = np.random.default_rng(3).normal(size=(5, 2))
    paths = nc.trajectories(model, x0, n_times=11)
    assert paths.x.shape == (11, 5, 2) and paths.times[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(paths.x[0], x0, rtol=1e-12)
    with torch.no_grad():
        final = model.flow(torch.tensor(x0)).x[-1].numpy()
    np.testing.assert_allclose(paths.x[-1], final, rtol=1e-5, atol=1e-6)
    assert paths.theta is not None and paths.theta.shape[:2] == (11, 5)
    assert nc.trajectories(annuli_models["node"].model, x0).theta is None


def test_decision_map_is_the_class_score_on_the_grid(annuli_models):
    trainer = annuli_models["ncode_open"]
    result = nc.decision_map(trainer.model, BOUNDS, 6, task=trainer.task)
    _, _, points = nc.grid(BOUNDS, 6)
    with torch.no_grad():
        expected = trainer.model(torch.tensor(points))[0][:, 0].numpy()
    np.testing.assert_allclose(result.score.ravel(), expected, rtol=1e-6, atol=1e-9)
    assert result.score.shape == (6, 6) and result.threshold == 0.5


def test_bifurcation_line(annuli_models):
    trainer = annuli_models["ncode_open"]
    flow = trainer.model.flow
    diagram = nc.bifurcation_line(trainer.model, [0.0, 0.0], [1.5, 0.0], count=9,
                                  task=trainer.task)
    np.testing.assert_allclose(diagram.points[[0, -1]], [[0, 0], [1.5, 0]])
    with torch.no_grad():
        points = torch.tensor(diagram.points)
        theta0 = flow.system.theta(flow.gamma(points)).numpy()
        logits, path = trainer.model(points)
    np.testing.assert_allclose(diagram.theta0, theta0, rtol=1e-12)
    np.testing.assert_allclose(diagram.x_final, path.x[-1].numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(diagram.score, logits[:, 0].numpy(), rtol=1e-6)
    assert nc.bifurcation_line(annuli_models["node"].model, [0, 0], [1, 0], 5).theta0 is None


def test_reflection_picture_node_field_is_shared_and_paths_monotone():
    trainer = trained("reflection", "node", n_train=32, n_test=32)
    picture = nc.reflection_picture(trainer.model, n_paths=9, n_times=7, sample=0.3)
    assert picture.x.shape == (7, 9) and picture.field.shape == (7, 41)
    np.testing.assert_allclose(picture.x[0], picture.x0)
    other = nc.reflection_picture(trainer.model, n_paths=9, n_times=7, sample=-0.8)
    np.testing.assert_allclose(picture.field, other.field)  # one field for every sample
    assert (np.diff(picture.x[-1]) > 0).all()  # a 1-D NODE flow map is increasing


def test_reflection_picture_closed_loop_field_varies_in_time():
    trainer = trained("reflection", "ncode_closed", n_train=32, n_test=32)
    picture = nc.reflection_picture(trainer.model, n_paths=5, n_times=6, sample=0.5)
    assert np.abs(picture.field[0] - picture.field[-1]).max() > 1e-6
    with torch.no_grad():
        out = trainer.model(torch.tensor(picture.x0[:, None]))[0][:, 0].numpy()
    np.testing.assert_allclose(picture.x[-1], out, rtol=1e-5, atol=1e-6)


def test_vanderpol_reference_solves_its_ode():
    trainer = trained("vanderpol", "ncode_closed", steps=1, n_train=2, n_test=3, n_times=41)
    task = trainer.task
    mu, fine = task.config.mu_true, np.linspace(0.0, 2.0, 2001)
    x, theta = (path.numpy() for path in nc.vanderpol_reference(mu, [1.0, -0.5], fine))
    np.testing.assert_allclose(x[0], [1.0, -0.5])
    np.testing.assert_allclose(theta[0], 0.0)
    step = fine[1] - fine[0]
    dx, dtheta = np.gradient(x, step, axis=0), np.gradient(theta, step, axis=0)
    np.testing.assert_allclose(dtheta[1:-1], x[1:-1] / mu, atol=1e-5)
    np.testing.assert_allclose(dx[1:-1], mu * (x - x**3 / 3 - theta)[1:-1], atol=1e-4)
    portrait = nc.vanderpol_portrait(trainer.model, task)
    assert portrait.x_model.shape == portrait.x_target.shape == (41, 3)
    assert portrait.theta_model is not None
    np.testing.assert_allclose(portrait.x_model[0], portrait.x0, rtol=1e-12)


@pytest.mark.parametrize("family", ["ncode_closed", "ncode_open", "node"])
def test_field_over_time_is_the_field_at_each_time(annuli_models, family):
    model = annuli_models[family].model
    x0 = [0.3, -0.2]
    points = np.random.default_rng(1).normal(size=(9, 2))
    movie = nc.field_over_time(model, x0, points, n_times=4)
    assert movie.values.shape == (4, 9, 2) and movie.path.shape == (4, 2)
    np.testing.assert_allclose(movie.path[0], x0, rtol=1e-12)
    np.testing.assert_allclose(movie.times, np.linspace(0, model.flow.integration_time, 4))
    for index, t in enumerate(movie.times):
        expected = nc.field_values(model, points, nc.sample_context(model, x0, t), t)
        np.testing.assert_allclose(movie.values[index], expected, rtol=1e-6, atol=1e-9)
    changes = not np.allclose(movie.values[0], movie.values[-1], rtol=1e-9, atol=1e-12)
    assert changes == nc.is_closed_loop(model) == (family == "ncode_closed")
