"""The Memorization page in a real browser: the pretrained plastic N-CODE recalls a held-out
probe, the episode's animation plays, and zeroing more of the probe's bits with the sidebar
slider updates the recall shown."""

from __future__ import annotations

import re
import time

from tests.e2e.conftest import ARTIFACTS

UPDATE_TIMEOUT_S = 60


def shown_metric(page, label: str) -> str:
    """The value of the st.metric tile labelled ``label`` ("" while absent)."""
    name = page.locator("[data-testid='stMetricLabel']",
                        has_text=re.compile(f"^{re.escape(label)}$"))
    tile = page.locator("[data-testid='stMetric']").filter(has=name)
    if tile.count() == 0:
        return ""
    return tile.first.locator("[data-testid='stMetricValue']").inner_text()


def wait_for_metric(page, label: str, pattern: str) -> str:
    """Poll the tile ``label`` until its value matches ``pattern``; returns the value."""
    deadline, value = time.monotonic() + UPDATE_TIMEOUT_S, ""
    while time.monotonic() < deadline:
        value = shown_metric(page, label)
        if re.fullmatch(pattern, value):
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"{label}: shown {value!r}, expected {pattern}")


def test_the_episode_plays_and_zeroing_more_bits_updates_the_recall(server, page):
    page.goto(f"{server}/memorization", wait_until="domcontentloaded")
    wait_for_metric(page, "Zeroed bits", r"50/100")
    before = wait_for_metric(page, "Bit errors (zeroed bits)", r"\d+/50 \(.*\)")
    assert int(before.split("/")[0]) <= 5, before  # recalled: far below chance (25 of 50)

    charts = page.locator(".st-key-mem_episode_movie .js-plotly-plot")
    deadline = time.monotonic() + UPDATE_TIMEOUT_S
    while charts.count() != 1 and time.monotonic() < deadline:  # a rerun briefly shows two
        page.wait_for_timeout(250)
    movie = charts.first
    current = movie.locator(".slider-group > .slider-label")  # the frame shown now
    start = current.text_content()
    assert start.startswith("0.00 s, pattern"), start
    movie.locator(".updatemenu-button").filter(has_text="Play").click()
    deadline = time.monotonic() + 20
    while current.text_content() == start and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert current.text_content() != start  # frames advance: the episode plays

    slider = page.locator(".st-key-mem_fraction input[type='range']")
    slider.focus()
    for _ in range(9):  # 0.50 -> 0.95 in steps of 0.05
        slider.press("ArrowRight")
    after = wait_for_metric(page, "Bit errors (zeroed bits)", r"\d+/95 \(.*\)")
    assert shown_metric(page, "Zeroed bits") == "95/100"
    assert after != before

    page.set_viewport_size({"width": 1500, "height": 3200})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "memorization.png"), full_page=True)
    assert not page.locator("[data-testid='stException']").count()
