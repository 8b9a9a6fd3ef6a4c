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


@pytest.fixture(scope="session")
def server(chromium, tmp_path_factory) -> str:
    """The dashboard's base URL, one server for every module that only reads (a server start
    and its first page's imports cost seconds each; each test opens its own browser session).

    It runs on an empty job store with no worker autostart (the pages read the store, never the
    repository's runs/) and an empty data root (only the bundled digits open). Asks for the
    browser first: no server starts for a skip."""
    root = tmp_path_factory.mktemp("dashboard")
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:  # the server's environment only
            patch.setenv("NCODE_RUNS_DIR", str(root / "runs"))
            patch.setenv("NCODE_WORKER_AUTOSTART", "0")
            patch.setenv("NCODE_DATA_DIR", str(root / "data"))
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
