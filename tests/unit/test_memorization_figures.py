"""Memorization page helpers and figure builders (arrays -> plotly), without Streamlit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from app.components import memorization_figures as mf
from app.components.figures import seed_bands


def test_patterns_are_drawn_square_when_n_is_a_square_else_as_a_strip():
    assert mf.image_shape(100) == (10, 10) and mf.image_shape(12) == (1, 12)
    vectors = np.arange(200).reshape(2, 100)
    images = mf.as_images(vectors)
    assert images.shape == (2, 10, 10) and images[1, 2, 3] == 100 + 23


@pytest.mark.parametrize("fraction, count", [(0.0, 0), (0.5, 50), (0.93, 93), (1.0, 100)])
def test_zeroed_mask_has_the_fraction_of_bits_and_is_seeded(fraction, count):
    mask = mf.zeroed_mask(100, fraction, seed=3)
    assert mask.dtype == bool and mask.sum() == count
    np.testing.assert_array_equal(mask, mf.zeroed_mask(100, fraction, seed=3))
    if 0 < count < 100:
        assert not np.array_equal(mask, mf.zeroed_mask(100, fraction, seed=4))


def test_degrade_zeroes_exactly_the_masked_bits():
    pattern = np.array([1.0, -1.0, 1.0, -1.0])
    probe = mf.degrade(pattern, np.array([True, False, False, True]))
    np.testing.assert_array_equal(probe, [0.0, -1.0, 1.0, 0.0])


def test_an_edited_grid_becomes_a_probe_of_signs_with_empty_cells_zeroed():
    grid = np.array([[1, -1], [np.nan, 0.4]])
    np.testing.assert_array_equal(mf.grid_to_probe(grid), [1.0, -1.0, 0.0, 1.0])


def test_error_map_tells_shown_from_zeroed_bits_and_counts_a_zero_guess_wrong():
    target = np.array([1.0, 1.0, -1.0, -1.0, 1.0])
    guess = np.array([0.9, -0.2, -0.5, 0.3, 0.0])
    probe = np.array([1.0, 0.0, 0.0, -1.0, 1.0])
    np.testing.assert_array_equal(mf.error_map(guess, target, probe), [0, 2, 0, 1, 1])


def test_figures_have_one_heatmap_per_panel_on_the_stated_ranges():
    rng = np.random.default_rng(0)
    patterns = np.sign(rng.standard_normal((5, 100)))
    probe = mf.degrade(patterns[2], mf.zeroed_mask(100, 0.5, 0))
    figure = mf.patterns_figure(patterns, probe, probed=2)
    assert isinstance(figure, go.Figure) and len(figure.data) == 6
    assert [a.text for a in figure.layout.annotations][2] == "pattern 2 (probed)"
    np.testing.assert_array_equal(figure.data[-1].z, probe.reshape(10, 10))

    recall = mf.recall_figure(np.array([5.0, 5.25, 5.5]), rng.standard_normal((3, 100)),
                              patterns[2])
    assert len(recall.data) == 4 and recall.layout.annotations[0].text == "x at t = 5.00 s"

    theta = rng.standard_normal((3, 100, 100))
    heat = mf.theta_figure(theta, ["a", "b", "c"], "theta")
    bound = np.percentile(np.abs(theta), 99)
    assert {(d.zmin, d.zmax) for d in heat.data} == {(-bound, bound)}

    errors = mf.errors_figure(-patterns[2], patterns[2], probe)
    assert len(errors.data) == 2
    assert np.isin(errors.data[1].z, [1.0, 2.0]).all()  # every bit wrong, shown or zeroed


def test_seed_bands_average_over_the_episodes_every_seed_evaluated():
    curves = [(np.array([0.0, 400.0, 800.0]), np.array([0.5, 0.2, 0.1])),
              (np.array([0.0, 400.0, 800.0, 1200.0]), np.array([0.5, 0.4, 0.3, 0.2]))]
    episodes, mean, low, high = seed_bands(curves)
    np.testing.assert_array_equal(episodes, [0.0, 400.0, 800.0])
    np.testing.assert_allclose(mean, [0.5, 0.3, 0.2])
    np.testing.assert_allclose(low, [0.5, 0.2, 0.1])
    np.testing.assert_allclose(high, [0.5, 0.4, 0.3])


def test_error_curves_have_a_band_and_a_mean_line_per_setting():
    curve = (np.array([0.0, 400.0]), np.array([0.5, 0.01]))
    figure = mf.error_curves_figure({"N-CODE": [curve, curve], "LSTM": [curve]},
                                    "degraded_bit_error")
    assert len(figure.data) == 4
    assert [d.name for d in figure.data[1::2]] == ["N-CODE (2 seeds)", "LSTM (1 seed)"]
    assert figure.data[0].fill == "toself"


def test_episode_frames_skip_each_intervals_end_but_the_last():
    times = np.arange(15.0).reshape(3, 5)  # K = 3 intervals, T = 5 points
    assert mf.episode_frames(times) == [(0, 0), (0, 2), (1, 0), (1, 2), (2, 0), (2, 2), (2, 4)]
    assert mf.episode_frames(times, stride=1)[:5] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)]


def test_episode_animation_plays_stimulus_state_and_synapses_frame_by_frame():
    rng = np.random.default_rng(1)
    times = np.array([[0.0, 0.25, 0.5], [0.5, 0.75, 1.0]])  # a pattern, then the probe
    stimuli = np.sign(rng.standard_normal((2, 100)))
    x = rng.uniform(-1, 1, (2, 3, 100))
    theta = rng.standard_normal((2, 3, 100, 100))
    figure = mf.episode_animation_figure(times, ["pattern 4", "probe"], stimuli, x, theta)
    names = [frame.name for frame in figure.frames]
    assert names == ["0.00 s, pattern 4", "0.50 s, probe", "1.00 s, probe"]
    assert [step.label for step in figure.layout.sliders[0].steps] == names
    last = figure.frames[-1].data
    np.testing.assert_array_equal(last[0].z, stimuli[1].reshape(10, 10))
    np.testing.assert_array_equal(last[1].z, x[1, 2].reshape(10, 10))
    np.testing.assert_array_equal(last[2].z, theta[1, 2])
    bound = np.percentile(np.abs(theta), 99)  # one range over the whole episode
    assert (figure.data[2].zmin, figure.data[2].zmax) == (-bound, bound)
    play = figure.layout.updatemenus[0].buttons[0]
    assert play.label == "Play" and play.args[1]["frame"]["redraw"]  # heatmaps need a redraw


def test_paper_references_merge_models_that_share_a_number():
    numbers = [("N-CODE", 0.01, "below 1 %", "Fig. 6"), ("NODE DC", 0.175, "plateau", "Fig. 6"),
               ("ODE-RNN", 0.175, "plateau", "Fig. 6"), ("LSTM", 0.175, "other", "Fig. 6")]
    assert mf.paper_references(numbers) == [
        (0.01, "paper (Fig. 6): N-CODE: below 1 %"),
        (0.175, "paper (Fig. 6): NODE DC, ODE-RNN: plateau"),
        (0.175, "paper (Fig. 6): LSTM: other")]
    assert mf.paper_references([]) == []


def test_error_curves_draw_each_paper_reference_as_a_dashed_line():
    curve = (np.array([0.0, 400.0]), np.array([0.5, 0.2]))
    references = [(0.01, "paper: below 1 %"), (0.175, "paper: plateau")]
    figure = mf.error_curves_figure({"NODE DC": [curve]}, "bit_error", references)
    assert [shape.y0 for shape in figure.layout.shapes] == [0.01, 0.175]
    assert {shape.line.dash for shape in figure.layout.shapes} == {"dash"}
    assert [a.text for a in figure.layout.annotations] == ["paper: below 1 %", "paper: plateau"]
    assert "the paper" in figure.layout.title.text
    plain = mf.error_curves_figure({"NODE DC": [curve]}, "bit_error")
    assert not plain.layout.shapes and "the paper" not in plain.layout.title.text
