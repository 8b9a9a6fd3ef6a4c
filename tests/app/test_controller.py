"""The live-training controller without Streamlit."""

from __future__ import annotations

import threading

import ncode_core as nc
from app.components import settings as S
from app.components.controller import RUNNING, LiveTraining
from app.components.views import ViewOptions, build_view

SMALL = {**S.defaults_for("reflection"), "n": 32, "batch": 16, "hidden": 4, "code": 2}


def test_step_play_pause_and_history():
    live = LiveTraining(S.to_run_config(SMALL))
    assert live.status == "paused" and live.steps == 0 and "test_loss" in live.evaluation
    assert live.run_chunk(0.01) == 0  # paused: nothing happens
    assert live.step(3) == 3 and [row["step"] for row in live.history] == [1, 2, 3]
    assert "test_loss" in live.history[-1] and "test_loss" not in live.history[0]
    live.play()
    done = live.run_chunk(0.05, max_steps=4)
    assert 1 <= done <= 4 and live.steps == 3 + done and live.wall_rate > 0
    live.pause()
    assert live.status == "paused" and live.run_chunk(0.05) == 0


def test_solver_failure_stops_the_run_with_a_message():
    config = S.to_run_config(SMALL)
    config["solver"].update(max_num_steps=1, rtol=1e-9, atol=1e-9)
    live = LiveTraining(config)  # even the first evaluation cannot be solved
    assert live.status == "failed" and "max steps" in live.error and "Reset" in live.error
    live.play()
    assert live.status == "failed" and live.step() == 0


def test_from_run_config_inverts_to_run_config():
    for task, cls in nc.lab_tasks().items():
        for model in cls.families:
            settings = S.normalise({**S.defaults_for(task), "model": model, "seed": 3})
            assert S.from_run_config(S.to_run_config(settings)) == settings


def test_query_values_are_clamped_and_bad_ones_reported():
    settings, problems = S.from_query({"task": "annuli", "hidden": "1e6", "tol": "3e-4",
                                       "lr": "nan", "batch": "100", "model": "bogus",
                                       "unknown": "1"})
    assert settings["hidden"] == 64 and settings["tol"] == 1e-4 and settings["batch"] == 128
    annuli_defaults = S.defaults_for("annuli")  # an unreadable value falls back to the task's
    assert settings["lr"] == annuli_defaults["lr"] and settings["model"] == S.DEFAULTS["model"]
    assert len(problems) == 2 and any("model" in p for p in problems)
    _, problems = S.from_query({"task": "mnist"})
    assert problems and "task" in problems[0]


def test_chunks_adapt_to_the_time_between_them():
    live = LiveTraining(S.to_run_config(SMALL))
    assert live.chunk_budget(2.0) == 1.0 and live.chunk_budget(0.5) == 0.5  # nothing measured
    live.overhead_s = 0.25  # 80 % training -> 4 x the overhead
    assert abs(live.chunk_budget(2.0) - 1.0) < 1e-9
    live.overhead_s = 0.01
    assert live.chunk_budget(2.0) == 0.3  # never shorter than SHORTEST_CHUNK_S
    live.overhead_s = 5.0
    assert live.chunk_budget(2.0) == 2.0  # never longer than the user's limit
    live.overhead_s = None
    live.play()
    live.run_chunk(budget_s=0.01, max_steps=1)
    live.last_chunk_end -= 0.2  # as if the page took 0.2 s to redraw
    live.run_chunk(budget_s=0.01, max_steps=1)
    assert live.overhead_s is not None and live.overhead_s >= 0.2


def test_lab_settings_reach_the_closed_loop_form_and_the_running_cost():
    task = S.default_task("lab")
    closed = S.to_run_config({**S.defaults_for(task), "model": "ncode_closed", "control": "full",
                              "theta0": "gamma", "cost": 0.2, "cost_on": "theta"})
    assert closed["model_cfg"]["control"] == "full" and closed["model_cfg"]["theta0"] == "gamma"
    assert closed["training"]["running_cost"] == 0.2
    assert closed["training"]["running_cost_on"] == "theta"
    assert nc.parse_run_config(closed).training.running_cost == 0.2
    # a baseline has no theta: its cost falls on x, which the library accepts
    node = S.to_run_config({**S.defaults_for(task), "model": "node", "cost": 0.2,
                            "cost_on": "theta"})
    assert node["training"]["running_cost_on"] == "x"
    assert nc.parse_run_config(node).training.running_cost_on == "x"


def test_one_model_used_from_two_threads_trains_and_draws_in_turn():
    """Streamlit can run a session's script in a new thread while an interrupted run is still
    inside a training chunk: two chunks (or a chunk and a view) must not interleave on one
    model (an in-place optimiser update under another step's backward fails the run)."""
    live = LiveTraining(S.to_run_config({**S.DEFAULTS, "task": "annuli", "model": "ncode_open",
                                         "batch": 64}))
    live.play()
    done: list[int] = []
    figures: list[object] = []
    options = ViewOptions(samples=((0.5, 0.5), (-1.0, 0.0)))

    def train() -> None:
        for _ in range(3):
            done.append(live.run_chunk(budget_s=0.3))

    def draw() -> None:
        for _ in range(6):
            figures.append(build_view(live, "decision", options))

    threads = [threading.Thread(target=train), threading.Thread(target=train),
               threading.Thread(target=draw)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert live.status == RUNNING, live.error
    assert live.steps == sum(done) == len(live.history)
    assert len(figures) == 6
