"""Whether the real-browser tests run, skip or fail, given the Chromium found and CI or not.

A newcomer's `make test` without a browser skips them with a reason naming the install command;
under CI (``CI=true``, as `.ci/run` sets) a missing browser is a failure, so CI always runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

from app.browser import CHROMIUM_NAMES, INSTALL_COMMAND

CI_TRUE = ("true", "1", "yes")


@dataclass(frozen=True)
class BrowserTestDecision:
    """``action`` is ``run`` (``chromium`` is the executable), ``skip`` or ``fail`` (``reason``
    says why, in one line)."""

    action: Literal["run", "skip", "fail"]
    chromium: str | None = None
    reason: str = ""


def under_ci(environ: Mapping[str, str]) -> bool:
    """True when the ``CI`` variable says so (``true``, ``1``, ``yes``; any case)."""
    return environ.get("CI", "").strip().lower() in CI_TRUE


def decide_browser_tests(chromium: str | None, ci: bool) -> BrowserTestDecision:
    """Run with ``chromium`` when there is one; without, skip locally and fail under CI."""
    if chromium:
        return BrowserTestDecision("run", chromium)
    missing = (f"no Chromium found (BROWSER_PATH, {', '.join(CHROMIUM_NAMES)} on PATH, "
               f"Playwright's own): install one with `{INSTALL_COMMAND}`")
    if ci:
        return BrowserTestDecision("fail", reason=f"{missing}; CI=true requires the browser tests")
    return BrowserTestDecision("skip", reason=f"{missing} to run the browser tests")
