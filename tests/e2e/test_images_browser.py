"""The Images page in a real browser: the drawing canvas (streamlit-drawable-canvas under
Streamlit 1.67) renders, a mouse stroke on it reaches the page, and the drawn digit is classified
with its kernels drawn. Saves a screenshot."""

from __future__ import annotations

import time

from tests.e2e.conftest import ARTIFACTS


def prediction(page) -> str | None:
    """The st.metric labelled "prediction" (None while absent)."""
    tiles = page.locator("[data-testid='stMetric']").filter(has_text="prediction")
    if tiles.count() == 0:
        return None
    return tiles.first.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_a_stroke_drawn_on_the_canvas_is_classified(server, page):
    page.goto(f"{server}/images", wait_until="domcontentloaded")
    page.locator(".st-key-img_source").wait_for(timeout=90_000)
    page.locator(".st-key-img_source").get_by_text("drawn digit").click()
    page.get_by_text("Nothing drawn yet").wait_for(timeout=30_000)
    assert prediction(page) is None

    # Fabric.js draws strokes on its "upper" canvas, made once the component has started
    canvas = page.locator(".st-key-img_canvas_digits canvas.upper-canvas")
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()  # the mouse only reaches what is in the viewport
    page.wait_for_timeout(3000)  # a stroke begun 1.5 s after the canvas showed was lost
    box = canvas.bounding_box()
    assert box and box["width"] >= 200  # rendered at its size, not collapsed
    # one vertical stroke down the middle: a "1"
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 31):
        page.mouse.move(x, box["y"] + 40 + step * (box["height"] - 80) / 30)
    page.mouse.up()

    deadline = time.monotonic() + 60
    shown = None
    while time.monotonic() < deadline and shown is None:
        page.wait_for_timeout(500)
        shown = prediction(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "images_drawn_digit.png"), full_page=True)
    assert shown is not None, "the stroke did not reach the page"
    assert shown in [str(d) for d in range(10)]
    assert page.get_by_text("Nothing drawn yet").count() == 0
    assert page.locator(".st-key-img_kernels .js-plotly-plot").count() == 1
    assert not page.locator("[data-testid='stException']").count()
