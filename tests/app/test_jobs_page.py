"""The Jobs page (AppTest) on an existing store: every job and its history is there after a
dashboard restart; launching validates the spec; cancel works; a finished job opens in the lab.
Also the page's pure builders (form fields from config models, tables, figures)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ncode_core as nc
from app.components import jobs_figures, jobs_form

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "app" / "streamlit_app.py"
PAGE = "app_pages/jobs.py"


def _open(page_only: bool = False) -> AppTest:
    """A fresh dashboard session on the Jobs page (a dashboard restart, as far as the store
    is concerned: nothing but the store carries over)."""
    if page_only or "jobs.py" not in ENTRY.read_text():
        at = AppTest.from_file(str(ROOT / "app" / PAGE), default_timeout=60)
    else:
        at = AppTest.from_file(str(ENTRY), default_timeout=60)
        at.run()
        at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A store written by an earlier session: a finished real run, a failed one with its
    reason, a queued one, and a lost one with 10 logged steps."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("NCODE_RUNS_DIR", str(runs))
    monkeypatch.setenv("NCODE_WORKER_AUTOSTART", "0")
    monkeypatch.setenv("NCODE_THREADS", "1")
    with nc.JobStore(runs) as opened:
        done = opened.create_job(nc.validate_job_spec(
            {"task": "reflection", "model": "ncode_open", "steps": 3, "name": "finished"}))
        from ncode_core.jobs.runner import run_job  # the real runner, in-process for speed

        previous = signal.getsignal(signal.SIGTERM)
        try:
            assert run_job(done.id, runs) == 0
        finally:
            signal.signal(signal.SIGTERM, previous)
        failed = opened.create_job(nc.validate_job_spec(
            {"task": "annuli", "model": "node", "steps": 5, "name": "diverged"}))
        opened.claim_next("old-worker")
        opened.finish(failed.id, "failed", "NaN loss at step 4")
        lost = opened.create_job(nc.validate_job_spec(
            {"task": "annuli", "model": "ncode_open", "steps": 20, "name": "crashed"}))
        opened.claim_next("old-worker")
        opened.log_metrics(lost.id, [{"step": s, "train_loss": 1.0 / s, "test_accuracy": 0.5}
                                     for s in range(1, 11)])
        opened.finish(lost.id, "lost", "no heartbeat for 30 s")
        queued = opened.create_job(nc.validate_job_spec(
            {"task": "vanderpol", "model": "ncode_closed", "steps": 7, "name": "waiting"}))
        yield opened, {"done": done.id, "failed": failed.id, "lost": lost.id,
                       "queued": queued.id}


def _table_ids(at: AppTest) -> list[int]:
    frame = next(df for df in at.dataframe if "status" in df.value.columns)
    return sorted(int(i) for i in frame.value["id"])


def test_page_shows_existing_jobs_after_restart(store):
    opened, ids = store
    for _ in range(2):  # two separate sessions: the second is a restarted dashboard
        at = _open()
        assert _table_ids(at) == sorted(ids.values())
        job_box = at.selectbox(key="jobs_selected")
        assert job_box.value == ids["queued"]  # newest first
        job_box.set_value(ids["lost"]).run()
        assert not at.exception
        assert [m.value for m in at.metric if m.label == "Step"] == ["10/20"]
        assert any("no heartbeat" in e.value for e in at.error)
        curve = json.loads(at.get("plotly_chart")[0].proto.spec)
        assert curve["data"][0]["x"] == list(range(1, 11))
        at.selectbox(key="jobs_selected").set_value(ids["failed"]).run()
        assert any("NaN loss at step 4" in e.value for e in at.error)
        at.selectbox(key="jobs_selected").set_value(ids["done"]).run()
        assert [m.value for m in at.metric if m.label == "Status"] == ["succeeded"]
        assert any("succeeded" in c.value for c in at.code)  # log tail
    assert opened.metric_steps(ids["lost"]) == list(range(1, 11))


def test_launch_validates_and_stores_only_valid_specs(store):
    opened, ids = store
    at = _open()
    at.selectbox(key="jobs_form_task").set_value("annuli").run()
    at.selectbox(key="jobs_form_model").set_value("ncode_closed").run()
    at.text_input(key="jobs_form_name").input("../x")
    at.button(key="jobs_form_launch").click().run()
    assert any("Not launched" in e.value and "name" in e.value for e in at.error)
    assert len(opened.list_jobs()) == 4
    at.text_input(key="jobs_form_name").input("from-ui")
    at.number_input(key="jobs_form_steps").set_value(25)
    at.number_input(key="jobs_form_solver_max_num_steps").set_value(500)
    at.button(key="jobs_form_launch").click().run()
    assert not at.exception and any("from-ui" in s.value for s in at.success)
    job = opened.list_jobs()[0]
    assert (job.name, job.task, job.model, job.steps, job.status) == (
        "from-ui", "annuli", "ncode_closed", 25, "queued")
    assert job.spec["solver"] == {"max_num_steps": 500}  # only changed fields are stored


def test_cancel_button_and_compare(store):
    opened, ids = store
    at = _open()
    at.selectbox(key="jobs_selected").set_value(ids["queued"]).run()
    at.button(key=f"jobs_cancel_{ids['queued']}").click().run()
    assert opened.require(ids["queued"]).status == "cancelled"
    at.multiselect(key="jobs_compare").set_value([ids["done"], ids["lost"]]).run()
    assert not at.exception
    table = next(df for df in at.dataframe if "model" in df.value.columns
                 and "status" in df.value.columns and "progress" not in df.value.columns)
    assert sorted(table.value["id"]) == sorted([ids["done"], ids["lost"]])
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any(len(f["data"]) == 2 for f in figures)


def test_open_finished_job_in_lab(store):
    if "jobs.py" not in ENTRY.read_text():
        pytest.skip("the Jobs page is not in the dashboard's navigation yet")
    opened, ids = store
    at = _open()
    at.selectbox(key="jobs_selected").set_value(ids["done"]).run()
    at.button(key=f"jobs_open_{ids['done']}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Toy lab"


def test_form_fields_come_from_the_config_models():
    solver = {f.name: f for f in jobs_form.config_fields(nc.SolverConfig)}
    assert solver["method"].kind == "choice" and "rk4" in solver["method"].options
    assert solver["adjoint"].kind == "bool" and solver["step_size"].kind == "optional"
    assert solver["max_num_steps"].minimum == 1 and solver["rtol"].maximum == 1
    for task, config in nc.TASK_CONFIGS.items():
        assert {f.name for f in jobs_form.config_fields(config)} == set(config.model_fields)
    assert jobs_form.changed_values(list(solver.values()), {"method": "dopri5", "rtol": 1e-4}) \
        == {"rtol": 1e-4}
    assert jobs_form.parse_optional("") is None and jobs_form.parse_optional("0.1") == 0.1


def test_builders_tables_and_figures(store):
    opened, ids = store
    jobs = opened.list_jobs()
    table = jobs_figures.jobs_table(jobs)
    assert list(table["id"]) == [j.id for j in jobs]
    lost_row = table[table["id"] == ids["lost"]].iloc[0]
    assert lost_row["progress"] == pytest.approx(0.5) and "lost" in lost_row["status"]
    history = opened.metrics(ids["lost"])
    assert jobs_figures.metric_names(history) == ["train_loss", "test_accuracy"]
    figure = jobs_figures.metric_figure({"a": history, "b": history[:3]}, "train_loss")
    assert [len(trace.x) for trace in figure.data] == [10, 3]
    assert jobs_figures.format_eta(3725) == "1h02m" and jobs_figures.format_eta(None) == "-"


def test_launch_form_shows_only_the_model_options_of_the_chosen_family(store):
    at = _open()

    def model_fields() -> set[str]:
        prefix = "jobs_form_model_cfg_"
        return {str(w.key)[len(prefix):] for w in [*at.number_input, *at.selectbox]
                if str(w.key).startswith(prefix)}

    for family in ("node", "ncode_closed"):
        at.selectbox(key="jobs_form_model").set_value(family).run()
        assert model_fields() == set(nc.MODELS[family].info.options), family
    assert not at.exception


def _preset_results(at: AppTest):
    return next(df.value for df in at.dataframe if "paper" in df.value.columns)


def test_launch_preset_submits_every_job_in_one_click(store):
    opened, ids = store
    at = _open()
    assert list(at.selectbox(key="jobs_form_preset").options) == [
        jobs_form._preset_label(name) for name in nc.PRESETS]
    at.selectbox(key="jobs_form_preset").set_value("table1-digits").run()
    results = _preset_results(at)
    assert list(results["label"]) == [e.label for e in nc.PRESETS["table1-digits"].entries]
    assert list(results["jobs"]) == [0, 0, 0, 0]
    at.button(key="jobs_form_preset_launch").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Preset table1-digits" in s.value for s in at.success)
    launched = [job for job in opened.list_jobs() if job.id not in ids.values()]
    preset = nc.PRESETS["table1-digits"]
    assert len(launched) == preset.job_count
    assert all("preset=table1-digits" in job.spec["tags"] and job.status == "queued"
               and job.steps == preset.steps for job in launched)
    assert list(_preset_results(at)["jobs"]) == [1, 1, 1, 1]
