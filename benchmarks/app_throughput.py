"""Dashboard speed: live training inside the app vs the bare Trainer, first render of the lab,
and the cost of a 40 x 40 arrow field with streamlines.

Run: .venv/bin/python benchmarks/app_throughput.py [--seconds 20] [--task annuli --model ncode_open]

* bare Trainer: ``Trainer.step()`` in a loop for the lab's own config (the settings' defaults),
  measured before and after the app run (the mean is the reference: the machine is shared);
* in the app: ``streamlit run`` on a free port, headless Chromium presses Play and reads the
  step counter the page shows, over ``--seconds`` (training chunks, evaluations, the views and
  the browser's redraws included). Target: >= 70 % of the bare throughput;
* first render of the lab: from ``page.goto(/lab)`` to the vector-field chart drawn, in a new
  tab (a new Streamlit session), once on a cold server (the first session imports torch) and
  once warm (second tab: the browser's cache holds the scripts); plus the server's own share
  (a new session's first run of the lab under AppTest). Target: < 3 s. Note that here the
  browser shares the server's 2 cores (and parses the 4.7 MB plotly bundle on them);
* 40 x 40 arrow field + streamlines: ``vector_field`` + ``streamlines`` + the plotly figure,
  median of 7 (and the JSON serialisation Streamlit adds). Target: < 300 ms.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ncode_core as nc  # noqa: E402
from app.browser import CHROMIUM_ARGS, INSTALL_COMMAND, find_chromium  # noqa: E402
from app.components import figures  # noqa: E402
from app.components import settings as S  # noqa: E402
from app.launch import serve  # noqa: E402
from benchmarks._timing import median_seconds, print_table  # noqa: E402


def bare_rate(config: dict, seconds: float) -> float:
    """Steps per second of a fresh Trainer for ``config`` (after 5 warm-up steps)."""
    trainer = nc.Trainer(config, device="cpu")
    for _ in range(5):
        trainer.step()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        trainer.step()
        done += 1
    return done / (time.perf_counter() - started)


def shown_steps(page) -> int:
    text = page.locator(".st-key-lab_metric_step [data-testid='stMetricValue']").inner_text()
    return int(re.search(r"\d+", text).group())


def open_lab(context, url: str) -> tuple[object, float]:
    """A new tab (new Streamlit session) on the lab; seconds until its vector field is drawn."""
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{url}/lab?{'&'.join(f'{k}={v}' for k, v in QUERY.items())}")
    page.locator(".st-key-lab_field_a .js-plotly-plot .scatterlayer").wait_for(timeout=120_000)
    return page, time.perf_counter() - started


def app_measurements(seconds: float) -> dict[str, float]:
    """First renders (cold, warm) and the in-app training rate over ``seconds``."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit(f"no Chromium found: install one with `{INSTALL_COMMAND}`")
    results: dict[str, float] = {}
    with serve() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page, results["render_cold"] = open_lab(context, url)
        page.close()  # the second tab: warm server, the browser's cache holds the scripts
        page, results["render_warm"] = open_lab(context, url)
        page.locator(".st-key-lab_play button").click()
        page.wait_for_timeout(4000)  # first chunks: warm-up
        first, started = shown_steps(page), time.perf_counter()
        page.wait_for_timeout(int(seconds * 1000))
        last, elapsed = shown_steps(page), time.perf_counter() - started
        results["app_rate"] = (last - first) / elapsed
        delta = page.locator(".st-key-lab_metric_rate [data-testid='stMetricDelta']")
        results["app_train_rate"] = float(re.search(r"[\d.]+", delta.inner_text()).group())
        page.locator(".st-key-lab_pause button").click()
        browser.close()
    return results


def server_render() -> float:
    """Seconds the server spends on a new session's first run of the lab (AppTest, warm
    process): the dashboard's own share of the first render, without the browser."""
    from streamlit.testing.v1 import AppTest

    def first_lab_run() -> None:
        at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
        for key, value in QUERY.items():
            at.query_params[key] = value
        at.run()
        at.switch_page("app_pages/lab.py")
        started = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - started)

    samples: list[float] = []
    for _ in range(4):
        first_lab_run()
    return statistics.median(samples[1:])


def field_cost(config: dict) -> tuple[float, float]:
    """Median seconds to build a 40 x 40 arrow field + streamlines figure, and to serialise it."""
    trainer = nc.Trainer(config, device="cpu")
    for _ in range(20):
        trainer.step()
    bounds = (-1.8, 1.8, -1.8, 1.8)

    def build():
        field = nc.vector_field(trainer.model, (0.3, 0.2), bounds, 40)
        lines = nc.streamlines(field, 10)
        return figures.vector_field_figure(field, lines, (0.3, 0.2))

    figure = build()
    return median_seconds(build, 7), median_seconds(figure.to_json, 7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="in-app measuring window")
    parser.add_argument("--task", default="annuli")
    parser.add_argument("--model", default="ncode_open")
    args = parser.parse_args()
    nc.set_threads()
    global QUERY
    QUERY = {"task": args.task, "model": args.model}
    config = S.to_run_config({**S.defaults_for(args.task), "model": args.model})

    before = bare_rate(config, args.seconds / 2)
    app = app_measurements(args.seconds)
    after = bare_rate(config, args.seconds / 2)
    bare = statistics.mean([before, after])
    build_s, json_s = field_cost(config)
    server_s = server_render()
    ratio = app["app_rate"] / bare
    rows = [
        ["bare Trainer steps/s (before / after)", f"{before:.1f} / {after:.1f}", "", ""],
        ["live training in the app, steps/s", f"{app['app_rate']:.1f}",
         f"{100 * ratio:.0f} % of bare", ">= 70 %  " + ("ok" if ratio >= 0.7 else "MISSED")],
        ["  the app's rate inside Trainer.step (page)", f"{app['app_train_rate']:.1f}",
         f"{100 * app['app_train_rate'] / bare:.0f} % of bare", ""],
        ["first render of the lab, cold server (s)", f"{app['render_cold']:.2f}", "",
         "< 3 s  " + ("ok" if app["render_cold"] < 3 else "MISSED")],
        ["first render of the lab, warm server + browser cache (s)",
         f"{app['render_warm']:.2f}", "", "< 3 s  " + ("ok" if app["render_warm"] < 3
                                                       else "MISSED")],
        ["  of which the server's first run of the lab (s)", f"{server_s:.2f}",
         "AppTest, warm", ""],
        ["40x40 arrows + streamlines figure (ms)", f"{1000 * build_s:.0f}",
         f"+ {1000 * json_s:.0f} ms to_json", "< 300 ms  " + ("ok" if build_s < 0.3
                                                                else "MISSED")],
    ]
    print(f"config: {args.task} / {args.model}, lab defaults "
          f"(batch {config['training']['batch_size']}, {config['solver']['method']} "
          f"tol {config['solver']['rtol']:g}), torch threads {nc.set_threads()}")
    print_table(["measure", "value", "relative", "target"], rows)
    return 0


QUERY: dict[str, str] = {}

if __name__ == "__main__":
    sys.exit(main())
