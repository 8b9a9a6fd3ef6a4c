"""Every page renders in AppTest, and the lab's controls work at any moment."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import ncode_core as nc
from tests.app.conftest import SMALL_ANNULI, metrics, open_more_views, open_page

PAGES = {"home": "N-CODE Studio", "lab": "Toy lab", "compare": "Compare NODE and N-CODE",
         "bifurcation": "Bifurcation explorer", "tour": "Teaching tour",
         "images": "Images", "share": "Share and export"}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_without_errors(page):
    at = open_page(page, SMALL_ANNULI if page == "lab" else None)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert not at.exception and not at.error


def test_lab_step_play_pause_reset(small_lab):
    at = small_lab
    live = at.session_state["lab_live"]
    assert live.steps == 0 and metrics(at, "step") == ["0"]
    # the main views (decision, trajectories); the others wait in a closed expander, the
    # training curves for the first step
    assert len(at.get("plotly_chart")) == 2
    assert "field_a" not in at.session_state["lab_last_views"]
    open_more_views(at)
    assert len(at.get("plotly_chart")) == 5  # and the two fields, theta

    at.button(key="lab_step").click().run()
    live = at.session_state["lab_live"]
    assert live.steps == 1 and metrics(at, "step") == ["1"]

    at.button(key="lab_play").click().run()  # the fragment trains one chunk per run here
    live = at.session_state["lab_live"]
    assert live.status == "running" and live.steps > 1
    assert at.button(key="lab_play").disabled and not at.button(key="lab_pause").disabled
    at.run()
    running_steps = at.session_state["lab_live"].steps
    assert running_steps > live.steps or running_steps > 1

    at.button(key="lab_pause").click().run()
    paused = at.session_state["lab_live"].steps
    at.run()
    assert at.session_state["lab_live"].status == "paused"
    assert at.session_state["lab_live"].steps == paused
    assert metrics(at, "step") == [str(paused)]

    at.button(key="lab_reset").click().run()
    assert at.session_state["lab_live"].steps == 0 and metrics(at, "step") == ["0"]
    assert not at.exception


def test_lab_divergence_stops_with_message_and_reset_recovers(small_lab):
    at = small_lab
    live = at.session_state["lab_live"]

    def diverge():
        raise nc.DivergenceError("NaN loss", live.steps)

    live.trainer.step = diverge
    at.button(key="lab_play").click().run()
    assert at.session_state["lab_live"].status == "failed"
    assert any("diverged" in e.value and "Reset" in e.value for e in at.error)
    assert at.button(key="lab_play").disabled and at.button(key="lab_step").disabled
    assert not at.exception
    at.button(key="lab_reset").click().run()
    assert at.session_state["lab_live"].status == "paused" and not at.error
    at.button(key="lab_step").click().run()
    assert at.session_state["lab_live"].steps == 1


def test_solver_failure_in_the_lab_is_a_message(small_lab):
    at = small_lab
    live = at.session_state["lab_live"]

    def fail():
        raise nc.SolverError("max steps exceeded")

    live.trainer.step = fail
    at.button(key="lab_step").click().run()
    assert any("max steps exceeded" in e.value for e in at.error) and not at.exception


def test_changing_a_setting_rebuilds_the_model(small_lab):
    at = small_lab
    at.button(key="lab_step").click().run()
    assert at.session_state["lab_live"].steps == 1
    at.selectbox(key="w_model").set_value("node").run()
    live = at.session_state["lab_live"]
    assert live.config.model == "node" and live.steps == 0
    assert at.query_params["model"] == ["node"] or at.query_params["model"] == "node"


def test_url_restores_the_lab_settings():
    query = {"task": "reflection", "model": "ncode_closed", "lr": "0.003", "hidden": "12",
             "seed": "7", "method": "rk4", "n": "64"}
    at = open_page("lab", query)
    live = at.session_state["lab_live"]
    assert (live.config.task, live.config.model, live.config.seed) == ("reflection",
                                                                      "ncode_closed", 7)
    assert live.config.training.lr == 0.003 and live.config.model_cfg.hidden == 12
    assert live.config.solver.method == "rk4"
    assert at.selectbox(key="w_task").value == "reflection"
    assert at.slider(key="w_hidden").value == 12
    assert not at.warning


def test_url_with_impossible_values_is_clamped_and_reported():
    at = open_page("lab", {"task": "annuli", "hidden": "999", "lr": "abc", "noise": "-3",
                           "n": "128"})
    live = at.session_state["lab_live"]
    assert live.config.model_cfg.hidden == 64 and live.config.task_cfg.noise == 0.0
    assert live.config.training.lr == 1e-2  # unreadable: the default
    assert any("lr" in w.value for w in at.warning)
    assert not at.exception


def test_lab_opens_a_pretrained_checkpoint_instantly(small_lab):
    at = small_lab
    at.selectbox(key="lab_pretrained").set_value("annuli-ncode_open")
    at.button(key="lab_open").click().run()
    live = at.session_state["lab_live"]
    assert live.source == "annuli-ncode_open" and live.steps > 0
    assert live.evaluation["test_accuracy"] > 0.9
    assert at.selectbox(key="w_task").value == "annuli"
    at.run()  # a rerun keeps it (the settings match the checkpoint)
    assert at.session_state["lab_live"].source == "annuli-ncode_open"
    assert not at.exception


def test_compare_steps_both_models_on_the_same_data():
    at = open_page("compare")
    at.button(key="cmp_step").click().run()
    lives = at.session_state["compare_live"]
    assert sorted(lives) == ["ncode_open", "node"]
    assert [live.steps for live in lives.values()] == [1, 1]
    node, ncode = lives["node"].task, lives["ncode_open"].task
    assert node.name == ncode.name == "reflection"
    assert (node.x_train == ncode.x_train).all()
    assert metrics(at, "step") == ["1", "1"] and not at.exception


def test_compare_matches_the_baseline_unless_told_not_to_or_impossible():
    def counts(at):
        return {name: live.trainer.parameter_count
                for name, live in at.session_state["compare_live"].items()}

    at = open_page("compare")
    matched = counts(at)
    assert abs(matched["node"] - matched["ncode_open"]) <= 0.1 * matched["ncode_open"]
    at.toggle(key="cmp_matched").set_value(False).run()
    unmatched = counts(at)
    assert unmatched["node"] < 0.5 * unmatched["ncode_open"]  # the plain NODE is far smaller
    at.toggle(key="cmp_matched").set_value(True).run()
    task = next(name for name, cls in nc.lab_tasks().items() if cls.ui.lab.own_horizon)
    at.selectbox(key="cmp_task").set_value(task).run()  # Van der Pol: 2-parameter sysid
    at.selectbox(key="cmp_variant").set_value("ncode_closed").run()
    assert any("No parameter-matched" in w.value for w in at.warning)
    assert not at.exception


def test_tour_preset_opens_the_lab():
    at = open_page("tour")
    at.radio(key="tour_step").set_value(at.radio(key="tour_step").options[0]).run()
    at.button(key="tour_go").click().run()
    assert not at.exception
    live = at.session_state["lab_live"]
    assert (live.config.task, live.config.model) == ("reflection", "node")
    assert [t.value for t in at.title] == ["Toy lab"]


def diagram_traces(at) -> dict:
    """The bifurcation diagram's traces by name; fails when the page drew no diagram."""
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    diagrams = [c for c in charts if c["layout"].get("meta") == "bifurcation-diagram"]
    assert len(diagrams) == 1, "the bifurcation diagram is missing"
    return {trace.get("name"): trace for trace in diagrams[0]["data"]}


