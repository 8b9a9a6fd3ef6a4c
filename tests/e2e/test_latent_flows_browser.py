"""The Latent flows page in a real browser: with an empty data root it says how to fetch MNIST,
opens the pretrained digits AutoN-CODE, AE and VAE, and draws their GMM-sampled image grids;
Resample draws new ones. Saves a screenshot."""

from __future__ import annotations

import time

from tests.e2e.conftest import ARTIFACTS

RENDER_TIMEOUT_S = 240  # first render: latents, three GMM fits, t-SNE (on a shared CPU)
MODELS = ("autoncode", "ae", "vae")


def grid_paths(page) -> list[str]:
    """The heatmap image data of each sampled grid, in model order ('' while not drawn)."""
    found = []
    for model in MODELS:
        image = page.locator(f".st-key-lf_samples_{model} .js-plotly-plot .heatmaplayer image")
        found.append(image.first.get_attribute("href") or "" if image.count() else "")
    return found


def test_sampled_grids_render_and_resample(server, page):
    page.goto(f"{server}/latent_flows", wait_until="domcontentloaded")
    deadline = time.monotonic() + RENDER_TIMEOUT_S
    while time.monotonic() < deadline and not all(grid_paths(page)):
        page.wait_for_timeout(1000)
    first = grid_paths(page)
    assert all(first), "the three GMM-sampled grids did not render"
    assert "python -m ncode_core data fetch mnist" in page.locator(
        "[data-testid='stAlert']").first.inner_text()
    for model in MODELS:
        title = page.locator(f".st-key-lf_samples_{model} .gtitle").text_content()
        assert title.endswith("64 samples")

    page.locator(".st-key-lf_resample button").click()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and grid_paths(page)[0] in ("", first[0]):
        page.wait_for_timeout(500)
    assert grid_paths(page)[0] not in ("", first[0]), "Resample drew the same images"

    page.set_viewport_size({"width": 1500, "height": 4200})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "latent_flows_digits.png"), full_page=True)
    assert not page.locator("[data-testid='stException']").count()
