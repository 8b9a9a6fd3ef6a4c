"""The plateau rule of benchmarks/memorization.py, which the README's baseline claims rest on."""

from __future__ import annotations

from benchmarks.memorization import PAPER, plateau_start


def test_a_curve_that_flattens_plateaus_where_it_stops_improving_by_more_than_the_tolerance():
    errors = [0.45, 0.35, 0.28, 0.25, 0.245, 0.242, 0.244, 0.241, 0.240, 0.241, 0.240, 0.239]
    assert plateau_start(errors, tolerance=0.01) == 4  # from 0.245 on, never below 0.235
    assert plateau_start(errors, tolerance=0.0025) == 7


def test_a_curve_still_falling_at_its_end_has_no_plateau():
    errors = [0.45, 0.40, 0.36, 0.33, 0.31, 0.29, 0.27, 0.25]
    assert plateau_start(errors, tolerance=0.01) is None


def test_the_paper_column_comes_from_the_fig6_preset():
    assert set(PAPER) == {"ncode_closed", "node_dc", "ode_rnn", "lstm"}
    assert "17.5 %" in PAPER["node_dc"]
