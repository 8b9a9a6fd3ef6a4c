"""Finding a headless Chromium: for PNG export (kaleido), the real-browser tests and benchmarks.

Looked for, in order: ``BROWSER_PATH``; Debian's ``chromium`` (or another Chromium/Chrome) on
``PATH``; the Chromium that ``playwright install chromium`` put in Playwright's own cache.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_COMMAND = "apt-get install chromium"
# Headless, no sandbox (root in containers), and nothing that phones home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def system_chromium() -> str | None:
    """``BROWSER_PATH`` when it names a file, else the first of :data:`CHROMIUM_NAMES` on
    ``PATH``; None when neither exists."""
    configured = os.environ.get("BROWSER_PATH")
    if configured and os.path.isfile(configured):
        return configured
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def playwright_chromium() -> str | None:
    """Playwright's own Chromium when the ``playwright`` package is installed and its browser
    lies on disk; None otherwise (Playwright reports the path even when nothing is there)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:  # no driver, or called inside an event loop: as good as no browser
        return None
    return path if path and os.path.isfile(path) else None


def find_chromium() -> str | None:
    """Path of a Chromium executable (system first, then Playwright's), or None."""
    return system_chromium() or playwright_chromium()