def test_bifurcation_position_moves_the_marker():
    at = open_page("bifurcation")
    first = metrics(at, "class-1 score at x(0)")
    continuation = at.session_state["bif_continuation"]["value"]
    at.slider(key="bif_position").set_value(0.95).run()
    second = metrics(at, "class-1 score at x(0)")
    assert first and second and first != second and not at.exception
    assert len(at.get("plotly_chart")) == 4
    # moving x(0) on the line reuses the continuation; the diagram draws its branches
    assert at.session_state["bif_continuation"]["value"] is continuation
    traces = diagram_traces(at)
    assert {"stable", "unstable", "bifurcation"} <= set(traces)
    drawn = [y for name in ("stable", "unstable") for y in traces[name]["y"] if y is not None]
    assert len(drawn) > 0
    assert traces["unstable"]["line"]["dash"] == "dash"
    assert traces["stable"]["line"].get("dash", "solid") == "solid"


def test_bifurcation_line_change_recomputes_the_equilibria():
    at = open_page("bifurcation")
    before = at.session_state["bif_continuation"]["value"]
    at.slider(key="bif_angle").set_value(200).run()
    after = at.session_state["bif_continuation"]["value"]
    assert after is not before and not at.exception
    np.testing.assert_allclose(after.positions, np.linspace(0, 1, 100))
    diagram_traces(at)


@pytest.mark.parametrize("task", ["annuli", "reflection", "vanderpol"])
def test_lab_every_model_builds_steps_and_draws(task):
    """No (task, model) pair of the lab's menus crashes the page: build, one step, views."""
    small = {"annuli": "64", "reflection": "16", "vanderpol": "4"}[task]
    at = open_page("lab", {"task": task, "model": "node", "n": small, "hidden": "4",
                           "code": "2", "batch": "16"})
    open_more_views(at)
    for model in ["node", "anode", "node_dc", "ncode_open", "ncode_closed"]:
        if model != "node":
            at.selectbox(key="w_model").set_value(model).run()
        at.button(key="lab_step").click().run()
        live = at.session_state["lab_live"]
        assert (live.config.task, live.config.model, live.steps) == (task, model, 1), model
        assert not at.exception and not at.error, (model, [e.value for e in at.error])
        views = at.session_state["lab_last_views"]
        expected = {"annuli": "field_a", "reflection": "paths", "vanderpol": "portrait"}[task]
        assert expected in views and ("theta" in views) == model.startswith("ncode")


