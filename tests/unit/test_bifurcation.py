"""ncode_core.bifurcation: equilibria, their stability and bifurcations, in float64, against
fields whose answers are known in closed form, and end to end on the pretrained annuli model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import ncode_core as nc

PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"
# Offsets move the bifurcation off 0 and off the sampled positions, so a located event cannot
# coincide with a grid point or a symmetric guess by luck.
OFFSETS = (0.0, 0.137, -0.4123)


def saddle_node(offset: float):
    """dx/dt = r + x^2 with r = p - offset: two equilibria +-sqrt(-r) meet at p = offset."""
    return lambda p: lambda x, which: (p[which] - offset)[:, None] + x ** 2


def pitchfork(offset: float):
    """dx/dt = r x - x^3, r = p - offset: 0 loses stability to +-sqrt(r) at p = offset."""
    return lambda p: lambda x, which: (p[which] - offset)[:, None] * x - x ** 3


def hopf(offset: float):
    """Supercritical Hopf normal form, mu = p - offset: the focus at 0 turns unstable at
    p = offset (eigenvalues mu +- i)."""

    def family(p):
        def field(x, which):
            mu = p[which] - offset
            a, b = x[:, 0], x[:, 1]
            r2 = a * a + b * b
            return torch.stack([mu * a - b - a * r2, a + mu * b - b * r2], dim=1)

        return field

    return family


def continuation(family, dim: int, positions=np.linspace(-1.0, 0.77, 100)) -> nc.Continuation:
    starts = nc.grid_starts([-2.0] * dim, [2.0] * dim, 41 if dim == 1 else 12)
    return nc.continue_equilibria(family, positions, starts)


FAMILIES = [(saddle_node, 1, "saddle-node"), (pitchfork, 1, "pitchfork"), (hopf, 2, "hopf")]


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("family, dim, kind", FAMILIES)
def test_events_found_at_the_known_parameter(family, dim, kind, offset):
    result = continuation(family(offset), dim)
    assert [event.kind for event in result.events] == [kind]
    event = result.events[0]
    assert abs(event.position - offset) < 1e-3
    assert event.bracket[0] <= event.position <= event.bracket[1]
    assert event.bracket[1] - event.bracket[0] <= 1e-6
    np.testing.assert_allclose(event.point, np.zeros(dim), atol=1e-2)


@pytest.mark.parametrize("family, dim, kind", FAMILIES)
def test_an_event_on_a_grid_position_is_found_once(family, dim, kind):
    """Position 50 of 101 on [-1, 1] is the bifurcation itself, where the field is degenerate
    (a double zero, a centre): its neighbours bracket one event of the right kind."""
    result = continuation(family(0.0), dim, np.linspace(-1.0, 1.0, 101))
    assert result.equilibria[50].degenerate
    assert [event.kind for event in result.events] == [kind]
    assert abs(result.events[0].position) < 1e-3


def test_saddle_node_branches_and_stability():
    result = continuation(saddle_node(0.0), 1)
    s = int(np.searchsorted(result.positions, -0.25))
    r = result.positions[s]
    here = result.equilibria[s]
    np.testing.assert_allclose(here.points[:, 0], [-np.sqrt(-r), np.sqrt(-r)], atol=1e-9)
    assert here.kinds == ("stable", "unstable")  # f'(x) = 2x
    assert all(len(e.points) == 0 for e, p in zip(result.equilibria, result.positions) if p > 0)
    # one branch per equilibrium, both ending at the fold
    assert result.branches.shape[:2] == (2, 100)
    assert sorted(result.branch_stable.any(axis=1)) == [False, True]
    assert np.isnan(result.branches[:, result.positions > 0]).all()


def test_pitchfork_equilibria_and_kinds():
    result = continuation(pitchfork(0.0), 1)
    s = int(np.searchsorted(result.positions, 0.5))
    r = result.positions[s]
    here = result.equilibria[s]
    np.testing.assert_allclose(here.points[:, 0], [-np.sqrt(r), 0.0, np.sqrt(r)], atol=1e-9)
    assert here.kinds == ("stable", "unstable", "stable")
    np.testing.assert_allclose(here.eigenvalues[:, 0].real, [-2 * r, r, -2 * r], rtol=1e-8)
    assert result.equilibria[0].kinds == ("stable",)
    assert result.branches.shape[0] == 3


def test_hopf_focus_changes_stability():
    result = continuation(hopf(0.0), 2)
    first, last = result.equilibria[0], result.equilibria[-1]
    assert first.kinds == ("stable focus",) and last.kinds == ("unstable focus",)
    np.testing.assert_allclose(first.eigenvalues[0], [-1 - 1j, -1 + 1j], atol=1e-9)
    assert first.signature == (0,) and last.signature == (2,)


def linear(matrix):
    a = torch.tensor(matrix, dtype=torch.float64)
    return lambda x: x @ a.T


@pytest.mark.parametrize("matrix, kind", [
    ([[-1.0, 0.0], [0.0, -2.0]], "stable node"),
    ([[1.0, 0.5], [0.0, 2.0]], "unstable node"),
    ([[1.0, 0.0], [0.0, -1.0]], "saddle"),
    ([[-1.0, -2.0], [2.0, -1.0]], "stable focus"),
    ([[0.5, -2.0], [2.0, 0.5]], "unstable focus"),
    ([[0.0, -1.0], [1.0, 0.0]], "centre"),
    ([[0.0, 0.0], [0.0, -1.0]], "non-hyperbolic"),
    ([[-3.0]], "stable"),
    ([[2.0]], "unstable"),
])
def test_linear_fields_are_classified(matrix, kind):
    dim = len(matrix)
    found = nc.find_equilibria(linear(matrix), nc.grid_starts([-1.0] * dim, [1.5] * dim, 5))
    if kind == "non-hyperbolic":  # a line of equilibria: every one is non-hyperbolic
        assert len(found.points) >= 1 and set(found.kinds) == {kind}
        return
    np.testing.assert_allclose(found.points, np.zeros((1, dim)), atol=1e-12)
    assert found.kinds == (kind,)
    np.testing.assert_allclose(np.sort_complex(found.eigenvalues[0]),
                               np.sort_complex(np.linalg.eigvals(np.asarray(matrix))),
                               atol=1e-12)


def test_many_starts_give_each_equilibrium_once():
    found = nc.find_equilibria(torch.sin, nc.grid_starts([-4.0], [4.0], 200))
    np.testing.assert_allclose(found.points[:, 0], [-np.pi, 0.0, np.pi], atol=1e-12)
    assert found.kinds == ("stable", "unstable", "stable")  # f'(x) = cos(x)
    np.testing.assert_array_equal(found.stable, [True, False, True])


def test_equilibria_outside_the_box_are_dropped():
    found = nc.find_equilibria(lambda x: x - 3.0, nc.grid_starts([-1.0], [1.0], 9))
    assert len(found.points) == 0


@pytest.mark.parametrize("field, value", [("iterations", 0), ("patience", 1.5),
                                          ("residual_tol", 0.0), ("merge_tol", -1.0)])
def test_newton_settings_are_validated(field, value):
    with pytest.raises(ValueError, match=f"{field}={value!r}"):
        nc.NewtonSettings(**{field: value})


def test_positions_must_increase():
    with pytest.raises(ValueError, match="positions"):
        nc.continue_equilibria(saddle_node(0.0), [0.0, 0.0, 1.0], nc.grid_starts([-1], [1], 3))


@pytest.fixture(scope="module")
def annuli_open() -> nc.Trainer:
    payload = nc.load_checkpoint(PRETRAINED / "annuli-ncode_open.pt")
    trainer = nc.Trainer(payload["config"], device="cpu")
    trainer.load_state_dict(nc.trainer_state_from_checkpoint(payload))
    return trainer


def test_line_family_is_the_sample_field(annuli_open):
    model = annuli_open.model
    start, end = np.array([0.0, 0.0]), np.array([1.2, 0.5])
    family = nc.line_field_family(model, start, end)
    points = np.random.default_rng(0).normal(size=(7, 2))
    field = family(torch.tensor([0.3, 0.8], dtype=torch.float64))
    values = field(torch.tensor(np.concatenate([points, points])),
                   torch.tensor([0] * 7 + [1] * 7))
    for k, p in enumerate((0.3, 0.8)):
        context = nc.sample_context(model, start + p * (end - start))
        expected = nc.field_values(model, points, context)
        np.testing.assert_allclose(values[7 * k:7 * (k + 1)].numpy(), expected, atol=1e-5)
    assert next(model.parameters()).dtype == torch.float32  # analysed on a float64 copy


def test_pretrained_open_loop_annuli_end_to_end(annuli_open):
    """From the centre outwards the field of the trained model changes: every equilibrium
    found is a zero of that position's field, and branches and events agree with them."""
    model = annuli_open.model
    start, end = [0.0, 0.0], [1.5 * np.cos(0.35), 1.5 * np.sin(0.35)]
    result = nc.equilibria_along_line(model, start, end, count=40, half_width=2.0)
    assert result.positions.shape == (40,) and len(result.equilibria) == 40
    assert result.branches.shape[1:] == (40, 2)
    counts = [len(e.points) for e in result.equilibria]
    assert sum(counts) > 0
    for p, here in zip(result.positions, result.equilibria):
        if len(here.points):
            point = np.asarray(start) + p * (np.asarray(end) - np.asarray(start))
            residual = nc.field_values(model, here.points, nc.sample_context(model, point))
            np.testing.assert_allclose(residual, 0.0, atol=1e-4)
            assert set(here.kinds) <= set(nc.EQUILIBRIUM_KINDS)
    changes = [s for s in range(39) if result.equilibria[s].signature
               != result.equilibria[s + 1].signature]
    assert len(result.events) == len(changes)
    for event, s in zip(result.events, changes):
        assert result.positions[s] <= event.position <= result.positions[s + 1]
        assert event.kind in nc.EVENT_KINDS
