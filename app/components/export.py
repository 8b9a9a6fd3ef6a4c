"""Figure export: standalone HTML (always) and PNG via kaleido v1, which drives a Chromium.

Decision: PNG export uses kaleido (pinned in requirements.txt, installs offline from PyPI) with the
Chromium :func:`app.browser.find_chromium` finds (Debian ``chromium`` first, the same browser the
e2e tests use); kaleido's own ``get_chrome`` download is never attempted. Where no Chromium exists the app says so and points
to the chart's camera button (plotly.js renders the PNG in the user's own browser).
"""

from __future__ import annotations

import os

import plotly.graph_objects as go

from app.browser import find_chromium


def figure_html(fig: go.Figure) -> bytes:
    """A standalone HTML page (plotly.js embedded: opens offline) of ``fig``."""
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def figure_png(fig: go.Figure, width: int = 900, height: int | None = None) -> bytes:
    """PNG bytes of ``fig`` rendered by kaleido with the system Chromium (a few seconds).

    Raises RuntimeError when no Chromium is available.
    """
    browser = find_chromium()
    if browser is None:
        raise RuntimeError("PNG export needs Chromium (apt-get install chromium); "
                           "use the chart's camera button instead")
    os.environ.setdefault("BROWSER_PATH", browser)
    height = height or int(fig.layout.height or 450)
    return fig.to_image(format="png", width=width, height=height, scale=1)