def test_compare_opens_both_pretrained_models():
    at = open_page("compare")
    at.button(key="cmp_pretrained").click().run()
    lives = at.session_state["compare_live"]
    assert [live.source for live in lives.values()] == ["reflection-node",
                                                        "reflection-ncode_open"]
    node, ncode = lives["node"].evaluation, lives["ncode_open"].evaluation
    # the lesson, measured: the NODE stays near the target variance, N-CODE fits
    assert node["test_mse"] > 0.5 * node["target_variance"]
    assert ncode["test_mse"] < 0.05 * ncode["target_variance"]
    assert not at.exception


def test_tour_pretrained_preset_opens_the_trained_model():
    at = open_page("tour")
    options = at.radio(key="tour_step").options
    at.radio(key="tour_step").set_value(options[3]).run()  # annuli torn apart
    at.button(key="tour_go_pretrained").click().run()
    assert not at.exception and [t.value for t in at.title] == ["Toy lab"]
    live = at.session_state["lab_live"]
    assert live.source == "annuli-ncode_open" and live.evaluation["test_accuracy"] > 0.9
    assert metrics(at, "test accuracy") == [f"{100 * live.evaluation['test_accuracy']:.1f} %"]


def animations(at) -> list[dict]:
    """Plotly specs of the page's animated charts (those with frames)."""
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [c for c in charts if c.get("frames")]


def test_closed_loop_field_is_animated_in_the_lab():
    at = open_page("lab", {**SMALL_ANNULI, "model": "ncode_closed"})
    assert animations(at) == []  # in the "More views" expander, computed once it is opened
    (movie,) = animations(open_more_views(at))
    assert len(movie["frames"]) == 20 and len(movie["layout"]["sliders"][0]["steps"]) == 20
    assert [b["label"] for b in movie["layout"]["updatemenus"][0]["buttons"]] == ["Play",
                                                                                  "Pause"]
    # open loop: the field is fixed
    assert animations(open_more_views(open_page("lab", SMALL_ANNULI))) == []


def test_tour_animates_the_closed_loop_step_only():
    at = open_page("tour")
    options = at.radio(key="tour_step").options
    at.radio(key="tour_step").set_value(options[2]).run()  # closed-loop control
    (movie,) = animations(at)
    assert len(movie["frames"]) == 20 and not at.exception
    at.radio(key="tour_step").set_value(options[1]).run()  # open loop
    assert animations(at) == []


@pytest.fixture
def empty_runs(tmp_path, monkeypatch):
    """A job store with no job (the page reads it, never the repository's runs/)."""
    monkeypatch.setenv("NCODE_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NCODE_WORKER_AUTOSTART", "0")
    return tmp_path / "runs"


def test_memorization_page_opens_the_pretrained_model_and_recall_follows_the_probe(empty_runs):
    """The pretrained plastic N-CODE recalls the held-out probe; zeroing more bits (an edit of
    the probe) changes the bit errors shown, and every figure of the episode is drawn."""
    at = open_page("memorization")
    assert [t.value for t in at.title] == ["Memorization"]
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 6  # patterns, movie, recall, errors, theta, Hebbian
    assert metrics(at, "Zeroed bits") == ["50/100"]
    before = metrics(at, "Bit errors (zeroed bits)")
    wrong = int(before[0].split("/")[0])
    assert wrong <= 5, before  # recall works: far below chance (25 of 50)
    movie = next(spec for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                 if spec.get("frames"))
    shown = [frame["name"].split(", ")[1] for frame in movie["frames"]]
    assert len(shown) == 2 * 11 + 1 and shown[-1] == "probe"  # 5 patterns x 2 cycles, probe
    assert {name for name in shown[:-3]} == {f"pattern {i}" for i in range(5)}
    at.slider(key="mem_fraction").set_value(0.95).run()
    assert metrics(at, "Zeroed bits") == ["95/100"]
    assert metrics(at, "Bit errors (zeroed bits)") != before
    at.selectbox(key="mem_pattern").set_value(3).run()
    assert not at.exception and metrics(at, "Zeroed bits") == ["95/100"]


