"""The Jobs page in a real browser: launch a job from the form, the dashboard starts a worker
pool through the jobs layer, and the polling monitor shows the job finish without any click.
Every process started (server, pool, job) is ended afterwards."""

from __future__ import annotations

import time

from tests.e2e.conftest import ARTIFACTS


def test_launch_from_the_form_and_watch_it_finish(server, dashboard_runs, page):
    from ncode_core import JobStore

    base_url, runs = server, dashboard_runs
    page.goto(f"{base_url}/jobs", wait_until="domcontentloaded")
    page.get_by_role("tab", name="Launch").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Launch").click()
    steps = page.locator(".st-key-jobs_form_steps input")
    steps.fill("12")
    page.locator(".st-key-jobs_form_name input").fill("from-browser")
    page.locator(".st-key-jobs_form_launch button").click()
    page.get_by_text("Watch it in the Monitor tab").wait_for(timeout=60_000)

    with JobStore(runs) as store:
        jobs = store.list_jobs()
        assert [(j.name, j.steps) for j in jobs] == [("from-browser", 12)]
    page.get_by_role("tab", name="Monitor").click()
    deadline = time.monotonic() + 150
    shown = ""
    while time.monotonic() < deadline:  # no clicks: the monitor fragment polls the store
        status = page.locator("[data-testid='stMetric']").filter(has_text="Status")
        shown = status.first.inner_text() if status.count() else ""
        if "succeeded" in shown or "failed" in shown:
            break
        page.wait_for_timeout(500)
    assert "succeeded" in shown, shown
    with JobStore(runs) as store:
        job = store.list_jobs()[0]
        assert job.status == "succeeded" and store.metric_steps(job.id) == list(range(1, 13))
        assert job.pid is None and job.worker_id  # ran in a worker process, not in the server
    curve = page.locator(".st-key-jobs_curve .js-plotly-plot .scatterlayer .trace")
    curve.first.wait_for(timeout=30_000)  # the job's curve is drawn
    page.wait_for_timeout(2500)  # one more poll: the page stays consistent while polling
    assert page.locator(".st-key-jobs_cancel_1").count() == 0  # no cancel on a finished job
    page.screenshot(path=str(ARTIFACTS / "jobs-page.png"), full_page=True)
