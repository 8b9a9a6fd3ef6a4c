"""Real-browser fixtures: the dashboard under `streamlit run` and a headless Chromium (Debian's or
Playwright's). Without one the tests skip, naming the install command; under CI they fail."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from app.browser import CHROMIUM_ARGS, find_chromium
from app.launch import serve
from tests.e2e.browser_policy import decide_browser_tests, under_ci
from tests.unit.jobs_helpers import kill_store_processes

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable, or a skip (locally) / failure (CI) saying how to install one."""
    decision = decide_browser_tests(find_chromium(), under_ci(os.environ))
    if decision.action == "skip":
        pytest.skip(decision.reason)
    if decision.action == "fail":
        pytest.fail(decision.reason, pytrace=False)
    return decision.chromium


# Job timings short enough for a test (production: a heartbeat every 5 s, lost after 30 s, an
# on-demand pool idle for 300 s exits); the pool the Jobs page starts inherits them.
JOB_TIMINGS = {"NCODE_HEARTBEAT_S": "0.5", "NCODE_HEARTBEAT_TIMEOUT_S": "10",
               "NCODE_WORKER_IDLE_EXIT_S": "5"}


def end_store_processes(runs: Path) -> None:
    """End every process of the store at ``runs``, if a test made one (opening a store that
    does not exist would create it)."""
    if (runs / "ncode.db").exists():
        kill_store_processes(runs)


@pytest.fixture(scope="session")
def dashboard_runs(tmp_path_factory) -> Path:
    """The shared dashboard's job store: empty until a test launches a job from the page."""
    return tmp_path_factory.mktemp("dashboard") / "runs"


@pytest.fixture(scope="session")
def server(chromium, dashboard_runs) -> str:
    """The dashboard's base URL: one server for every browser test (a server start and its
    first page's imports cost seconds each; each test opens its own browser session).

    It runs on its own job store (``dashboard_runs``, never the repository's runs/) with the
    worker pool started on demand as in production, short job timings and an empty data root
    (only the bundled digits open). Every process of that store is ended afterwards. Asks for
    the browser first: no server starts for a skip."""
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        stack.callback(end_store_processes, dashboard_runs)
        with pytest.MonkeyPatch.context() as patch:  # the server's environment only
            patch.setenv("NCODE_RUNS_DIR", str(dashboard_runs))
            patch.setenv("NCODE_DATA_DIR", str(dashboard_runs.parent / "data"))
            for key, value in JOB_TIMINGS.items():
                patch.setenv(key, value)
            base_url = stack.enter_context(serve(log_path=ARTIFACTS / "streamlit.log"))
        yield base_url


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                              headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    tab = context.new_page()
    yield tab
    context.close()
