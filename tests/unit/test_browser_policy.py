"""The real-browser tests find a Chromium, skip without one (naming the install command) and
fail without one under CI."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app import browser
from tests.e2e.browser_policy import decide_browser_tests, under_ci

ROOT = Path(__file__).resolve().parents[2]


def test_a_found_browser_runs_the_tests_locally_and_under_ci():
    for ci in (False, True):
        decision = decide_browser_tests("/opt/chrome/chrome", ci)
        assert (decision.action, decision.chromium) == ("run", "/opt/chrome/chrome")


def test_no_browser_skips_locally_with_the_install_command():
    decision = decide_browser_tests(None, ci=False)
    assert decision.action == "skip"
    assert "apt-get install chromium" in decision.reason and "\n" not in decision.reason


def test_no_browser_under_ci_fails():
    decision = decide_browser_tests(None, ci=True)
    assert decision.action == "fail" and "apt-get install chromium" in decision.reason


@pytest.mark.parametrize("value, expected", [("true", True), ("TRUE", True), ("1", True),
                                             ("false", False), ("0", False), ("", False),
                                             (None, False)])
def test_under_ci_reads_the_ci_variable(value, expected):
    assert under_ci({} if value is None else {"CI": value}) is expected


def fake_executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_system_chromium_prefers_browser_path_then_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert browser.system_chromium() is None
    on_path = fake_executable(bin_dir, "chromium-browser")
    assert browser.system_chromium() == str(on_path)
    configured = fake_executable(tmp_path, "my-chrome")
    monkeypatch.setenv("BROWSER_PATH", str(configured))
    assert browser.system_chromium() == str(configured)
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "not-there"))
    assert browser.system_chromium() == str(on_path)


def test_find_chromium_falls_back_to_playwrights_browser(monkeypatch):
    monkeypatch.setattr(browser, "system_chromium", lambda: None)
    monkeypatch.setattr(browser, "playwright_chromium", lambda: "/cache/ms-playwright/chrome")
    assert browser.find_chromium() == "/cache/ms-playwright/chrome"
    monkeypatch.setattr(browser, "system_chromium", lambda: "/usr/bin/chromium")
    assert browser.find_chromium() == "/usr/bin/chromium"


def test_playwright_chromium_names_only_a_file_on_disk():
    path = browser.playwright_chromium()
    assert path is None or os.path.isfile(path)


def run_browser_tests_without_a_browser(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess:
    """tests/e2e in a fresh pytest whose PATH has no browser (and Playwright has none cached).

    ``--confcutdir`` leaves out tests/conftest.py (torch threads and a float64 fixture, nothing
    the browser decision reads), so this pytest does not spend seconds importing torch."""
    empty = tmp_path / "bin"
    empty.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if key not in ("CI", "BROWSER_PATH", "PLAYWRIGHT_BROWSERS_PATH")}
    env.update(PATH=str(empty), PLAYWRIGHT_BROWSERS_PATH=str(tmp_path / "no-browsers"),
               PYTHONPATH=str(ROOT), **({"CI": "true"} if ci else {}))
    return subprocess.run([sys.executable, "-m", "pytest", "tests/e2e", "-q", "-rs",
                           "-p", "no:cacheprovider", "--confcutdir", "tests/e2e"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def test_browser_tests_skip_without_a_browser_and_fail_under_ci(tmp_path):
    local = run_browser_tests_without_a_browser(tmp_path, ci=False)
    assert local.returncode == 0, local.stdout + local.stderr
    assert "skipped" in local.stdout and "passed" not in local.stdout
    assert "apt-get install chromium" in local.stdout

    ci = run_browser_tests_without_a_browser(tmp_path, ci=True)
    assert ci.returncode != 0, ci.stdout
    assert "CI=true requires the browser tests" in ci.stdout