def test_memorization_probe_edited_on_the_grid_drives_recall(empty_runs):
    """Cells typed into the 10x10 table (here: zeroing the top 9 rows, and a flipped bit set
    back) are the probe the model recalls from."""
    at = open_page("memorization")
    grid_key = f"mem_grid_0_0_{at.slider(key='mem_fraction').value}_0"  # episode, pattern, ...
    assert grid_key in at.session_state
    before = metrics(at, "Bit errors (zeroed bits)")
    at.session_state[grid_key] = {"edited_rows": {r: {str(c): 0 for c in range(10)}
                                                  for r in range(9)},
                                  "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    zeroed = int(metrics(at, "Zeroed bits")[0].split("/")[0])
    assert 90 <= zeroed < 100 and zeroed != 50
    assert metrics(at, "Bit errors (zeroed bits)") != before


def test_lab_offers_only_pretrained_models_of_the_lab_tasks():
    """A checkpoint of a task with its own page (memorization) is opened there, not in the lab."""
    at = open_page("lab", SMALL_ANNULI)
    offered = set(at.selectbox(key="lab_pretrained").options)
    shipped = {e["name"]: e["task"] for e in nc.read_manifest("pretrained")}
    assert offered == {name for name, task in shipped.items() if task in nc.lab_tasks()}
    assert any(task not in nc.lab_tasks() for task in shipped.values())


def test_memorization_page_draws_error_curves_of_finished_jobs_with_seed_bands(empty_runs):
    """Succeeded memorization jobs (two seeds of one model, one of another) become one curve
    with a band per model; jobs of other tasks and unfinished ones are left out."""
    at = open_page("memorization")
    assert len(at.get("plotly_chart")) == 6
    assert any("No finished memorization job" in i.value for i in at.info)
    with nc.JobStore(empty_runs) as store:
        for model, seed, task, status in [("ncode_closed", 0, "memorization", "succeeded"),
                                          ("ncode_closed", 1, "memorization", "succeeded"),
                                          ("ode_rnn", 0, "memorization", "succeeded"),
                                          ("lstm", 0, "memorization", "failed"),
                                          ("ncode_open", 0, "annuli", "succeeded")]:
            job = store.create_job(nc.validate_job_spec(
                {"task": task, "model": model, "seed": seed, "steps": 50}))
            store.claim_next("test-worker")
            store.log_metrics(job.id, [{"step": s, "train_loss": 1.0, "bit_error": 0.25 / s,
                                        "degraded_bit_error": 0.5 / s, "test_accuracy": 0.5}
                                       for s in (25, 50)])
            store.finish(job.id, status)
    at.run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 7
    figure = json.loads(at.get("plotly_chart")[-1].proto.spec)
    names = [trace.get("name") for trace in figure["data"] if trace.get("name")]
    assert len(names) == 2 and "(2 seeds)" in names[0] and "(1 seed)" in names[1]
    x = figure["data"][1]["x"]  # plotly sends arrays base64-encoded
    episodes = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"])
    np.testing.assert_array_equal(episodes, [400.0, 800.0])  # steps x 16 episodes per batch
    y = figure["data"][1]["y"]
    np.testing.assert_allclose(np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]),
                               [0.01, 0.005])  # the bit error, the metric the paper reports


def _paper_lines(figure: dict) -> dict[float, str]:
    """The dashed reference lines of an error-curves figure: height -> its annotation."""
    heights = [shape["y0"] for shape in figure["layout"].get("shapes", [])]
    texts = [a["text"] for a in figure["layout"].get("annotations", [])]
    return dict(zip(heights, texts))


def test_memorization_curves_are_drawn_beside_the_papers_numbers(empty_runs):
    """The error-vs-episode figure carries the fig6 preset's paper numbers as dashed lines on
    the metric they are stated on (the bit error), and none on a metric the paper does not
    report (the degraded-bit error)."""
    with nc.JobStore(empty_runs) as store:
        job = store.create_job(nc.validate_job_spec(
            {"task": "memorization", "model": "node_dc", "seed": 0, "steps": 50}))
        store.claim_next("test-worker")
        store.log_metrics(job.id, [{"step": 50, "bit_error": 0.3, "degraded_bit_error": 0.4}])
        store.finish(job.id, "succeeded")
    at = open_page("memorization")
    assert at.radio(key="mem_metric").value == "bit_error"
    lines = _paper_lines(json.loads(at.get("plotly_chart")[-1].proto.spec))
    quoted = {entry.paper.value: entry.paper.text for entry in nc.PRESETS["fig6"].entries}
    assert set(lines) == set(quoted)  # 1 %, 17.5 % (two models, one line) and 25 %
    for value, text in quoted.items():
        assert text in lines[value]
    assert "NODE DC" in lines[0.175] and "ODE-RNN" in lines[0.175]
    assert any("17.5 %" in c.value for c in at.caption)
    at.radio(key="mem_metric").set_value("degraded_bit_error").run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert _paper_lines(figure) == {} and "degraded_bit_error" in figure["layout"]["title"]["text"]
