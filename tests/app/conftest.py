"""AppTest helpers: the dashboard runs in-process (``run_every`` never fires here, so live
training is driven through the Play / Step buttons and explicit reruns)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import state

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TIMEOUT = 120
# Small, fast lab settings (a link's query string, the way a user would share them).
SMALL_ANNULI = {"task": "annuli", "model": "ncode_open", "n": "128", "batch": "64",
                "hidden": "8", "code": "4"}


def open_page(page: str, query: dict[str, str] | None = None) -> AppTest:
    """A fresh session (optionally opened from a link's query string) showing ``page``."""
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "home":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest, label: str) -> list[str]:
    """Values of the st.metric tiles labelled ``label``, in page order."""
    return [m.value for m in at.metric if m.label == label]


def open_more_views(at: AppTest) -> AppTest:
    """Open the lab's "More views" expander (its views are computed only while it is open)."""
    at.session_state[state.MORE_VIEWS] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def small_lab() -> AppTest:
    """The lab on a small annuli problem with open-loop N-CODE."""
    return open_page("lab", SMALL_ANNULI)
